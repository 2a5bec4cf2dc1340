"""ccache in front of every kernel build (scripts/sandbox/ccache.py)."""
import os
import tempfile
import unittest

from common import TOP  # noqa: F401 (sets sys.path)
from sandbox import ccache

LOG = """\
# ../../../../dev/null
cache_miss
# ../linux/mm/gup.c
direct_cache_hit
# ../linux/mm/memremap.c
cache_miss
direct_cache_miss
# ../linux/arch/um/kernel/head.S
preprocessed_cache_hit
"""


class CcacheTest(unittest.TestCase):
    def test_stats_log_counts_sources_not_probes(self):
        s = ccache.parse_stats_log(LOG)
        self.assertEqual((s.hits, s.misses), (2, 1))
        self.assertEqual(s.summary(), 'ccache: 2 of 3 compiles from the cache (66%)')

    def test_off(self):
        self.assertEqual(ccache.environment({'CCACHE': '0', 'PATH': '/usr/bin'}), {})

    @unittest.skipUnless(ccache.available(), 'ccache is not installed')
    def test_on_outside_the_clone_and_path_independent(self):
        env = ccache.environment({'PATH': '/usr/bin', 'HOME': '/home/u'})
        self.assertTrue(env['PATH'].startswith(ccache.MASQUERADE + ':'))
        self.assertEqual(env['CCACHE_DIR'], '/home/u/.cache/devmap-sandbox/ccache')
        self.assertEqual(env['CCACHE_BASEDIR'], '/')
        self.assertEqual(env['CCACHE_NOHASHDIR'], '1')
        self.assertFalse(env['CCACHE_DIR'].startswith(TOP))

    @unittest.skipUnless(ccache.available(), 'ccache is not installed')
    def test_a_foreign_tree_is_built_through_its_view(self):
        d = tempfile.mkdtemp()
        tree = os.path.join(d, 'mytree')
        os.mkdir(tree)
        build = os.path.join(d, 'build', 'trees', 'mytree-x', 'kunit-uml')
        os.makedirs(build)
        env = ccache.environment({'PATH': '/usr/bin', 'HOME': d})
        ccache.use_view(env, tree, build)
        self.assertEqual(os.readlink(os.path.join(os.path.dirname(build), 'linux')), tree)
        self.assertEqual(env['DEVMAP_SRC'], tree)
        self.assertTrue(env['PATH'].startswith(ccache.VIEW_DIR + ':'))

    @unittest.skipUnless(ccache.available(), 'ccache is not installed')
    def test_the_trees_own_layout_needs_no_view(self):
        d = tempfile.mkdtemp()
        os.mkdir(os.path.join(d, 'linux'))
        os.mkdir(os.path.join(d, 'kunit-uml'))
        env = ccache.environment({'PATH': '/usr/bin', 'HOME': d})
        ccache.use_view(env, os.path.join(d, 'linux'), os.path.join(d, 'kunit-uml'))
        self.assertNotIn('DEVMAP_SRC', env)


if __name__ == '__main__':
    unittest.main()
