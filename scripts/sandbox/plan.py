"""The test plan: every step of `make test`, declared once, as data.

    make test-plan                   print it: tier, group, name, seconds, command
    make test                        the ci tier (what .ci/run runs)
    make test-full                   every step
    make test TIER=full SHARD=2/4    the 2nd of 4 shards of the full tier

A step is one command (what a user would type, the base in it) and how
its results are counted. Steps of one group run on one machine, in order:
a group is what a later step needs from an earlier one (selftests-compare
reuses the selftests and oracle kernels; after-mutants needs the mutant
run's scratch build). Shards split a tier by whole groups, balanced by
their seconds (the longest first onto the least loaded shard), so any set
of machines can share it. The seconds are a clean clone's, cold cache, on
a 2-core machine (measured; the README's table).

Steps per base come from bases.BASES: a new base adds its rows here
without a line of this file changing. scripts/test.sh runs the rows
(plumbing); count() turns a step's exit status and output into passed and
failed (data).
"""
import dataclasses
import json
import os
import re
from typing import Callable, Dict, List, Optional, Tuple

from . import bases, results
from .errors import HostUnsupported

RESULTS = 'build/results'
TIERS = ('ci', 'full')


@dataclasses.dataclass(frozen=True)
class Step:
    tier: str
    group: str
    name: str
    seconds: int
    command: str
    # How its results are counted (see COUNTERS): 'tap', 'unit', 'kunit',
    # 'mutants', 'debug', 'oracle', 'one', 'total'.
    counter: str = 'one'
    # The results file the command writes (kunit.py JSON, mutants.json).
    results: str = ''
    # Only where the CI runs as root: the host tests that need root run
    # as root; 'unprivileged' is the rest of the tier as a new user.
    as_root: bool = False

    def line(self) -> str:
        return '\t'.join((self.tier, self.group, self.name, str(self.seconds), self.command))


def _json(name: str) -> str:
    return f'{RESULTS}/{name}.json'


def base_steps(base: bases.Base) -> List[Step]:
    """What each base gets: the suites and the mutant library in CI, every
    heavier proof in the full tier."""
    v = base.version
    b = f'SANDBOX_BASE={v}'
    est = base.plan_seconds
    every = [
        Step('ci', f'kunit-{v}', f'kunit-{v}', est.get('kunit', 300),
             f'make kunit {b} JSON={_json(f"kunit-{v}")}', 'kunit', _json(f'kunit-{v}')),
        Step('ci', f'kunit-{v}', f'boot-tests-{v}', est.get('boot-tests', 240),
             f'{b} bats --tap --timing tests/uml/devmem.bats tests/uml/faults.bats '
             'tests/uml/statuses.bats tests/uml/check-series.bats', 'tap'),
        Step('ci', f'mutants-{v}', f'mutants-{v}', est.get('mutants', 600),
             f'make mutants {b}', 'mutants', _json('mutants')),
        Step('ci', f'mutants-{v}', f'after-mutants-{v}', est.get('after-mutants', 60),
             f'{b} bats --tap --timing tests/after-mutants', 'tap'),
        Step('ci', f'debug-{v}', f'debug-{v}', est.get('debug', 600),
             f'make mutants DEBUG=1 {b}', 'debug', _json('mutants-debug')),
        Step('full', f'kunit-all-{v}', f'kunit-all-{v}', est.get('kunit-all', 600),
             f'make kunit-all {b} JSON={_json(f"kunit-all-{v}")}', 'kunit',
             _json(f'kunit-all-{v}')),
        Step('full', f'selftests-{v}', f'selftests-{v}', est.get('selftests', 600),
             f'make selftests {b} JSON={_json(f"selftests-{v}")}', 'kunit',
             _json(f'selftests-{v}')),
        Step('full', f'selftests-{v}', f'oracle-{v}', est.get('oracle', 480),
             f'make oracle {b}', 'oracle', _json('x86_64')),
        Step('full', f'selftests-{v}', f'oracle-bats-{v}', est.get('oracle-bats', 120),
             f'{b} bats --tap --timing tests/uml/oracle.bats', 'tap'),
        Step('full', f'selftests-{v}', f'selftests-compare-{v}', est.get('selftests-compare', 720),
             f'make selftests-compare {b}', 'one'),
        Step('full', f'selftests-{v}', f'test-compare-{v}', est.get('test-compare', 900),
             f'{b} bats --tap --timing tests/compare', 'tap'),
        Step('full', f'coverage-{v}', f'coverage-{v}', est.get('coverage', 600),
             f'make coverage {b}', 'one'),
        Step('full', f'soak-{v}', f'soak-{v}', est.get('soak', 900),
             f'make soak {b} SEEDS=10000 JSON={_json(f"soak-{v}")}', 'kunit',
             _json(f'soak-{v}')),
    ]
    if base.plan_steps is None:
        return every
    return [s for s in every if s.name[:-len(v) - 1] in base.plan_steps]


def steps() -> List[Step]:
    out = [
        Step('ci', 'host', 'host', 14, 'bats --tap --timing tests/*.bats', 'tap', as_root=True),
        Step('ci', 'host', 'unit', 45, 'make -s setup && /usr/bin/python3 tests/unit/run.py', 'unit'),
        Step('ci', 'host', 'style', 13, 'make check', 'one'),
    ]
    for v in sorted(bases.ready_bases(), key=_version_key):
        out += base_steps(bases.BASES[v])
    return out


def _version_key(v: str) -> Tuple[int, ...]:
    return tuple(int(x) for x in v.split('.'))


def by_name() -> Dict[str, Step]:
    return {s.name: s for s in steps()}


# ---- shards ----------------------------------------------------------------

def groups(tier_steps: List[Step]) -> Dict[str, List[Step]]:
    out: Dict[str, List[Step]] = {}
    for s in tier_steps:
        out.setdefault(s.group, []).append(s)
    return out


def select(tier: Optional[str], shard: Optional[str] = None) -> List[Step]:
    """The steps of a tier ('ci', 'full' = every step), or of one shard of
    it ('i/N', 1-based): whole groups, longest first onto the least loaded
    shard; ties go to the lower shard, so every machine computes the same
    split."""
    if tier not in TIERS:
        raise ValueError(f'TIER={tier}: use ci or full')
    chosen = [s for s in steps() if tier == 'full' or s.tier == tier]
    if not shard:
        return chosen
    i, n = parse_shard(shard)
    g = groups(chosen)
    load = [0] * n
    owner: Dict[str, int] = {}
    for name in sorted(g, key=lambda k: (-sum(s.seconds for s in g[k]), k)):
        j = min(range(n), key=lambda x: (load[x], x))
        owner[name] = j
        load[j] += sum(s.seconds for s in g[name])
    return [s for s in chosen if owner[s.group] == i - 1]


def parse_shard(shard: str) -> Tuple[int, int]:
    m = re.fullmatch(r'(\d+)/(\d+)', shard or '')
    if not m or not 1 <= int(m.group(1)) <= int(m.group(2)):
        raise ValueError(f'SHARD={shard}: use i/N with 1 <= i <= N')
    return int(m.group(1)), int(m.group(2))


def shard_count(tier: str, limit: int) -> int:
    """Shards needed so that none is estimated past @limit seconds (a
    group longer than that gets a shard of its own)."""
    chosen = select(tier)
    for n in range(1, len(groups(chosen)) + 1):
        if all(sum(s.seconds for s in select(tier, f'{i}/{n}')) <= limit
               for i in range(1, n + 1)):
            return n
    return len(groups(chosen))


# ---- counting ---------------------------------------------------------------

def _tap(rc, out, step):
    ok = len(re.findall(r'^ok ', out, re.M))
    nok = len(re.findall(r'^not ok ', out, re.M))
    return ok, nok or (0 if rc == 0 else 1)


def _unit(rc, out, step):
    m = re.search(r'^unit: (\d+) passed, (\d+) failed', out, re.M)
    return (int(m.group(1)), int(m.group(2))) if m else (0, 1)


def _kunit(rc, out, step):
    c = results.file_counts(step.results)
    # No results file at all is a failure too, whatever the exit status
    # (as scripts/test.sh counted it before the plan).
    p, f = (c[0], c[1]) if c else (0, 1)
    # A failed build, boot or crash that no test case shows still counts.
    return p, f if rc == 0 or f else f + 1


def _mutants(rc, out, step):
    return _kunit(rc, out, step)


def _debug(rc, out, step):
    base = results.file_counts(os.path.join(RESULTS, 'mutants-debug', 'baseline.json'))
    p, f = _kunit(rc, out, step)
    if base:
        p, f = p + base[0], f + base[1]
    return p, f


def _oracle(rc, out, step):
    p, f = _kunit(0, out, step)
    return (p + 1, f) if rc == 0 else (p, f + 1)


def _one(rc, out, step):
    return (1, 0) if rc == 0 else (0, 1)


def _total(rc, out, step):
    m = re.findall(r'^(\d+) passed, (\d+) failed$', out, re.M)
    p, f = (int(m[-1][0]), int(m[-1][1])) if m else (0, 0)
    return p, f if rc == 0 or f else f + 1


COUNTERS: Dict[str, Callable] = {
    'tap': _tap, 'unit': _unit, 'kunit': _kunit, 'mutants': _mutants, 'debug': _debug,
    'oracle': _oracle, 'one': _one, 'total': _total,
}


def count(step: Step, rc: int, out: str) -> Tuple[int, int, str]:
    """(passed, failed, note) of a step that exited @rc and printed @out."""
    if rc == HostUnsupported.status:
        return 0, 0, 'not run on this host (see above)'
    p, f = COUNTERS[step.counter](rc, out, step)
    return p, f, ''


def results_files(step: Step) -> List[str]:
    """What to delete before the step runs: a stale file would count."""
    out = [step.results] if step.results else []
    if step.counter == 'debug':
        out.append(os.path.join(RESULTS, 'mutants-debug', 'baseline.json'))
    return out


def as_json(tier_steps: List[Step]) -> str:
    return json.dumps([dataclasses.asdict(s) for s in tier_steps], indent=1)
