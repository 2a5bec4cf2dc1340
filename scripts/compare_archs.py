#!/usr/bin/env python3
"""The differential oracle's table: one set of KUnit suites run on two
kernels (the sandbox UML and x86_64 under QEMU), side by side.

  compare_archs.py KSRC OUT.md NAME=JSON,LOG NAME=JSON,LOG

JSON is kunit.py's --json file (the results), LOG the kernel output
kunit.py kept (<build dir>/test.log), read with kunit.py's own KTAP line
extraction for the skip reasons. Prints and writes a markdown table
(test -> first kernel -> second kernel) and a summary line. Exits 1 when
a test fails on either kernel, or runs on one only: a test may skip on one
architecture, with its stated reason, but not disappear.
"""
import os
import re
import sys

from kunit_results import leaves, load

RESULT = re.compile(r'^( *)(?:not )?ok \d+ (?:- )?(.*?)(?: # SKIP ?(.*))?$')
SUBTEST = re.compile(r'^( *)# Subtest: (.*)$')


def skip_reasons(ksrc, log):
    """Map suite.case[.param] to the reason of its '# SKIP' result."""
    sys.path.insert(0, os.path.join(ksrc, 'tools/testing/kunit'))
    import kunit_parser  # noqa: E402 (the tree's own parser)

    reasons, headers = {}, {}
    try:
        with open(log, errors='replace') as f:
            lines = list(kunit_parser.extract_tap_lines(f))
    except OSError:
        return reasons
    for line in lines:
        m = SUBTEST.match(line)
        if m:
            depth = len(m.group(1))
            headers = {d: n for d, n in headers.items() if d < depth}
            headers[depth] = m.group(2)
            continue
        m = RESULT.match(line)
        if m and m.group(3) is not None:
            depth = len(m.group(1))
            path = [n for d, n in sorted(headers.items()) if 0 < d <= depth]
            reasons['.'.join(path + [m.group(2)])] = m.group(3).strip()
    return reasons


def column(arg, ksrc):
    name, _, files = arg.partition('=')
    json_path, _, log = files.partition(',')
    data = load(json_path)
    results = dict(leaves(data)) if data else {}
    return name, results, skip_reasons(ksrc, log) if log else {}


def cell(status, reason):
    if status is None:
        return 'not run'
    if status == 'SKIP' and reason:
        return f'SKIP: {reason}'
    return status


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    ksrc, out = sys.argv[1], sys.argv[2]
    (n1, r1, s1), (n2, r2, s2) = (column(a, ksrc) for a in sys.argv[3:])
    rows = [f'| test | {n1} | {n2} |', '|---|---|---|']
    same = differ = bad = 0
    for test in sorted(set(r1) | set(r2)):
        a, b = r1.get(test), r2.get(test)
        rows.append(f'| {test} | {cell(a, s1.get(test))} | '
                    f'{cell(b, s2.get(test))} |')
        if a is None or b is None or {a, b} - {'PASS', 'SKIP'}:
            bad += 1
        elif a == b:
            same += 1
        else:
            differ += 1
    if not r1 or not r2:
        bad += 1
    summary = (f'{len(rows) - 2} test cases: {same} with the same result, '
               f'{differ} passing on one and skipping on the other, '
               f'{bad} failing or missing')
    text = '\n'.join(rows + ['', summary]) + '\n'
    with open(out, 'w') as f:
        f.write(text)
    sys.stdout.write(text)
    sys.exit(1 if bad else 0)


if __name__ == '__main__':
    main()
