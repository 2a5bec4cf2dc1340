"""make check-series: does each patch of a series apply, pass checkpatch
--strict, build and keep the suites green? One table for a maintainer,
printed and written to BUILD/results/check-series.{md,json} (+ JUnit XML).

    SERIES=dir-of-format-patch-files | SERIES=series.mbx (b4 style)
    RANGE=a..b (commits of KSRC)       BASE=, QUICK=1, KEEP_GOING=0, SELFTESTS=1,
                                       AM_ARGS=-3

The series goes on the base (BASE=, default the sandbox branch; for
RANGE=a..b, a itself when it has the sandbox glue) in the scratch clone,
never in KSRC: its branch, work tree, index and stash are not touched and
its uncommitted changes are not part of the check (a note says so).

Steps: (1) git am every patch, stopping at the first that does not apply
(with the hunk git could not find); (2) checkpatch.pl --strict on each;
(3) the base, then each patch in turn: an incremental build in the scratch
build directory and the suites, through runner.run_suites like make kunit.
The suites run after EVERY patch rather than once with a bisect: each
patch is built anyway (to name the first that breaks the build), a boot
costs a second on top, and a patch whose breakage a later one hides is
caught. The check goes on after a bad patch (KEEP_GOING=0 stops there).
SELFTESTS=1 adds upstream's mm selftests once, on the whole series.

The verdict (first bad patch, "not bisectable", "same as #n") is computed
by pure functions on the rows (analyse, markdown, report), tested by
tests/unit/test_check_series.py on canned rows.

Exit status: 0 all good, 1 the series has a problem, 2 bad input (or the
base does not build), 9 the device memory daemon died (not the patch's
fault), 130 interrupted.
"""
import contextlib
import dataclasses
import glob
import os
import re
import shutil
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ET
from typing import Dict, List, Optional, Tuple

from . import kernel as kmod
from . import progress, reports, results, runner
from .errors import (BadInput, BuildError, ConfigError, Crashed, DaemonDied, Hung,
                     HostUnsupported, Interrupted, PatchDoesNotApply, SandboxError,
                     TestsFailed)
from .settings import profile_dir
from .tree import SANDBOX_DIR, Scratch, git

SANDBOX_BRANCH = 'devmap-sandbox'
COVER = re.compile(r'\[[^\]]*\s0+/[0-9]+\]')
CHECKPATCH_TOTAL = re.compile(r'^total: (\d+) errors?, (\d+) warnings?, (\d+) checks?,', re.M)
TIMESTAMP = re.compile(r'^\s*\[[\s\d.:]+\]\s*')


def say(msg: str) -> None:
    print(f'check-series: {msg}', flush=True)


# ---- rows -----------------------------------------------------------------

@dataclasses.dataclass
class Row:
    """One line of the table: the base (index 0) or a patch. The JSON
    report has these fields (tests/uml/check-series.bats reads them)."""
    index: int
    subject: str = ''
    file: Optional[str] = None
    commit: Optional[str] = None
    applies: str = 'not tried'          # yes, no, not tried
    apply_error: List[str] = dataclasses.field(default_factory=list)
    checkpatch: Optional[dict] = None   # errors, warnings, checks, clean
    checkpatch_messages: List[str] = dataclasses.field(default_factory=list)
    builds: str = 'not tried'           # yes, no, not tried
    build_errors: List[str] = dataclasses.field(default_factory=list)
    build_seconds: Optional[float] = None
    run_seconds: Optional[float] = None
    wall_seconds: Optional[int] = None
    suites: Optional[dict] = None       # passed, failed, skipped, ok
    failing_tests: List[str] = dataclasses.field(default_factory=list)   # case names
    failing_cases: List[str] = dataclasses.field(default_factory=list)   # suite.case
    crash: Optional[str] = None         # what ended the run early
    crash_kind: Optional[str] = None    # crashed, hung
    crash_test: Optional[str] = None    # the test that was running
    # Computed by analyse():
    new_failing_tests: List[str] = dataclasses.field(default_factory=list)
    problems: List[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Meta:
    source: str = ''
    base: str = ''              # "<short> <subject> (<ref>)"
    base_short: str = ''        # "<short> (<ref>)"
    base_commit: str = ''
    filter: Optional[str] = None
    timeout: int = 120
    keep_going: bool = True
    quick: bool = False
    seconds: int = 0
    stopped: str = ''           # why the check stopped early
    selftests: str = ''         # '', 'PASS: ...', 'FAIL: ...', 'not run: ...'
    logs: str = 'build/results/check-series'


def parse_checkpatch(text: str) -> Tuple[dict, List[str]]:
    """checkpatch's counts ("total: 0 errors, 1 warnings, 2 checks, ...")
    and its first findings."""
    m = list(CHECKPATCH_TOTAL.finditer(text))
    if m:
        e, w, c = (int(x) for x in m[-1].groups())
        counts = {'errors': e, 'warnings': w, 'checks': c, 'clean': (e, w, c) == (0, 0, 0)}
    else:
        counts = {'errors': None, 'warnings': None, 'checks': None, 'clean': False}
    msgs = [ln for ln in text.splitlines() if ln.startswith(('ERROR:', 'WARNING:', 'CHECK:'))]
    return counts, msgs[:5]


def _strip(line: str, prefixes) -> str:
    for p in prefixes:
        line = line.replace(p.rstrip('/') + '/', '')
    return line


def classify(row: Row, out: runner.Outcome, timeout: int, strip=()) -> None:
    """Fill a row from one run of the suites (runner.Outcome): its typed
    outcome, not the text kunit.py prints. A dead daemon or bad input is
    not the row's business: the caller raises those."""
    e = out.error
    p = out.phases
    if 'compile' in p:
        row.build_seconds = round(p.get('config', 0) + p['compile'] + p.get('link', 0), 1)
    if 'boot' in p:
        row.run_seconds = round(p['boot'] + p.get('suites+parse', 0) + p.get('halt', 0), 1)
    if isinstance(e, (BuildError, ConfigError)):
        row.builds = 'no'
        lines, seen_make = [], False
        for ln in [_strip(x, strip).rstrip() for x in (e.details or [e.message])]:
            # make's "*** [...] Error 1" cascade: the first one is enough.
            if re.match(r'^make.*\*\*\*', ln):
                if seen_make:
                    continue
                seen_make = True
            lines.append(ln)
        row.build_errors = lines[:20] or [e.message]
        return
    row.builds = 'yes'
    c = results.counts(out.leaves)
    row.failing_cases = results.failed_cases(out.leaves)
    row.failing_tests = list(dict.fromkeys(x.split('.')[1] if '.' in x else x
                                           for x in row.failing_cases))
    row.suites = {'passed': c.passed, 'failed': c.failed, 'skipped': c.skipped,
                  'ok': e is None and out.ok}
    if isinstance(e, Hung):
        row.crash_kind, row.crash = 'hung', f'no result within TIMEOUT={timeout} s'
        row.crash_test = e.test
    elif isinstance(e, Crashed):
        facts = getattr(e.result, 'facts', None)
        first = facts.crashes[0].summary() if facts is not None and facts.crashes else None
        row.crash_kind = 'crashed'
        row.crash = TIMESTAMP.sub('', first) if first else 'the output ended before the results'
        row.crash_test = e.test
    elif e is not None and not isinstance(e, TestsFailed):
        row.crash_kind, row.crash = 'run failed', getattr(e, 'message', str(e))


def crash_text(r: Row) -> str:
    where = f' in {r.crash_test}' if r.crash_test else ''
    if r.crash_kind == 'hung':
        return f'UML hung{where} ({r.crash})'
    if r.crash_kind == 'crashed':
        return f'UML crashed{where}: {r.crash}'
    return f'run failed: {r.crash}'


def run_problems(r: Row, base: Row) -> List[Tuple[str, str, str]]:
    """What is wrong with a row's build and run, as (problem, kind, why):
    the kind names the "first patch that ..." line. The base's failing
    tests are not counted against a patch."""
    out = []
    if r.builds == 'no':
        out.append(('does not build', 'build',
                    next((ln.strip() for ln in r.build_errors if 'error' in ln), 'does not build')))
    new = [t for t in r.failing_tests if t not in base.failing_tests] if r.index else []
    if r.crash:
        out.append(('crash', 'crash', crash_text(r)))
    elif new:
        out.append(('tests', 'tests', 'breaks ' + ', '.join(new)))
    elif r.index == 0 and r.failing_tests:
        out.append(('tests', None, ''))
    elif r.suites and not r.suites['ok'] and not r.failing_tests:
        out.append(('suites', 'tests', 'the suites fail'))
    return out


@dataclasses.dataclass
class Verdict:
    first: Dict[str, Tuple[int, str]]   # kind -> (row, why): apply, checkpatch, build, crash, tests
    bad: List[int]                      # rows with a problem
    first_bad: Optional[int]            # the first patch (not the base) with one
    not_bisectable: List[Tuple[int, str, int]]  # (bad row, what, the later row that is fine)
    went_on: bool                       # the check went on after a failure


def analyse(rows: List[Row]) -> Verdict:
    """Problems per row (set on the rows), the first patch of each kind,
    and whether the series is bisectable. Row 0 is the base: its failing
    tests are not counted against the patches."""
    base = rows[0]
    first: Dict[str, Tuple[int, str]] = {}
    for r in rows:
        n = r.index
        r.new_failing_tests = [t for t in r.failing_tests if t not in base.failing_tests] if n else []
        bad = []
        if r.applies == 'no':
            bad.append('does not apply')
            first.setdefault('apply', (n, 'does not apply'))
        if r.checkpatch and not r.checkpatch['clean']:
            c = r.checkpatch
            bad.append('checkpatch')
            first.setdefault('checkpatch', (n, f"checkpatch --strict: {c['errors']} errors, "
                                               f"{c['warnings']} warnings, {c['checks']} checks"))
        for problem, kind, why in run_problems(r, base):
            bad.append(problem)
            if kind:
                first.setdefault(kind, (n, why))
        r.problems = bad
    nb = []
    for kind in ('build', 'tests', 'crash'):
        if kind not in first:
            continue
        k = first[kind][0]

        def fine(r):
            if kind == 'build':
                return r.builds == 'yes'
            return r.suites is not None and not r.crash and not r.new_failing_tests
        later = next((r.index for r in rows[k + 1:] if fine(r)), None)
        if later and k:
            nb.append((k, {'build': 'does not build', 'tests': 'breaks tests',
                           'crash': 'crashes UML'}[kind], later))
    went_on = any(r.crash or r.builds == 'no' or r.new_failing_tests for r in rows[1:-1])
    bad_rows = [r.index for r in rows if r.problems]
    return Verdict(first, bad_rows, next((i for i in bad_rows if i), None), nb, went_on)


def same_as(rows: List[Row], i: int, key) -> Optional[str]:
    for j in range(1, i):
        if key(rows[j]) and key(rows[j]) == key(rows[i]):
            return f'same as #{j}'
    return None


def cell_tests(rows: List[Row], i: int) -> str:
    r = rows[i]
    if r.crash:
        return (i and same_as(rows, i, lambda x: x.crash and crash_text(x))) or crash_text(r)
    if r.builds == 'no' and r.build_errors:
        return 'build: ' + next((ln for ln in r.build_errors if 'error' in ln),
                                r.build_errors[0]).strip()[:90]
    if r.applies == 'no':
        return next((ln for ln in r.apply_error if ln.startswith('error: patch failed')),
                    'does not apply')
    ts = r.new_failing_tests if i else r.failing_tests
    if not ts:
        return ''
    same = i and same_as(rows, i, lambda x: not x.crash and x.new_failing_tests)
    if same:
        return same
    more = f' (+{len(ts) - 3} more)' if len(ts) > 3 else ''
    return ', '.join(ts[:3]) + more


def _strong(s: str, bad: bool) -> str:
    return f'**{s}**' if bad else s


LABELS = {'apply': 'first patch that does not apply', 'build': 'first patch that does not build',
          'tests': 'first patch that breaks the suites',
          'crash': 'first patch that crashes or hangs UML',
          'checkpatch': 'first patch with checkpatch findings'}


def passed(meta: Meta, v: Verdict) -> bool:
    return not v.bad and not meta.selftests.startswith('FAIL')


def markdown(meta: Meta, rows: List[Row], v: Verdict) -> str:
    out = [f'### check-series: {meta.source}', '',
           f'Base: {meta.base}. Suites after every patch'
           + (f' (FILTER={meta.filter})' if meta.filter else '') + '.', '']
    table = []
    for i, r in enumerate(rows):
        if r.checkpatch:
            c = r.checkpatch
            cp = _strong(f"{c['errors']}/{c['warnings']}/{c['checks']}"
                         if c['errors'] is not None else '?', not c['clean'])
        else:
            cp = '—'
        if r.suites:
            s = r.suites
            st = f"{s['passed']}/{s['failed']}"
            if r.crash:
                st = f'{r.crash_kind} ({st})'
            st = _strong(st, bool({'tests', 'crash', 'suites'} & set(r.problems)))
        else:
            st = '—'
        table.append({
            '#': i,
            'patch': ('base: ' + meta.base_short) if i == 0 else r.subject,
            'applies': '—' if i == 0 else _strong(r.applies, r.applies == 'no'),
            'builds': '—' if r.builds == 'not tried' else _strong(r.builds, r.builds == 'no'),
            'checkpatch E/W/C': cp,
            'suites passed/failed': st,
            'first failing tests': cell_tests(rows, i)})
    out.append(reports.markdown(['#', 'patch', 'applies', 'builds', 'checkpatch E/W/C',
                                 'suites passed/failed', 'first failing tests'], table).rstrip('\n'))
    out.append('')
    if meta.selftests:
        out += [f"Upstream's mm selftests on the whole series (SELFTESTS=1): {meta.selftests}", '']
    if meta.selftests.startswith('FAIL') and not v.bad:
        out += ['**Result: FAIL**', '', "- upstream's mm selftests fail on the whole series (see above)"]
    elif not v.bad and not meta.quick:
        out.append('**Result: PASS** — every patch applies, builds, is checkpatch-clean and keeps '
                   'the suites passing.')
    elif not v.bad:
        out.append('**Result: PASS** (QUICK=1: applied and checkpatch only; not built, suites not run).')
    else:
        out += ['**Result: FAIL**', '']
        base = rows[0]
        if base.failing_tests or base.crash:
            out.append('- the base already fails: %s (not counted against the patches)'
                       % (base.crash or ', '.join(sorted(base.failing_tests))))
        for kind in ('apply', 'build', 'crash', 'tests', 'checkpatch'):
            if kind in v.first:
                n, why = v.first[kind]
                out.append(f'- {LABELS[kind]}: #{n} {rows[n].subject} — {why}')
        for k, what, later in v.not_bisectable:
            out.append(f'- not bisectable: #{k} {what}, #{later} is fine again (fold the fix into #{k})')
        if meta.stopped:
            out.append(f'- {meta.stopped}')
        elif v.went_on:
            out.append('- the check went on after the first failure: every patch has its row '
                       '(KEEP_GOING=0 stops there)')
    details = []
    for r in rows:
        head = f'#{r.index} {r.subject or "base"}'
        if r.apply_error:
            details.append(f'{head}: git am fails:\n\n```\n' + '\n'.join(r.apply_error) + '\n```')
        if r.build_errors:
            details.append(f'{head}: build errors:\n\n```\n' + '\n'.join(r.build_errors[:12]) + '\n```')
        if r.checkpatch_messages:
            details.append(f'{head}: checkpatch:\n\n```\n' + '\n'.join(r.checkpatch_messages) + '\n```')
        if (len(r.failing_tests) > 3 or r.crash and r.failing_tests) and not (
                r.index and same_as(rows, r.index, lambda x: x.failing_tests)):
            details.append(f'{head}: failing tests: ' + ', '.join(r.failing_tests))
    if details:
        out += ['', 'Details:', '']
        out += [d + '\n' for d in details]
    out += ['', f'({meta.seconds} s; logs in {meta.logs}/)']
    return '\n'.join(out).rstrip('\n') + '\n'


def report(meta: Meta, rows: List[Row], v: Verdict) -> dict:
    fb = rows[v.first_bad] if v.first_bad is not None else None
    return {
        'source': meta.source, 'base': meta.base, 'base_commit': meta.base_commit,
        'strategy': 'suites after every patch', 'quick': meta.quick,
        'filter': meta.filter or None, 'timeout': meta.timeout,
        'keep_going': meta.keep_going, 'stopped': meta.stopped or None,
        'selftests': meta.selftests or None,
        'result': 'pass' if passed(meta, v) else 'fail',
        'first_bad_patch': ({'index': fb.index, 'subject': fb.subject, 'problems': fb.problems}
                            if fb else None),
        'first': {k: {'index': n, 'subject': rows[n].subject, 'why': why}
                  for k, (n, why) in v.first.items()},
        'rows': [dataclasses.asdict(r) for r in rows], 'seconds': meta.seconds,
    }


def junit(rows: List[Row], leaves: Dict[int, List[results.Leaf]]) -> str:
    """One test case per patch (failing when the patch has a problem),
    then the suites' leaves after each patch."""
    root = ET.Element('testsuites')
    el = ET.SubElement(root, 'testsuite', name='check-series', tests=str(len(rows)),
                       failures=str(sum(1 for r in rows if r.problems)), errors='0', skipped='0')
    for r in rows:
        tc = ET.SubElement(el, 'testcase', classname='check-series',
                           name=f'#{r.index} {r.subject or "base"}')
        if r.problems:
            f = ET.SubElement(tc, 'failure', message=', '.join(r.problems))
            f.text = '\n'.join(r.apply_error + r.build_errors + r.checkpatch_messages
                               + ([crash_text(r)] if r.crash else []) + r.failing_cases)
    for n, ls in sorted(leaves.items()):
        if ls:
            root.extend(ET.fromstring(reports.junit(ls, f'check-series.{n}')))
    return ET.tostring(root, encoding='unicode') + '\n'


# ---- the patches ----------------------------------------------------------

@dataclasses.dataclass
class Patch:
    mail: str       # one message, as git am takes it
    diff: str       # its diff alone (git mailinfo), for git apply -v
    origin: str     # the file or commit it came from
    subject: str


def _mailsplit(src: str, origin: str, out: str, start: int, single: bool) -> int:
    if os.path.getsize(src) == 0:
        raise BadInput(f'{origin} is empty: no messages, no patches')
    r = git(out, 'mailsplit', *(['-b'] if single else []), '-d4', f'-f{start}', f'-o{out}', src,
            check=False)
    if r.returncode:
        raise BadInput(f'{origin} is not an mbox (git mailsplit: '
                       + ' '.join(r.stderr.split()) + ')')
    n = int(r.stdout.strip() or 0)
    if n == 0:
        raise BadInput(f'{origin} is an empty mbox')
    return n


def _range(s, ksrc: str) -> Tuple[str, str]:
    rng = s.range
    if '..' not in rng or '...' in rng:
        raise BadInput(f'RANGE={rng}: use a..b (the commits after a up to b)')
    a, b = rng.split('..', 1)
    b = b or 'HEAD'
    if not a:
        raise BadInput(f'RANGE={rng}: the start (a in a..b) is missing')
    for c in (a, b):
        if git(ksrc, 'rev-parse', '-q', '--verify', c + '^{commit}', check=False).returncode:
            raise BadInput(f'RANGE={rng}: {c} is not a commit in {ksrc}')
    return a, b


def collect(s, work: str) -> Tuple[List[Patch], str]:
    """The series as single mails in work/, cover letters left out, and a
    description of where it came from."""
    ksrc = s.ksrc
    mails = os.path.join(work, 'mails')
    os.makedirs(mails, exist_ok=True)
    origins: List[str] = []
    if s.range:
        a, b = _range(s, ksrc)
        if int(git(ksrc, 'rev-list', '--count', '--no-merges', f'{a}..{b}').stdout) == 0:
            raise BadInput(f'RANGE={s.range} has no commits (nothing after {a} up to {b})')
        if int(git(ksrc, 'rev-list', '--count', '--merges', f'{a}..{b}').stdout):
            say(f'warning: RANGE={s.range} contains merges; they are left out')
        fp = os.path.join(work, 'format-patch')
        git(ksrc, 'format-patch', '-q', '--no-signature', '-o', fp, f'{a}..{b}')
        for f in sorted(glob.glob(os.path.join(fp, '*.patch'))):
            with open(f, errors='replace') as fh:
                sha = fh.readline().split()[1]
            short = git(ksrc, 'log', '-1', '--format=%h', sha).stdout.strip()
            origins += [short] * _mailsplit(f, short, mails, len(origins), False)
        desc = f'RANGE={s.range} in {ksrc}'
    elif os.path.isdir(s.series):
        files = [f for f in sorted(glob.glob(os.path.join(s.series, '*.patch')))
                 if os.path.isfile(f) and os.path.basename(f) != '0000-cover-letter.patch']
        if not files:
            raise BadInput(f'SERIES={s.series} has no *.patch files')
        for f in files:
            origins += [os.path.basename(f)] * _mailsplit(f, os.path.basename(f), mails,
                                                          len(origins), True)
        desc = f'SERIES={s.series}'
    elif os.path.isfile(s.series):
        origins += [s.series] * _mailsplit(s.series, s.series, mails, 0, False)
        desc = f'SERIES={s.series} (mbox)'
    else:
        raise BadInput(f'SERIES={s.series}: no such file or directory')
    patches = []
    for i, origin in enumerate(origins, 1):
        mail = os.path.join(mails, f'{i:04d}')
        diff = mail + '.diff'
        raw = _mailinfo(mail, '-k', os.devnull, diff)
        if os.path.getsize(diff) == 0:
            if COVER.search(raw):
                say(f'cover letter: {raw} (skipped)')
                continue
            raise BadInput(f'{origin}: message {i} ("{raw or "no subject"}") contains no patch')
        subj = _mailinfo(mail, os.devnull, os.devnull)
        patches.append(Patch(mail, diff, origin, subj or raw))
    if not patches:
        raise BadInput(f'{s.series or s.range} contains no patches')
    return patches, desc + f': {len(patches)} patch' + ('' if len(patches) == 1 else 'es')


def _mailinfo(mail: str, *args: str) -> str:
    """git mailinfo ARGS < mail; the Subject it finds."""
    with open(mail, 'rb') as fh:
        r = subprocess.run(['git', 'mailinfo'] + list(args), stdin=fh, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
    if r.returncode:
        raise BadInput(f'git mailinfo cannot read {mail}: ' + r.stderr.decode(errors='replace').strip())
    out = r.stdout.decode(errors='replace')
    return next((ln[len('Subject: '):] for ln in out.splitlines() if ln.startswith('Subject: ')), '')


def pick_base(s) -> Tuple[str, str, str]:
    """(commit, "<short> <subject> (<ref>)", "<short> (<ref>)") of the
    commit the series goes on, in KSRC."""
    ksrc = s.ksrc
    ref = s.base
    if not ref:
        ref = f'refs/heads/{SANDBOX_BRANCH}'
        if s.range:
            a = s.range.split('..', 1)[0]
            if git(ksrc, 'cat-file', '-e', f'{a}:{SANDBOX_DIR}/Kconfig', check=False).returncode == 0:
                ref = a
    name = ref[len('refs/heads/'):] if ref.startswith('refs/heads/') else ref
    r = git(ksrc, 'rev-parse', '-q', '--verify', ref + '^{commit}', check=False)
    if r.returncode:
        raise BadInput(f"{ksrc} has no {name} to apply the series to: run 'make setup' first")
    base = r.stdout.strip()
    if git(ksrc, 'cat-file', '-e', f'{base}:{SANDBOX_DIR}/Kconfig', check=False).returncode:
        raise BadInput(f'base {name} has no {SANDBOX_DIR}/ (the sandbox glue): '
                       f'use BASE={SANDBOX_BRANCH}')
    short = git(ksrc, 'log', '-1', '--format=%h', base).stdout.strip()
    subj = git(ksrc, 'log', '-1', '--format=%s', base).stdout.strip()
    return base, f'{short} {subj} ({name})', f'{short} ({name})'


# ---- the run --------------------------------------------------------------

class Check:
    def __init__(self, s):
        self.s = s
        self.scratch = Scratch(s)
        self.out = os.path.join(s.results, 'check-series')
        self.leaves: Dict[int, List[results.Leaf]] = {}
        self._kernel = None

    def kernel(self) -> kmod.Kernel:
        if self._kernel is None:
            prof = kmod.PROFILES['kunit-uml']
            self._kernel = kmod.Kernel(self.s, prof, ksrc=self.scratch.path,
                                       build_dir=self.scratch.kbuild(profile_dir(prof.name, self.s.debug)))
        return self._kernel

    def log(self, n: int, what: str) -> str:
        return os.path.join(self.out, f'{n:02d}-{what}')

    def apply(self, rows: List[Row], patches: List[Patch]) -> Optional[int]:
        """git am each patch; the index of the first that does not apply."""
        n = len(patches)
        for i, p in enumerate(patches, 1):
            r = rows[i]
            try:
                r.commit = self.scratch.am(p.mail, list(self.s.am_args))
            except PatchDoesNotApply as e:
                r.applies = 'no'
                reports.write(self.log(i, 'am.log'), '\n'.join(e.details) + '\n')
                err = [ln for ln in e.details if ln.startswith(('error:', 'fatal:'))]
                # git apply -v shows the lines a hunk searched for.
                v = git(self.scratch.path, 'apply', '-v', '--check', p.diff, check=False).stderr
                m = re.search(r'^error: while searching for:.*?(?=^error: patch failed)', v, re.S | re.M)
                if m:
                    err += m.group(0).rstrip('\n').split('\n')
                r.apply_error = err[:30] or [e.message]
                say(f'[{i}/{n}] DOES NOT APPLY: {r.subject}')
                for ln in r.apply_error:
                    print(f'    {ln}', flush=True)
                return i
            r.applies = 'yes'
            say(f'[{i}/{n}] applies: {r.subject}')
        return None

    def checkpatch(self, rows: List[Row], patches: List[Patch]) -> None:
        script = os.path.join(self.scratch.path, 'scripts', 'checkpatch.pl')
        for i, p in enumerate(patches, 1):
            r = subprocess.run(['perl', script, '--strict', '--color=never', p.mail],
                               cwd=self.scratch.path, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, errors='replace')
            reports.write(self.log(i, 'checkpatch.txt'), r.stdout)
            rows[i].checkpatch, rows[i].checkpatch_messages = parse_checkpatch(r.stdout)
            c = rows[i].checkpatch
            say(f'[{i}/{len(patches)}] checkpatch --strict: {c["errors"]} errors, '
                f'{c["warnings"]} warnings, {c["checks"]} checks')

    def run_row(self, r: Row, commit: str, n: int) -> None:
        """Build and run the suites at a commit; raise what is not the
        patch's fault (a dead daemon, bad input, an unusable tree)."""
        t = time.monotonic()
        self.scratch.reset(commit)
        k = self.kernel()
        json = self.log(r.index, 'kunit.json')
        with contextlib.suppress(FileNotFoundError):
            os.unlink(json)
        what = 'base' if r.index == 0 else r.subject
        progress.step(f'build + suites: {what}', r.index, n)
        out = runner.run_suites(self.s, k, json=json, raise_on_error=False,
                                label=f'#{r.index}' if r.index else 'the base')
        r.wall_seconds = int(time.monotonic() - t)
        if os.path.exists(os.path.join(k.build_dir, 'test.log')) and out.run is not None:
            shutil.copy(os.path.join(k.build_dir, 'test.log'), self.log(r.index, 'console.log'))
        e = out.error
        if e is not None and not isinstance(e, (TestsFailed, BuildError, ConfigError, Crashed, Hung)):
            raise e
        classify(r, out, self.s.timeout * k.profile.timeout_factor,
                 strip=(self.scratch.path, k.build_dir))
        self.leaves[r.index] = out.leaves
        label = f'[{r.index}/{n}]' if r.index else '[base]'
        if r.builds == 'no':
            say(f'{label} DOES NOT BUILD:')
            for ln in r.build_errors[:8]:
                print(f'    {ln}', flush=True)
        elif r.crash:
            say(f'{label} UML {r.crash_kind}: {r.crash} '
                f"({r.suites['passed']} passed, {r.suites['failed']} failed)")
        else:
            say(f"{label} suites {r.suites['passed']} passed, {r.suites['failed']} failed, "
                f"{r.suites['skipped']} skipped (build {r.build_seconds or 0:.1f} s, "
                f"suites {r.run_seconds or 0:.1f} s)")

    def selftests(self, commit: str) -> str:
        from . import selftests
        say("upstream's mm selftests on the whole series (SELFTESTS=1)")
        self.scratch.reset(commit)
        prof = 'selftests-uml'
        json = os.path.join(self.out, 'selftests.json')
        try:
            _, leaves = selftests.run(self.s, profile=prof, ksrc=self.scratch.path,
                                      build_dir=self.scratch.kbuild(profile_dir(prof, self.s.debug)),
                                      out=os.path.join(self.s.scratch, 'selftests'), json=json)
        except HostUnsupported as e:
            return f'not run: {e.message}'
        except (TestsFailed, BuildError, ConfigError, Crashed, Hung) as e:
            leaves = results.from_json(json)
            c = results.counts(leaves)
            what = f'{c.failed} failed' if c.failed else e.kind
            return f'FAIL: {c.passed} passed, {what}, {c.skipped} skipped ({e.message})'
        c = results.counts(leaves)
        return f'PASS: {c.passed} passed, {c.skipped} skipped'


def usage() -> BadInput:
    return BadInput('say what to check:\n'
                    '    SERIES=<dir of git format-patch files | mbox> make check-series\n'
                    '    RANGE=<a..b> make check-series          (commits in KSRC)')


def main(s, a) -> int:
    started = time.monotonic()
    if s.series and s.range:
        raise BadInput('give SERIES= or RANGE=, not both')
    if not s.series and not s.range:
        raise usage()
    if not os.path.exists(os.path.join(s.ksrc, '.git')):
        raise BadInput(f"KSRC={s.ksrc} is not a git tree: run 'make setup' first")
    c = Check(s)
    os.makedirs(s.build, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory(prefix='check-series.', dir=s.build) as work:
            patches, source = collect(s, work)
            base = pick_base(s)
            with c.scratch.lock('make check-series'):
                return _check(s, c, started, patches, source, base)
    except (KeyboardInterrupt, Interrupted):
        say(f'interrupted: {s.ksrc} is as it was (the series was only in the scratch clone)')
        raise


def _check(s, c: Check, started: float, patches: List[Patch], source: str,
           base_info: Tuple[str, str, str]) -> int:
    for f in ('check-series.md', 'check-series.json', 'check-series.xml'):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(os.path.join(s.results, f))
    shutil.rmtree(c.out, ignore_errors=True)
    os.makedirs(c.out)
    base, base_desc, base_short = base_info
    meta = Meta(source=source, base=base_desc, base_short=base_short, base_commit=base,
                filter=s.filter_glob, timeout=s.timeout, keep_going=s.keep_going, quick=s.quick,
                logs=os.path.relpath(c.out, s.top) if c.out.startswith(s.top + '/') else c.out)
    say(f'checking {source} on {base_desc}')
    if git(s.ksrc, 'status', '--porcelain', '--untracked-files=no', check=False).stdout.strip():
        say(f'note: {s.ksrc} has uncommitted changes; they are not part of the check')
    rows = [Row(0, subject=base_desc, applies='yes', commit=base)]
    rows += [Row(i, subject=p.subject, file=p.origin) for i, p in enumerate(patches, 1)]
    say(f'the scratch clone {c.scratch.path} at {base_short} ({s.ksrc} is not touched)')
    c.scratch.at(base)
    n = len(patches)
    bad_apply = c.apply(rows, patches)
    if bad_apply:
        meta.stopped = (f'#{bad_apply} does not apply: the patches after it were not tried, '
                        'nothing was built')
    c.checkpatch(rows, patches)
    pending: Optional[SandboxError] = None
    if not meta.stopped and not s.quick:
        try:
            c.run_row(rows[0], base, n)
            if rows[0].builds != 'yes':
                meta.stopped = 'the base does not build: nothing to compare the patches with'
                pending = BadInput(meta.stopped, rows[0].build_errors[:8])
            bad_row = None
            for i in range(1, n + 1):
                if pending:
                    break
                if bad_row and not s.keep_going:
                    meta.stopped = f'stopped after #{bad_row} (KEEP_GOING=0): later patches were not built'
                    break
                c.run_row(rows[i], rows[i].commit, n)
                if run_problems(rows[i], rows[0]):  # KEEP_GOING=0 stops after it
                    bad_row = bad_row or i
            if s.selftests and not pending:
                if meta.stopped or bad_row:
                    meta.selftests = 'not run: a patch already has a problem'
                else:
                    meta.selftests = c.selftests(rows[n].commit)
                    say(f'mm selftests: {meta.selftests}')
        except (DaemonDied, BadInput) as e:
            # Not the patch's fault: the report says where it stopped.
            done = [r.index for r in rows if r.builds != 'not tried']
            meta.stopped = (f'stopped at #{(done[-1] + 1) if done else 0}: {e.message} '
                            "(not the series' fault)")
            pending = e
    elif s.quick and not meta.stopped:
        meta.stopped = 'QUICK=1: applied and checkpatch only'
    meta.seconds = int(time.monotonic() - started)
    v = analyse(rows)
    md = markdown(meta, rows, v)
    reports.write(os.path.join(s.results, 'check-series.md'), md)
    reports.write_json(os.path.join(s.results, 'check-series.json'), report(meta, rows, v))
    reports.write(s.junit or os.path.join(s.results, 'check-series.xml'), junit(rows, c.leaves))
    print()
    print(md, end='', flush=True)
    say(f'report: {s.results}/check-series.md, check-series.json, check-series.xml')
    if pending is not None:
        raise pending
    return 0 if passed(meta, v) else 1
