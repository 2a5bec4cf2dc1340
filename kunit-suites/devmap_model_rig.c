// SPDX-License-Identifier: GPL-2.0
/*
 * devmap_model, the kernel side: the pgmap, the user mappings, executing an
 * operation on the kernel and in the model (m_exec()) and comparing them
 * (m_check()).
 */

#include <linux/delay.h>

#include "devmap_model.h"
#include "mm/internal.h"	/* try_grab_folio() */

/*
 * The references a live pgmap holds (instrumentation, read-only): in
 * percpu mode the atomic count carries lib/percpu-refcount.c's
 * PERCPU_COUNT_BIAS and the per-cpu counters hold the rest.
 */
#define M_PERCPU_COUNT_BIAS	(1LU << (BITS_PER_LONG - 1))
static long pgmap_refs(struct dev_pagemap *pgmap)
{
	unsigned long ptr = READ_ONCE(pgmap->ref.percpu_count_ptr);
	unsigned long v = atomic_long_read(&pgmap->ref.data->count);
	int cpu;

	if (ptr & __PERCPU_REF_ATOMIC_DEAD)
		return (long)v;
	v -= M_PERCPU_COUNT_BIAS;
	for_each_possible_cpu(cpu)
		v += *per_cpu_ptr((unsigned long __percpu *)
				  (ptr & ~__PERCPU_REF_ATOMIC_DEAD), cpu);
	return (long)v;
}

static int m_wake_fn(struct wait_queue_entry *wq, unsigned int mode,
		     int sync, void *arg)
{
	struct m_wake *w = container_of(wq, struct m_wake, wq);
	struct wait_bit_key *key = arg;

	if (key->flags == w->var && key->bit_nr == -1)
		w->wakeups++;
	return 0;
}

/* ---- the kernel side --------------------------------------------------- */

static struct page *rig_page(struct rig *r, unsigned int i)
{
	return fake_devmap_page(r->fdm, i);
}

static void rig_munmap(struct rig *r)
{
	if (r->uaddr)
		vm_munmap(r->uaddr, r->ulen);
	r->uaddr = 0;
}

/* The anonymous window goes, with what a failed run still holds of it. */
static void rig_anon_destroy(struct rig *r, struct model *m)
{
	unsigned int j;

	for (j = 0; j < M_ANON; j++) {
		for (; m->busy_get[j]; m->busy_get[j]--)
			put_page(r->anon_busy[j]);
		for (; m->busy_pin[j]; m->busy_pin[j]--)
			unpin_user_page(r->anon_busy[j]);
	}
	if (r->anon_addr)
		vm_munmap(r->anon_addr, M_ANON * PAGE_SIZE);
	r->anon_addr = 0;
}

/* The driver types' anonymous window, every page faulted in (in RAM). */
static int rig_anon_create(struct rig *r, struct model *m)
{
	unsigned int j;

	r->anon_addr = vm_mmap(NULL, 0, M_ANON * PAGE_SIZE,
			       PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, 0);
	if (IS_ERR_VALUE(r->anon_addr)) {
		r->anon_addr = 0;
		return -ENOMEM;
	}
	for (j = 0; j < M_ANON; j++) {
		if (put_user((u8)(j + 1),
			     (u8 __user *)(r->anon_addr + j * PAGE_SIZE)))
			return -EFAULT;
		m->where[j] = M_RAM;
	}
	/* New anonymous folios sit in a per-CPU LRU batch, with its ref. */
	lru_add_drain();
	return 0;
}

void rig_destroy(struct rig *r, struct model *m)
{
	unsigned int i;

	rig_munmap(r);
	rig_anon_destroy(r, m);
	for (i = 0; i < M_MAXF; i++)
		if (r->wake[i].added)
			remove_wait_queue(__var_waitqueue(r->wake[i].var),
					  &r->wake[i].wq);
	for (i = 0; i < M_NORMAL; i++) {
		/* Ours is the base reference; any extra leaked on failure. */
		if (r->normal[i])
			folio_put(r->normal[i]);
	}
	if (!r->fdm)
		return;
	fake_devmap_unmap_start(r->fdm);
	/* Bounded: a leak (a failed run) leaves the pgmap alone. */
	if (fake_devmap_unmap_wait(r->fdm, HZ / 5))
		fake_devmap_destroy(r->fdm);
	else
		kunit_err(r->test, "devmap_model: pgmap leaked by a failed run, left mapped\n");
	r->fdm = NULL;
}

int rig_create(struct rig *r, struct model *m, struct kunit *test,
	       const struct devmap_param *p, struct m_fail *fail)
{
	struct fake_devmap_spec spec = {
		.type = p->type,
		.order = p->order,
		.nr_pages = M_PGMAP_PAGES,
	};
	unsigned int i;
	struct file *file;

	memset(r, 0, sizeof(*r));
	memset(m, 0, sizeof(*m));
	r->test = test;
	m->t = m_type_of(p->type);
	m->order = p->order;
	m->npp = 1U << p->order;
	m->nf = M_MAXP >> p->order;
	if (m->nf > M_MAXF)
		m->nf = M_MAXF;
	m->np = m->nf << p->order;
	m->last_freed = -1;

	r->key0 = devmap_managed_key_count();
	r->fdm = fake_devmap_create(&spec);
	if (IS_ERR(r->fdm)) {
		r->fdm = NULL;
		return -ENOMEM;
	}
	r->pfn0 = page_to_pfn(rig_page(r, 0));
	for (i = 0; i < m->nf; i++) {
		struct folio *folio = page_folio(rig_page(r, i << m->order));

		r->folio[i] = folio;
		m->f[i].ref = m->t->idle_ref;		/* F_IDLE */
		m->f[i].owned = m->t->base_droppable;
		r->wake[i].var = devmap_wake_var(folio);
		init_waitqueue_func_entry(&r->wake[i].wq, m_wake_fn);
		add_wait_queue(__var_waitqueue(r->wake[i].var),
			       &r->wake[i].wq);
		r->wake[i].added = true;
		folio_clear_dirty(folio);
	}
	for (i = 0; i < M_NORMAL; i++) {
		r->normal[i] = folio_alloc(GFP_KERNEL, 0);
		if (!r->normal[i])
			return -ENOMEM;
	}

	/*
	 * Map what can be: types idle at 0 map 2/3 of their pages (whole
	 * folios), handed out first (vm_insert_page() refuses refcount 0).
	 */
	if (m_can_map(m)) {
		m->nmapped = m->np;
		if (m_hands_out(m))
			m->nmapped = rounddown(m->np * 2 / 3, m->npp);
		for (i = 0; m_hands_out(m) && i < m->nmapped; i += m->npp) {
			if (!fake_devmap_alloc_page(r->fdm, i))
				return -ENOMEM;
			m->f[m_folio_of(m, i)].ref = 1;	/* F_ALLOC, F_HANDOUT */
			m->f[m_folio_of(m, i)].owned = 1;
			m->allocated += m_alloc_refs(m);
		}
		file = anon_inode_create_getfile("[devmap-model]",
						 &devmap_file_fops, r->fdm,
						 O_RDWR, NULL);
		if (IS_ERR(file))
			return PTR_ERR(file);
		if (m->t->tm == TM_FS_DAX)
			file_inode(file)->i_flags |= S_DAX;
		r->ulen = m->nmapped << PAGE_SHIFT;
		r->uaddr = vm_mmap(file, 0, r->ulen, PROT_READ | PROT_WRITE,
				   MAP_SHARED, 0);
		fput(file);
		if (IS_ERR_VALUE(r->uaddr)) {
			r->uaddr = 0;
			return -ENOMEM;
		}
		m->mapped = true;
		if (m->t->map == MAP_PAGE)
			for (i = 0; i < m->nmapped; i++)
				m_apply(m, R_MAP_PAGE, m_folio_of(m, i), 1);
		for (i = 0; i < m->nf; i++)
			m->f[i].maprefs = m->f[i].ref - m->t->idle_ref -
					  (m_hands_out(m) && m->f[i].ref);
	}
	if (m_migrates(m) && rig_anon_create(r, m))
		return -ENOMEM;
	r->acq0 = foll_pin_stat(NR_FOLL_PIN_ACQUIRED);
	r->rel0 = foll_pin_stat(NR_FOLL_PIN_RELEASED);
	r->zero0 = folio_ref_count(page_folio(ZERO_PAGE(0)));
	return 0;
}

/*
 * F_MIGRATE_COLLECT, from the page tables: an anonymous page in RAM is
 * mapped by a present PTE of a RAM page; one on the device by a writable
 * device-private entry (PRIVATE) or a writable present PTE (COHERENT) of
 * the model's folio, which is anonymous and exclusive.
 */
static void m_check_anon(struct m_ctx *c, struct rig *r)
{
	struct model *m = c->m;
	unsigned int j;

	for (j = 0; j < M_ANON && r->anon_addr; j++) {
		pte_t pte = devmap_user_pte(current->mm,
					    r->anon_addr + j * PAGE_SIZE);
		int k = m->where[j];
		struct page *want, *got = NULL;
		bool writable = false;

		if (k == M_GONE)
			continue;
		if (pte_present(pte)) {
			got = pte_page(pte);
			writable = pte_write(pte);
		} else {
			struct devmap_pte_view v = devmap_pte_view(pte);

			if (v.device_private) {
				got = v.page;
				writable = v.device_private_write;
			}
		}
		if (k == M_RAM) {
			M_CHECK(c, "pte", 1, got && !is_zone_device_page(got),
				"anonymous page %u mapped by a RAM page", j);
			continue;
		}
		want = &r->folio[k]->page;
		M_CHECK(c, "pte", 1, got == want,
			"anonymous page %u mapped by folio %d", j, k);
		M_CHECK(c, "pte", 1, writable,
			"anonymous page %u on the device writable", j);
		if (m->t->tm == TM_PRIVATE)
			M_CHECK(c, "pte", 0, pte_present(pte),
				"anonymous page %u present (not a device-private entry)", j);
		M_CHECK(c, "anon", 1, PageAnon(want),
			"folio %d anonymous after migration", k);
		if (PageAnon(want))
			M_CHECK(c, "anon", 1, PageAnonExclusive(want),
				"folio %d PG_anon_exclusive after migration", k);
	}
}

/* A stale ->mapping on the folios this plain put will free. */
static void *const m_stale = (void *)0x5a5a5a00UL;

/*
 * Compare everything observable with the model; @stale (or NULL): the
 * folios the step gave a stale ->mapping before a put that frees them.
 */
void m_check(struct m_ctx *c, struct rig *r, const bool *stale)
{
	struct model *m = c->m;
	unsigned int i;

	M_CHECK(c, "page_free", m->page_free,
		atomic_read(&r->fdm->page_free_calls), "free callbacks");
	if (m->last_freed >= 0)
		M_CHECK(c, "page_free", 0,
			READ_ONCE(r->fdm->last_freed) !=
			&r->folio[m->last_freed]->page,
			"free callback of folio %d's head (1 = other page)",
			m->last_freed);
	M_CHECK(c, "vmstat", m->acq,
		foll_pin_stat(NR_FOLL_PIN_ACQUIRED) - r->acq0,
		"NR_FOLL_PIN_ACQUIRED delta");
	M_CHECK(c, "vmstat", m->rel,
		foll_pin_stat(NR_FOLL_PIN_RELEASED) - r->rel0,
		"NR_FOLL_PIN_RELEASED delta");
	M_CHECK(c, "zero_page", r->zero0,
		folio_ref_count(page_folio(ZERO_PAGE(0))),
		"zero page refcount");
	for (i = 0; i < M_NORMAL; i++)
		M_CHECK(c, "normal", 1 + m->normal_owned[i],
			folio_ref_count(r->normal[i]),
			"normal folio %u refcount", i);
	for (i = 0; i < m->nf; i++)
		M_CHECK(c, "wakeup", m->f[i].wakes, r->wake[i].wakeups,
			"folio %u wake_up_var() calls", i);
	M_CHECK(c, "key", r->key0 + (!m->unmapped && (m->t->tm & TM_KEY)),
		devmap_managed_key_count(),
		"devmap_managed_key count");
	if (m->t->tm & TM_DRIVER)
		M_CHECK(c, "fault", m->m2r,
			atomic_read(&r->fdm->migrate_to_ram_calls),
			"->migrate_to_ram() calls");
	if (m->unmapped || r->pgmap_gone)
		return;
	m_check_anon(c, r);
	if (!m->unmap_started)
		M_CHECK(c, "pgmap_ref", m_pgmap_count(m),
			pgmap_refs(&r->fdm->pgmap), "pgmap references");
	for (i = 0; i < m->nf; i++) {
		struct folio *folio = r->folio[i];

		M_CHECK(c, "refcount", m->f[i].ref, folio_ref_count(folio),
			"folio %u refcount", i);
		if (m_has_pincount(m))
			M_CHECK(c, "pincount", m->f[i].pins,
				atomic_read(&folio->_pincount),
				"folio %u _pincount", i);
		M_CHECK(c, "pinned", m->f[i].pins > 0,
			folio_maybe_dma_pinned(folio),
			"folio %u folio_maybe_dma_pinned()", i);
		if (!m->f[i].freed_now)
			continue;
		M_CHECK(c, "mapping",
			(long)(stale && stale[i] && !m->t->clears_mapping ?
			       m_stale : NULL),
			(long)folio->mapping,
			"folio %u ->mapping after free (0: cleared)", i);
		/* The bit itself: PageAnonExclusive() wants an anon page. */
		M_CHECK(c, "anon", 0,
			test_bit(PG_anon_exclusive,
				 devmap_page_flags_word(&folio->page)),
			"folio %u PG_anon_exclusive after free", i);
	}
}

/*
 * At set-up, before any GUP depends on it (follow_page_pte() finds devmap
 * pages through get_dev_pagemap(): without it GUP faults forever): F_GDP at
 * every model page and the last pfn.
 */
void m_check_lookup(struct m_ctx *c, struct rig *r)
{
	unsigned int i;

	for (i = 0; i <= c->m->np; i++) {
		unsigned long pfn = r->pfn0 + (i < c->m->np ? i : M_PGMAP_PAGES - 1);
		struct dev_pagemap *got = devmap_get_dev_pagemap(pfn);

		M_CHECK(c, "gdp", 1, got == &r->fdm->pgmap,
			"set-up: get_dev_pagemap(pfn +%lu, NULL) is ours",
			pfn - r->pfn0);
		if (got)
			put_dev_pagemap(got);
	}
}

/* The edge check: every change of abstract state is in m_edges[]. */
static void m_check_edges(struct m_ctx *c, const enum m_state *before)
{
	struct model *m = c->m;
	unsigned int i, e, tm = m->t->tm;

	for (i = 0; i < m->nf; i++) {
		enum m_state now = m_state_of(m, i);
		bool ok = now == before[i];

		for (e = 0; !ok && e < ARRAY_SIZE(m_edges); e++)
			ok = (m_edges[e].types & tm) &&
			     m_edges[e].from == before[i] &&
			     m_edges[e].to == now;
		if (!ok)
			m_fail(c, "model", "folio %u: state %d -> %d is no edge of m_edges[]",
			       i, before[i], now);
	}
}

static unsigned int gup_flags_of(struct model *m, const struct m_op *op)
{
	unsigned int flags = FOLL_WRITE;

	if (op->a[1] & 1)
		flags |= FOLL_LONGTERM;
	else if (!(op->a[1] & 2))
		flags |= FOLL_PCI_P2PDMA;
	return flags;
}

/*
 * F_GUP_FAST_BACKOFF: where GUP-fast exists (not on UML), it may grab a
 * page and give it back with gup_put_folio() before the slow path takes it
 * (gup_fast_pte_range(): folio_fast_pin_allowed() refuses file-backed
 * folios): NR_FOLL_PIN_ACQUIRED and RELEASED then both move by the same k,
 * and an FS_DAX folio of the range may wake once more at 1. Absorb that.
 */
static void m_fast_backoff(struct model *m, struct rig *r,
			   const struct m_op *op)
{
	long k = foll_pin_stat(NR_FOLL_PIN_RELEASED) - r->rel0 - m->rel;
	unsigned int i;

	if (k > 0 && foll_pin_stat(NR_FOLL_PIN_ACQUIRED) - r->acq0 - m->acq >= k) {
		m->acq += k;
		m->rel += k;
	}
	/*
	 * A grab-and-release can wake FS_DAX waiters only where a put to 1
	 * wakes (6.12); since 6.15 the mapping holds a reference, so no
	 * back-off reaches 0 and an extra wake-up is a fault to report.
	 */
	if (!(DEVMAP_BASE_TM_WAKE_AT_ONE & m->t->tm))
		return;
	for (i = op->a[2]; i < op->a[2] + op->a[3]; i++) {
		struct m_folio *f = &m->f[m_folio_of(m, i)];

		if (r->wake[m_folio_of(m, i)].wakeups > f->wakes)
			f->wakes = r->wake[m_folio_of(m, i)].wakeups;
	}
}

/* Expected result of a GUP: 0 = success, else the error (F_P2P, F_LT_*). */
static long m_gup_result(struct model *m, const struct m_op *op)
{
	bool lt = op->a[1] & 1;

	if (lt && m->t->longterm == LT_EOPNOTSUPP)
		return -EOPNOTSUPP;
	if (m->t->tm == TM_P2PDMA &&
	    IS_ENABLED(CONFIG_PCI_P2PDMA) && (lt || (op->a[1] & 2)))
		return -EREMOTEIO;
	if (lt && m->t->longterm == LT_MIGRATE_FAILS)
		return -EBUSY;
	return 0;
}

static void m_dirty_clear(struct rig *r, struct model *m, const u8 *pages,
			  unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		folio_clear_dirty(r->folio[m_folio_of(m, pages[i])]);
}

static void m_dirty_check(struct m_ctx *c, struct rig *r, const u8 *pages,
			  unsigned int n, bool dirty)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct folio *folio = r->folio[m_folio_of(c->m, pages[i])];

		M_CHECK(c, "dirty", dirty, folio_test_dirty(folio),
			"folio %u dirty", m_folio_of(c->m, pages[i]));
	}
	for (i = 0; i < n; i++)
		folio_clear_dirty(r->folio[m_folio_of(c->m, pages[i])]);
}

/*
 * Before a put the model says frees: a stale ->mapping the free must
 * clear. Not on an anonymous folio (migrated): its mapping is the anon_vma
 * that tells free_zone_device_folio() to clear PG_anon_exclusive.
 */
static bool m_set_stale(struct rig *r, int k)
{
	if (folio_test_anon(r->folio[k]))
		return false;
	r->folio[k]->mapping = m_stale;
	return true;
}

/*
 * A driver's hand-out: F_ALLOC (zone_device_page_init(): the page comes
 * back locked) or F_HANDOUT (count 0 -> 1, not locked).
 */
static struct page *m_alloc(struct m_ctx *c, struct rig *r, int k)
{
	struct model *m = c->m;
	struct page *page = fake_devmap_alloc_page_locked(r->fdm, k << m->order);

	if (m->t->handout == DEVMAP_HANDOUT_ZDPI)
		M_CHECK(c, "locked", 1, page && PageLocked(page),
			"zone_device_page_init() of folio %d: page locked", k);
	else
		M_CHECK(c, "handout", 1, !!page, "hand-out of folio %d", k);
	m->f[k].ref = 1;
	m->f[k].owned = 1;
	m->allocated += m_alloc_refs(m);
	return page;
}

/* R_MIGRATE_OUT: folio @k's anonymous page is back in RAM. */
static void m_migrate_out(struct model *m, int k)
{
	m->where[m->f[k].anon - 1] = M_RAM;
	m->f[k].anon = 0;
	m->f[k].maprefs = 0;
	m_apply(m, R_MIGRATE_OUT, k, 1);
}

/*
 * 'M': anonymous pages [a0, a0 + a1) to the device as lib/test_hmm.c's
 * dmirror_migrate_to_device() does; each collected page goes to the lowest
 * free folio. The model expects F_MIGRATE_COLLECT / F_MIGRATE_BUSY; the
 * kernel side migrates what the kernel collected, so that a mismatch
 * leaves a consistent kernel behind.
 */
static void m_migrate(struct m_ctx *c, struct rig *r, const struct m_op *op)
{
	struct model *m = c->m;
	unsigned long src[M_ANON] = {}, dst[M_ANON] = {};
	unsigned long base = r->anon_addr + op->a[0] * PAGE_SIZE;
	struct migrate_vma args = {
		.start		= base,
		.end		= base + op->a[1] * PAGE_SIZE,
		.src		= src,
		.dst		= dst,
		.pgmap_owner	= r->fdm,
		.flags		= MIGRATE_VMA_SELECT_SYSTEM,
	};
	unsigned long taken = 0;
	unsigned int i;
	int ret, k;

	mmap_read_lock(current->mm);
	args.vma = vma_lookup(current->mm, base);
	ret = args.vma ? migrate_vma_setup(&args) : -EINVAL;
	if (ret) {
		mmap_read_unlock(current->mm);
		m_fail(c, "migrate", "migrate_vma_setup(): %d", ret);
		return;
	}
	for (i = 0; i < op->a[1]; i++) {
		unsigned int j = op->a[0] + i;
		struct page *spage = migrate_pfn_to_page(src[i]), *dpage;

		if (m_collectable(m, j))
			M_CHECK(c, "migrate", MIGRATE_PFN_MIGRATE | MIGRATE_PFN_WRITE,
				src[i] & (MIGRATE_PFN_MIGRATE | MIGRATE_PFN_WRITE),
				"anonymous page %u: src flags (MIGRATE 0x%lx, WRITE 0x%lx)",
				j, MIGRATE_PFN_MIGRATE, MIGRATE_PFN_WRITE);
		else
			M_CHECK(c, "migrate", 0, src[i],
				"anonymous page %u (%s): src entry", j,
				m->where[j] >= 0 ? "on the device" : "GUP-held");
		if (!spage || !(src[i] & MIGRATE_PFN_MIGRATE))
			continue;
		k = m_free_folio(m, taken);
		if (k < 0)
			continue;
		taken |= BIT(k);
		dpage = m_alloc(c, r, k);
		if (!dpage)
			continue;
		copy_highpage(fake_devmap_storage(r->fdm, dpage), spage);
		dst[i] = migrate_pfn(page_to_pfn(dpage));
		if (src[i] & MIGRATE_PFN_WRITE)
			dst[i] |= MIGRATE_PFN_WRITE;
		/* R_MIGRATE_IN: the allocation's reference is the mapping's */
		m_apply(m, R_MIGRATE_IN, k, 1);
		m->f[k].maprefs = 1;
		m->f[k].anon = 1 + j;
		m->where[j] = k;
	}
	migrate_vma_pages(&args);
	for (i = 0; i < op->a[1]; i++)
		if (dst[i])
			M_CHECK(c, "migrate", MIGRATE_PFN_MIGRATE,
				src[i] & MIGRATE_PFN_MIGRATE,
				"anonymous page %u: migrated by migrate_vma_pages()",
				op->a[0] + i);
	migrate_vma_finalize(&args);
	mmap_read_unlock(current->mm);
}

/* The anonymous window's other operations (see m_valid_anon()). */
static void m_exec_anon(struct m_ctx *c, struct rig *r, const struct m_op *op)
{
	struct model *m = c->m;
	unsigned int j = op->a[0], i;
	unsigned long addr = r->anon_addr + j * PAGE_SIZE;
	struct page *page;
	long ret, want;
	u8 v;

	switch (op->code) {
	case 'M':
		m_migrate(c, r, op);
		break;
	case 'E':
		/* F_EVICT: what holds data comes back, free pages skipped */
		for (i = j, want = 0; i < j + op->a[1]; i++)
			if (m->f[i].anon) {
				m_migrate_out(m, i);
				want++;
			}
		ret = fake_devmap_evict(r->fdm, j << m->order,
					op->a[1] << m->order);
		M_CHECK(c, "evict", want, ret, "migrate_device_range(): pages moved");
		break;
	case 'W':
		/* F_FAULT: device-private faults back, coherent does not */
		if (m->where[j] >= 0 && m->t->tm == TM_PRIVATE) {
			m->m2r++;
			m_migrate_out(m, m->where[j]);
		}
		ret = get_user(v, (u8 __user *)addr);
		M_CHECK(c, "fault", 0, ret, "CPU access to anonymous page %u", j);
		break;
	case 'Y':
		if (m->where[j] >= 0) {
			int k = m->where[j];

			m->f[k].anon = 0;
			m->f[k].maprefs = 0;
			m_apply(m, R_ZAP_ANON, k, 1);
		}
		m->where[j] = M_GONE;
		vm_munmap(addr, PAGE_SIZE);
		break;
	case 'B':
		mmap_read_lock(current->mm);
		if (op->a[1])
			ret = pin_user_pages(addr, 1, FOLL_WRITE, &page);
		else
			ret = get_user_pages(addr, 1, FOLL_WRITE, &page);
		mmap_read_unlock(current->mm);
		M_CHECK(c, "gup_ret", 1, ret, "GUP of anonymous page %u", j);
		if (ret != 1)
			break;
		r->anon_busy[j] = page;
		if (op->a[1]) {
			m->busy_pin[j]++;
			m->acq++;
		} else {
			m->busy_get[j]++;
		}
		break;
	case 'R':
		if (op->a[1]) {
			m->busy_pin[j]--;
			m->rel++;
			unpin_user_page(r->anon_busy[j]);
		} else {
			m->busy_get[j]--;
			put_page(r->anon_busy[j]);
		}
		break;
	}
}

/*
 * F_UNMAP: memunmap_pages(), in the provider's kthread, has killed the
 * pgmap's ref (get_dev_pagemap() fails from now on). That thread runs when
 * we sleep, or at once on another CPU where there are two, but not always
 * within a tick: wait for it (at most @timeout) before the model says so.
 * Reading the ref's mode stays safe once memunmap_pages() has exited it.
 */
static bool rig_wait_killed(struct rig *r, unsigned long timeout)
{
	unsigned long deadline = jiffies + timeout;

	while (!percpu_ref_is_dying(&r->fdm->pgmap.ref)) {
		if (time_after(jiffies, deadline))
			return false;
		usleep_range(100, 200);
	}
	return true;
}

/* Execute @op on the kernel and in the model; check. */
void m_exec(struct m_ctx *c, struct rig *r, struct m_test *mt,
	    const struct m_op *op)
{
	struct model *m = c->m;
	struct page *pages[M_MAXP];
	struct folio *folios[M_MAXA];
	enum m_state before[M_MAXF];
	unsigned int i, k;
	long ret, want;
	bool stale[M_MAXF] = {};

	for (i = 0; i < m->nf; i++) {
		before[i] = m_state_of(m, i);
		m->f[i].freed_now = false;
	}

	switch (op->code) {
	case 'g':
		k = m_folio_of(m, op->a[0]);
		get_page(rig_page(r, op->a[0]));
		m_apply(m, R_GET, k, 1);
		break;
	case 'p':
		k = m_folio_of(m, op->a[0]);
		m_apply(m, R_PUT_PAGE, k, 1);
		if (m->f[k].freed_now)
			stale[k] = m_set_stale(r, k);
		put_page(rig_page(r, op->a[0]));
		break;
	case 'f':
		k = op->a[0];
		m_apply(m, R_FOLIO_PUT, k, op->a[1]);
		if (m->f[k].freed_now)
			stale[k] = m_set_stale(r, k);
		if (op->a[1] == 1)
			folio_put(r->folio[k]);
		else
			folio_put_refs(r->folio[k], op->a[1]);
		break;
	case 'n':
		folio_get(r->normal[op->a[0]]);
		m->normal_owned[op->a[0]]++;
		break;
	case 'b': {
		struct folio_batch fb;
		unsigned int refs[FOLIO_BATCH_SIZE];

		folio_batch_init(&fb);
		for (i = 0; i < op->n; i += 2) {
			k = op->a[i];
			refs[i / 2] = op->a[i + 1];
			if (k >= 100) {
				folio_batch_add(&fb, r->normal[k - 100]);
				m->normal_owned[k - 100] -= op->a[i + 1];
				continue;
			}
			folio_batch_add(&fb, r->folio[k]);
			m_apply(m, R_BATCH, k, op->a[i + 1]);
			if (m->f[k].freed_now && !stale[k])
				stale[k] = m_set_stale(r, k);
		}
		folios_put_refs(&fb, refs);
		break;
	}
	case 'G': {
		bool pin = op->a[0] < 2;
		unsigned int flags = gup_flags_of(m, op);
		unsigned long addr = r->uaddr + ((unsigned long)op->a[2] << PAGE_SHIFT);

		switch (op->a[0]) {
		case 0:
			mmap_read_lock(current->mm);
			ret = pin_user_pages(addr, op->a[3], flags, pages);
			mmap_read_unlock(current->mm);
			break;
		case 1:
			ret = pin_user_pages_fast(addr, op->a[3], flags, pages);
			break;
		case 2:
			mmap_read_lock(current->mm);
			ret = get_user_pages(addr, op->a[3], flags, pages);
			mmap_read_unlock(current->mm);
			break;
		default:
			ret = get_user_pages_fast(addr, op->a[3], flags, pages);
			break;
		}
		want = m_gup_result(m, op);
		if (want == -EBUSY) {
			/* F_LT_COHERENT: pinned, migration failed, unpinned */
			m->acq += op->a[3];
			m->rel += op->a[3];
			if (ret >= 0)
				m_fail(c, "gup_ret", "GUP: expected < 0, actual %ld", ret);
			break;
		}
		if (want) {
			M_CHECK(c, "gup_ret", want, ret, "GUP result");
			break;
		}
		M_CHECK(c, "gup_ret", op->a[3], ret, "GUP result");
		if (ret != op->a[3])
			break;
		for (i = 0; i < op->a[3]; i++) {
			unsigned int pg = op->a[2] + i;

			if (pages[i] != rig_page(r, pg))
				m_fail(c, "gup_page", "GUP page %u is not the mapped one", pg);
			if (pin) {
				m_apply(m, R_GUP_PIN, m_folio_of(m, pg), 1);
				m->ppin[pg]++;
			} else {
				m_apply(m, R_GUP_GET, m_folio_of(m, pg), 1);
			}
		}
		break;
	}
	case 'u':
		m_unpin_pages(m, m_folio_of(m, op->a[0]), 1, op->a[0]);
		m_apply(m, R_UNPIN, m_folio_of(m, op->a[0]), 1);
		unpin_user_page(rig_page(r, op->a[0]));
		break;
	case 'U':
	case 'D':
		k = op->code == 'D';
		for (i = k; i < op->n; i++) {
			pages[i - k] = rig_page(r, op->a[i]);
			m_unpin_pages(m, m_folio_of(m, op->a[i]), 1, op->a[i]);
			m_apply(m, R_UNPIN, m_folio_of(m, op->a[i]), 1);
		}
		if (!k) {
			unpin_user_pages(pages, op->n);
			break;
		}
		if (!c->concurrent)
			m_dirty_clear(r, m, op->a + 1, op->n - 1);
		unpin_user_pages_dirty_lock(pages, op->n - 1, op->a[0]);
		if (!c->concurrent)
			m_dirty_check(c, r, op->a + 1, op->n - 1, op->a[0]);
		break;
	case 'r': {
		u8 rp[M_MAXP];

		for (i = 0; i < op->a[1]; i++) {
			rp[i] = op->a[0] + i;
			m_unpin_pages(m, m_folio_of(m, rp[i]), 1, rp[i]);
			m_apply(m, R_UNPIN, m_folio_of(m, rp[i]), 1);
		}
		if (!c->concurrent)
			m_dirty_clear(r, m, rp, op->a[1]);
		unpin_user_page_range_dirty_lock(rig_page(r, op->a[0]),
						 op->a[1], op->a[2]);
		if (!c->concurrent)
			m_dirty_check(c, r, rp, op->a[1], op->a[2]);
		break;
	}
	case 'o':
		m_unpin_pages(m, op->a[0], 1, -1);
		m_apply(m, R_UNPIN, op->a[0], 1);
		unpin_folio(r->folio[op->a[0]]);
		break;
	case 'O':
		for (i = 0; i < op->n; i++) {
			folios[i] = r->folio[op->a[i]];
			m_unpin_pages(m, op->a[i], 1, -1);
			m_apply(m, R_UNPIN, op->a[i], 1);
		}
		unpin_folios(folios, op->n);
		break;
	case 'm': {
		struct dev_pagemap *cached = op->a[1] ? &r->fdm->pgmap : NULL;
		struct dev_pagemap *got;
		unsigned long pfn;
		bool inside = true;

		if (op->a[0] < SEL_LAST)
			pfn = r->pfn0 + op->a[0];
		else if (op->a[0] == SEL_LAST)
			pfn = r->pfn0 + M_PGMAP_PAGES - 1;
		else if (op->a[0] == SEL_PAST)
			pfn = r->pfn0 + M_PGMAP_PAGES;
		else
			pfn = r->pfn0 - 1;
		if (op->a[0] > SEL_LAST)
			inside = false;
		got = cached ? devmap_get_dev_pagemap_cached(pfn, cached) :
			       devmap_get_dev_pagemap(pfn);
		if (inside && (cached || !m->unmap_started)) {
			/* F_GDP_CACHED: as-is; F_GDP: a new reference */
			if (!cached)
				m->pgrefs++;
			M_CHECK(c, "gdp", 1, got == &r->fdm->pgmap,
				"get_dev_pagemap(pfn %s%u, %s) is ours",
				"+", op->a[0], cached ? "cached" : "NULL");
			if (got && got != &r->fdm->pgmap)
				put_dev_pagemap(got);
			break;
		}
		if (cached)
			m->pgrefs--;
		M_CHECK(c, "gdp", 0, got == &r->fdm->pgmap,
			"get_dev_pagemap(sel %u, %s) is ours", op->a[0],
			cached ? "cached" : "NULL");
		if (got)
			put_dev_pagemap(got);
		break;
	}
	case 'q':
		m->pgrefs--;
		put_dev_pagemap(&r->fdm->pgmap);
		break;
	case 'a': {
		struct page *page = m_alloc(c, r, op->a[0]);

		if (page && PageLocked(page))
			unlock_page(page);
		break;
	}
	case 'M':
	case 'E':
	case 'W':
	case 'Y':
	case 'B':
	case 'R':
		m_exec_anon(c, r, op);
		break;
	case 'x':
		ret = try_grab_folio(r->folio[op->a[0]], 1,
				     op->a[1] ? FOLL_PIN : FOLL_GET);
		M_CHECK(c, "grab_ret", -ENOMEM, ret, "try_grab_folio() of a free folio");
		break;
	case 'z':
		mmap_read_lock(current->mm);
		ret = pin_user_pages(mt->zero_addr, 1, 0, &pages[0]);
		mmap_read_unlock(current->mm);
		M_CHECK(c, "zero_page", 1, ret, "pin of the zero page");
		if (ret == 1 && m->zero_pins < ARRAY_SIZE(mt->zero))
			mt->zero[m->zero_pins++] = pages[0];
		else if (ret == 1)
			unpin_user_page(pages[0]);
		break;
	case 'Z':
		unpin_user_page(mt->zero[--m->zero_pins]);
		break;
	case 'X':
		/* Zap first: R_ZAP_PAGE, page by page in address order. */
		if (m->mapped && m->t->map == MAP_PAGE)
			for (i = 0; i < m->nmapped; i++) {
				m->f[m_folio_of(m, i)].maprefs--;
				m_apply(m, R_ZAP_PAGE, m_folio_of(m, i), 1);
			}
		m->mapped = false;
		rig_munmap(r);
		m->unmap_started = true;
		fake_devmap_unmap_start(r->fdm);
		if (!rig_wait_killed(r, HZ))
			m_fail(c, "unmap", "memunmap_pages() did not kill the pgmap ref in 1 s");
		if (m_live_refs(m) &&
		    fake_devmap_unmap_wait(r->fdm, msecs_to_jiffies(10))) {
			/* F_UNMAP: must wait; 10 ms are enough to see it */
			m_fail(c, "unmap", "memunmap_pages() finished with %d pgmap refs held",
			       m_live_refs(m));
			r->pgmap_gone = true;	/* its struct pages are gone */
		}
		break;
	}
	if (c->concurrent)
		return;
	if (op->code == 'G' && (op->a[0] == 1 || op->a[0] == 3))
		m_fast_backoff(m, r, op);
	for (i = 0; i < m->nf; i++)
		if (stale[i] && !m->f[i].freed_now)
			r->folio[i]->mapping = NULL;
	if (m->unmap_started && !m->unmapped && !m_live_refs(m)) {
		/* F_UNMAP: the last pgmap ref is gone, it finishes */
		bool done = fake_devmap_unmap_wait(r->fdm, HZ / 2);

		M_CHECK(c, "unmap", 1, done,
			"memunmap_pages() finished once no pgmap ref is left");
		m->unmapped = true;
		r->pgmap_gone = done;
	}
	m_check_edges(c, before);
	m_check(c, r, stale);
	for (i = 0; i < m->nf; i++)
		if (stale[i] && !r->pgmap_gone)
			r->folio[i]->mapping = NULL;
}
