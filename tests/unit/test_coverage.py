"""make coverage's table (scripts/sandbox/coverage.py) on a canned lcov
tracefile and a small source file: function extents, parts of functions,
reasons, a line in two paths counted once, paths that are not found."""
import os
import tempfile
import unittest

from common import TOP  # noqa: F401 (sets sys.path)
from sandbox import bases, coverage
from sandbox.coverage import CodePath as P

SOURCE = """\
#include <linux/mm.h>
void put(struct folio *folio)
{
    if (folio_is_zone_device(folio)) {
        free_zone_device_folio(folio);
        return;
    }
    free_it(folio);
}

static int fast(void)
{
    return 1;
}
""".replace('    ', '\t')
# put: lines 4-8 run except 5-6 (no device folio was put); fast: never
TRACE = """\
TN:t
SF:{ksrc}/mm/swap.c
FN:2,put
FN:11,fast
DA:2,3
DA:4,3
DA:5,0
DA:6,0
DA:8,3
DA:13,0
end_of_record
"""


class CoverageTest(unittest.TestCase):
    def setUp(self):
        self.ksrc = tempfile.mkdtemp()
        os.makedirs(os.path.join(self.ksrc, 'mm'))
        with open(os.path.join(self.ksrc, 'mm', 'swap.c'), 'w') as f:
            f.write(SOURCE)
        self.trace = coverage.parse_tracefile(TRACE.format(ksrc=self.ksrc))

    def test_a_whole_function_and_a_part_of_it(self):
        rows, missing = coverage.table(self.trace, self.ksrc, (
            P('mm/swap.c', 'put'),
            P('mm/swap.c', 'put', r'folio_is_zone_device', r'return;', reason='swap'),
            P('mm/swap.c', 'fast', reason='GUP-fast')))
        self.assertEqual(missing, [])
        whole, part, fast = rows
        # the part's lines belong to the part only (the narrower path)
        self.assertEqual(part.lines, [4, 5, 6])
        self.assertEqual(part.unexecuted, {5: 'swap', 6: 'swap'})
        self.assertEqual(whole.lines, [2, 8])
        self.assertEqual(fast.unexecuted, {13: 'GUP-fast'})
        done, total, why = coverage.summary(rows)
        self.assertEqual((done, total), (3, 6))
        self.assertEqual(why, {'swap': 2, 'GUP-fast': 1})

    def test_not_yet_covered_counts_against_the_figure(self):
        rows, _ = coverage.table(self.trace, self.ksrc, (P('mm/swap.c', 'put'),))
        self.assertEqual(rows[0].unexecuted, {5: coverage.NOT_YET, 6: coverage.NOT_YET})
        text = coverage.markdown(rows, [], '6.12')
        self.assertIn('**3 of 5 listed lines executed (60.0 %)**', text)
        self.assertIn('| mm/swap.c | `put` | 3 | 5 | 5-6 (not yet covered) |', text)

    def test_a_renamed_function_or_a_stale_pattern_is_reported(self):
        rows, missing = coverage.table(self.trace, self.ksrc, (
            P('mm/swap.c', 'gone'), P('mm/swap.c', 'put', r'no such line')))
        self.assertEqual(rows, [])
        self.assertEqual(len(missing), 2)

    def test_reasons_are_a_fixed_list(self):
        with self.assertRaises(AssertionError):
            P('mm/swap.c', 'put', reason='too hard')

    def test_every_base_lists_valid_paths(self):
        for b in bases.BASES.values():
            for p in b.coverage_paths:
                self.assertIn(p.reason, coverage.REASONS)
                self.assertTrue(p.file.startswith('mm/'), p)


if __name__ == '__main__':
    unittest.main()
