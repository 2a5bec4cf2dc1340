"""What the kernel's console says beyond KTAP: oopses, panics, KASAN
reports and warnings, and which test was running. Pure functions over
lines, so that tests/unit can check them on canned logs.
"""
import bisect
import dataclasses
import re
import subprocess
from typing import Iterable, List, Optional

# The first line of a report. Crashes end the boot; reports do not
# (KASAN and WARN go on: the test that was running fails or not).
CRASH = re.compile(r'Kernel panic - not syncing|Oops[:\s]|general protection fault|'
                   r'BUG: unable to handle|Unable to handle kernel|kernel BUG at|'
                   r'Segfault with no mm|Kernel mode (fault|signal)')
REPORT = re.compile(r'BUG: KASAN: |BUG: KFENCE: |UBSAN: |BUG: |WARNING: CPU: |'
                    r'WARNING: .* at |kmemleak: .*new suspected memory leaks|'
                    r'possible circular locking dependency|inconsistent lock state|'
                    r'Bad page state|page dumped because')
# What no run may print, in a test or not: the memory-safety reports.
# (A WARN outside every test, as stock UML's um_pci_init one at boot, is
# the kernel log's matter.)
MEMORY_SAFETY = re.compile(r'BUG: KASAN: |BUG: KFENCE: |Bad page state')
SUBTEST = re.compile(r'^(\s*)# Subtest: (\S+)')
RESULT = re.compile(r'^(\s*)(?:not )?ok \d+ (?:- )?(\S+)')
# The whole name: parameter descriptions have blanks ("generic order 0").
RESULT_NAME = re.compile(r'^(\s*)(?:not )?ok \d+ (?:- )?(.*?)(?:\s+# SKIP.*)?$')
SKIP = re.compile(r'# SKIP ?(.*)$')
FRAME = re.compile(r'(?:\]|\s)\s*(?:\? )?([A-Za-z_][\w.]*)\+0x[0-9a-f]+/0x[0-9a-f]+')
REPORT_LINES = 12   # shown to the user
TRACE_LINES = 80    # read for the backtrace


# Without CONFIG_KALLSYMS (uml-config/lean.config: one link pass instead
# of three) the kernel prints a backtrace's addresses as bare hex, %pS's
# fallback. Symbols names them from the image's symbols (System.map), the
# way kallsyms would ("name+0xoff/0xsize"): the report reads the same and
# test_from_trace() still finds the test.
BARE = re.compile(r'(?<![\w+/])0x([0-9a-f]{16})\b')


class Symbols:
    """An image's symbols, sorted by address as `nm -n` prints them: the
    System.map kbuild writes at every link, or nm's output. Read when
    first needed, then looked up by bisection, parsing only the lines
    probed: a lookup costs microseconds, not a parse of 18000 lines."""

    def __init__(self, image: Optional[str] = None, nm_output: Optional[str] = None,
                 system_map: Optional[str] = None):
        self._image = image
        self._text = nm_output
        self._system_map = system_map
        self._lines: Optional[List[str]] = None

    def _load(self) -> List[str]:
        if self._lines is None:
            text = self._text
            if text is None and self._system_map:
                try:
                    with open(self._system_map) as f:
                        text = f.read()
                except OSError:
                    text = None
            if text is None:
                try:
                    text = subprocess.run(['nm', '-n', '--defined-only', self._image],
                                          capture_output=True, text=True, check=True).stdout
                except (OSError, subprocess.CalledProcessError):
                    text = ''    # the report stays as the kernel printed it
            self._lines = [x for x in text.splitlines() if x[:1] in '0123456789abcdef']
        return self._lines

    def name(self, addr: int) -> Optional[str]:
        lines = self._load()
        i = bisect.bisect_right(lines, addr, key=_address) - 1
        while i >= 0 and lines[i].split()[-2] not in 'tTwW':
            i -= 1      # data symbols do not name code
        if i < 0:
            return None
        f = lines[i].split()
        start = int(f[0], 16)
        if len(f) == 4:                 # "addr size type name" (nm -S)
            size = int(f[1], 16)
        else:                           # up to the next symbol, as kallsyms
            j = i + 1
            while j < len(lines) and _address(lines[j]) == start:
                j += 1
            size = _address(lines[j]) - start if j < len(lines) else 0
        if addr - start >= size:
            return None
        return f'{f[-1]}+{addr - start:#x}/{size:#x}'

    def annotate(self, line: str) -> str:
        return BARE.sub(lambda m: self.name(int(m.group(1), 16)) or m.group(0), line)


def _address(line: str) -> int:
    return int(line.split(None, 1)[0], 16)


@dataclasses.dataclass
class Report:
    kind: str           # 'crash' or 'report'
    first: str          # the report's first line
    lines: List[str]    # up to TRACE_LINES lines: the report and its backtrace
    test: Optional[str]  # suite.case running when it started (or guessed from the trace)

    def summary(self) -> str:
        return self.first.strip()

    @property
    def head(self) -> List[str]:
        return self.lines[:REPORT_LINES]


@dataclasses.dataclass
class Facts:
    reports: List[Report]
    running: Optional[str]        # the test open when the output ended
    last_done: Optional[str]      # the last test with a result
    skips: dict                   # suite.case[.param] -> skip reason

    @property
    def crashes(self) -> List[Report]:
        return [r for r in self.reports if r.kind == 'crash']

    @property
    def memory_safety(self) -> List[Report]:
        return [r for r in self.reports if MEMORY_SAFETY.search(r.first)]


# Where a KASAN report's own backtrace ends and the object's history starts.
HISTORY = re.compile(r'(?:Allocated|Freed) by task|The buggy address|Last potentially related')


def own_trace(lines: List[str]) -> List[str]:
    """A report's lines up to the history KASAN adds below its backtrace."""
    for i, line in enumerate(lines):
        if HISTORY.search(line):
            return lines[:i]
    return lines


def test_from_trace(lines: Iterable[str], prefix: str = '') -> Optional[str]:
    """The test function of a backtrace: the frame called by
    kunit_try_run_case (or by the parameterised-test wrapper). With the
    running suite's name prefix ("devmap_"), the innermost frame below it
    with that prefix: the frame right below can be an interrupt's."""
    found = [(m.group(1), '? ' in line) for line in lines for m in [FRAME.search(line)] if m]
    frames = [f for f, _ in found]
    for i, name in enumerate(frames):
        if name in ('kunit_try_run_case', 'kunit_generic_run_threadfn_adapter') and i > 0:
            if prefix:
                for f in reversed(frames[:i]):
                    if f.startswith(prefix):
                        return f
            # "? name" is a stale word on the stack, not a caller.
            reliable = [f for f, unsure in found[:i] if not unsure]
            return reliable[-1] if reliable else frames[i - 1]
    return None


class Tracker:
    """Follows KTAP subtests to know which test is running."""

    def __init__(self):
        self.stack = []     # (indent, name) of open subtests
        self.last_done = None
        self.skips = {}     # suite.case[.param] -> the reason of its '# SKIP'

    def feed(self, line: str):
        # "# Subtest: X" at indent i heads X's children, whose results are
        # at indent i; X's own result is at i - 4 and closes it.
        m = SUBTEST.match(line)
        if m:
            indent = len(m.group(1))
            self.stack = [(i, n) for i, n in self.stack if i < indent]
            self.stack.append((indent, m.group(2)))
            return
        m = RESULT.match(line)
        if m:
            indent = len(m.group(1))
            self.stack = [(i, n) for i, n in self.stack if i <= indent]
            name = RESULT_NAME.match(line)
            self.last_done = '.'.join([n for _, n in self.stack] + [name.group(2).strip()])
            skip = SKIP.search(line)
            if skip:
                self.skips[self.last_done] = skip.group(1).strip()

    def running(self) -> Optional[str]:
        if not self.stack:
            return None
        return '.'.join(n for _, n in self.stack)

    def describe(self) -> Optional[str]:
        """The running test, as precisely as the output allows."""
        run = self.running()
        if run is None:
            return None
        if self.last_done and self.last_done.startswith(run + '.'):
            return f'{run} (after {self.last_done.rsplit(".", 1)[1]})'
        return run


def next_case(cases: List[str], suite: str, last_done: Optional[str]) -> Optional[str]:
    """The case KUnit runs after @last_done in @suite (cases: suite.case in
    the kernel's order, as kunit.action=list prints them): KUnit runs a
    suite's cases in order and prints nothing when one starts, so this is
    the case that was running when the output ended."""
    mine = [c for c in cases if c.split('.', 1)[0] == suite]
    if not mine:
        return None
    # A parameterised case's result is suite.case.param: its case.
    done = '.'.join(last_done.split(' ')[0].split('.')[:2]) if last_done else None
    if done in mine:
        i = mine.index(done) + 1
        return mine[i] if i < len(mine) else None
    return mine[0]


def scan(lines: Iterable[str], symbols: Optional[Symbols] = None,
         cases: Optional[List[str]] = None) -> Facts:
    """Reports and the running test in a console log (KTAP prefix already
    stripped or not: the patterns are searched, not anchored). With
    @symbols (a kernel without kallsyms), a report's bare addresses are
    named. With @cases (kunit.action=list's suite.case lines), a report
    between two results is the next case's: the KTAP stream says which
    test ran; the backtrace only says where (a function of it names the
    test only when it is one of the suite's cases, or carries the suite's
    prefix: a stale word on the stack, "? ktime_get_ts64", is neither)."""
    tracker = Tracker()
    reports: List[Report] = []
    done_at: List[Optional[str]] = []   # per report: the last result before it
    current: Optional[Report] = None
    prefix = None
    for line in lines:
        line = line.rstrip('\n')
        if prefix is None and 'KTAP version' in line:
            # As kunit_parser does: what stands before the first KTAP
            # line (a timestamp) stands before every line.
            prefix = len(line.split('KTAP version')[0])
        tracker.feed(line[prefix or 0:])
        kind = 'crash' if CRASH.search(line) else 'report' if REPORT.search(line) else None
        if kind and (current is None or len(current.lines) >= REPORT_LINES):
            current = Report(kind, line, [line], tracker.describe())
            reports.append(current)
            done_at.append(tracker.last_done)
            continue
        if current is not None:
            if RESULT.match(line) or SUBTEST.match(line) or len(current.lines) >= TRACE_LINES:
                current = None
                continue
            if kind == 'crash':
                current.kind = 'crash'
            current.lines.append(line)
    for r, done in zip(reports, done_at):
        vague = r.test is not None and ('(after' in r.test or '.' not in r.test)
        if symbols is not None and (r.kind == 'crash' or MEMORY_SAFETY.search(r.first) or vague):
            # Only where the names are read (nm is not free): a crash's or
            # a memory-safety report's lines, shown to the user, and a
            # trace that must name the test. A WARN in a known case or
            # outside every suite (UML's at boot) stays as printed.
            r.lines = [symbols.annotate(x) for x in r.lines]
        # Between results the tracker knows the suite, not the case: the
        # backtrace names the test function (KUNIT_CASE(fn) names it fn).
        # Only the report's own backtrace: KASAN's allocation and free
        # stacks below it name whoever allocated, maybe an earlier test.
        suite = (r.test or '').split(' ')[0].split('.')[0]
        prefix = suite.split('_')[0] + '_' if '_' in suite else ''
        fn = test_from_trace(own_trace(r.lines), prefix)
        if not (r.test is None or vague):
            continue
        if fn and cases is not None:
            fn = fn if f'{suite}.{fn}' in cases else None
        elif fn and prefix and not fn.startswith(prefix):
            fn = None
        running = (r.test or '').split(' ')[0]
        if fn:
            r.test = f'{suite}.{fn}' if suite else fn
        elif cases and '.' in running:
            r.test = running        # a parameterised case is open: it is the one
        elif cases and suite:
            r.test = next_case(cases, suite, done) or r.test
    return Facts(reports, tracker.describe(), tracker.last_done, tracker.skips)
