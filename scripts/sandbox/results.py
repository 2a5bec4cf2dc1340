"""Leaf test results, from kunit.py's Test objects or its JSON files.

A leaf is one test case or one parameter of a parameterised case, named
suite.case or suite.case.param (kunit.py's JSON names, joined with dots).
"""
import dataclasses
import json
from typing import Dict, Iterable, Iterator, List, Optional, Tuple


@dataclasses.dataclass
class Leaf:
    name: str
    status: str                  # PASS, FAIL, SKIP, ERROR (crashed)
    reason: str = ''             # the skip reason, or the first failure line
    log: Tuple[str, ...] = ()

    @property
    def case(self) -> str:
        """suite.case, without a parameter."""
        return '.'.join(self.name.split('.')[:2])


def _status_name(test) -> str:
    return {'SUCCESS': 'PASS', 'SKIPPED': 'SKIP', 'TEST_CRASHED': 'ERROR'}.get(
        test.status.name, 'FAIL')


def from_test(test, path: Tuple[str, ...] = (), skips: Optional[Dict[str, str]] = None
              ) -> Iterator[Leaf]:
    """Leaves of a kunit_parser.Test (the whole run: its name is empty).
    kunit_parser keeps no skip reasons: console.Facts.skips has them."""
    skips = skips or {}
    for sub in test.subtests:
        if sub.subtests:
            yield from from_test(sub, path + (sub.name,), skips)
            continue
        if not sub.name:
            continue
        status = _status_name(sub)
        reason = ''
        log = tuple(line.rstrip() for line in sub.log)
        name = '.'.join(path + (sub.name,))
        if status == 'SKIP':
            reason = skips.get(name, '')
        elif status != 'PASS':
            # kunit_parser files a parameter's diagnostics (printed before
            # its result line) in the parameterised case's log.
            reason = _first_failure(log) or _first_failure(test.log)
        yield Leaf(name, status, reason, log)


def _first_failure(log) -> str:
    """The line that says what went wrong: KUnit's "Expected a == b, but"
    with the values that follow, a KASAN report, or the EXPECTATION line."""
    lines = [ln.strip().lstrip('#').strip() for ln in log]
    for i, ln in enumerate(lines):
        if ln.startswith('Expected'):
            return ' '.join([ln] + [x for x in lines[i + 1:i + 3] if '==' in x or '!=' in x])
    for key in ('KASAN', 'ASSERTION', 'EXPECTATION', 'FAIL'):
        for ln in lines:
            if key in ln:
                return ln
    return ''


def from_json_data(group, path: Tuple[str, ...] = ()) -> Iterator[Leaf]:
    for case in group.get('test_cases', []):
        # kunit.py adds nameless ERROR entries where results are missing.
        if case['name']:
            yield Leaf('.'.join(path + (case['name'],)), case['status'])
    for sub in group.get('sub_groups', []):
        if sub.get('test_cases') or sub.get('sub_groups'):
            yield from from_json_data(sub, path + (sub['name'],))


def load_json(path: str) -> Optional[dict]:
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def from_json(path: str) -> List[Leaf]:
    data = load_json(path)
    return list(from_json_data(data)) if data else []


@dataclasses.dataclass
class Counts:
    passed: int = 0
    failed: int = 0
    skipped: int = 0

    def __str__(self):
        return f'{self.passed} passed, {self.failed} failed, {self.skipped} skipped'


def counts(leaves: Iterable[Leaf]) -> Counts:
    c = Counts()
    for leaf in leaves:
        if leaf.status == 'PASS':
            c.passed += 1
        elif leaf.status == 'SKIP':
            c.skipped += 1
        else:
            c.failed += 1
    return c


def failed_cases(leaves: Iterable[Leaf]) -> List[str]:
    """suite.case of every failing leaf, once each, in order."""
    out: Dict[str, None] = {}
    for leaf in leaves:
        if leaf.status not in ('PASS', 'SKIP'):
            out.setdefault(leaf.case)
    return list(out)


def passed_cases(leaves: Iterable[Leaf]) -> List[str]:
    return sorted({leaf.case for leaf in leaves if leaf.status == 'PASS'})


def file_counts(path: Optional[str]) -> Optional[Tuple[int, int, int]]:
    """(passed, failed, skipped) of a results file: kunit.py's JSON, or
    mutants.json (killed, not killed, 0); None when there is none."""
    import os
    data = load_json(path) if path and os.path.exists(path) else None
    if isinstance(data, list):          # mutants.json
        killed = sum(1 for m in data if m['result'] == 'killed')
        return killed, len(data) - killed, 0
    if data:
        c = counts(from_json_data(data))
        return c.passed, c.failed, c.skipped
    return None
