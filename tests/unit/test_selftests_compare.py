"""make selftests-compare's verdict on canned columns: a result that
passes on stock UML must not fail or skip on the sandbox UML; a UML
limitation (fails on UML, passes on x86_64) must be listed, and only such
results may be; failures everywhere are reported, not counted. Also the
stock tree: every file our series touches is as it was before it."""
import dataclasses
import os
import shutil
import subprocess
import tempfile
import unittest
from unittest import mock

import common  # noqa: F401 (sys.path)
from sandbox import bases, errors
from sandbox import selftests_compare as sc
from sandbox.results import Leaf
from sandbox.settings import Settings
from sandbox.tree import Stock

STOCK, SANDBOX, X86 = sc.COLUMNS


def col(**results):
    """col(cow__a='PASS') → leaves; '__' in a name is '.', '_as_a_whole'
    is ' as a whole'."""
    return [Leaf(n.replace('_as_a_whole', ' as a whole').replace('__', '.'), st)
            for n, st in results.items()]


def listing(text):
    return sc.parse_listings(text)


class VerdictTest(unittest.TestCase):
    def test_same_results_everywhere_are_fine(self):
        v = sc.verdict({STOCK: col(cow__a='PASS', mkdirty='SKIP'),
                        SANDBOX: col(cow__a='PASS', mkdirty='SKIP'),
                        X86: col(cow__a='PASS', mkdirty='PASS')}, [])
        self.assertEqual((v.bad, v.regressions, v.elsewhere), (0, [], []))
        self.assertEqual(str(v.counts[X86]), '2 passed, 0 failed, 0 skipped')

    def test_pass_on_stock_fail_or_skip_or_missing_on_sandbox_is_a_regression(self):
        v = sc.verdict({STOCK: col(a='PASS', b='PASS', c='PASS'),
                        SANDBOX: col(a='FAIL', b='SKIP'),
                        X86: col(a='PASS', b='PASS', c='PASS')}, [])
        self.assertEqual(v.regressions, ['a', 'b', 'c'])
        self.assertEqual(v.bad, 3)

    def test_a_listing_cannot_excuse_a_regression(self):
        v = sc.verdict({STOCK: col(a='PASS'), SANDBOX: col(a='FAIL'), X86: col(a='PASS')},
                       listing('a | - | UML cannot'))
        self.assertEqual(v.regressions, ['a'])
        self.assertEqual(len(v.stale), 1)

    def test_uml_limitation_must_be_listed(self):
        cols = {STOCK: col(gup_H='FAIL', hmm='SKIP'),
                SANDBOX: col(gup_H='FAIL', hmm__huge='FAIL', hmm__small='PASS'),
                X86: col(gup_H='PASS', hmm__huge='PASS', hmm__small='PASS')}
        v = sc.verdict(cols, [])
        self.assertEqual(v.unlisted, ['gup_H', 'hmm.huge'])
        v = sc.verdict(cols, listing('gup_H | - | no HugeTLB\nhmm | huge | no THP\n'))
        self.assertEqual(v.bad, 0)
        self.assertEqual(v.limitations, [('gup_H', 'no HugeTLB'), ('hmm.huge', 'no THP')])

    def test_left_out_program_stands_for_its_subtests(self):
        v = sc.verdict({STOCK: [Leaf('hmm', 'SKIP', 'left out: needs ZONE_DEVICE')],
                        SANDBOX: col(hmm__a='PASS'), X86: col(hmm__a='PASS')}, [])
        self.assertEqual([r['result'] for r in v.rows], ['hmm.a'])
        self.assertEqual(v.rows[0][STOCK], 'SKIP: left out: needs ZONE_DEVICE')

    def test_listed_but_passing_or_absent_is_stale(self):
        v = sc.verdict({STOCK: col(a='FAIL'), SANDBOX: col(a='PASS'), X86: col(a='PASS')},
                       listing('a | - | x\nnothere | sub | y\n'))
        self.assertEqual(len(v.stale), 2)
        self.assertIn('no such result', v.stale[1])

    def test_failing_on_x86_64_too_is_reported_not_counted(self):
        v = sc.verdict({STOCK: col(a='FAIL', b='FAIL'), SANDBOX: col(a='FAIL', b='FAIL'),
                        X86: col(a='FAIL', b='SKIP')}, [])
        self.assertEqual((v.bad, v.elsewhere), (0, ['a', 'b']))
        v = sc.verdict({STOCK: col(a='PASS'), SANDBOX: col(a='PASS'), X86: col(a='FAIL')}, [])
        self.assertEqual((v.bad, v.x86_fails), (0, ['a']))
        self.assertIn('Failing on the sandbox UML and not passing on x86_64 either',
                      sc.markdown(v, []))

    def test_results_of_x86_64_alone_are_no_limitation(self):
        v = sc.verdict({STOCK: col(cow__a='PASS'), SANDBOX: col(cow__a='PASS'),
                        X86: col(cow__a='PASS', cow__thp='PASS')}, [])
        self.assertEqual((v.bad, v.x86_only, v.rows[1]['verdict']), (0, 1, 'x86_64 only'))

    def test_a_failure_line_number_is_not_part_of_the_name(self):
        v = sc.verdict({STOCK: col(m__t_a='PASS'), SANDBOX: [Leaf('m.t_a: line:445', 'FAIL')],
                        X86: col(m__t_a='PASS')}, [])
        self.assertEqual(v.regressions, ['m.t_a'])

    def test_a_program_without_its_as_a_whole_failure_ran_whole(self):
        v = sc.verdict({STOCK: col(m__x='SKIP', m__m_as_a_whole='FAIL'),
                        SANDBOX: col(m__x='SKIP', m__m_as_a_whole='FAIL'),
                        X86: col(m__x='PASS', m__y='PASS')}, listing('m | - | no secretmem'))
        row = next(r for r in v.rows if r['result'].endswith('as a whole'))
        self.assertEqual((row[X86], row['verdict'], v.bad), ('PASS', 'UML limitation', 0))

    def test_listing_that_covers_a_program_stays_in_it(self):
        x = sc.Listing('gup', '-', 'r')
        self.assertTrue(x.covers('gup') and x.covers('gup.sub'))
        self.assertFalse(x.covers('gup_longterm'))


MRELEASE = 'mrelease_test.Success reaping a child with {} of memory allocations'
MREMAP = 'mremap_test.{} mremap - Source 1MB-aligned, Destination 1MB-aligned'


def leaves(*pairs):
    """leaves('p.a 1MB', 'PASS', ...): names that are not identifiers."""
    return [Leaf(n, st) for n, st in zip(pairs[::2], pairs[1::2])]


class RunValuesTest(unittest.TestCase):
    """Some programs put values of the run in a result's name: mrelease_test
    doubles its child's memory and retries while the child exits too early,
    so a loaded machine prints 2MB where an idle one printed 1MB. A name
    that carries a fixed parameter (mremap_test's sizes) stays distinct."""

    def test_the_size_mrelease_test_ended_with_is_no_part_of_the_result(self):
        v = sc.verdict({STOCK: leaves(MRELEASE.format('1MB'), 'PASS', 'gup.ioctl status 0', 'PASS'),
                        SANDBOX: leaves(MRELEASE.format('2MB'), 'PASS', 'gup.ioctl status 0', 'PASS'),
                        X86: leaves(MRELEASE.format('4MB'), 'PASS', 'gup.ioctl status 0', 'PASS')}, [])
        self.assertEqual((v.bad, v.regressions, len(v.rows)), (0, [], 2))
        row = next(r for r in v.rows if r['result'].startswith('mrelease_test.'))
        # Shown as each column printed it.
        self.assertEqual(row['result'], MRELEASE.format('1MB'))
        self.assertEqual((row[STOCK], row['verdict']), ('PASS', ''))
        self.assertIn('2MB', row[SANDBOX])
        self.assertIn('4MB', row[X86])

    def test_a_result_with_a_value_of_the_run_can_still_regress(self):
        # It fails (the value of a failing run differs too), or it is
        # missing: mrelease_test exits on an error before its one result.
        v = sc.verdict({STOCK: leaves('gup.ioctl status 0', 'PASS', MRELEASE.format('1MB'), 'PASS'),
                        SANDBOX: leaves('gup.ioctl status -1', 'FAIL',
                                        'mrelease_test.mrelease_test as a whole', 'FAIL'),
                        X86: leaves('gup.ioctl status 0', 'PASS', MRELEASE.format('2MB'), 'PASS')}, [])
        self.assertEqual(v.regressions, ['gup.ioctl status 0', MRELEASE.format('1MB'),
                                         'mrelease_test.mrelease_test as a whole'])
        self.assertEqual(v.rows[0][SANDBOX], 'FAIL (as "ioctl status -1")')

    def test_a_result_without_values_is_matched_on_its_exact_name(self):
        v = sc.verdict({STOCK: leaves(MRELEASE.format('1MB'), 'PASS', 'p.a', 'PASS', 'p.b', 'PASS'),
                        SANDBOX: leaves(MRELEASE.format('2MB'), 'PASS', 'p.a', 'FAIL'),
                        X86: leaves(MRELEASE.format('1MB'), 'PASS', 'p.a', 'PASS', 'p.b', 'PASS')}, [])
        self.assertEqual(v.regressions, ['p.a', 'p.b'])

    def test_fixed_parameters_of_one_program_stay_distinct(self):
        # 2MB and 5MB are mremap_test's own table: one key would stand for
        # two results, so each is compared on its exact name.
        two, five = MREMAP.format('2MB'), MREMAP.format('5MB')
        stock = leaves(two, 'PASS', five, 'PASS')
        for sandbox, lost in ((leaves(two, 'PASS'), five),
                              (leaves(five, 'PASS'), two),
                              (leaves(two, 'FAIL', five, 'PASS'), two),
                              (leaves(five, 'PASS', two, 'SKIP'), two)):
            v = sc.verdict({STOCK: stock, SANDBOX: sandbox, X86: stock}, [])
            self.assertEqual(v.regressions, [lost], sandbox)
        v = sc.verdict({STOCK: stock, SANDBOX: stock, X86: stock}, [])
        self.assertEqual((v.bad, [r['result'] for r in v.rows]), (0, [two, five]))

    def test_a_name_printed_twice_is_two_results(self):
        # pagemap_ioctl's "get half huge page": the first one failing is a
        # regression even if the second passes.
        twice = 'pagemap_ioctl.hpage_unit_tests get half huge page'
        v = sc.verdict({STOCK: leaves(twice, 'PASS', twice, 'PASS'),
                        SANDBOX: leaves(twice, 'FAIL', twice, 'PASS'),
                        X86: leaves(twice, 'PASS', twice, 'PASS')}, [])
        self.assertEqual(v.regressions, [twice])
        self.assertEqual([r['result'] for r in v.rows], [twice, twice + ' #2'])

    def test_the_key_keeps_the_plans_name_and_identifiers(self):
        key = sc.result_key
        self.assertEqual(key('gup_test_u_w_n123.ioctl status -1'), 'gup_test_u_w_n123.ioctl status <n>')
        self.assertEqual(key(MRELEASE.format('1024MB')), MRELEASE.format('<n>MB'))
        self.assertEqual(key('pagemap_ioctl.transact_test Extra pages 12 (0.1%), extra thread faults 3.'),
                         'pagemap_ioctl.transact_test Extra pages <n> (<n>%), extra thread faults <n>.')
        self.assertEqual(key('p.mapped at 0x7f3a00 by pid=412'), 'p.mapped at <n> by pid=<n>')
        for fixed in ('hmm-tests.hmm2.hmm2_device_private.migrate_anon', 'ksm_tests_Z_0',
                      'ksm_tests_Z_0.ksm_tests_Z_0 as a whole', 'mseal_test.test_seal_mprotect'):
            self.assertEqual(key(fixed), fixed)

    def test_a_listing_covers_a_result_by_the_name_it_was_printed_with(self):
        v = sc.verdict({STOCK: leaves('p.a', 'PASS', 'p.b 1MB', 'FAIL'),
                        SANDBOX: leaves('p.a', 'PASS', 'p.b 2MB', 'FAIL'),
                        X86: leaves('p.a', 'PASS', 'p.b 2MB', 'PASS')}, listing('p | b 2MB | x'))
        self.assertEqual((v.bad, v.limitations), (0, [('p.b 1MB', 'x')]))


class RetryTest(unittest.TestCase):
    """x86_64 decides whether a listing is a UML limitation: a listed
    program that fails there gets a second boot before that counts."""
    LISTED = listing('uffd | - | UML has no uffd-wp\nksm | unmerge | no uffd-wp')

    def test_only_listed_results_that_fail_on_x86_64_are_retried(self):
        # ksm's failing result is not the listed one: no verdict changes.
        x86 = col(uffd='FAIL', ksm__unmerge='PASS', ksm__other='FAIL', cow__a='FAIL')
        self.assertEqual(sc.retry_programs(x86, self.LISTED), ['uffd'])
        x86 = col(uffd__events='FAIL', ksm__unmerge='FAIL', cow__a='FAIL')
        self.assertEqual(sc.retry_programs(x86, self.LISTED), ['ksm', 'uffd'])
        # The whole program failed: its listed subtest has no result.
        self.assertEqual(sc.retry_programs(col(ksm='ERROR'), self.LISTED), ['ksm'])
        self.assertEqual(sc.retry_programs(col(uffd='PASS', cow='FAIL'), self.LISTED), [])

    def test_a_pass_on_the_second_boot_is_a_pass_that_says_so(self):
        first = col(uffd='FAIL', cow__a='PASS')
        again = col(uffd='PASS', cow='SKIP')           # cow left out the second time
        merged = {x.name: x for x in sc.merge_retry(first, again, ['uffd'])}
        self.assertEqual((merged['uffd'].status, merged['cow.a'].status), ('PASS', 'PASS'))
        self.assertIn('second', merged['uffd'].reason)
        self.assertNotIn('cow', merged)
        cols = {STOCK: col(uffd='FAIL'), SANDBOX: col(uffd='FAIL'), X86: list(merged.values())}
        v = sc.verdict(cols, self.LISTED[:1])
        self.assertEqual((v.bad, v.limitations[0][0]), (0, 'uffd'))

    def test_a_failure_on_both_boots_stays_a_failure(self):
        merged = sc.merge_retry(col(uffd='FAIL'), col(uffd='FAIL', cow='SKIP'), ['uffd'])
        self.assertEqual([(x.name, x.status) for x in merged], [('uffd', 'FAIL')])
        v = sc.verdict({STOCK: col(uffd='FAIL'), SANDBOX: col(uffd='FAIL'), X86: merged},
                       self.LISTED[:1])
        self.assertEqual(len(v.stale), 1)


class ColumnCacheTest(unittest.TestCase):
    def test_kept_by_key_and_not_after_a_crash(self):
        out = tempfile.mkdtemp(prefix='compare-test.')
        c = sc.Column(None, 'stock UML', out)
        boots = []

        def boot():
            boots.append(1)
            return None, col(a='PASS'), None
        self.assertEqual(c.run('k1', boot)[0], col(a='PASS'))
        self.assertEqual(c.run('k1', boot)[0], col(a='PASS'))
        self.assertEqual(len(boots), 1)
        c.run('k2', boot)
        self.assertEqual(len(boots), 2)

        from sandbox.errors import Crashed
        c2 = sc.Column(None, 'x86_64', out)
        leaves, err = c2.run('k', lambda: (None, col(a='PASS'), Crashed('stopped early')))
        self.assertEqual(err, 'stopped early')
        self.assertIsNone(c2.cached('k'))


def git(repo, *a):
    return subprocess.run(['git', '-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@t'] + list(a),
                          check=True, text=True, stdout=subprocess.PIPE).stdout.strip()


def write(path, text):
    with open(path, 'w') as f:
        f.write(text)


class StockTreeTest(unittest.TestCase):
    """A toy tree: base, our series (changes arch/um's memory and its FP
    state, adds lib/new), then the user's own commit on top (changes mm/).
    The FP change stands for a host-compatibility patch (bases.py:
    stock_keeps, 0008 on 6.12), which the stock tree keeps."""

    def setUp(self):
        top = tempfile.mkdtemp(prefix='stock-test.')
        self.addCleanup(shutil.rmtree, top, True)
        self.ksrc = ksrc = os.path.join(top, 'linux')
        os.makedirs(os.path.join(ksrc, 'arch', 'um'))
        os.makedirs(os.path.join(ksrc, 'mm'))
        os.makedirs(os.path.join(ksrc, 'lib', 'devmap-sandbox'))
        git(top, 'init', '-q', ksrc)
        write(os.path.join(ksrc, 'arch/um/mem.c'), 'upstream\n')
        write(os.path.join(ksrc, 'arch/um/fp.c'), 'part of the state\n')
        write(os.path.join(ksrc, 'mm/gup.c'), 'gup\n')
        git(ksrc, 'add', '-A')
        git(ksrc, 'commit', '-q', '-m', 'base')
        base = git(ksrc, 'rev-parse', 'HEAD')
        write(os.path.join(ksrc, 'arch/um/mem.c'), 'ours\n')
        write(os.path.join(ksrc, 'lib/devmap-sandbox/Kconfig'), 'new\n')
        git(ksrc, 'add', '-A')
        git(ksrc, 'commit', '-q', '-m', 'series')
        write(os.path.join(ksrc, 'arch/um/fp.c'), 'the whole state\n')
        git(ksrc, 'commit', '-q', '-a', '-m', 'host fix')
        self.keep = os.path.join(top, 'host-fix.patch')
        write(self.keep, git(ksrc, 'format-patch', '--stdout', '-1') + '\n')
        git(ksrc, 'config', 'devmap-sandbox.base', base)
        git(ksrc, 'config', 'devmap-sandbox.head', git(ksrc, 'rev-parse', 'HEAD'))
        write(os.path.join(ksrc, 'mm/gup.c'), 'user edit\n')
        git(ksrc, 'commit', '-q', '-a', '-m', 'user')
        with mock.patch.dict(os.environ, {'BUILD': os.path.join(top, 'build'), 'KSRC': ksrc}):
            self.settings = Settings.from_env()

    def stock(self, keeps):
        fake = dataclasses.replace(bases.BASES[bases.DEFAULT], stock_keeps=keeps)
        p = mock.patch.object(bases, 'for_tree', return_value=fake)
        p.start()
        self.addCleanup(p.stop)
        return Stock(self.settings)

    def test_series_files_as_before_the_series_user_commits_kept(self):
        st = self.stock(())
        first = st.prepare()

        def read(p):
            with open(os.path.join(st.path, p)) as f:
                return f.read()
        self.assertEqual(read('arch/um/mem.c'), 'upstream\n')
        self.assertEqual(read('arch/um/fp.c'), 'part of the state\n')
        self.assertEqual(read('mm/gup.c'), 'user edit\n')
        self.assertFalse(os.path.exists(os.path.join(st.path, 'lib/devmap-sandbox/Kconfig')))
        mtime = os.stat(os.path.join(st.path, 'arch/um/mem.c')).st_mtime_ns
        self.assertEqual(st.prepare(), first)
        self.assertEqual(os.stat(os.path.join(st.path, 'arch/um/mem.c')).st_mtime_ns, mtime)
        self.assertEqual(git(self.ksrc, 'status', '--porcelain'), '')

    def test_the_host_fix_is_kept_the_memory_model_is_not(self):
        st = self.stock((self.keep,))
        st.prepare()
        with open(os.path.join(st.path, 'arch/um/fp.c')) as f:
            self.assertEqual(f.read(), 'the whole state\n')
        with open(os.path.join(st.path, 'arch/um/mem.c')) as f:
            self.assertEqual(f.read(), 'upstream\n')

    def test_a_kept_patch_that_does_not_apply_is_a_tree_error(self):
        bad = self.keep + '.bad'
        with open(self.keep) as f:
            write(bad, f.read().replace('-part of the state', '-not what the base has'))
        with self.assertRaises(errors.TreeError) as e:
            self.stock((bad,)).prepare()
        self.assertIn('cannot keep', e.exception.message)

    def test_the_6_12_stock_tree_keeps_a_patch_of_the_series(self):
        top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        for name in bases.BASES['6.12'].stock_keeps:
            self.assertTrue(os.path.isfile(os.path.join(top, 'kernel-patches', name)), name)


if __name__ == '__main__':
    unittest.main()
