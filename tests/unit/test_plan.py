"""The test plan (scripts/sandbox/plan.py) and its workflow: tiers, groups,
shards, counting, and the generated file agreeing with the plan."""
import os
import tempfile
import unittest

from common import TOP  # noqa: F401 (sets sys.path)
from sandbox import bases, plan, workflow


class PlanTest(unittest.TestCase):
    def test_every_line_has_five_tab_separated_fields(self):
        for s in plan.steps():
            f = s.line().split('\t')
            self.assertEqual(len(f), 5, s.line())
            self.assertIn(f[0], plan.TIERS)
            self.assertTrue(f[3].isdigit())

    def test_names_are_unique(self):
        names = [s.name for s in plan.steps()]
        self.assertEqual(len(names), len(set(names)))

    def test_every_base_has_kunit_and_mutants_in_ci(self):
        ci = {s.name for s in plan.select('ci')}
        for v, b in bases.ready_bases().items():
            self.assertIn(f'kunit-{v}', ci)
            if b.plan_steps is None or 'mutants' in b.plan_steps:
                self.assertIn(f'mutants-{v}', ci)
            self.assertIn(f'SANDBOX_BASE={v}', plan.by_name()[f'kunit-{v}'].command)

    def test_a_new_base_is_new_rows_without_code(self):
        fake = bases.Base(version='9.9', package='p', tarball='t', series='s',
                          expect=bases.EXPECT_7_3)
        names = {s.name for s in plan.base_steps(fake)}
        self.assertIn('kunit-9.9', names)
        self.assertIn('soak-9.9', names)

    def test_a_base_with_part_of_the_steps_gets_only_those(self):
        fake = bases.Base(version='9.9', package='p', tarball='t', series='s',
                          expect=bases.EXPECT_7_3, plan_steps=('kunit', 'soak'))
        self.assertEqual({s.name for s in plan.base_steps(fake)}, {'kunit-9.9', 'soak-9.9'})

    def test_full_is_every_step(self):
        self.assertEqual(plan.select('full'), plan.steps())

    def test_shards_cover_the_tier_once_with_whole_groups(self):
        for n in (1, 2, 3, 5):
            seen = []
            for i in range(1, n + 1):
                chosen = plan.select('full', f'{i}/{n}')
                seen += chosen
                for g, members in plan.groups(chosen).items():
                    self.assertEqual(len(members),
                                     sum(1 for s in plan.steps() if s.group == g), g)
            self.assertEqual(sorted(s.name for s in seen), sorted(s.name for s in plan.steps()))

    def test_order_within_a_group_is_kept(self):
        names = [s.name for s in plan.select('full', '1/1')]
        v = sorted(bases.ready_bases())[0]
        self.assertLess(names.index(f'mutants-{v}'), names.index(f'after-mutants-{v}'))
        self.assertLess(names.index(f'selftests-{v}'), names.index(f'selftests-compare-{v}'))

    def test_bad_shard_and_tier(self):
        for shard in ('0/2', '3/2', 'x', '1/0'):
            with self.assertRaises(ValueError):
                plan.select('full', shard)
        with self.assertRaises(ValueError):
            plan.select('nightly')


class CountTest(unittest.TestCase):
    def step(self, counter, results=''):
        return plan.Step('ci', 'g', 'n', 1, 'true', counter, results)

    def test_tap(self):
        out = 'ok 1 a\nnot ok 2 b\nok 3 c # skip\n'
        self.assertEqual(plan.count(self.step('tap'), 1, out)[:2], (2, 1))

    def test_tap_that_printed_nothing_but_failed(self):
        self.assertEqual(plan.count(self.step('tap'), 1, '')[:2], (0, 1))

    def test_a_kunit_run_without_results_fails(self):
        self.assertEqual(plan.count(self.step('kunit', '/nonexistent.json'), 5, '')[:2], (0, 1))
        # a step that says it passed but wrote no results is not a pass
        self.assertEqual(plan.count(self.step('mutants', '/nonexistent.json'), 0, '')[:2], (0, 1))

    def test_mutants_file(self):
        with tempfile.NamedTemporaryFile('w', suffix='.json', delete=False) as f:
            f.write('[{"result": "killed"}, {"result": "killed"}, {"result": "survived"}]')
        try:
            self.assertEqual(plan.count(self.step('mutants', f.name), 1, '')[:2], (2, 1))
        finally:
            os.unlink(f.name)

    def test_unit_line(self):
        self.assertEqual(plan.count(self.step('unit'), 0, 'x\nunit: 7 passed, 1 failed, 0 skipped\n')[:2],
                         (7, 1))

    def test_not_run_on_this_host(self):
        p, f, note = plan.count(self.step('kunit'), 11, '')
        self.assertEqual((p, f), (0, 0))
        self.assertIn('not run', note)

    def test_total_takes_the_last_line(self):
        out = '3 passed, 0 failed\n...\n10 passed, 2 failed\n'
        self.assertEqual(plan.count(self.step('total'), 1, out)[:2], (10, 2))


class WorkflowTest(unittest.TestCase):
    def test_committed_workflow_matches_the_plan(self):
        with open(os.path.join(TOP, workflow.PATH)) as f:
            self.assertEqual(f.read(), workflow.render(),
                             'run make workflow: the workflow and the plan disagree')

    def test_one_job_per_shard_each_one_make_command(self):
        text = workflow.render()
        n = plan.shard_count('full', workflow.SHARD_SECONDS)
        for i in range(1, n + 1):
            self.assertIn(f"- shard: '{i}/{n}'", text)
        self.assertIn('run: make test TIER=full SHARD=${{ matrix.shard }}', text)

    def test_a_hand_edit_is_caught(self):
        class A:
            check = True

        class S:
            top = tempfile.mkdtemp()
        os.makedirs(os.path.join(S.top, '.github', 'workflows'))
        with open(os.path.join(S.top, workflow.PATH), 'w') as f:
            f.write(workflow.render().replace('timeout-minutes: 150', 'timeout-minutes: 30'))
        self.assertEqual(workflow.main(S, A), 1)
        with open(os.path.join(S.top, workflow.PATH), 'w') as f:
            f.write(workflow.render())
        self.assertEqual(workflow.main(S, A), 0)


if __name__ == '__main__':
    unittest.main()
