"""The CLI maps each outcome to its own exit status and one-line message
(the last line it prints), with the details above it."""
import contextlib
import io
import os
import unittest
from unittest import mock

import common  # noqa: F401 (sys.path)
from sandbox import cli, errors


def run_cli(exc):
    def boom(s, a):
        raise exc
    err = io.StringIO()
    with mock.patch.dict(cli.COMMANDS, {'kunit': boom}), contextlib.redirect_stderr(err), \
            mock.patch.dict(os.environ, {'PROGRESS': 'off'}):
        status = cli.main(['kunit'])
    return status, err.getvalue().splitlines()


class CliTest(unittest.TestCase):
    def test_each_kind_has_its_status_and_a_last_line(self):
        cases = [
            (errors.TestsFailed('2 test case(s) failed: s.a, s.b'), 1, 'error (tests failed)'),
            (errors.BadInput('DEVMEM=x: use fuse, file or hotplug'), 2, 'error (bad input)'),
            (errors.ConfigError('kunit-uml: Missing: CONFIG_X=y'), 4, 'error (config error)'),
            (errors.BuildError('kunit-uml does not build: mm/gup.c:1: error: x',
                               ['mm/gup.c:1: error: x']), 5, 'error (build error)'),
            (errors.PatchDoesNotApply('p.patch does not apply: error: patch failed'), 6,
             'error (patch does not apply)'),
            (errors.Crashed('kunit-uml crashed in s.a: Kernel panic'), 7, 'error (crashed)'),
            (errors.Hung('kunit-uml hung: no result within 120 s, while running s'), 8,
             'error (hung)'),
            (errors.DaemonDied('the device memory daemon (devmemd) died during the run'), 9,
             'error (device memory daemon died)'),
            (errors.TreeError("build/linux is not set up: run 'make setup'"), 10, 'error (tree)'),
            (KeyboardInterrupt(), 130, 'interrupted: the kernel and the device memory daemon'),
        ]
        for exc, status, last in cases:
            with self.subTest(kind=type(exc).__name__):
                got, lines = run_cli(exc)
                self.assertEqual(got, status)
                self.assertIn(last, lines[-1])
                if getattr(exc, 'message', None):
                    self.assertIn(exc.message, lines[-1])

    def test_details_come_before_the_message(self):
        _, lines = run_cli(errors.BuildError('does not build', ['a.c:1: error: x']))
        self.assertEqual(lines[0], '  | a.c:1: error: x')


if __name__ == '__main__':
    unittest.main()
