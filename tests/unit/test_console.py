import unittest

from common import fixture
from sandbox import console


class ConsoleTest(unittest.TestCase):
    def test_pass_has_no_reports_and_skip_reasons(self):
        f = console.scan(fixture('pass.log'))
        self.assertEqual(f.reports, [])
        self.assertIsNone(f.running)
        self.assertEqual(f.skips['devmap_lifecycle.devmap_get_put.pci_p2pdma order 1'],
                         'P2PDMA pages are order 0 only')
        self.assertEqual(f.last_done, 'devmap_gup')

    def test_kasan_report_is_attributed_to_the_test_in_the_trace(self):
        f = console.scan(fixture('kasan.log'))
        self.assertEqual(len(f.reports), 1)
        r = f.reports[0]
        self.assertEqual(r.kind, 'report')
        self.assertIn('BUG: KASAN: slab-use-after-free in memunmap_pages', r.first)
        self.assertEqual(r.test, 'devmap_lifecycle.devmap_memunmap_waits_for_refs')
        self.assertEqual(f.crashes, [])

    def test_panic_is_a_crash_in_the_test_of_the_trace(self):
        f = console.scan(fixture('oops.log'))
        self.assertEqual(len(f.crashes), 1)
        self.assertEqual(f.crashes[0].test, 'devmap_gup.devmap_gup_unpin_range')
        self.assertEqual(f.running, 'devmap_gup (after devmap_gup_pin_one)')

    def test_running_test_of_a_truncated_log(self):
        f = console.scan(fixture('hang.log'))
        self.assertEqual(f.running, 'devmap_lifecycle (after devmap_idle_pages)')

    def test_timestamp_prefix_is_stripped(self):
        lines = ['[    0.1] ' + x for x in fixture('hang.log')]
        self.assertEqual(console.scan(lines).running,
                         'devmap_lifecycle (after devmap_idle_pages)')

    def test_an_interrupt_frame_below_the_test_is_skipped(self):
        trace = [' [<2>] devmap_get_put+0x1/0x2', ' [<1>] ? ktime_get_ts64+0x1/0x2',
                 ' [<3>] kunit_try_run_case+0x1/0x2']
        self.assertEqual(console.test_from_trace(trace, 'devmap_'), 'devmap_get_put')
        self.assertEqual(console.test_from_trace(trace), 'devmap_get_put')

    def test_trace_without_kunit_frames_names_nothing(self):
        self.assertIsNone(console.test_from_trace([' [<1>] foo+0x1/0x2', ' [<2>] bar+0x1/0x2']))


if __name__ == '__main__':
    unittest.main()
