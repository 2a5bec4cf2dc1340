"""Shared by the unit tests: paths, the tree's kunit.py, a fake kernel."""
import os
import stat
import sys
import tempfile
import unittest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fixtures')
sys.path.insert(0, os.path.join(TOP, 'scripts'))

# kunit_parser comes from a kernel tree: the sandbox's, or KSRC.
KSRC = os.environ.get('KSRC') or os.path.join(TOP, 'build', 'linux')
HAVE_KUNIT = os.path.isfile(os.path.join(KSRC, 'tools', 'testing', 'kunit', 'kunit.py'))
needs_kunit = unittest.skipUnless(HAVE_KUNIT, f'no kunit.py in {KSRC}: run make setup')


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return f.read().splitlines(True)


def fake_kernel(script: str) -> str:
    """A build directory whose 'linux' is a shell script (the console)."""
    d = tempfile.mkdtemp(prefix='fake-kbuild.')
    path = os.path.join(d, 'linux')
    with open(path, 'w') as f:
        f.write('#!/bin/sh\n' + script + '\n')
    os.chmod(path, os.stat(path).st_mode | stat.S_IEXEC)
    return d
