// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite: model-based random testing of ZONE_DEVICE refcounting.
 *
 * Per seed, pgmap type and folio order, a random sequence of operations
 * (gets and puts, batches mixing device and normal folios, GUP pins and
 * gets on random sub-ranges, every unpin variant with repeated and
 * out-of-order entries or ranges starting inside a folio, get_dev_pagemap()
 * with and without a cached pgmap where the base has one, a driver's
 * hand-out, memunmap_pages() with references still held) runs on a fresh
 * fake-devmap pgmap mapped into a user mm; after every step the whole
 * observable state is compared with a reference model: refcount,
 * _pincount, folio_maybe_dma_pinned(), dirty, free callbacks (->page_free()
 * or ->folio_free()) and their folio, a stale mapping cleared or kept,
 * pgmap references, memunmap_pages() completion,
 * NR_FOLL_PIN_ACQUIRED/RELEASED, FS_DAX wake-ups, devmap_managed_key where
 * the base has it, normal folios' and the zero page's counts.
 *
 * The model is the tables of devmap_model_rules.h (each rule names the
 * kernel comment or code it comes from, see MODEL.md), not a copy of mm/;
 * what differs between bases (6.12, 7.3) is the generated devmap_base.h's
 * rows in those tables, not code.
 *
 * On the first mismatch the sequence is shrunk (delta debugging, replayed
 * on fresh pgmaps) and printed with a one-line reproduction command.
 *
 * Module parameters (devmap_model_kunit.<name>= on the kernel command line):
 *   seed_start, seeds   the seed range run per (type, order) case
 *   steps               operations per sequence
 *   ops                 replay exactly this encoded sequence (printed on
 *                       failure), in the case it names, and nothing else
 *   progress            a progress line every N seeds (0: none; soak)
 *
 * This file has the cases, the suite and the concurrent mode; devmap_model.h
 * lists the others (the model, the kernel side, generation, shrinking and
 * replay).
 */

#include "devmap_model.h"

static unsigned long seed_start = 1;
module_param(seed_start, ulong, 0444);
MODULE_PARM_DESC(seed_start, "first seed of each (type, order) case");
static unsigned int seeds = 16;
module_param(seeds, uint, 0444);
MODULE_PARM_DESC(seeds, "seeds per (type, order) case");
unsigned int devmap_model_steps = 48;
module_param_named(steps, devmap_model_steps, uint, 0444);
MODULE_PARM_DESC(steps, "operations per sequence");
char *devmap_model_ops;
module_param_named(ops, devmap_model_ops, charp, 0444);
MODULE_PARM_DESC(ops, "replay this sequence (as printed on failure)");
static unsigned int progress;
module_param(progress, uint, 0444);
MODULE_PARM_DESC(progress, "print a progress line every N seeds");

static const struct devmap_param model_params[] = {
	{ MEMORY_DEVICE_GENERIC, 0 },
	{ MEMORY_DEVICE_GENERIC, 2 },
	{ MEMORY_DEVICE_FS_DAX, 0 },
	{ MEMORY_DEVICE_FS_DAX, 2 },
	{ MEMORY_DEVICE_PRIVATE, 0 },
	{ MEMORY_DEVICE_PRIVATE, 2 },
	{ MEMORY_DEVICE_COHERENT, 0 },
	{ MEMORY_DEVICE_COHERENT, 2 },
	{ MEMORY_DEVICE_PCI_P2PDMA, 0 },
	{ MEMORY_DEVICE_PCI_P2PDMA, 2 },
};

KUNIT_ARRAY_PARAM(model, model_params, devmap_param_desc);

static u64 m_seed_of(u64 seed, const struct devmap_param *p)
{
	return (seed + 1) * 0x9E3779B97F4A7C15ULL ^
	       ((u64)p->type << 40) ^ ((u64)p->order << 32) ^ 0x1234567ULL;
}

/* Large folios of a type this base does not have (the type row). */
static void m_skip_missing(struct kunit *test, const struct devmap_param *p)
{
	if (p->order && !m_type_of(p->type)->large)
		kunit_skip(test, "%s has no large %s folios", DEVMAP_BASE_VERSION,
			   fake_devmap_type_name(p->type));
}

static int m_test_init(struct kunit *test, struct m_test *mt)
{
	mt->zero_addr = kunit_vm_mmap(test, NULL, 0, PAGE_SIZE, PROT_READ,
				      MAP_PRIVATE | MAP_ANONYMOUS, 0);
	return !mt->zero_addr || IS_ERR_VALUE(mt->zero_addr) ? -ENOMEM : 0;
}

static void devmap_model_random(struct kunit *test)
{
	const struct devmap_param *p = test->param_value;
	struct m_test *mt = kunit_kzalloc(test, sizeof(*mt), GFP_KERNEL);
	struct m_op *list;
	struct m_run run = { .p = p, .generate = true };
	unsigned long seed;
	unsigned int nsteps = min_t(unsigned int, devmap_model_steps, M_MAXOPS), n;
	unsigned int replays = 0;
	char kind[24];

	KUNIT_ASSERT_NOT_NULL(test, mt);
	KUNIT_ASSERT_EQ(test, m_test_init(test, mt), 0);
	if (devmap_model_ops && *devmap_model_ops) {
		devmap_model_replay(test, mt);
		return;
	}
	m_skip_missing(test, p);
	list = kunit_kcalloc(test, M_MAXOPS, sizeof(*list), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, list);
	run.ops = list;

	for (seed = seed_start; seed < seed_start + seeds; seed++) {
		run.seed = m_seed_of(seed, p);
		run.nops = nsteps;
		run.generate = true;
		m_run(test, mt, &run);
		if (progress && (seed - seed_start + 1) % progress == 0)
			kunit_info(test, "devmap_model: %s order %u: %lu of %u seeds (from %lu) pass\n",
				   fake_devmap_type_name(p->type), p->order,
				   seed - seed_start + 1, seeds, seed_start);
		if (!run.fail.kind[0])
			continue;

		m_report(test, p, &run, "seed", seed);
		strscpy(kind, run.fail.kind, sizeof(kind));
		n = run.fail.step >= 0 ? min((unsigned int)run.fail.step + 1,
					     run.nops) : 0;
		if (run.fail.step < 0 || !n) {
			KUNIT_FAIL(test, "set-up or teardown of an empty sequence fails: %s",
				   run.fail.what);
			return;
		}
		n = m_shrink(test, mt, p, list, n, kind, &replays);
		/* the shrunk sequence, replayed once more to print its failure */
		{
			bool *skipped = kunit_kcalloc(test, M_MAXOPS,
						      sizeof(bool), GFP_KERNEL);
			struct m_run again = { .p = p, .ops = list, .nops = n,
					       .skipped = skipped };

			KUNIT_ASSERT_NOT_NULL(test, skipped);
			m_run(test, mt, &again);
			kunit_err(test, "devmap_model: shrunk to %u ops (%u replays), seed %lu %s order %u:\n",
				  n, replays, seed,
				  fake_devmap_type_name(p->type), p->order);
			m_print(test, p, list, n, false);
			if (again.fail.kind[0])
				kunit_err(test, "at step #%d: %s\n",
					  again.fail.step, again.fail.what);
			else
				kunit_err(test, "the shrunk sequence passed on its own replay\n");
		}
		m_print(test, p, list, n, true);
		return;
	}
}

/* ---- concurrent mode ---------------------------------------------------- */

/*
 * Two threads (each bound to an online CPU of its own where there are two;
 * else both on the one CPU, interleaved by the scheduler) run random
 * sequences on the same folios at once, each only giving back what it
 * took itself: gets and puts, batches, GUP pins and gets, every unpin,
 * get_dev_pagemap(). Each thread's ledger is a model of its own whose
 * folios start far from zero (a thread never puts a reference it did not
 * take, so nothing is freed while they run); per step only the calls' own
 * results are checked. After both gave everything back, the folios must
 * be exactly as before (the set-up's model, checked whole), the pin
 * counters balanced, and then the checked teardown must free the driver
 * pages and unmap the pgmap.
 */
#define M_THREADS	2
#define M_LEDGER_REF	1000	/* a thread ledger's refcounts: never 0 or 1 */

struct m_thread {
	struct m_ctx c;
	struct model m;
	struct m_type_row t;	/* the type, with no base reference to put */
	struct m_fail fail;
	struct rig *r;
	struct m_test *mt;
	struct mm_struct *mm;
	struct m_op *td;
	u64 seed;
	unsigned int nops, ran;
	struct completion done;
};

static bool m_gen_concurrent(const struct model *m, u64 *s, struct m_op *op)
{
	if (!m_gen(m, s, op, M_MAXOPS) || !strchr("gpfnbGuUDroOmq", op->code))
		return false;
	/* F_LT_COHERENT migrates: a second thread's refs make that a race */
	return !(op->code == 'G' && (op->a[1] & 1) && m->t->tm == TM_COHERENT);
}

static int m_thread_fn(void *data)
{
	struct m_thread *th = data;
	unsigned int n, ntd, tries, i;
	u64 s = th->seed;
	struct m_op op;

	kthread_use_mm(th->mm);
	for (n = 0; n < th->nops && !th->fail.kind[0]; n++) {
		for (tries = 0; tries < 16; tries++)
			if (m_gen_concurrent(&th->m, &s, &op))
				break;
		if (tries == 16)
			continue;
		th->c.step = n;
		m_exec(&th->c, th->r, th->mt, &op);
		th->ran++;
	}
	/* give back what this thread holds (no memunmap_pages(): not ours) */
	th->m.unmap_started = true;
	ntd = m_teardown(&th->m, th->td);
	for (i = 0; i < ntd && !th->fail.kind[0]; i++) {
		th->c.step = th->nops + i;
		if (m_valid(&th->m, &th->td[i]))
			m_exec(&th->c, th->r, th->mt, &th->td[i]);
	}
	kthread_unuse_mm(th->mm);
	complete(&th->done);
	return 0;
}

/* A thread's ledger: the rig's shape, nothing held. */
static void m_ledger(struct m_thread *th, const struct model *m)
{
	unsigned int i;

	th->m = *m;
	th->t = *m->t;
	th->t.base_droppable = 0;
	th->m.t = &th->t;
	memset(th->m.f, 0, sizeof(th->m.f));
	for (i = 0; i < m->nf; i++)
		th->m.f[i].ref = M_LEDGER_REF;
	memset(th->m.ppin, 0, sizeof(th->m.ppin));
	memset(th->m.normal_owned, 0, sizeof(th->m.normal_owned));
	th->m.pgrefs = 0;
	th->m.acq = 0;
	th->m.rel = 0;
	th->m.zero_pins = 0;
	th->c = (struct m_ctx){ .m = &th->m, .fail = &th->fail,
				.concurrent = true };
}

static void m_run_concurrent(struct kunit *test, struct m_test *mt,
			     const struct devmap_param *p, u64 seed,
			     struct m_fail *fail)
{
	struct rig *r = kzalloc(sizeof(*r), GFP_KERNEL);
	struct model *m = kzalloc(sizeof(*m), GFP_KERNEL);
	struct m_thread *th = kcalloc(M_THREADS, sizeof(*th), GFP_KERNEL);
	struct m_op *td = kcalloc(M_TEARDOWN_MAX * (M_THREADS + 1), sizeof(*td),
				  GFP_KERNEL);
	struct m_ctx c = { .m = m, .fail = fail, .step = -1 };
	bool smp = num_online_cpus() >= M_THREADS;
	unsigned int i, t, ntd, ran = 0;
	long acq = 0, rel = 0, dacq, drel;

	memset(fail, 0, sizeof(*fail));
	if (!r || !m || !th || !td) {
		m_fail(&c, "setup", "out of memory");
		goto out;
	}
	if (rig_create(r, m, test, p, fail)) {
		m_fail(&c, "setup", "pgmap or mapping not created");
		goto destroy;
	}
	/* Driver types: every free folio handed out, for the threads to share. */
	for (i = 0; i < m->nf && m_hands_out(m); i++) {
		struct m_op op;

		op_set(&op, 'a', 1, i);
		if (m_valid(m, &op))
			m_exec(&c, r, mt, &op);
	}
	m_check(&c, r, NULL);
	/* Without it GUP on a devmap PTE faults forever (see m_check_lookup()). */
	m_check_lookup(&c, r);
	if (fail->kind[0])
		goto destroy;

	for (t = 0; t < M_THREADS; t++) {
		struct task_struct *task;

		m_ledger(&th[t], m);
		th[t].r = r;
		th[t].mt = mt;
		th[t].mm = current->mm;
		th[t].td = td + (t + 1) * M_TEARDOWN_MAX;
		th[t].seed = seed * M_THREADS + t + 1;
		th[t].nops = min_t(unsigned int, devmap_model_steps, M_MAXOPS);
		init_completion(&th[t].done);
		if (smp)
			task = kthread_create_on_cpu(m_thread_fn, &th[t],
						     cpumask_nth(t, cpu_online_mask),
						     "devmap_model/%u");
		else
			task = kthread_create(m_thread_fn, &th[t], "devmap_model/%u", t);
		if (IS_ERR(task)) {
			m_fail(&c, "setup", "kthread: %ld", PTR_ERR(task));
			th[t].nops = 0;
			complete(&th[t].done);
			continue;
		}
		wake_up_process(task);
	}
	for (t = 0; t < M_THREADS; t++) {
		wait_for_completion(&th[t].done);
		if (th[t].fail.kind[0] && !fail->kind[0]) {
			*fail = th[t].fail;
			scnprintf(fail->what, sizeof(fail->what), "thread %u: %s",
				  t, th[t].fail.what);
		}
		acq += th[t].m.acq;
		rel += th[t].m.rel;
		ran += th[t].ran;
	}
	if (fail->kind[0])
		goto destroy;

	/*
	 * The balance: everything given back, so the set-up's model is the
	 * expected state. Pins: as many released as acquired, at least the
	 * threads' own (GUP-fast may grab and give back more, F_GUP_FAST_BACKOFF).
	 * FS_DAX wake-ups at 1 depend on the interleaving: not compared.
	 */
	c.step = M_MAXOPS;
	dacq = foll_pin_stat(NR_FOLL_PIN_ACQUIRED) - r->acq0;
	drel = foll_pin_stat(NR_FOLL_PIN_RELEASED) - r->rel0;
	M_CHECK(&c, "vmstat", dacq, drel,
		"after %u ops on %u threads: NR_FOLL_PIN_RELEASED delta vs ACQUIRED %ld",
		ran, M_THREADS, dacq);
	if (dacq < acq || rel != acq)
		m_fail(&c, "vmstat", "pins: threads %ld/%ld, counters %ld/%ld",
		       acq, rel, dacq, drel);
	m->acq = dacq;
	m->rel = drel;
	for (i = 0; i < m->nf; i++)
		m->f[i].wakes = r->wake[i].wakeups;
	m_check(&c, r, NULL);
	if (fail->kind[0])
		goto destroy;
	ntd = m_teardown(m, td);
	for (i = 0; i < ntd && !fail->kind[0]; i++) {
		c.step = M_MAXOPS + 1 + i;
		if (m_valid(m, &td[i]))
			m_exec(&c, r, mt, &td[i]);
		else
			m_fail(&c, "model", "teardown op %c not valid", td[i].code);
	}
destroy:
	rig_destroy(r, m);
out:
	kfree(td);
	kfree(th);
	kfree(m);
	kfree(r);
}

/* Concurrent mode: seeds per case (the balance is checked per seed). */
static unsigned int concurrent_seeds = 8;
module_param(concurrent_seeds, uint, 0444);
MODULE_PARM_DESC(concurrent_seeds, "seeds per case of devmap_model_concurrent");

static void devmap_model_concurrent(struct kunit *test)
{
	const struct devmap_param *p = test->param_value;
	struct m_test *mt = kunit_kzalloc(test, sizeof(*mt), GFP_KERNEL);
	struct m_fail fail;
	unsigned long seed;

	KUNIT_ASSERT_NOT_NULL(test, mt);
	KUNIT_ASSERT_EQ(test, m_test_init(test, mt), 0);
	m_skip_missing(test, p);
	if (devmap_model_ops && *devmap_model_ops)
		kunit_skip(test, "ops= replays devmap_model_random");
	kunit_info(test, "devmap_model: %u threads on %s (%u online)\n",
		   M_THREADS, num_online_cpus() >= M_THREADS ?
		   "CPUs of their own" : "one CPU", num_online_cpus());
	for (seed = seed_start; seed < seed_start + concurrent_seeds; seed++) {
		m_run_concurrent(test, mt, p, m_seed_of(seed, p), &fail);
		if (!fail.kind[0])
			continue;
		m_report(test, p, &(struct m_run){ .fail = fail }, "concurrent seed", seed);
		KUNIT_FAIL(test, "%s (%s): %s",
			   num_online_cpus() >= M_THREADS ? "two CPUs" : "one CPU",
			   fail.kind, fail.what);
		kunit_err(test,
			  "reproduce: make kunit FILTER='devmap_model.%s' KUNIT_ARGS='--kernel_args=devmap_model_kunit.seed_start=%lu --kernel_args=devmap_model_kunit.concurrent_seeds=1'\n",
			  __func__, seed);
		return;
	}
}

static struct kunit_case devmap_model_cases[] = {
	KUNIT_CASE_PARAM(devmap_model_random, model_gen_params),
	KUNIT_CASE_PARAM(devmap_model_concurrent, model_gen_params),
	{}
};

static struct kunit_suite devmap_model_suite = {
	.name = "devmap_model",
	.test_cases = devmap_model_cases,
};

kunit_test_suite(devmap_model_suite);

MODULE_DESCRIPTION("KUnit suite: model-based random testing of ZONE_DEVICE refcounts");
MODULE_LICENSE("GPL");
