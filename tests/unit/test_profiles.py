"""The kernels' config fragments, as kunit.py will merge them: it refuses
a kunitconfig that gives one option two values, so no profile may, with
DEBUG=1 or without."""
import re
import unittest

from sandbox import kernel

ENTRY = re.compile(r'^(?:(CONFIG_\w+)=(.*)|# (CONFIG_\w+) is not set)$')


def entries(path):
    with open(path) as f:
        for line in f:
            m = ENTRY.match(line.strip())
            if m:
                yield (m.group(1), m.group(2)) if m.group(1) else (m.group(3), 'n')


class ProfileTest(unittest.TestCase):
    def test_no_profile_gives_an_option_two_values(self):
        for p in kernel.PROFILES.values():
            for debug in (False, True):
                seen = {}
                for path in p.kunitconfigs('/nonexistent', debug):
                    if path.startswith('/nonexistent'):
                        continue    # the tree's own (kunit-all's default.config)
                    for name, value in entries(path):
                        with self.subTest(profile=p.name, debug=debug, option=name):
                            self.assertEqual(seen.setdefault(name, value), value)

    def test_the_loop_kernel_is_lean_and_the_debug_one_whole(self):
        p = kernel.PROFILES['kunit-uml']
        self.assertTrue(any(c.endswith('/lean.config') for c in p.kunitconfigs('/k', False)))
        self.assertFalse(any(c.endswith('/lean.config') for c in p.kunitconfigs('/k', True)))
        for name in ('kunit-all', 'selftests-uml', 'kunit-x86_64'):
            self.assertFalse(any(c.endswith('/lean.config')
                                 for c in kernel.PROFILES[name].kunitconfigs('/k', False)))
