"""The per-base expectations (bases.py, expect.py) and the C header made
from them (fake-devmap/kernel/devmap_base.h): the committed header is the
generated one, and what the C preprocessor makes of it for each base's
version is that base's data; a tree newer than every base gets the newest
one's, an older one none."""
import contextlib
import dataclasses
import io
import os
import re
import subprocess
import tempfile
import unittest
from unittest import mock

from common import TOP
from sandbox import bases, expect


def preprocess(version_code: int) -> dict:
    """The DEVMAP_* macros the header defines for a tree of that version,
    each expanded to a number."""
    names = re.findall(r'#define (DEVMAP_BASE_\w+)',
                       open(os.path.join(TOP, expect.PATH)).read())
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, 'probe.c')
        with open(src, 'w') as f:
            f.write(f'#include "{os.path.join(TOP, expect.PATH)}"\n')
            for n in sorted(set(names)):
                f.write(f'#ifdef {n}\nVALUE "{n}" = {n};\n#endif\n')
        r = subprocess.run(['cpp', '-P', f'-DDEVMAP_BASE_CODE={version_code}', src],
                           capture_output=True, text=True)
    if r.returncode:
        return {'error': r.stderr}
    out = {}
    for line in r.stdout.splitlines():
        m = re.match(r'VALUE "(\w+)" = (.*);', line)
        if m:
            v = m.group(2).strip()
            try:
                out[m.group(1)] = eval(v, {}, {})  # integer expressions and strings only
            except SyntaxError:
                out[m.group(1)] = v
    return out


def expected(e: expect.DevmapExpect) -> dict:
    want = {}
    for f in dataclasses.fields(e):
        if f.name != 'types':
            want[f'DEVMAP_BASE_{f.name.upper()}'] = int(getattr(e, f.name))
    for t, te in e.types.items():
        want[f'DEVMAP_BASE_IDLE_REF_{t}'] = te.idle_ref
        want[f'DEVMAP_BASE_HANDOUT_{t}'] = expect.ENUMS['HANDOUT'].index(te.handout)
        want[f'DEVMAP_BASE_FREE_CB_{t}'] = expect.ENUMS['FREE_CB'].index(te.free_cb)
        want[f'DEVMAP_BASE_FREE_CLEARS_MAPPING_{t}'] = int(te.free_clears_mapping)
        want[f'DEVMAP_BASE_ON_ZERO_{t}'] = expect.ENUMS['ZERO'].index(te.on_zero)
        want[f'DEVMAP_BASE_MAP_{t}'] = expect.ENUMS['MAP'].index(te.map)
    return want


class HeaderTest(unittest.TestCase):
    def test_the_committed_header_is_the_generated_one(self):
        with open(os.path.join(TOP, expect.PATH)) as f:
            self.assertEqual(f.read(), expect.header(bases.BASES),
                             'run make base-header')

    def test_each_base_version_preprocesses_to_its_data(self):
        for v, b in bases.BASES.items():
            got = preprocess(expect.code(v) + 4)          # a stable release of it
            self.assertNotIn('error', got)
            self.assertEqual(got['DEVMAP_BASE_VERSION'], v)
            for name, value in expected(b.expect).items():
                self.assertEqual(got[name], value, f'{v}: {name}')

    def test_masks_follow_the_rows(self):
        got = preprocess(expect.code('7.3'))
        # 7.3: FS_DAX, PRIVATE, COHERENT, P2PDMA idle at 0 and are handed out.
        self.assertEqual(got['DEVMAP_BASE_TM_HANDOUT'], 0x02 | 0x04 | 0x08 | 0x10)
        self.assertEqual(got['DEVMAP_BASE_TM_WAKE_AT_ZERO'], 0x02)
        got = preprocess(expect.code('6.12'))
        self.assertEqual(got['DEVMAP_BASE_TM_HANDOUT'], 0x04 | 0x08)
        self.assertEqual(got['DEVMAP_BASE_TM_WAKE_AT_ONE'], 0x02)

    def test_a_newer_tree_gets_the_newest_older_base(self):
        self.assertEqual(preprocess(expect.code('7.4'))['DEVMAP_BASE_VERSION'], '7.3')
        self.assertIn('knows no base', preprocess(expect.code('6.1'))['error'])

    def test_a_bad_enum_value_is_refused(self):
        with self.assertRaises(ValueError):
            expect.TypeExpect(1, 'SOMETIMES', 'NONE', 1, False, 'NONE', 'NONE', 'PAGE', True,
                              'RESET1')


class TreeBaseTest(unittest.TestCase):
    def tree(self, d, version, patchlevel):
        with open(os.path.join(d, 'Makefile'), 'w') as f:
            f.write(f'# SPDX\nVERSION = {version}\nPATCHLEVEL = {patchlevel}\nSUBLEVEL = 0\n')
        return d

    def test_a_tree_newer_than_every_base_uses_the_newest_and_says_so(self):
        with tempfile.TemporaryDirectory() as d:
            err = io.StringIO()
            with contextlib.redirect_stderr(err), mock.patch.object(bases, '_warned', set()):
                self.assertEqual(bases.for_tree(self.tree(d, 7, 4)).version, '7.3')
                self.assertEqual(bases.for_tree(d).version, '7.3')
            self.assertEqual(err.getvalue().count('warning:'), 1, err.getvalue())
            self.assertIn('Linux 7.4', err.getvalue())

    def test_a_tree_between_two_bases_is_refused(self):
        from sandbox.errors import TreeError
        with tempfile.TemporaryDirectory() as d:
            with self.assertRaises(TreeError):
                bases.for_tree(self.tree(d, 6, 19))

    def test_an_exact_base_says_nothing(self):
        with tempfile.TemporaryDirectory() as d:
            err = io.StringIO()
            with contextlib.redirect_stderr(err):
                self.assertEqual(bases.for_tree(self.tree(d, 6, 12)).version, '6.12')
            self.assertEqual(err.getvalue(), '')

    def test_a_tree_older_than_every_base_is_refused(self):
        from sandbox.errors import TreeError
        with tempfile.TemporaryDirectory() as d:
            with self.assertRaises(TreeError):
                bases.for_tree(self.tree(d, 6, 1))


if __name__ == '__main__':
    unittest.main()
