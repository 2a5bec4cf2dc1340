"""make check-series' verdict on canned rows (no kernel, no git am): the
first bad patch of each kind, "not bisectable", "same as #n", the table
cells, the JSON fields check-series.bats reads, and the classification of
each typed outcome. collect() is run on the fixture series (git only)."""
import json
import os
import re
import shutil
import tempfile
import types
import unittest
import xml.etree.ElementTree as ET

import common
from sandbox import check_series as cs
from sandbox import console, errors, runner
from sandbox.results import Leaf

SERIES = os.path.join(common.TOP, 'tests', 'fixtures', 'series')
CLEAN_CP = {'errors': 0, 'warnings': 0, 'checks': 0, 'clean': True}


def ok_suites(passed=36, failed=0):
    return {'passed': passed, 'failed': failed, 'skipped': 2, 'ok': failed == 0}


def base(**kw):
    r = cs.Row(0, subject='0a500e9 lib: the glue (devmap-sandbox)', applies='yes', builds='yes',
               suites=ok_suites())
    for k, v in kw.items():
        setattr(r, k, v)
    return r


def patch(i, **kw):
    r = cs.Row(i, subject=f'mm: patch {i}', applies='yes', checkpatch=dict(CLEAN_CP),
               builds='yes', suites=ok_suites())
    for k, v in kw.items():
        setattr(r, k, v)
    return r


def failing(i, *tests, **kw):
    return patch(i, suites=ok_suites(35, len(tests)), failing_tests=list(tests),
                 failing_cases=[f'devmap_gup.{t}' for t in tests], **kw)


def crashed(i, **kw):
    return patch(i, suites={'passed': 10, 'failed': 1, 'skipped': 0, 'ok': False},
                 crash='Kernel panic - not syncing: Segfault with no mm', crash_kind='crashed',
                 crash_test='devmap_lifecycle.devmap_memunmap_waits', **kw)


def verdict(rows, **meta):
    m = cs.Meta(source='SERIES=x: %d patches' % (len(rows) - 1), base='0a500e9 lib (devmap-sandbox)',
                base_short='0a500e9 (devmap-sandbox)', **meta)
    v = cs.analyse(rows)
    return v, cs.markdown(m, rows, v), cs.report(m, rows, v)


def row(md, n):
    return next(ln for ln in md.splitlines() if ln.startswith(f'| {n} | '))


class VerdictTest(unittest.TestCase):
    def test_clean_series_passes(self):
        rows = [base()] + [patch(i) for i in (1, 2, 3)]
        v, md, rep = verdict(rows)
        self.assertEqual((v.bad, v.first_bad, v.first), ([], None, {}))
        self.assertIn('**Result: PASS** — every patch applies', md)
        self.assertIn('| yes | — | 36/0 |', row(md, 0))
        for i in (1, 2, 3):
            self.assertRegex(row(md, i), r'\| yes \| yes \| 0/0/0 \| [0-9]+/0 \| +\|$')
        self.assertEqual((rep['result'], rep['first_bad_patch']), ('pass', None))

    def test_quick_pass_says_what_was_not_done(self):
        rows = [cs.Row(0, applies='yes')] + [patch(i, builds='not tried', suites=None) for i in (1, 2)]
        _, md, _ = verdict(rows, quick=True, stopped='QUICK=1: applied and checkpatch only')
        self.assertIn('PASS** (QUICK=1', md)
        self.assertIn('| yes | — | 0/0/0 | — |', row(md, 1))

    def test_a_patch_that_does_not_apply(self):
        rows = [cs.Row(0, applies='yes'), patch(1, builds='not tried', suites=None),
                patch(2, applies='no', builds='not tried', suites=None,
                      apply_error=['error: patch failed: mm/gup.c:129',
                                   'error: while searching for:', ' * FOLL_PIN or FOLL_GET']),
                patch(3, applies='not tried', builds='not tried', suites=None)]
        v, md, rep = verdict(rows, stopped='#2 does not apply: the patches after it were not '
                                           'tried, nothing was built')
        self.assertEqual(v.first['apply'][0], 2)
        self.assertIn('| yes | — | 0/0/0 |', row(md, 1))
        self.assertRegex(row(md, 2), r'\| \*\*no\*\* \|.*error: patch failed: mm/gup.c:129 \|$')
        self.assertIn('| not tried |', row(md, 3))
        self.assertIn('first patch that does not apply: #2 mm: patch 2', md)
        self.assertIn('nothing was built', md)
        self.assertIn('error: while searching for:', md)
        self.assertEqual((rep['first']['apply']['index'], rep['rows'][0]['builds']),
                         (2, 'not tried'))

    def test_build_break_fixed_later_is_not_bisectable(self):
        err = ['mm/memremap.c:512:9: error: too few arguments to function '
               "'zone_device_folio_reset'", 'make[4]: *** [x] Error 1']
        rows = [base(), patch(1), patch(2, builds='no', suites=None, build_errors=err), patch(3)]
        v, md, rep = verdict(rows)
        self.assertEqual(v.first_bad, 2)
        self.assertEqual(v.not_bisectable, [(2, 'does not build', 3)])
        self.assertIn('| yes | **no** | 0/0/0 | — | build: mm/memremap.c:512:9: error: too few '
                      'arguments to function', row(md, 2))
        self.assertIn('first patch that does not build: #2 mm: patch 2 — mm/memremap.c:512:9: error',
                      md)
        self.assertIn('not bisectable: #2 does not build, #3 is fine again (fold the fix into #2)', md)
        self.assertEqual(rep['first_bad_patch'],
                         {'index': 2, 'subject': 'mm: patch 2', 'problems': ['does not build']})

    def test_tests_broken_by_the_last_patch(self):
        rows = [base(), patch(1), patch(2), failing(3, 'devmap_fsdax_put_to_one')]
        v, md, rep = verdict(rows)
        self.assertEqual(v.first_bad, 3)
        self.assertEqual(v.not_bisectable, [])
        self.assertIn('| yes | yes | 0/0/0 | **35/1** | devmap_fsdax_put_to_one |', row(md, 3))
        self.assertIn('first patch that breaks the suites: #3 mm: patch 3 — breaks '
                      'devmap_fsdax_put_to_one', md)
        self.assertEqual(rep['rows'][3]['failing_tests'], ['devmap_fsdax_put_to_one'])
        self.assertNotIn('went on', md)     # the last patch: nothing after it

    def test_the_same_failure_later_is_same_as(self):
        rows = [base(), patch(1), failing(2, 'devmap_gup_pin_unpin_one'),
                failing(3, 'devmap_gup_pin_unpin_one')]
        v, md, rep = verdict(rows)
        self.assertTrue(row(md, 3).endswith('same as #2 |'))
        self.assertIn('devmap_gup_pin_unpin_one', row(md, 2))
        self.assertEqual(rep['rows'][1]['failing_tests'], [])
        self.assertIn('the check went on after the first failure', md)
        # Another failure is not "the same".
        rows[3] = failing(3, 'devmap_gup_other')
        _, md, _ = verdict(rows)
        self.assertTrue(row(md, 3).endswith('devmap_gup_other |'))

    def test_fixed_test_break_is_not_bisectable(self):
        rows = [base(), failing(1, 'a'), patch(2)]
        v, md, _ = verdict(rows)
        self.assertEqual(v.not_bisectable, [(1, 'breaks tests', 2)])

    def test_crash_then_same_crash(self):
        rows = [base(), crashed(1), crashed(2)]
        v, md, rep = verdict(rows)
        self.assertIn('| **crashed (10/1)** | UML crashed in devmap_lifecycle.devmap_memunmap_waits:'
                      ' Kernel panic', row(md, 1))
        self.assertRegex(row(md, 2), r'\| \*\*crashed \(10/1\)\*\* \| same as #1 \|$')
        self.assertIn('first patch that crashes or hangs UML: #1', md)
        self.assertIn('the check went on after the first failure', md)
        self.assertEqual(rep['rows'][1]['crash_kind'], 'crashed')
        self.assertEqual(v.first_bad, 1)

    def test_hang(self):
        r = patch(1, crash='no result within TIMEOUT=120 s', crash_kind='hung', crash_test='s.c',
                  suites={'passed': 3, 'failed': 0, 'skipped': 0, 'ok': False})
        v, md, _ = verdict([base(), r])
        self.assertIn('UML hung in s.c (no result within TIMEOUT=120 s)', md)
        self.assertIn('**hung (3/0)**', row(md, 1))

    def test_what_the_base_fails_is_not_counted_against_the_patches(self):
        rows = [base(failing_tests=['old_bug'], suites=ok_suites(35, 1)),
                failing(1, 'old_bug'), failing(2, 'old_bug', 'new_bug')]
        v, md, _ = verdict(rows)
        self.assertEqual(rows[1].problems, [])
        self.assertEqual(v.first['tests'], (2, 'breaks new_bug'))
        self.assertIn('the base already fails: old_bug (not counted against the patches)', md)
        self.assertTrue(row(md, 2).endswith('| new_bug |'))

    def test_checkpatch_findings_fail_the_series(self):
        cp = {'errors': 0, 'warnings': 1, 'checks': 2, 'clean': False}
        rows = [base(), patch(1, checkpatch=cp, checkpatch_messages=['WARNING: x'])]
        v, md, rep = verdict(rows)
        self.assertIn('| **0/1/2** |', row(md, 1))
        self.assertIn('first patch with checkpatch findings: #1 mm: patch 1 — checkpatch --strict: '
                      '0 errors, 1 warnings, 2 checks', md)
        self.assertEqual(rep['first_bad_patch']['problems'], ['checkpatch'])

    def test_keep_going_0_note_and_failing_selftests(self):
        rows = [base(), failing(1, 'a'), patch(2, builds='not tried', suites=None)]
        _, md, _ = verdict(rows, keep_going=False,
                           stopped='stopped after #1 (KEEP_GOING=0): later patches were not built')
        self.assertIn('- stopped after #1 (KEEP_GOING=0)', md)
        self.assertNotIn('went on', md)
        v, md, rep = verdict([base(), patch(1)], selftests='FAIL: 40 passed, 1 failed, 3 skipped')
        self.assertEqual(v.bad, [])
        self.assertIn("(SELFTESTS=1): FAIL: 40 passed", md)
        self.assertIn('**Result: FAIL**', md)
        self.assertEqual(rep['result'], 'fail')
        self.assertFalse(cs.passed(cs.Meta(selftests='FAIL: x'), v))

    def test_more_than_three_failing_tests(self):
        rows = [base(), failing(1, 'a', 'b', 'c', 'd')]
        _, md, _ = verdict(rows)
        self.assertIn('a, b, c (+1 more)', row(md, 1))
        self.assertIn('#1 mm: patch 1: failing tests: a, b, c, d', md)

    def test_json_is_json_and_junit_has_a_case_per_patch(self):
        rows = [base(), patch(1), failing(2, 'x')]
        _, _, rep = verdict(rows)
        json.dumps(rep)
        x = ET.fromstring(cs.junit(rows, {2: [Leaf('devmap_gup.x', 'FAIL', 'Expected')]}))
        top = x.find("testsuite[@name='check-series']")
        self.assertEqual((top.get('tests'), top.get('failures')), ('3', '1'))
        self.assertIsNotNone(x.find("testsuite[@name='check-series.2.devmap_gup']"))


def outcome(error=None, leaves=(), phases=None):
    run = None
    if error is None:
        run = types.SimpleNamespace(ok=all(x.status in ('PASS', 'SKIP') for x in leaves))
    return runner.Outcome(run, error, list(leaves), phases or {})


class ClassifyTest(unittest.TestCase):
    LEAVES = [Leaf('devmap_gup.pin.p1', 'FAIL'), Leaf('devmap_gup.pin.p2', 'PASS'),
              Leaf('devmap_gup.unpin', 'PASS'), Leaf('devmap_model.x', 'SKIP')]

    def test_pass_and_times(self):
        r = cs.Row(1)
        cs.classify(r, outcome(None, self.LEAVES[1:], {'config': 0.5, 'compile': 8, 'link': 1.5,
                                                       'boot': 0.5, 'suites+parse': 1.0}), 120)
        self.assertEqual((r.builds, r.suites['ok'], r.failing_tests), ('yes', True, []))
        self.assertEqual((r.build_seconds, r.run_seconds), (10.0, 1.5))
        self.assertEqual(cs.run_problems(r, cs.Row(0)), [])

    def test_failed_tests_are_case_names(self):
        r = cs.Row(1)
        cs.classify(r, outcome(errors.TestsFailed('1 failed'), self.LEAVES), 120)
        self.assertEqual((r.failing_tests, r.failing_cases), (['pin'], ['devmap_gup.pin']))
        self.assertEqual(r.suites, {'passed': 2, 'failed': 1, 'skipped': 1, 'ok': False})
        self.assertIsNone(r.crash)

    def test_build_error_lines_without_the_tree_paths(self):
        e = errors.BuildError('does not build', [
            '/s/linux/mm/memremap.c:5:9: error: too few arguments', 'make[4]: *** [a] Error 1',
            'make[3]: *** [b] Error 2'])
        r = cs.Row(2)
        cs.classify(r, outcome(e), 120, strip=('/s/linux', '/s/kunit-uml'))
        self.assertEqual(r.builds, 'no')
        self.assertEqual(r.build_errors, ['mm/memremap.c:5:9: error: too few arguments',
                                          'make[4]: *** [a] Error 1'])
        self.assertIsNone(r.suites)
        self.assertEqual(cs.run_problems(r, cs.Row(0))[0][:2], ('does not build', 'build'))

    def test_crash_takes_the_oops_line_from_the_console(self):
        facts = console.scan(common.fixture('oops.log'))
        run = types.SimpleNamespace(facts=facts)
        e = errors.Crashed('kunit-uml crashed', test='devmap_gup.devmap_gup_unpin_range',
                           result=run)
        r = cs.Row(1)
        cs.classify(r, outcome(e, [Leaf('devmap_gup.devmap_gup_pin_one', 'PASS')]), 120)
        self.assertEqual((r.crash_kind, r.crash), ('crashed', 'Kernel panic - not syncing: '
                                                   'Segfault with no mm'))
        self.assertEqual(r.crash_test, 'devmap_gup.devmap_gup_unpin_range')
        self.assertEqual(r.suites['passed'], 1)
        self.assertEqual(cs.run_problems(r, cs.Row(0))[0][:2], ('crash', 'crash'))

    def test_crash_without_a_report(self):
        r = cs.Row(1)
        cs.classify(r, outcome(errors.Crashed('x', result=None)), 120)
        self.assertEqual(r.crash, 'the output ended before the results')

    def test_hang_names_the_timeout(self):
        r = cs.Row(1)
        cs.classify(r, outcome(errors.Hung('hung', test='s.c')), 600)
        self.assertEqual((r.crash_kind, r.crash, r.crash_test),
                         ('hung', 'no result within TIMEOUT=600 s', 's.c'))

    def test_checkpatch_counts(self):
        c, msgs = cs.parse_checkpatch('WARNING: a\n#1: FILE\nCHECK: b\n\ntotal: 0 errors, 1 warnings, '
                                      '1 checks, 40 lines checked\n')
        self.assertEqual(c, {'errors': 0, 'warnings': 1, 'checks': 1, 'clean': False})
        self.assertEqual(msgs, ['WARNING: a', 'CHECK: b'])
        c, _ = cs.parse_checkpatch('total: 0 errors, 0 warnings, 0 checks, 9 lines checked\n')
        self.assertTrue(c['clean'])
        c, _ = cs.parse_checkpatch('perl: cannot open\n')
        self.assertEqual((c['errors'], c['clean']), (None, False))
        _, md, _ = verdict([base(), patch(1, checkpatch=c)])
        self.assertIn('| **?** |', row(md, 1))


@unittest.skipUnless(shutil.which('git'), 'no git')
class CollectTest(unittest.TestCase):
    def setUp(self):
        self.work = tempfile.mkdtemp(prefix='cs-unit.')
        self.addCleanup(shutil.rmtree, self.work, True)

    def collect(self, series):
        s = types.SimpleNamespace(series=series, range=None, ksrc=self.work)
        return cs.collect(s, os.path.join(self.work, 'w'))

    def test_a_directory_of_patches(self):
        patches, desc = self.collect(os.path.join(SERIES, 'build-break'))
        self.assertTrue(desc.endswith('build-break: 3 patches'))
        self.assertTrue(patches[1].subject.startswith('mm/memremap: factor out'), patches[1].subject)
        self.assertTrue(patches[1].origin.startswith('0002-'))
        self.assertTrue(all(os.path.getsize(p.diff) for p in patches))

    def test_an_mbox_with_a_cover_letter(self):
        patches, desc = self.collect(os.path.join(SERIES, 'mutant-at-2.mbox'))
        self.assertEqual(len(patches), 3)
        self.assertIn('(mbox): 3 patches', desc)
        self.assertTrue(patches[1].subject.startswith('mm/gup: take one reference per pin'))
        self.assertFalse(re.match(r'\[PATCH', patches[0].subject))

    def test_bad_input(self):
        for content, msg in (('', 'is empty'), ('not a mail\n', 'is not an mbox'),
                             ('From x Mon Sep 17 00:00:00 2001\nSubject: Re: [PATCH 1/3] x\n\nok\n',
                              'message 1 ("Re: [PATCH 1/3] x") contains no patch')):
            f = os.path.join(self.work, 'm.mbox')
            with open(f, 'w') as fh:
                fh.write(content)
            with self.assertRaises(errors.BadInput) as c:
                self.collect(f)
            self.assertIn(msg, c.exception.message)
        with self.assertRaises(errors.BadInput):
            self.collect(os.path.join(self.work, 'nothing-here'))


if __name__ == '__main__':
    unittest.main()
