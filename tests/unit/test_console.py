import os
import shutil
import tempfile
import unittest

from common import fixture
from sandbox import console, errors, runner


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

    def test_bare_addresses_of_a_kernel_without_kallsyms_are_named(self):
        # lean.config's kernel: %pS prints 0x + 16 digits; nm names them
        # (as nm -n -S prints them: by address; a data symbol between)
        nm = ('0000000060030c00 00000000000003a0 T panic\n'
              '0000000060321bf0 0000000000000110 t try_grab_folio\n'
              '0000000060420000 0000000000000008 D some_data\n'
              '00000000604209b0 00000000000000b0 T kunit_try_run_case\n'
              '000000006050cfd0 0000000000000150 T devmap_gup_unpin_range\n')
        lines = [x.replace('panic+0x1a2/0x3a0', '0x0000000060030da2')
                 .replace('try_grab_folio+0x20/0x100', '0x0000000060321c10')
                 .replace('devmap_gup_unpin_range+0x51/0x120', '0x000000006050d021')
                 .replace('kunit_try_run_case+0x60/0x100', '0x0000000060420a10')
                 .replace('segv+0x3cc/0x420', '0x00000000dead0000')
                 for x in fixture('oops.log')]
        # unnamed, the trace only gives the tracker's guess
        self.assertEqual(console.scan(lines).crashes[0].test, 'devmap_gup (after devmap_gup_pin_one)')
        f = console.scan(lines, console.Symbols(nm_output=nm))
        self.assertEqual(f.crashes[0].test, 'devmap_gup.devmap_gup_unpin_range')
        trace = '\n'.join(f.crashes[0].lines)
        self.assertIn('[<60030d32>] ? panic+0x1a2/0x3a0', trace)
        self.assertIn('try_grab_folio+0x20/0x110', trace)
        # an address no symbol covers stays as the kernel printed it
        self.assertIn('0x00000000dead0000', trace)

    def test_system_map_sizes_run_to_the_next_symbol(self):
        # kbuild's System.map: nm -n without sizes
        d = tempfile.mkdtemp(prefix='sysmap.')
        self.addCleanup(shutil.rmtree, d, True)
        path = os.path.join(d, 'System.map')
        with open(path, 'w') as f:
            f.write('0000000060000000 T _stext\n0000000060001000 T foo\n'
                    '0000000060001000 t foo_alias\n0000000060001100 d bar\n'
                    '0000000060002000 T baz\n')
        s = console.Symbols('/nonexistent/vmlinux', system_map=path)
        self.assertEqual(s.name(0x60001010), 'foo_alias+0x10/0x100')
        self.assertEqual(s.name(0x60001180), None)    # past foo, in data
        self.assertEqual(s.name(0x5fffffff), None)
        self.assertEqual(s.annotate('at mm/x.c:1 0x0000000060001004'),
                         'at mm/x.c:1 foo_alias+0x4/0x100')
        # the last symbol has no known end: left as printed
        self.assertEqual(s.annotate('0x0000000060002000'), '0x0000000060002000')

    def test_symbols_without_nm_leave_lines_alone(self):
        s = console.Symbols('/nonexistent/vmlinux')
        self.assertEqual(s.annotate(' [<6>] 0x0000000060030da2'), ' [<6>] 0x0000000060030da2')

    def test_trace_without_kunit_frames_names_nothing(self):
        self.assertIsNone(console.test_from_trace([' [<1>] foo+0x1/0x2', ' [<2>] bar+0x1/0x2']))


class CrashAttributionTest(unittest.TestCase):
    """A crash between two results: the case comes from the KTAP stream
    (the next one after the last result, in kunit.action=list's order),
    never from a stale word of the backtrace."""
    CASES = ['devmap_lifecycle.devmap_idle_pages', 'devmap_lifecycle.devmap_memunmap_waits_for_refs',
             'devmap_lifecycle.devmap_memunmap_after_put', 'devmap_lifecycle.devmap_get_put',
             'devmap_gup.devmap_gup_pin_one']

    def test_a_stale_frame_is_not_a_test(self):
        f = console.scan(fixture('oops-stale-frame.log'))
        self.assertEqual(f.crashes[0].test, 'devmap_lifecycle (after devmap_memunmap_waits_for_refs)')

    def test_the_running_case_comes_from_ktap_and_the_case_list(self):
        f = console.scan(fixture('oops-stale-frame.log'), cases=self.CASES)
        self.assertEqual(f.crashes[0].test, 'devmap_lifecycle.devmap_memunmap_after_put')
        # the backtrace still says where
        self.assertIn('memunmap_pages', '\n'.join(f.crashes[0].lines))

    def test_a_case_function_in_the_trace_still_names_it(self):
        f = console.scan(fixture('oops.log'), cases=self.CASES + ['devmap_gup.devmap_gup_unpin_range'])
        self.assertEqual(f.crashes[0].test, 'devmap_gup.devmap_gup_unpin_range')

    def test_next_case(self):
        self.assertEqual(console.next_case(self.CASES, 'devmap_lifecycle', None),
                         'devmap_lifecycle.devmap_idle_pages')
        self.assertEqual(console.next_case(self.CASES, 'devmap_lifecycle',
                                           'devmap_lifecycle.devmap_get_put.fsdax order 0'), None)
        self.assertEqual(console.next_case(self.CASES, 'devmap_lifecycle',
                                           'devmap_lifecycle.devmap_idle_pages'),
                         'devmap_lifecycle.devmap_memunmap_waits_for_refs')


class StrayReportTest(unittest.TestCase):
    """A memory-safety report that no test's own thread made (a kworker's
    KASAN report between two results) fails a run whose tests all pass;
    a WARN at boot outside every test does not."""

    def test_a_kasan_report_from_a_worker_fails_the_run(self):
        e = runner.stray_report(console.scan(fixture('kasan-worker.log')))
        self.assertIsInstance(e, errors.StrayReport)
        self.assertEqual(e.status, 1)
        self.assertIn('BUG: KASAN: double-free in kvfree_rcu_bulk', e.message)
        self.assertIn('kfree_rcu_monitor', '\n'.join(e.details))
        # The test running then, not the one in KASAN's allocation stack.
        self.assertEqual(e.test, 'devmap_lifecycle (after devmap_idle_pages)')

    def test_a_report_in_another_suite_is_that_suite_s_matter(self):
        # kunit-all's kasan tests provoke reports on purpose.
        lines = [x.replace('devmap_lifecycle', 'kasan').replace('devmap_idle_pages', 'kmalloc_oob')
                 for x in fixture('kasan-worker.log')]
        self.assertIsNone(runner.stray_report(console.scan(lines)))

    def test_a_warn_at_boot_and_a_clean_run_do_not(self):
        for log in ('warn-at-boot.log', 'pass.log'):
            with self.subTest(log=log):
                f = console.scan(fixture(log))
                self.assertIsNone(runner.stray_report(f))
        self.assertTrue(console.scan(fixture('warn-at-boot.log')).reports)


if __name__ == '__main__':
    unittest.main()
