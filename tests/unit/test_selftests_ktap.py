"""The selftests' verdict logic (scripts/lib/selftests-ktap.awk, which runs
inside UML with busybox awk): one program's output → one KTAP test, with
the expected skips of uml-config/selftests-expected-skips.txt. Run here
with the host's awk on canned outputs."""
import os
import subprocess
import tempfile
import unittest

from common import TOP

AWK = os.path.join(TOP, 'scripts', 'lib', 'selftests-ktap.awk')
SKIPS = os.path.join(TOP, 'uml-config', 'selftests-expected-skips.txt')


def ktap(name, output, rc=0, kmsg='', hung=0):
    with tempfile.TemporaryDirectory() as d:
        out, km = os.path.join(d, 'out'), os.path.join(d, 'kmsg')
        with open(out, 'w') as f:
            f.write(output)
        with open(km, 'w') as f:
            f.write(kmsg)
        r = subprocess.run(['awk', '-v', 'num=1', '-v', f'name={name}', '-v', f'rc={rc}',
                            '-v', 'timeout=60', '-v', f'hung={hung}', '-v', f'skips={SKIPS}',
                            '-v', f'kmsg={km}', '-f', AWK, out],
                           stdout=subprocess.PIPE, text=True, check=True)
        return r.stdout.splitlines()


HMM = ('TAP version 13\n1..2\n# RUN hmm.hmm_device_private.open_close ...\n'
       '#            OK  hmm.hmm_device_private.open_close\n'
       'ok 1 hmm.hmm_device_private.open_close\n'
       '# RUN hmm.hmm_device_private.anon_write_huge ...\n'
       'not ok 2 hmm.hmm_device_private.anon_write_huge\n')


class SelftestsKtapTest(unittest.TestCase):
    def test_clean_program_is_ok(self):
        lines = ktap('gup_longterm', 'TAP version 13\n1..1\nok 1 pin anon\n')
        self.assertEqual(lines[-1], 'ok 1 gup_longterm')

    def test_listed_failure_is_a_skip_with_its_reason(self):
        lines = ktap('hmm-tests', HMM, rc=1)
        self.assertTrue(any('anon_write_huge # SKIP THP' in x for x in lines), lines)
        self.assertEqual(lines[-1].split(' #')[0], 'ok 1 hmm-tests')

    def test_unlisted_failure_fails(self):
        lines = ktap('hmm-tests', HMM.replace('anon_write_huge', 'migrate'), rc=1)
        self.assertTrue(lines[-1].startswith('not ok 1 hmm-tests'), lines[-1])

    def test_kernel_warning_fails_a_passing_program(self):
        lines = ktap('gup_longterm', 'TAP version 13\n1..1\nok 1 pin anon\n',
                     kmsg='WARNING: CPU: 0 PID: 1 at mm/gup.c:100 try_grab_folio+0x1/0x2\n')
        self.assertTrue(lines[-1].startswith('not ok 1 gup_longterm'), lines[-1])

    def test_hang_fails(self):
        lines = ktap('gup_longterm', 'TAP version 13\n1..2\nok 1 pin anon\n', rc=137, hung=1)
        self.assertTrue(lines[-1].startswith('not ok 1 gup_longterm'), lines[-1])

    def test_whole_program_skip(self):
        lines = ktap('gup_test_H_u', 'mmap: Cannot allocate memory\n', rc=1)
        self.assertIn('# SKIP hugetlb', lines[-1])


if __name__ == '__main__':
    unittest.main()
