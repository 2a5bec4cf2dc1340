"""Kernel.boot's typed outcomes, on a fake kernel (a shell script that
prints a canned console): no kernel build, seconds in all."""
import os
import shutil
import tempfile
import time
import unittest

from common import FIXTURES, KSRC, fake_kernel, needs_kunit
from sandbox import errors, kernel
from sandbox.settings import Settings


def make(script, timeout=30):
    s = Settings.from_env(dict(os.environ, KSRC=KSRC, TIMEOUT=str(timeout), PROGRESS='off'))
    d = fake_kernel(script)
    k = kernel.Kernel(s, kernel.PROFILES['kunit-uml'], build_dir=d)
    return k, d


def alive(pid):
    """Running (a zombie waiting for init to reap it is not)."""
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().split(')')[-1].split()[0] != 'Z'
    except OSError:
        return False


@needs_kunit
class BootTest(unittest.TestCase):
    def tearDown(self):
        shutil.rmtree(self.d, ignore_errors=True)

    def boot(self, script, **kw):
        timeout = kw.pop('timeout', 30)
        k, self.d = make(script, timeout)
        return k.boot([], **kw)

    def test_pass(self):
        run = self.boot(f'cat {FIXTURES}/pass.log')
        self.assertTrue(run.ok)
        self.assertEqual(run.facts.reports, [])
        with open(run.log) as f:
            self.assertIn('reboot: System halted', f.read())

    def test_failing_test_is_a_result_not_an_exception(self):
        from sandbox import results
        run = self.boot(f'cat {FIXTURES}/fail.log')
        self.assertFalse(run.ok)
        leaves = {x.name: x for x in results.from_test(run.test, skips=run.facts.skips)}
        bad = leaves['devmap_lifecycle.devmap_get_put.generic order 0']
        self.assertEqual(bad.status, 'FAIL')
        self.assertEqual(bad.reason, 'Expected folio_ref_count(folio) == 2, but '
                         'folio_ref_count(folio) == 3 (0x3)')

    def test_oops_is_crashed_naming_the_test(self):
        with self.assertRaises(errors.Crashed) as c:
            self.boot(f'cat {FIXTURES}/oops.log; exit 1')
        self.assertEqual(c.exception.test, 'devmap_gup.devmap_gup_unpin_range')
        self.assertIn('Kernel panic', c.exception.message)
        self.assertEqual(c.exception.status, 7)

    def test_hang_is_hung_within_our_timeout(self):
        t = time.monotonic()
        with self.assertRaises(errors.Hung) as c:
            self.boot(f'cat {FIXTURES}/hang.log; exec sleep 60', timeout=2)
        self.assertLess(time.monotonic() - t, 10)
        self.assertIn('devmap_lifecycle (after devmap_idle_pages)', c.exception.message)
        self.assertEqual(c.exception.status, 8)

    def test_silence_after_a_program_starts_is_hung_long_before_the_timeout(self):
        from sandbox import selftests
        fd, plan = tempfile.mkstemp(prefix='plan.')
        with os.fdopen(fd, 'w') as f:
            f.write('cow 1 cow\n')
        self.addCleanup(os.unlink, plan)
        t = time.monotonic()
        with self.assertRaises(errors.Hung) as c:
            self.boot("echo 'KTAP version 1'; echo '1..1'; echo '# running cow: cow'; exec sleep 60",
                      timeout=50, kunit=False, silence=selftests.silence_watch(plan, slack=1))
        self.assertLess(time.monotonic() - t, 10)
        self.assertIn('no console output for 2 s', c.exception.message)

    def test_dead_daemon_ends_the_boot_at_once(self):
        t0 = time.monotonic()
        with self.assertRaises(errors.DaemonDied) as c:
            self.boot(f'cat {FIXTURES}/hang.log; exec sleep 60',
                      watch=lambda: time.monotonic() - t0 < 1.0)
        self.assertLess(time.monotonic() - t0, 5)
        self.assertEqual(c.exception.status, 9)

    def test_kernel_and_its_session_are_gone_after_a_hang(self):
        with self.assertRaises(errors.Hung):
            self.boot(f'cat {FIXTURES}/hang.log; sleep 60 & echo $! > {self._pidfile()}; wait',
                      timeout=2)
        with open(self._pidfile()) as f:
            child = int(f.read())
        self.assertFalse(alive(child), 'a helper of the kernel survived')

    def _pidfile(self):
        return os.path.join('/tmp', f'fake-kernel-child.{os.getpid()}')

    def test_no_output_at_all_is_a_crash(self):
        with self.assertRaises(errors.Crashed):
            self.boot('echo "Kernel panic - not syncing: no memory"; exit 1')


@needs_kunit
class ConfigBuildTest(unittest.TestCase):
    def test_missing_fragment_is_a_config_error(self):
        s = Settings.from_env(dict(os.environ, KSRC=KSRC,
                                   KUNIT_ARGS='--kunitconfig=/nonexistent.config'))
        k = kernel.Kernel(s, kernel.PROFILES['kunit-uml'], build_dir='/tmp/never-made')
        with self.assertRaises(errors.ConfigError) as c:
            k.configure()
        self.assertEqual(c.exception.status, 4)

    def test_build_error_carries_the_compiler_lines(self):
        # A "tree" whose make fails the way a compiler error does.
        import tempfile
        d = tempfile.mkdtemp()
        try:
            s = Settings.from_env(dict(os.environ, KSRC=KSRC, PROGRESS='off'))
            k = kernel.Kernel(s, kernel.PROFILES['kunit-uml'], build_dir=d)
            k.ksrc = d
            with open(os.path.join(d, 'Makefile'), 'w') as f:
                f.write('linux:\n\t@echo "  CC      mm/gup.o"\n'
                        '\t@echo "mm/gup.c:12:1: error: expected \';\' before \'}\' token" >&2\n'
                        '\t@exit 2\n')
            with self.assertRaises(errors.BuildError) as c:
                k.build()
            self.assertIn("mm/gup.c:12:1: error: expected ';'", c.exception.message)
            self.assertEqual(c.exception.status, 5)
        finally:
            shutil.rmtree(d)


if __name__ == '__main__':
    unittest.main()


class ParseRequestTest(unittest.TestCase):
    """kunit.py's KunitParseRequest has more fields on 7.x than on 6.12."""

    def kunit_of(self, *names):
        import dataclasses
        import types
        cls = dataclasses.make_dataclass('KunitParseRequest', names)
        return types.SimpleNamespace(KunitParseRequest=cls)

    def test_6_12_shape(self):
        from sandbox import kernel
        req = kernel.parse_request(self.kunit_of('raw_output', 'json'), 'x.json')
        self.assertEqual((req.raw_output, req.json), (None, 'x.json'))

    def test_7_x_shape(self):
        from sandbox import kernel
        req = kernel.parse_request(
            self.kunit_of('raw_output', 'json', 'junit', 'summary', 'failed'), None)
        self.assertEqual((req.junit, req.summary, req.failed), (None, False, False))
