"""make oracle PATCH=file: both kernels come from the scratch clone (its
own build directories, per profile and DEBUG), never from KSRC; a PATCH
that is not a file is bad input before anything is touched."""
import os
import tempfile
import unittest
from unittest import mock

import common  # noqa: F401 (sys.path)
from sandbox import oracle
from sandbox.errors import BadInput
from sandbox.settings import Settings
from sandbox.tree import Scratch


def settings(**env):
    build = tempfile.mkdtemp(prefix='oracle-test.')
    with mock.patch.dict(os.environ, dict(env, BUILD=build), clear=False):
        return Settings.from_env()


def built(s, scratch, make):
    """(ksrc, build_dir) of the kernel make(s, scratch) asks for."""
    with mock.patch.object(oracle.kmod, 'Kernel') as k:
        make(s, scratch)
    kw = k.call_args.kwargs
    return kw.get('ksrc'), kw.get('build_dir')


class OraclePatchTest(unittest.TestCase):
    def test_the_scratch_clone_builds_both_kernels(self):
        for debug, suffix in (('0', ''), ('1', '-debug')):
            with self.subTest(DEBUG=debug):
                s = settings(DEBUG=debug)
                scratch = Scratch(s)
                for profile, make in (
                        ('kunit-uml', lambda s, sc: oracle.kernel(s, 'kunit-uml', sc)),
                        ('kunit-x86_64', lambda s, sc: oracle.x86_kernel(s, oracle.TCG_ARGS, sc))):
                    self.assertEqual(built(s, scratch, make),
                                     (scratch.path, scratch.kbuild(profile + suffix)))

    def test_without_a_patch_the_kernels_are_ksrc_s(self):
        s = settings(DEBUG='0')
        # No ksrc, no build_dir: Kernel's defaults, KSRC and BUILD/<profile>.
        self.assertEqual(built(s, None, lambda s, sc: oracle.kernel(s, 'kunit-uml', sc)),
                         (None, None))

    def test_a_patch_that_is_not_a_file_is_bad_input(self):
        s = settings()
        with mock.patch.dict(os.environ, {'PATCH': '/nonexistent.patch'}):
            with self.assertRaises(BadInput):
                with oracle.patched(s):
                    self.fail('ran without the patch')


if __name__ == '__main__':
    unittest.main()
