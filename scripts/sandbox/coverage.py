"""make coverage: which lines of the device-page paths the suites execute.

    1. the suites on a gcov build of their own (profile coverage-uml:
       kunit.py's coverage_uml.config; UML writes .gcda files into its build
       directory when it exits, as running_tips.rst describes); old .gcda
       files are removed first, and a run that wrote none fails in one line
    2. lcov's tracefile and genhtml's HTML report of the whole kernel,
       BUILD/coverage/<base>/
    3. the figure for people: the lines of the device-page paths (bases.py:
       coverage_paths, per base: (file, function), a part of a function
       where only part of it is device code), executed of listed, and every
       unexecuted line with the reason it cannot be reached here (REASONS)
       or "not yet covered", which counts against the figure like any
       other unexecuted line

The table is built from the tracefile (DA lines) and the kernel's source:
a function's lines run from its FN line to its closing brace in column
one (kernel style); a part, from the first line matching `start` to the
first line after it matching `end`.
"""
import dataclasses
import os
import re
import subprocess
from typing import Dict, List, Optional, Tuple

from .errors import BuildError, HostUnsupported
from .progress import Progress

REASONS = ('GUP-fast', 'PMD/THP', 'hugetlb', 'swap', 'arch', 'not yet covered')
NOT_YET = 'not yet covered'


@dataclasses.dataclass(frozen=True)
class CodePath:
    file: str                       # tree-relative, e.g. mm/memremap.c
    function: str
    start: Optional[str] = None     # regex: the part begins at its first match
    end: Optional[str] = None       # regex: ... and ends at the next match after it
    reason: str = NOT_YET           # for the unexecuted lines of this path

    def __post_init__(self):
        assert self.reason in REASONS, self.reason


@dataclasses.dataclass
class Row:
    path: CodePath
    lines: List[int]                # the listed lines with line data
    executed: List[int]
    unexecuted: Dict[int, str]      # line -> reason


# ---- the tracefile -----------------------------------------------------------

def parse_tracefile(text: str) -> Dict[str, Tuple[Dict[str, int], Dict[int, int]]]:
    """lcov's tracefile: source file -> ({function: first line}, {line: count})."""
    out: Dict[str, Tuple[Dict[str, int], Dict[int, int]]] = {}
    fns: Dict[str, int] = {}
    das: Dict[int, int] = {}
    for line in text.splitlines():
        if line.startswith('SF:'):
            fns, das = {}, {}
            out[line[3:]] = (fns, das)
        elif line.startswith('FN:'):
            n, name = line[3:].split(',', 1)
            fns[name] = int(n)
        elif line.startswith('DA:'):
            n, count = line[3:].split(',')[:2]
            das[int(n)] = das.get(int(n), 0) + int(count)
    return out


def function_extent(source: List[str], first: int) -> Tuple[int, int]:
    """1-based [first, last] of the function whose FN line is @first: up to
    its closing brace in column one."""
    for i in range(first - 1, len(source)):
        if source[i].rstrip('\n') == '}':
            return first, i + 1
    return first, len(source)


def definition_line(source: List[str], name: str) -> Optional[int]:
    """The line of a function's definition: its name and '(' at the start
    of a line, or after the return type, and no ';' (not a prototype)."""
    pat = re.compile(r'^(?:[A-Za-z_][\w\s\*]*[\s\*])?' + re.escape(name) + r'\(')
    for i, line in enumerate(source):
        if pat.match(line) and not line.rstrip().endswith(';'):
            return i + 1
    return None


def part_extent(source: List[str], lo: int, hi: int, start: Optional[str],
                end: Optional[str]) -> Optional[Tuple[int, int]]:
    if start is None:
        return lo, hi
    a = next((i for i in range(lo, hi + 1) if re.search(start, source[i - 1])), None)
    if a is None:
        return None
    if end is None:
        return a, hi
    b = next((i for i in range(a + 1, hi + 1) if re.search(end, source[i - 1])), hi)
    return a, b


def _find(trace, ksrc: str, rel: str):
    for sf, data in trace.items():
        if os.path.normpath(sf).endswith(os.sep + rel):
            return data
    return None


def table(trace, ksrc: str, paths: Tuple[CodePath, ...]) -> Tuple[List[Row], List[str]]:
    """One row per listed path; a line in two paths (a part inside its
    whole function) counts once, with the more specific path's reason.
    Also the paths that could not be found (a renamed function)."""
    rows: List[Row] = []
    missing: List[str] = []
    owner: Dict[Tuple[str, int], int] = {}   # (file, line) -> row index
    sources: Dict[str, List[str]] = {}
    for p in paths:
        data = _find(trace, ksrc, p.file)
        if p.file not in sources:
            try:
                with open(os.path.join(ksrc, p.file), errors='replace') as f:
                    sources[p.file] = f.readlines()
            except OSError:
                sources[p.file] = []
        src = sources[p.file]
        first = data[0].get(p.function) if data else None
        if first is None and data and src:
            # a static function inlined everywhere has no FN record of
            # its own, but its lines have their counts
            first = definition_line(src, p.function)
        if data is None or first is None or not src:
            missing.append(f'{p.file} {p.function}' + (f' [{p.start}]' if p.start else '')
                           + (f': not built in this kernel ({p.reason})' if src else ': no source'))
            continue
        das = data[1]
        lo, hi = function_extent(src, first)
        ext = part_extent(src, lo, hi, p.start, p.end)
        if ext is None:
            missing.append(f'{p.file} {p.function}: no line matches {p.start!r}')
            continue
        lines = [n for n in range(ext[0], ext[1] + 1) if n in das]
        row = Row(p, lines, [], {})
        rows.append(row)
        for n in lines:
            prev = owner.get((p.file, n))
            # the narrower path wins
            if prev is None or len(rows[prev].lines) > len(lines):
                owner[(p.file, n)] = len(rows) - 1
    for r in rows:
        r.lines = [n for n in r.lines if rows[owner[(r.path.file, n)]] is r]
        das = _find(trace, ksrc, r.path.file)[1]
        r.executed = [n for n in r.lines if das[n] > 0]
        r.unexecuted = {n: r.path.reason for n in r.lines if das[n] == 0}
    return rows, missing


def summary(rows: List[Row]) -> Tuple[int, int, Dict[str, int]]:
    total = sum(len(r.lines) for r in rows)
    done = sum(len(r.executed) for r in rows)
    why: Dict[str, int] = {}
    for r in rows:
        for reason in r.unexecuted.values():
            why[reason] = why.get(reason, 0) + 1
    return done, total, why


def markdown(rows: List[Row], missing: List[str], base: str) -> str:
    done, total, why = summary(rows)
    pct = 100.0 * done / total if total else 0.0
    out = [f'# Coverage of the device-page paths, {base}', '',
           f'**{done} of {total} listed lines executed ({pct:.1f} %)**; unexecuted, by reason: '
           + (', '.join(f'{k} {v}' for k, v in sorted(why.items())) or 'none') + '.', '',
           '| file | function (part) | executed | of | unexecuted lines (reason) |',
           '|---|---|---|---|---|']
    for r in rows:
        part = r.path.function + (f' [{r.path.start}]' if r.path.start else '')
        un = ', '.join(_ranges(sorted(r.unexecuted))) + (f' ({r.path.reason})' if r.unexecuted else '')
        out.append(f'| {r.path.file} | `{part}` | {len(r.executed)} | {len(r.lines)} | {un} |')
    if missing:
        out += ['', 'Listed, not counted: not built in this kernel (with the reason its lines are out of '
                'reach here), or not found (the list is out of date):', '']
        out += [f'- {m}' for m in missing]
    return '\n'.join(out) + '\n'


def _ranges(nums: List[int]) -> List[str]:
    out = []
    for n in nums:
        if out and out[-1][1] == n - 1:
            out[-1][1] = n
        else:
            out.append([n, n])
    return [f'{a}' if a == b else f'{a}-{b}' for a, b in out]


# ---- the run -----------------------------------------------------------------

def clear_gcda(build_dir: str) -> int:
    n = 0
    for root, _, files in os.walk(build_dir):
        for f in files:
            if f.endswith('.gcda'):
                os.unlink(os.path.join(root, f))
                n += 1
    return n


def count_gcda(build_dir: str) -> int:
    return sum(1 for _, _, files in os.walk(build_dir) for f in files if f.endswith('.gcda'))


def main(s, a) -> int:
    # Here, not at the top: bases.py reads CodePath from this module.
    from . import bases, runner
    from . import kernel as kmod
    k = kmod.Kernel(s, kmod.PROFILES['coverage-uml'])
    base = bases.for_tree(k.ksrc)
    out_dir = os.path.join(s.build, 'coverage', base.version)
    os.makedirs(out_dir, exist_ok=True)
    clear_gcda(k.build_dir)
    # The suites' verdicts are make kunit's business: a failing case still
    # gives its coverage, and make coverage fails only on its own terms.
    result = runner.run_suites(s, k, label='coverage', raise_on_error=False, json=s.json)
    if result.run is None:
        raise result.error or BuildError('the coverage kernel did not run')
    if not count_gcda(k.build_dir):
        raise HostUnsupported('the coverage run wrote no .gcda file (UML must exit cleanly; some gcc '
                              'versions do not write them: Documentation/dev-tools/kunit/running_tips.rst)')
    info = os.path.join(out_dir, 'coverage.info')
    with Progress('lcov: the tracefile'):
        r = subprocess.run(['lcov', '-q', '-c', '-d', k.build_dir, '-b', k.build_dir, '-o', info,
                            '-t', f'devmap-sandbox-{base.version}'],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode:
        raise BuildError('lcov could not read the .gcda files: ' + (r.stdout.strip().splitlines() or ['?'])[-1])
    with Progress('genhtml: the HTML report'):
        subprocess.run(['genhtml', '-q', '-o', os.path.join(out_dir, 'html'), info],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(info) as f:
        trace = parse_tracefile(f.read())
    rows, missing = table(trace, k.ksrc, base.coverage_paths)
    text = markdown(rows, missing, base.version)
    with open(os.path.join(out_dir, 'coverage.md'), 'w') as f:
        f.write(text)
    print(text)
    done, total, _ = summary(rows)
    print(f'coverage: {done} of {total} lines of the device-page paths executed; '
          f'{out_dir}/coverage.md, {out_dir}/html/index.html, {info}')
    # Code this kernel does not build (GUP-fast on UML) is listed with its
    # reason; a listed path that is built but not found is a stale list.
    stale = [m for m in missing if 'not built in this kernel' not in m]
    if stale:
        print('coverage: the list of paths is out of date (bases.py): ' + '; '.join(stale))
        return 1
    return 0
