"""The kernels' config fragments, as kunit.py will merge them: it refuses
a kunitconfig that gives one option two values, so no profile may, with
DEBUG=1 or without. The check is kunit.py's own (get_parsed_kunitconfig)."""
import tempfile
import unittest

from common import KSRC, needs_kunit
from sandbox import kernel


class ProfileTest(unittest.TestCase):
    @needs_kunit
    def test_no_profile_gives_an_option_two_values(self):
        _, kunit_kernel, _, _ = kernel.kunit_tool(KSRC)
        with tempfile.TemporaryDirectory() as build_dir:
            for p in kernel.PROFILES.values():
                for debug in (False, True):
                    with self.subTest(profile=p.name, debug=debug):
                        try:
                            kunit_kernel.get_parsed_kunitconfig(build_dir,
                                                                p.kunitconfigs(KSRC, debug))
                        except kunit_kernel.ConfigError as e:
                            self.fail(str(e))

    def test_the_loop_kernel_is_lean_and_the_debug_one_whole(self):
        p = kernel.PROFILES['kunit-uml']
        self.assertTrue(any(c.endswith('/lean.config') for c in p.kunitconfigs('/k', False)))
        self.assertFalse(any(c.endswith('/lean.config') for c in p.kunitconfigs('/k', True)))
        for name in ('kunit-all', 'selftests-uml', 'kunit-x86_64'):
            self.assertFalse(any(c.endswith('/lean.config')
                                 for c in kernel.PROFILES[name].kunitconfigs('/k', False)))
