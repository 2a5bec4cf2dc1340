"""The verdict logic of the clients, on canned results: the oracle's
comparison, the mutants' kill matrix, kunit.py JSON counts, reports."""
import dataclasses
import os
import tempfile
import unittest
import xml.etree.ElementTree as ET

import common  # noqa: F401 (sys.path)
from sandbox import bases, errors, mutants, oracle, reports, results, runner
from sandbox.results import Leaf


def L(name, status, reason=''):
    return Leaf(name, status, reason)


class OracleTest(unittest.TestCase):
    def test_same_results_are_fine(self):
        a = [L('s.a', 'PASS'), L('s.b', 'SKIP', 'no THP')]
        rows, summary, bad = oracle.compare([('UML', a), ('x86', list(a))])
        self.assertEqual(bad, 0)
        self.assertIn('2 with the same result', summary)
        self.assertEqual(rows[1]['UML'], 'SKIP: no THP')

    def test_pass_on_one_skip_on_other_is_allowed_but_counted(self):
        rows, summary, bad = oracle.compare([('UML', [L('s.a', 'SKIP', 'UML has no SMP')]),
                                             ('x86', [L('s.a', 'PASS')])])
        self.assertEqual(bad, 0)
        self.assertIn('1 passing on one and skipping on the other', summary)

    def test_a_failure_on_either_side_is_bad(self):
        _, _, bad = oracle.compare([('UML', [L('s.a', 'PASS')]), ('x86', [L('s.a', 'FAIL')])])
        self.assertEqual(bad, 1)

    def test_a_failure_shows_its_reason_cut_short(self):
        kasan = 'BUG: KASAN: slab-out-of-bounds in get_dev_pagemap+0x454/0x4c0'
        rows, _, _ = oracle.compare([('UML', [L('s.a', 'FAIL', kasan)]),
                                     ('x86', [L('s.a', 'FAIL', 'x' * 500)])])
        self.assertEqual(rows[0]['UML'], 'FAIL: ' + kasan)
        self.assertEqual(len(rows[0]['x86']), len('FAIL: ') + oracle.REASON_CHARS)
        self.assertTrue(rows[0]['x86'].endswith('...'))

    def test_a_test_on_one_side_only_is_bad(self):
        rows, _, bad = oracle.compare([('UML', [L('s.a', 'PASS'), L('s.b', 'PASS')]),
                                       ('x86', [L('s.a', 'PASS')])])
        self.assertEqual(bad, 1)
        self.assertEqual(rows[1]['x86'], 'not run')

    def test_an_empty_column_is_bad_even_when_the_other_is_empty_too(self):
        _, _, bad = oracle.compare([('UML', []), ('x86', [])])
        self.assertEqual(bad, 2)
        _, _, bad = oracle.compare([('UML', [L('s.a', 'PASS')]), ('x86', [])])
        self.assertEqual(bad, 2)


def outcome(error=None, leaves=()):
    run = None
    if error is None:
        class R:
            ok = all(x.status in ('PASS', 'SKIP') for x in leaves)
        run = R()
    return runner.Outcome(run, error, list(leaves), {})


class MutantsTest(unittest.TestCase):
    def test_headers(self):
        with tempfile.NamedTemporaryFile('w', suffix='.patch', delete=False) as f:
            f.write('Mutant: x\nFault: the fault\nExpected killers: a, b\nProfile: debug\n\n'
                    'diff --git a/mm/gup.c b/mm/gup.c\nFault: not a header\n')
        try:
            m = mutants.Mutant.load(f.name)
            self.assertEqual((m.fault, m.expected, m.profile), ('the fault', ['a', 'b'], 'debug'))
        finally:
            os.unlink(f.name)

    def test_classify_each_way_of_being_caught(self):
        leaves = [L('s.a.p1', 'FAIL'), L('s.a.p2', 'PASS'), L('s.b', 'PASS')]
        self.assertEqual(mutants.classify(outcome(errors.TestsFailed('x'), leaves))[:2],
                         ('assertion', ['s.a']))
        self.assertEqual(mutants.classify(outcome(errors.Crashed('c', test='s.c'), leaves))[:2],
                         ('crash', ['s.a', 's.c']))
        self.assertEqual(mutants.classify(outcome(errors.Hung('h', test='s.d'), []))[:2],
                         ('hang', ['s.d']))
        self.assertEqual(mutants.classify(outcome(errors.StrayReport('r', test='s.b'),
                                                  [L('s.b', 'PASS')]))[:2], ('report', ['s.b']))
        self.assertEqual(mutants.classify(outcome(None, [L('s.b', 'PASS')]))[:2], ('-', []))

    def test_case_names_drop_suite_and_notes(self):
        self.assertEqual(mutants.case_names(['s.a', 's.b (after a)', 'c (alone)']),
                         ['a', 'b', 'c'])

    def test_a_filtered_run_asks_no_expected_killers_and_has_its_own_table(self):
        m = mutants.Mutant('p', 'm', 'f', ['devmap_gup_pin'], 'default')
        self.assertEqual(mutants.expected_missing(m, ['devmap_model.devmap_model_random'], None),
                         ['devmap_gup_pin'])
        self.assertEqual(mutants.expected_missing(m, ['devmap_model.devmap_model_random'],
                                                  'devmap_model.*'), [])

        class S:
            debug, filter_glob = False, 'devmap_model.*'
        self.assertEqual(mutants.results_name(S), 'mutants-only-devmap_model')
        S.debug, S.filter_glob = True, None
        self.assertEqual(mutants.results_name(S), 'mutants-debug')

    def test_unkilled_tests_are_named(self):
        m = mutants.Mutant('p', 'm', 'f', [], 'default')
        v = [mutants.Verdict(m, 'killed', 'assertion', ['s.a'], 1.0)]
        self.assertEqual(mutants.unkilled(['s.a', 's.b'], v), ['s.b'])

    def test_table_counts_how_they_were_caught_and_the_model_column(self):
        m = mutants.Mutant('p', 'm1', 'f', [], 'default')
        v = [mutants.Verdict(m, 'killed', 'assertion', ['devmap_model.random_ops'], 3.0),
             mutants.Verdict(m, 'survived', '-', [], 2.0, 'f')]
        t = mutants.table(v)
        self.assertIn('| m1 | killed | assertion | yes | random_ops |', t)
        self.assertIn('**survived**', t)
        self.assertIn('1/2 killed: 1 by assertion', t)


class HostTest(unittest.TestCase):
    def test_uml_user_space_blocked_only_by_a_listed_cpu_flag(self):
        base = dataclasses.replace(bases.BASES[bases.DEFAULT],
                                   uml_user_space_blockers=(('amx_tile', 'XSTATE too large'),))
        with tempfile.NamedTemporaryFile('w', suffix='cpuinfo') as f:
            f.write('processor\t: 0\nflags\t\t: fpu sse avx512f amx_tile xsave\n')
            f.flush()
            self.assertIn('(amx_tile): XSTATE too large', bases.uml_user_space_blocker(base, f.name))
            # The series' patch 0008 lets 6.12's UML run user space there.
            self.assertIsNone(bases.uml_user_space_blocker(bases.BASES[bases.DEFAULT], f.name))
        with tempfile.NamedTemporaryFile('w', suffix='cpuinfo') as f:
            f.write('processor\t: 0\nflags\t\t: fpu sse avx512f xsave\n')
            f.flush()
            self.assertIsNone(bases.uml_user_space_blocker(base, f.name))
        self.assertIsNone(bases.uml_user_space_blocker(base, '/nonexistent'))


class ResultsTest(unittest.TestCase):
    def test_json_counts_and_failed_cases(self):
        data = {'name': '', 'test_cases': [], 'sub_groups': [
            {'name': 's', 'test_cases': [{'name': 'a', 'status': 'PASS'},
                                         {'name': '', 'status': 'ERROR'}],
             'sub_groups': [{'name': 'b', 'sub_groups': [],
                             'test_cases': [{'name': 'p1', 'status': 'FAIL'},
                                            {'name': 'p2', 'status': 'SKIP'}]}]}]}
        leaves = list(results.from_json_data(data))
        self.assertEqual(str(results.counts(leaves)), '1 passed, 1 failed, 1 skipped')
        self.assertEqual(results.failed_cases(leaves), ['s.b'])
        self.assertEqual(results.passed_cases(leaves), ['s.a'])


class ReportsTest(unittest.TestCase):
    def test_junit_has_one_testcase_per_leaf(self):
        x = reports.junit([L('s.a', 'PASS'), L('s.b', 'FAIL', 'Expected 1 == 2'),
                           L('t.c', 'SKIP', 'UML')], 'kunit')
        root = ET.fromstring(x)
        self.assertEqual(len(root.findall('.//testcase')), 3)
        s = root.find("testsuite[@name='kunit.s']")
        self.assertEqual((s.get('tests'), s.get('failures')), ('2', '1'))
        self.assertEqual(root.find('.//failure').get('message'), 'Expected 1 == 2')

    def test_markdown_escapes_pipes(self):
        t = reports.markdown(['a'], [{'a': 'x|y'}])
        self.assertIn('x\\|y', t)


class SettingsTest(unittest.TestCase):
    def test_defaults_and_bad_input(self):
        from sandbox.settings import Settings
        s = Settings.from_env({})
        self.assertEqual((s.timeout, s.devmem, s.devmem_size), (120, 'fuse', '64M'))
        self.assertTrue(s.ksrc_is_default)
        with self.assertRaises(errors.BadInput):
            Settings.from_env({'DEVMEM': 'nvdimm'})
        with self.assertRaises(errors.BadInput):
            Settings.from_env({'TIMEOUT': 'soon'})

    def test_clean_keeps_the_trees(self):
        from sandbox.settings import Settings
        d = tempfile.mkdtemp()
        for p in ('linux', 'kunit-uml', 'scratch/linux', 'scratch/kunit-uml', 'results'):
            os.makedirs(os.path.join(d, p))
        s = Settings.from_env({'BUILD': d})
        self.assertEqual([os.path.relpath(p, d) for p in s.clean_paths()],
                         ['kunit-uml', 'results', 'scratch/kunit-uml'])

    def test_every_exit_status_is_distinct(self):
        kinds = [errors.TestsFailed, errors.BadInput, errors.MissingPackages, errors.ConfigError,
                 errors.BuildError, errors.PatchDoesNotApply, errors.Crashed, errors.Hung,
                 errors.DaemonDied, errors.TreeError, errors.Interrupted]
        self.assertEqual(len({k.status for k in kinds}), len(kinds))


class ProgressTest(unittest.TestCase):
    def test_line_has_count_elapsed_and_estimate(self):
        from sandbox.progress import Progress
        p = Progress('building', total=100, unit='steps')
        p.start -= 10
        p.done = 25
        line = p.line()
        self.assertIn('25/100 steps', line)
        self.assertIn('10s', line)
        self.assertIn('~30s left', line)


if __name__ == '__main__':
    unittest.main()
