#!/usr/bin/env python3
"""Summarise a kunit.py --json result file.

  kunit_results.py counts FILE   -> "passed failed skipped" (leaf test cases)
  kunit_results.py failed FILE   -> one failing test per line, as
                                    suite.case or suite.case.param
  kunit_results.py passed FILE   -> each suite.case with a passing result
A missing or empty file (kunit.py crashed before writing it) prints zeros
or nothing and exits 1.
"""
import json
import sys


def leaves(group, path=()):
    """Yield (name, status) for every leaf test case below @group."""
    for case in group.get('test_cases', []):
        # kunit.py adds nameless ERROR entries where results are missing
        # (a crash); the crashed test itself is named in its log.
        if case['name']:
            yield '.'.join(path + (case['name'],)), case['status']
    for sub in group.get('sub_groups', []):
        name = sub['name']
        if sub.get('test_cases') or sub.get('sub_groups'):
            yield from leaves(sub, path + (name,))


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ('counts', 'failed',
                                                  'passed'):
        sys.exit(__doc__)
    data = load(sys.argv[2])
    results = list(leaves(data)) if data else []
    if sys.argv[1] == 'counts':
        passed = sum(s == 'PASS' for _, s in results)
        skipped = sum(s == 'SKIP' for _, s in results)
        print(passed, len(results) - passed - skipped, skipped)
    elif sys.argv[1] == 'passed':
        cases = {'.'.join(n.split('.')[:2]) for n, s in results if s == 'PASS'}
        print('\n'.join(sorted(cases)))
    else:
        for name, status in results:
            if status not in ('PASS', 'SKIP'):
                print(name)
    sys.exit(0 if data else 1)


if __name__ == '__main__':
    main()
