// SPDX-License-Identifier: GPL-2.0
/*
 * devmap_model, running a sequence (generated or replayed), encoding,
 * shrinking a failing one, printing it, and the replay of ops=.
 */

#include "devmap_model.h"

void m_run(struct kunit *test, struct m_test *mt, struct m_run *run)
{
	struct rig *r = kzalloc(sizeof(*r), GFP_KERNEL);
	struct model *m = kzalloc(sizeof(*m), GFP_KERNEL);
	struct m_op *td = kcalloc(M_TEARDOWN_MAX, sizeof(*td), GFP_KERNEL);
	struct m_ctx c = { .m = m, .fail = &run->fail, .step = -1 };
	unsigned int i, n, ntd;
	u64 s = run->seed;

	memset(&run->fail, 0, sizeof(run->fail));
	if (!r || !m || !td) {
		m_fail(&c, "setup", "out of memory");
		goto out;
	}
	if (rig_create(r, m, test, run->p, &run->fail)) {
		m_fail(&c, "setup", "pgmap or mapping not created");
		goto destroy;
	}
	c.step = -1;
	m_check(&c, r, NULL);
	m_check_lookup(&c, r);
	for (i = 0, n = 0; !run->fail.kind[0] && !m->unmapped &&
	     i < 8 * M_MAXOPS; i++) {
		struct m_op op;

		if (run->generate) {
			unsigned int tries;

			if (n >= run->nops)
				break;
			for (tries = 0; tries < 16; tries++)
				if (m_gen(m, &s, &op, run->nops - n))
					break;
			if (tries == 16)
				continue;
			run->ops[n] = op;
		} else {
			if (i >= run->nops)
				break;
			op = run->ops[i];
			run->skipped[i] = !m_valid(m, &op);
			if (run->skipped[i])
				continue;
			n = i;
		}
		c.step = n;
		m_exec(&c, r, mt, &op);
		n++;
	}
	if (run->generate)
		run->nops = n;
	if (run->fail.kind[0])
		goto destroy;
	/* teardown, checked the same way; steps numbered after the ops */
	ntd = m_teardown(m, td);
	for (i = 0; i < ntd && !run->fail.kind[0]; i++) {
		c.step = run->nops + i;
		if (m_valid(m, &td[i]))
			m_exec(&c, r, mt, &td[i]);
		else
			m_fail(&c, "model", "teardown op %c not valid", td[i].code);
	}
destroy:
	rig_destroy(r, m);
	for (i = 0; i < m->zero_pins; i++)
		unpin_user_page(mt->zero[i]);
out:
	kfree(td);
	kfree(m);
	kfree(r);
}

static int m_encode_op(char *buf, size_t len, const struct m_op *op)
{
	int w = scnprintf(buf, len, "%c", op->code);
	unsigned int i;

	for (i = 0; i < op->n; i++)
		w += scnprintf(buf + w, len - w, i ? ".%u" : "%u", op->a[i]);
	return w;
}

static int m_parse(const char *str, enum memory_type *type,
		   unsigned int *order, struct m_op *out)
{
	unsigned int t, o, n = 0;
	const char *q;
	int used;

	if (sscanf(str, "t%uo%u:%n", &t, &o, &used) != 2)
		return -EINVAL;
	*type = t;
	*order = o;
	q = str + used;
	while (*q && n < M_MAXOPS) {
		struct m_op *op = &out[n];
		unsigned int v;

		op->code = *q++;
		op->n = 0;
		while (*q && *q != '_') {
			if (*q == '.')
				q++;
			if (sscanf(q, "%u%n", &v, &used) != 1 ||
			    op->n >= M_MAXA)
				return -EINVAL;
			op->a[op->n++] = v;
			q += used;
		}
		if (*q == '_')
			q++;
		n++;
	}
	return n;
}

static bool m_fails_same(struct kunit *test, struct m_test *mt,
			 struct m_run *run, const char *kind)
{
	m_run(test, mt, run);
	return !strcmp(run->fail.kind, kind);
}

/* Compact @ops to what ran (skip invalid ones and those after the failure). */
static unsigned int m_compact(struct m_run *run, struct m_op *ops,
			      unsigned int n)
{
	unsigned int i, k = 0;
	int stop = run->fail.step;

	for (i = 0; i < n; i++) {
		if (run->skipped[i])
			continue;
		if (stop >= 0 && i > stop)
			break;
		ops[k++] = ops[i];
	}
	return k;
}

/*
 * Delta debugging: drop chunks, then single operations, while the
 * sequence still fails with the same kind of mismatch.
 */
unsigned int m_shrink(struct kunit *test, struct m_test *mt,
		      const struct devmap_param *p, struct m_op *cur,
		      unsigned int n, const char *kind,
		      unsigned int *replays)
{
	struct m_op *cand = kcalloc(M_MAXOPS, sizeof(*cand), GFP_KERNEL);
	bool *skipped = kcalloc(M_MAXOPS, sizeof(bool), GFP_KERNEL);
	struct m_run run = { .p = p, .skipped = skipped };
	unsigned int chunk, i, k, budget = 400;

	if (!cand || !skipped)
		goto out;
	for (chunk = max(n / 2, 1U); chunk && budget; chunk /= 2) {
		for (i = 0; i < n && budget; budget--) {
			k = 0;
			memcpy(cand, cur, i * sizeof(*cand));
			k = i;
			if (i + chunk < n) {
				memcpy(cand + k, cur + i + chunk,
				       (n - i - chunk) * sizeof(*cand));
				k += n - i - chunk;
			}
			run.ops = cand;
			run.nops = k;
			(*replays)++;
			if (k && m_fails_same(test, mt, &run, kind)) {
				n = m_compact(&run, cand, k);
				memcpy(cur, cand, n * sizeof(*cur));
			} else {
				i += chunk;
			}
		}
	}
out:
	kfree(cand);
	kfree(skipped);
	return n;
}

static const char *m_op_name(char code)
{
	switch (code) {
	case 'g': return "get_page(page)";
	case 'p': return "put_page(page)";
	case 'f': return "folio_put_refs(folio, n)";
	case 'n': return "folio_get(normal folio)";
	case 'b': return "folios_put_refs(batch: folio|100+normal, refs; ...)";
	case 'G': return "GUP(0 pin 1 pin_fast 2 get 3 get_fast, 1 LONGTERM|2 no P2P, page, nr)";
	case 'u': return "unpin_user_page(page)";
	case 'U': return "unpin_user_pages(pages...)";
	case 'D': return "unpin_user_pages_dirty_lock(make_dirty, pages...)";
	case 'r': return "unpin_user_page_range_dirty_lock(page, npages, make_dirty)";
	case 'o': return "unpin_folio(folio)";
	case 'O': return "unpin_folios(folios...)";
	case 'm': return "get_dev_pagemap(page|250 last|251 past end|252 before, cached?)";
	case 'q': return "put_dev_pagemap()";
	case 'a': return "hand-out(folio): zone_device_page_init() or count 0 -> 1";
	case 'x': return "try_grab_folio(free folio, 0 GET|1 PIN)";
	case 'z': return "pin_user_pages(zero page)";
	case 'Z': return "unpin_user_page(zero page)";
	case 'X': return "vm_munmap(); memunmap_pages() started";
	case 'M': return "migrate_vma_*() to the device (anon page, n)";
	case 'E': return "migrate_device_range(folio, n): evict";
	case 'W': return "CPU access (anon page)";
	case 'Y': return "vm_munmap() (anon page)";
	case 'B': return "get/pin_user_pages() (anon page, 0 get 1 pin)";
	case 'R': return "put_page() / unpin_user_page() (anon page, 0 get 1 pin)";
	}
	return "?";
}

void m_print(struct kunit *test, const struct devmap_param *p,
	     const struct m_op *ops, unsigned int n, bool repro)
{
	char *buf = kzalloc(4096, GFP_KERNEL);
	unsigned int i;
	int w;

	if (!buf)
		return;
	for (i = 0; i < n; i++) {
		m_encode_op(buf, 64, &ops[i]);
		if (!repro)
			kunit_err(test, "  #%u %-12s %s\n", i, buf,
				  m_op_name(ops[i].code));
	}
	w = scnprintf(buf, 4096, "t%uo%u:", p->type, p->order);
	for (i = 0; i < n; i++) {
		w += m_encode_op(buf + w, 4096 - w, &ops[i]);
		if (i + 1 < n)
			w += scnprintf(buf + w, 4096 - w, "_");
	}
	if (repro)
		KUNIT_FAIL(test,
			   "reproduce: make kunit FILTER='devmap_model.*' KUNIT_ARGS='--kernel_args=devmap_model_kunit.ops=%s'",
			   buf);
	kfree(buf);
}

void m_report(struct kunit *test, const struct devmap_param *p,
	      struct m_run *run, const char *what, u64 seed)
{
	kunit_err(test, "devmap_model: %s %llu %s order %u: step %d: %s: %s\n",
		  what, seed, fake_devmap_type_name(p->type), p->order,
		  run->fail.step, run->fail.kind, run->fail.what);
}

/* Replay ops= in its own case. */
void devmap_model_replay(struct kunit *test, struct m_test *mt)
{
	const struct devmap_param *p = test->param_value;
	struct m_op *list = kunit_kcalloc(test, M_MAXOPS, sizeof(*list),
					  GFP_KERNEL);
	bool *skipped = kunit_kcalloc(test, M_MAXOPS, sizeof(bool),
				      GFP_KERNEL);
	struct m_run run = { .p = p, .skipped = skipped };
	enum memory_type type;
	unsigned int order;
	int n;

	KUNIT_ASSERT_NOT_NULL(test, list);
	KUNIT_ASSERT_NOT_NULL(test, skipped);
	n = m_parse(devmap_model_ops, &type, &order, list);
	KUNIT_ASSERT_GE_MSG(test, n, 0, "devmap_model_kunit.ops=%s: bad encoding",
			    devmap_model_ops);
	if (type != p->type || order != p->order)
		kunit_skip(test, "ops= replays %s order %u",
			   fake_devmap_type_name(type), order);
	run.ops = list;
	run.nops = n;
	m_run(test, mt, &run);
	if (run.fail.kind[0]) {
		m_report(test, p, &run, "replay of ops=, length", n);
		KUNIT_FAIL(test, "replayed sequence of %d ops fails: %s", n,
			   run.fail.what);
	}
}
