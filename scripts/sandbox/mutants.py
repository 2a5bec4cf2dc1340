"""make mutants: every mutant must make the suites fail.

A mutant is a one-patch series whose expected verdict is inverted: it is
applied in the scratch clone (never in KSRC), built in the scratch build
directory and run through the same path as make kunit. Per mutant the
verdict says how it was caught: by an assertion (a test failed), a crash,
a hang (our timeout), or not at all (survived). A mutant names the tests
expected to kill it ("Expected killers:"); one that a crash in an earlier
test hid is rerun alone. With the whole library, every test that passes on
the clean tree must be killed by some mutant: a test that cannot fail is a
defect. "Profile: debug" mutants (KASAN-only faults) run in the debug
profile only, with DEBUG=1.

Writes BUILD/results/mutants.{md,json}; exits 1 when a mutant survived, an
expected killer did not fail, or a test was never killed.
"""
import dataclasses
import glob
import os
import time
from typing import Dict, List, Optional

from . import kernel as kmod
from . import progress, reports, results, runner
from .errors import BuildError, Crashed, DaemonDied, Hung, PatchDoesNotApply, StrayReport, TestsFailed
from .settings import profile_dir
from .tree import Scratch

MODEL_SUITE = 'devmap_model'
HANG_SECONDS = 45


@dataclasses.dataclass
class Mutant:
    path: str
    name: str
    fault: str
    expected: List[str]
    profile: str            # 'default' or 'debug'
    # Why the model suite cannot reach this mutant's path (the header
    # "Model out of reach: <why>"), e.g. fork, which the model's state
    # machine has no transition for; '' for a path the model must kill.
    model_out_of_reach: str = ''

    @classmethod
    def load(cls, path: str) -> 'Mutant':
        headers: Dict[str, str] = {}
        with open(path, errors='replace') as f:
            for line in f:
                if line.startswith('diff --git'):
                    break
                k, sep, v = line.partition(': ')
                if sep:
                    headers.setdefault(k.strip(), v.strip())
        return cls(path, os.path.basename(path)[:-len('.patch')], headers.get('Fault', ''),
                   [k.strip() for k in headers.get('Expected killers', '').split(',') if k.strip()],
                   headers.get('Profile', 'default'), headers.get('Model out of reach', ''))


@dataclasses.dataclass
class Verdict:
    mutant: Mutant
    result: str             # killed, survived, does not apply, does not build, expected killers passed
    caught_by: str          # assertion, report (memory-safety, no test failed), crash, hang, daemon, or -
    killers: List[str]      # suite.case that failed (or crashed)
    seconds: float
    detail: str = ''

    @property
    def killed(self) -> bool:
        return self.result == 'killed'

    @property
    def model_kills(self) -> bool:
        return model_killed(self.killers)


def model_killed(killers: List[str]) -> bool:
    return any(k.startswith(MODEL_SUITE + '.') for k in killers)


def classify(outcome: runner.Outcome) -> (str, List[str], str):
    """(caught_by, killing cases, detail) of one run of a mutant."""
    e = outcome.error
    failed = results.failed_cases(outcome.leaves)
    if e is None and outcome.ok:
        return '-', [], ''
    if isinstance(e, StrayReport):
        return 'report', failed + ([e.test] if e.test and e.test not in failed else []), e.message
    if isinstance(e, TestsFailed):
        return 'assertion', failed, e.message
    if isinstance(e, Crashed):
        return 'crash', failed + ([e.test] if e.test and e.test not in failed else []), e.message
    if isinstance(e, Hung):
        return 'hang', failed + ([e.test] if e.test and e.test not in failed else []), e.message
    if isinstance(e, DaemonDied):
        return 'daemon', failed, e.message
    return 'error', failed, getattr(e, 'message', str(e))


def expected_missing(m: Mutant, killers: List[str], filter_glob: Optional[str]) -> List[str]:
    """The mutant's "Expected killers:" not among @killers. With FILTER=
    (some suites alone, e.g. the model suite) none: they name the
    hand-written suites' cases, which did not run."""
    if filter_glob:
        return []
    return [k for k in m.expected if k not in case_names(killers)]


def case_names(cases: List[str]) -> List[str]:
    """Bare case names (suite.case → case; '(after x)' dropped)."""
    out = []
    for c in cases:
        c = c.split(' ')[0]
        parts = c.split('.')
        out.append(parts[1] if len(parts) > 1 else parts[0])
    return out


class Runner:
    def __init__(self, settings):
        self.s = settings
        self.scratch = Scratch(settings)
        self.base = None
        self.kernels: Dict[bool, kmod.Kernel] = {}

    def kernel(self) -> kmod.Kernel:
        prof = kmod.PROFILES['kunit-uml']
        k = self.kernels.get(self.s.debug)
        if k is None:
            bd = self.scratch.kbuild(profile_dir(prof.name, self.s.debug))
            k = self.kernels[self.s.debug] = kmod.Kernel(self.s, prof, ksrc=self.scratch.path,
                                                         build_dir=bd)
        return k

    def run(self, label: str, filter_glob: Optional[str] = None, json: Optional[str] = None):
        # The suites take seconds: a mutant that hangs them is caught by
        # our timeout well before make kunit's (TIMEOUT, 120 s).
        return runner.run_suites(self.s, self.kernel(), filter_glob=filter_glob, json=json,
                                 raise_on_error=False, label=label,
                                 timeout=min(self.s.timeout, HANG_SECONDS * (4 if self.s.debug else 1)))

    def one(self, m: Mutant) -> Verdict:
        t = time.monotonic()
        self.scratch.reset(self.base)
        try:
            self.scratch.apply(m.path)
            out = self.run(f'mutant {m.name}')
        except PatchDoesNotApply as e:
            return Verdict(m, 'does not apply', '-', [], time.monotonic() - t, e.message)
        if isinstance(out.error, BuildError):
            self.scratch.reset(self.base)
            return Verdict(m, 'does not build', '-', [], time.monotonic() - t, out.error.message)
        caught, killers, detail = classify(out)
        if caught == '-':
            self.scratch.reset(self.base)
            return Verdict(m, 'survived', '-', [], time.monotonic() - t, m.fault)
        # Expected killers that a crash or hang earlier hid: alone, each.
        missing = expected_missing(m, killers, self.s.filter_glob)
        not_killed = []
        for k in missing:
            alone = self.run(f'mutant {m.name}: {k} alone', filter_glob=f'*.{k}')
            c2, k2, _ = classify(alone)
            if c2 == '-':
                not_killed.append(k)
            else:
                killers += [f'{x} (alone)' for x in k2 if x not in killers] or [f'{k} (alone)']
        # Issue #13's claim, checked on every run: the model suite alone
        # kills every mutant. Its cases ran in the same boot; only when
        # they did not fail (a crash or hang earlier ended the boot) is it
        # run alone.
        if not self.s.filter_glob and not model_killed(killers):
            alone = self.run(f'mutant {m.name}: {MODEL_SUITE} alone',
                             filter_glob=MODEL_SUITE + '.*')
            killers += [f'{x} (alone)' for x in classify(alone)[1] if x not in killers]
        self.scratch.reset(self.base)
        if not_killed:
            return Verdict(m, 'expected killers passed', caught, killers, time.monotonic() - t,
                           ', '.join(not_killed))
        return Verdict(m, 'killed', caught, killers, time.monotonic() - t, detail)


def select(settings) -> List[Mutant]:
    from . import bases
    library = bases.BASES[settings.base_version].mutants
    pattern = settings.mutants or os.path.join(settings.top, library, '*.patch')
    if not os.path.isabs(pattern):
        pattern = os.path.join(settings.top, pattern)
    paths = sorted(glob.glob(pattern))
    if not paths:
        from .errors import BadInput
        raise BadInput(f'no mutant matches {pattern}')
    ms = [Mutant.load(p) for p in paths]
    want = 'debug' if settings.debug else 'default'
    return [m for m in ms if m.profile == want or (settings.mutants and m.profile == 'default')]


def table(verdicts: List[Verdict]) -> str:
    rows = [{'mutant': v.mutant.name, 'result': v.result if v.killed else f'**{v.result}**',
             'caught by': v.caught_by,
             f'{MODEL_SUITE} kills': 'yes' if v.model_kills else
             ('out of reach' if v.mutant.model_out_of_reach else '-'),
             'killed by': ', '.join(case_names(v.killers)) or v.detail,
             'seconds': f'{v.seconds:.0f}'} for v in verdicts]
    caught = {c: sum(1 for v in verdicts if v.killed and v.caught_by == c)
              for c in ('assertion', 'report', 'crash', 'hang', 'daemon')}
    note = (f'{sum(v.killed for v in verdicts)}/{len(verdicts)} killed: '
            + ', '.join(f'{n} by {c}' for c, n in caught.items() if n))
    return reports.markdown(['mutant', 'result', 'caught by', f'{MODEL_SUITE} kills', 'killed by',
                             'seconds'], rows, notes=[note])


def unkilled(baseline: List[str], verdicts: List[Verdict]) -> List[str]:
    killed = {c for v in verdicts for c in case_names(v.killers)}
    return [c for c in baseline if c.split('.')[1] not in killed]


def results_name(s) -> str:
    """mutants[-debug][-only-<suite>]: BUILD/results/<name>.{md,json,xml}."""
    name = 'mutants-debug' if s.debug else 'mutants'
    if s.filter_glob:
        suite = s.filter_glob.split('.')[0]
        name += '-only-' + ''.join(c if c.isalnum() or c in '_-' else '_' for c in suite)
    return name


def main(s, a) -> int:
    r = Runner(s)
    ms = select(s)
    with r.scratch.lock('make mutants'):
        return run_all(s, r, ms)


def run_all(s, r, ms) -> int:
    # The debug profile's (KASAN-only) mutants have tables of their own,
    # and so has a run of some suites alone (FILTER=).
    name = results_name(s)
    os.makedirs(os.path.join(s.results, name), exist_ok=True)
    say = lambda m: print(f'mutants: {m}', flush=True)  # noqa: E731
    r.base = r.scratch.prepare()
    say(f'baseline: the suites on the scratch clone of {s.ksrc} ({r.base[:12]})')
    base = r.run('baseline', json=os.path.join(s.results, name, 'baseline.json'))
    if not base.ok:
        raise base.error or TestsFailed('the suites fail without any mutant')
    baseline = results.passed_cases(base.leaves)
    verdicts = []
    for i, m in enumerate(ms, 1):
        progress.step(f'mutant {m.name}: {m.fault}', i, len(ms))
        v = r.one(m)
        verdicts.append(v)
        say(f'{m.name}: {v.result} ({v.caught_by}) in {v.seconds:.0f}s: '
            + (', '.join(case_names(v.killers)) or v.detail))
    text = table(verdicts)
    reports.write(os.path.join(s.results, f'{name}.md'), text)
    reports.write_json(os.path.join(s.results, f'{name}.json'), [
        {'mutant': v.mutant.name, 'result': v.result, 'caught_by': v.caught_by,
         'killers': v.killers, 'seconds': round(v.seconds, 1), 'profile': v.mutant.profile}
        for v in verdicts])
    reports.write(os.path.join(s.results, f'{name}.xml'), reports.junit_verdicts(
        'mutants', [(v.mutant.name, v.killed, f'{v.result}: {v.detail}') for v in verdicts]))
    print(text)
    bad = [v for v in verdicts if not v.killed]
    if bad:
        say(f'{len(bad)} mutant(s) not killed: ' + ', '.join(v.mutant.name for v in bad))
        return 1
    if not s.filter_glob:
        missed = [v.mutant.name for v in verdicts
                  if not v.model_kills and not v.mutant.model_out_of_reach]
        if missed:
            say(f'the {MODEL_SUITE} suite alone does not kill: ' + ', '.join(missed))
            return 1
        say(f'the {MODEL_SUITE} suite alone kills every mutant its path allows too')
    if not s.mutants and not s.debug and not s.filter_glob:
        left = unkilled(baseline, verdicts)
        if left:
            say('tests that no mutant made fail (they cannot fail: add a mutant or fix the test): '
                + ', '.join(left))
            return 1
        say('every test that runs was killed by at least one mutant')
    return 0
