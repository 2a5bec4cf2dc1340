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
 */

#include <kunit/test.h>
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/migrate.h>
#include <linux/mman.h>
#include <linux/moduleparam.h>
#include <linux/percpu-refcount.h>
#include <linux/slab.h>
#include <linux/swap.h>
#include <linux/uaccess.h>
#include <linux/vmstat.h>
#include <linux/wait_bit.h>

#include "devmap_kunit.h"
#include "mm/internal.h"	/* try_grab_folio() */

#define M_BIAS GUP_PIN_COUNTING_BIAS
#include "devmap_model_rules.h"

static unsigned long seed_start = 1;
module_param(seed_start, ulong, 0444);
MODULE_PARM_DESC(seed_start, "first seed of each (type, order) case");
static unsigned int seeds = 16;
module_param(seeds, uint, 0444);
MODULE_PARM_DESC(seeds, "seeds per (type, order) case");
static unsigned int steps = 48;
module_param(steps, uint, 0444);
MODULE_PARM_DESC(steps, "operations per sequence");
static char *ops;
module_param(ops, charp, 0444);
MODULE_PARM_DESC(ops, "replay this sequence (as printed on failure)");
static unsigned int progress;
module_param(progress, uint, 0444);
MODULE_PARM_DESC(progress, "print a progress line every N seeds");

/* ---- the tables (devmap_model_rules.h) ------------------------------- */

static unsigned int m_type_mask(enum memory_type type)
{
	switch (type) {
	case MEMORY_DEVICE_GENERIC:
		return TM_GENERIC;
	case MEMORY_DEVICE_FS_DAX:
		return TM_FS_DAX;
	case MEMORY_DEVICE_PRIVATE:
		return TM_PRIVATE;
	case MEMORY_DEVICE_COHERENT:
		return TM_COHERENT;
	default:
		return TM_P2PDMA;
	}
}

static const struct m_type_row *m_type_of(enum memory_type type)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(m_type_rows); i++)
		if (m_type_rows[i].tm == m_type_mask(type))
			return &m_type_rows[i];
	return &m_type_rows[0];
}

/* ---- the model's state ------------------------------------------------- */

#define M_MAXF		6	/* device folios in the model */
#define M_MAXP		12	/* their pages */
#define M_NORMAL	2	/* normal folios for the batches */
#define M_MAXA		10	/* arguments of one operation */
#define M_PGMAP_PAGES	PAGES_PER_SUBSECTION
#define SEL_LAST	250	/* get_dev_pagemap(): the pgmap's last pfn */
#define SEL_PAST	251	/* one past it */
#define SEL_BEFORE	252	/* one before the first */
#define M_ANON		4	/* anonymous pages the driver types migrate */
#define M_RAM		-1	/* where[]: the anonymous page is in RAM */
#define M_GONE		-2	/* where[]: unmapped */
#define M_BUSY_MAX	3	/* GUP references per anonymous page */

struct m_op {
	char code;
	u8 n;
	u8 a[M_MAXA];
};

struct m_folio {
	int ref;	/* expected _refcount */
	int pins;	/* pins held: _pincount for large folios */
	int owned;	/* plain references the test may put */
	int maprefs;	/* references the user mapping holds */
	int wakes;	/* FS_DAX wake-ups expected */
	int anon;	/* 1 + the anonymous page migrated here, or 0 */
	bool freed_now;	/* freed by the current step */
};

struct model {
	const struct m_type_row *t;
	unsigned int order, npp, nf, np, nmapped;	/* nmapped: pages */
	struct m_folio f[M_MAXF];
	u8 ppin[M_MAXP];	/* pins per page, to choose unpin arguments */
	int normal_owned[M_NORMAL];
	int page_free, last_freed;
	long acq, rel;
	int pgrefs;		/* get_dev_pagemap() references we hold */
	int allocated;		/* pgmap refs the hand-outs hold (F_ALLOC) */
	int zero_pins;
	bool mapped, unmap_started, unmapped;
	/* The anonymous window (driver types): where each page lives. */
	s8 where[M_ANON];	/* M_RAM, M_GONE, or the device folio */
	u8 busy_get[M_ANON], busy_pin[M_ANON];	/* GUP refs we hold */
	int m2r;		/* ->migrate_to_ram() calls */
};

/* ---- what the kernel has ----------------------------------------------- */

struct m_wake {
	struct wait_queue_entry wq;
	void *var;
	int wakeups;
	bool added;
};

struct rig {
	struct kunit *test;
	struct fake_devmap *fdm;
	struct folio *folio[M_MAXF];
	struct folio *normal[M_NORMAL];
	struct m_wake wake[M_MAXF];
	unsigned long uaddr, ulen;
	unsigned long anon_addr;		/* M_ANON anonymous pages */
	struct page *anon_busy[M_ANON];		/* the page GUP gave us */
	unsigned long pfn0;
	long acq0, rel0;
	int key0, zero0;
	bool pgmap_gone;
};

/* The first mismatch of a run. */
struct m_fail {
	int step;		/* index of the op, or -1: set-up, >= nops: teardown */
	char kind[24];		/* what differed: shrinking keeps it */
	char what[200];
};

/* ---- small helpers ----------------------------------------------------- */

static u64 rng_next(u64 *s)
{
	/* xorshift64*: deterministic per seed, independent of the kernel */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

static unsigned int rnd(u64 *s, unsigned int n)
{
	return n ? (unsigned int)((rng_next(s) >> 33) % n) : 0;
}

static long foll_pin_stat(enum node_stat_item item)
{
	struct pglist_data *pgdat;
	long v = 0;
	int cpu;

	for_each_online_pgdat(pgdat) {
		v += atomic_long_read(&pgdat->vm_stat[item]);
		for_each_online_cpu(cpu)
			v += per_cpu_ptr(pgdat->per_cpu_nodestats,
					 cpu)->vm_node_stat_diff[item];
	}
	return v;
}

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

static int m_folio_of(const struct model *m, unsigned int page)
{
	return page >> m->order;
}

/*
 * Idle at 0: a driver hands folios out (F_ALLOC, F_HANDOUT) and they come
 * back at refcount 0 (S_FREE).
 */
static bool m_hands_out(const struct model *m)
{
	return m->t->handout != DEVMAP_HANDOUT_NONE;
}

/*
 * The anonymous window: driver types whose anonymous pages migrate_vma
 * moves to the device, for folios of the order this base migrates.
 */
static bool m_migrates(const struct model *m)
{
	return (m->t->tm & TM_DRIVER) &&
	       (!m->order || DEVMAP_BASE_LARGE_DEVICE_MIGRATION);
}

/* pgmap references a hand-out of one folio takes (and its free drops). */
static int m_alloc_refs(const struct model *m)
{
	switch (m->t->alloc_refs) {
	case DEVMAP_PGREFS_ONE:
		return 1;
	case DEVMAP_PGREFS_NR:
		return m->npp;
	}
	return 0;
}

static bool m_has_pincount(const struct model *m)
{
	return m->order > 0;
}

/* The abstract state of a folio, for the edge check and the picture. */
static enum m_state m_state_of(const struct model *m, int i)
{
	const struct m_folio *f = &m->f[i];

	if (f->pins)
		return S_PINNED;
	if (f->anon)
		return f->ref == f->maprefs ? S_MIGRATED : S_HELD;
	if (m_hands_out(m) && f->ref == 0)
		return S_FREE;
	if (f->ref == (m_hands_out(m) ? 1 : m->t->idle_ref) + f->maprefs)
		return S_IDLE;
	return S_HELD;
}

/* ---- the model: transitions -------------------------------------------- */

struct m_ctx {
	struct model *m;
	struct m_fail *fail;
	int step;
	/*
	 * Concurrent mode: m is one thread's ledger (what it holds), not the
	 * folios' state; only the calls' own results are checked per step.
	 */
	bool concurrent;
};

static void m_fail(struct m_ctx *c, const char *kind, const char *fmt, ...)
{
	va_list ap;

	if (c->fail->kind[0])
		return;
	c->fail->step = c->step;
	strscpy(c->fail->kind, kind, sizeof(c->fail->kind));
	va_start(ap, fmt);
	vsnprintf(c->fail->what, sizeof(c->fail->what), fmt, ap);
	va_end(ap);
}

/*
 * Refcount reached 0: free_zone_device_folio(), F_ZERO (a free callback),
 * F_ZERO_SILENT (none, reset to 1), F_WAKE at 0: what the type row says.
 */
static void m_on_zero(struct model *m, int i)
{
	struct m_folio *f = &m->f[i];

	if (m->t->free_cb) {
		m->page_free++;
		m->last_freed = i;
	}
	f->freed_now = true;
	f->ref = m->t->ref_after_free;
	f->owned = m->t->ref_after_free;
	if (m->t->on_zero == ZERO_DROP_PGMAP)
		m->allocated -= m_alloc_refs(m);
	if (m->t->on_zero == ZERO_WAKE0)
		f->wakes++;
}

/* Apply @n units of rule @r to device folio @i. */
static void m_apply(struct model *m, enum m_rule_id id, int i, int n)
{
	const struct m_rule *r = &m_rules[id];
	struct m_folio *f = &m->f[i];

	f->ref += n * (m->order ? r->ref_large : r->ref_small);
	f->pins += n * r->pins;
	f->owned += n * r->owned;
	m->acq += n * r->acq;
	m->rel += n * r->rel;
	if (r->path == PATH_NONE)
		return;
	if (r->path == PATH_MANAGED && m->t->on_zero == ZERO_NEVER) {
		/* F_WAKE before 6.15: 1-based, a put landing at 1 wakes, never frees */
		if (f->ref == 1)
			f->wakes++;
		return;
	}
	if (f->ref == 0)
		m_on_zero(m, i);
}

/* pgmap references memunmap_pages() waits for (F_UNMAP, F_ALLOC). */
static int m_live_refs(const struct model *m)
{
	return m->pgrefs + m->allocated;
}

/*
 * The pgmap's own count while live: 1 (initial) + one per folio
 * (F_PGREF_PAGES) or the hand-outs' (F_ALLOC) + ours.
 */
static long m_pgmap_count(const struct model *m)
{
	return 1 + m->pgrefs + m->allocated +
	       (m->t->pgref == PGREF_PER_PAGE ? M_PGMAP_PAGES >> m->order : 0);
}

static bool m_can_map(const struct model *m)
{
	return m->t->map != MAP_NONE;
}

/* The lowest free driver folio not in @taken (a bit per folio), or -1. */
static int m_free_folio(const struct model *m, unsigned long taken)
{
	unsigned int i;

	for (i = 0; i < m->nf; i++)
		if (!m->f[i].ref && !(taken & BIT(i)))
			return i;
	return -1;
}

/* A migrated folio with nothing but its mapping's reference. */
static bool m_migrated_idle(const struct model *m, int k)
{
	return m->f[k].anon && m->f[k].ref == m->f[k].maprefs &&
	       !m->f[k].pins;
}

/* Would migrate_vma_setup() collect anonymous page @j (F_MIGRATE_*)? */
static bool m_collectable(const struct model *m, unsigned int j)
{
	return m->where[j] == M_RAM && !m->busy_get[j] && !m->busy_pin[j];
}

/*
 * The anonymous window's operations (driver types): migrate to the device
 * 'M' (first, n), evict 'E' (first folio, n), CPU access 'W', munmap 'Y'
 * (page), GUP reference 'B' / its release 'R' (page, 0 get / 1 pin).
 * What they may not do: evict or fault a page held by anything but its
 * mapping (what migrate_device_range() and ->migrate_to_ram() do with
 * such a page is a retry, not a documented result).
 */
static bool m_valid_anon(const struct model *m, const struct m_op *op)
{
	unsigned int i, j = op->a[0], k = 0;
	unsigned long taken = 0;

	if (!m_migrates(m) || op->n != (strchr("MEBR", op->code) ? 2 : 1))
		return false;
	switch (op->code) {
	case 'M':
		if (m->unmap_started || !op->a[1] || j + op->a[1] > M_ANON)
			return false;
		for (i = j; i < j + op->a[1]; i++) {
			if (m->where[i] == M_GONE)
				return false;
			if (!m_collectable(m, i))
				continue;
			k = m_free_folio(m, taken);
			if ((int)k < 0)
				return false;
			taken |= BIT(k);
		}
		return true;
	case 'E':
		if (!op->a[1] || j + op->a[1] > m->nf)
			return false;
		for (i = j; i < j + op->a[1]; i++)
			if (m->f[i].ref && !m_migrated_idle(m, i))
				return false;
		return true;
	case 'W':
		return j < M_ANON && m->where[j] != M_GONE &&
		       (m->where[j] == M_RAM || m->t->tm == TM_COHERENT ||
			m_migrated_idle(m, m->where[j]));
	case 'Y':
		return j < M_ANON && m->where[j] != M_GONE;
	case 'B':
		return j < M_ANON && op->a[1] < 2 && m->where[j] == M_RAM &&
		       (op->a[1] ? m->busy_pin[j] : m->busy_get[j]) < M_BUSY_MAX;
	case 'R':
		return j < M_ANON && op->a[1] < 2 &&
		       (op->a[1] ? m->busy_pin[j] : m->busy_get[j]) > 0;
	}
	return false;
}

/*
 * FOLL_LONGTERM on a large COHERENT folio: migrate_device_coherent_folio()
 * cannot move it (WARN_ON_ONCE(folio_test_large())): not a documented
 * result, never drawn.
 */
static bool m_lt_large_coherent(const struct model *m, const struct m_op *op)
{
	return (op->a[1] & 1) && m->t->tm == TM_COHERENT && m->order;
}

/*
 * Is @op valid in the model's current state? Invalid operations are
 * never generated; on replay (shrinking) they are skipped.
 */
static bool m_valid(const struct model *m, const struct m_op *op)
{
	int need[M_MAXF] = {}, normal[M_NORMAL] = {};
	unsigned int i, k;
	bool pin;

	if (m->unmapped && op->code == 'b') {
		/* the pgmap is gone: batches of normal folios only */
		for (i = 0; i < op->n; i += 2)
			if (op->a[i] < 100)
				return false;
	} else if (m->unmapped && !strchr("zZnR", op->code)) {
		return false;
	}
	switch (op->code) {
	case 'g':	/* get_page() */
		return op->n == 1 && op->a[0] < m->np &&
		       m->f[m_folio_of(m, op->a[0])].ref > 0;
	case 'p':	/* put_page() */
		return op->n == 1 && op->a[0] < m->np &&
		       m->f[m_folio_of(m, op->a[0])].owned > 0;
	case 'f':	/* folio_put_refs() */
		return op->n == 2 && op->a[0] < m->nf && op->a[1] > 0 &&
		       m->f[op->a[0]].owned >= op->a[1];
	case 'n':	/* folio_get() on a normal folio */
		return op->n == 1 && op->a[0] < M_NORMAL;
	case 'b':	/* folios_put_refs() */
		if (!op->n || op->n % 2 || op->n / 2 > 4)
			return false;
		for (i = 0; i < op->n; i += 2) {
			k = op->a[i];
			if (!op->a[i + 1])
				return false;
			if (k >= 100 && k - 100 < M_NORMAL)
				normal[k - 100] += op->a[i + 1];
			else if (k < m->nf)
				need[k] += op->a[i + 1];
			else
				return false;
		}
		for (i = 0; i < m->nf; i++)
			if (need[i] > m->f[i].owned)
				return false;
		for (i = 0; i < M_NORMAL; i++)
			if (normal[i] > m->normal_owned[i])
				return false;
		return true;
	case 'G':	/* GUP: variant, flags, start, n */
		pin = op->a[0] < 2;
		return op->n == 4 && m->mapped && !m->unmap_started &&
		       op->a[0] < 4 && op->a[3] > 0 &&
		       op->a[2] + op->a[3] <= m->nmapped &&
		       (pin || !(op->a[1] & 1)) &&
		       !m_lt_large_coherent(m, op);
	case 'u':	/* unpin_user_page() */
		return op->n == 1 && op->a[0] < m->np && m->ppin[op->a[0]];
	case 'U':	/* unpin_user_pages() */
	case 'D':	/* unpin_user_pages_dirty_lock(): dirty, pages */
		k = op->code == 'D';
		if (op->n <= k)
			return false;
		for (i = k; i < op->n; i++) {
			if (op->a[i] >= m->np)
				return false;
			need[m_folio_of(m, op->a[i])]++;
		}
		for (i = 0; i < m->nf; i++)
			if (need[i] > m->f[i].pins)
				return false;
		return true;
	case 'r':	/* unpin_user_page_range_dirty_lock(): start, n, dirty */
		if (op->n != 3 || !op->a[1] || op->a[0] + op->a[1] > m->np)
			return false;
		for (i = op->a[0]; i < op->a[0] + op->a[1]; i++)
			need[m_folio_of(m, i)]++;
		for (i = 0; i < m->nf; i++)
			if (need[i] > m->f[i].pins)
				return false;
		return true;
	case 'o':	/* unpin_folio() */
		return op->n == 1 && op->a[0] < m->nf && m->f[op->a[0]].pins;
	case 'O':	/* unpin_folios() */
		if (!op->n)
			return false;
		for (i = 0; i < op->n; i++) {
			if (op->a[i] >= m->nf)
				return false;
			need[op->a[i]]++;
		}
		for (i = 0; i < m->nf; i++)
			if (need[i] > m->f[i].pins)
				return false;
		return true;
	case 'm':	/* get_dev_pagemap(): sel, cached (F_GDP_CACHED's bases) */
		return op->n == 2 && op->a[1] < 2 &&
		       (op->a[0] < SEL_LAST || op->a[0] <= SEL_BEFORE) &&
		       (!op->a[1] ||
			(DEVMAP_BASE_GDP_CACHED_ARG && m->pgrefs > 0));
	case 'q':	/* put_dev_pagemap() */
		return !op->n && m->pgrefs > 0;
	case 'a':	/* a driver's hand-out */
		return op->n == 1 && m_hands_out(m) && op->a[0] < m->nf &&
		       !m->unmap_started && m->f[op->a[0]].ref == 0;
	case 'x':	/* try_grab_folio() of a free page: pin? */
		return op->n == 2 && m_hands_out(m) && op->a[0] < m->nf &&
		       op->a[1] < 2 && m->f[op->a[0]].ref == 0;
	case 'z':	/* pin the zero page */
		return !op->n;
	case 'Z':
		return !op->n && m->zero_pins > 0;
	case 'M':	/* the anonymous window */
	case 'E':
	case 'W':
	case 'Y':
	case 'B':
	case 'R':
		return m_valid_anon(m, op);
	case 'X':	/* munmap the user mapping, memunmap_pages() */
		if (op->n || m->unmap_started)
			return false;
		if (m->t->pgref == PGREF_PER_ALLOC)
			return true;
		/*
		 * Page refs don't hold the pgmap of these (hand-outs neither):
		 * give them back first.
		 */
		for (i = 0; i < m->nf; i++)
			if (m->f[i].pins || m->f[i].owned > m->t->base_droppable)
				return false;
		return true;
	}
	return false;
}

/* Take @cnt pins of folio @fi off the per-page table, in @prefer first. */
static void m_unpin_pages(struct model *m, int fi, int cnt, int p)
{
	unsigned int i;

	if (p >= 0 && m->ppin[p] && cnt) {
		m->ppin[p]--;
		cnt--;
	}
	for (i = fi << m->order; cnt && i < ((fi + 1) << m->order); i++) {
		while (cnt && m->ppin[i]) {
			m->ppin[i]--;
			cnt--;
		}
	}
}

/* ---- the kernel side --------------------------------------------------- */

static struct page *rig_page(struct rig *r, unsigned int i)
{
	return fake_devmap_page(r->fdm, i);
}

/* Per test: the zero page's address (the mm is attached by kunit). */
struct m_test {
	unsigned long zero_addr;
	struct page *zero[64];
};

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

static void rig_destroy(struct rig *r, struct model *m)
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

static int rig_create(struct rig *r, struct model *m, struct kunit *test,
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

#define M_CHECK(c, kind, want, got, fmt, ...)				\
	do {								\
		long __w = (want), __g = (got);				\
		if (__w != __g)						\
			m_fail(c, kind, fmt ": expected %ld, actual %ld",	\
			       ##__VA_ARGS__, __w, __g);		\
	} while (0)

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
static void m_check(struct m_ctx *c, struct rig *r, const bool *stale)
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
static void m_check_lookup(struct m_ctx *c, struct rig *r)
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

/* Execute @op on the kernel and in the model; check. */
static void m_exec(struct m_ctx *c, struct rig *r, struct m_test *mt,
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
		if (m_live_refs(m) && fake_devmap_unmap_wait(r->fdm, 1)) {
			/* F_UNMAP: must wait; 1 jiffy is enough to see it */
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

/* ---- generation -------------------------------------------------------- */

static void op_set(struct m_op *op, char code, unsigned int n, ...)
{
	va_list ap;
	unsigned int i;

	op->code = code;
	op->n = n;
	va_start(ap, n);
	for (i = 0; i < n; i++)
		op->a[i] = va_arg(ap, int);
	va_end(ap);
}

/* A page holding a pin, or -1. */
static int pick_pinned(const struct model *m, u64 *s)
{
	unsigned int i, total = 0, k;

	for (i = 0; i < m->np; i++)
		total += m->ppin[i];
	if (!total)
		return -1;
	k = rnd(s, total);
	for (i = 0; i < m->np; i++) {
		if (k < m->ppin[i])
			return i;
		k -= m->ppin[i];
	}
	return -1;
}

/* Fill @op with a random operation; false if this draw found none. */
/*
 * Known bugs of the base kernel that the model found, kept out of the
 * random sequences so that they do not hide everything else (each is
 * named in scripts/sandbox/bases.py and in MODEL.md):
 *
 * 6.12, GUP-fast (x86_64; UML has none): try_grab_folio_fast() checks
 * is_pci_p2pdma_page() on the page, and for a tail page of a compound
 * P2PDMA pgmap page->pgmap is the compound_head word, so a pin or get
 * without FOLL_PCI_P2PDMA of a tail page succeeds instead of failing
 * with -EREMOTEIO (the slow path checks the head and refuses). Drawn as
 * the slow-path call instead.
 */
static void m_avoid_base_bugs(const struct model *m, struct m_op *op)
{
	if (DEVMAP_BASE_BUG_P2PDMA_FAST_TAIL &&
	    IS_ENABLED(CONFIG_HAVE_GUP_FAST) && m->t->tm == TM_P2PDMA &&
	    m->order > 0 && (op->a[0] & 1) && (op->a[1] & 2))
		op->a[0] &= ~1;
}

/*
 * The anonymous window's operations: an eviction range grows around a
 * migrated folio (or is any range: free pages are skipped), so that it is
 * often valid.
 */
static bool m_gen_anon(const struct model *m, u64 *s, struct m_op *op)
{
	unsigned int j = rnd(s, M_ANON), lo, hi, i;

	switch (rnd(s, 10)) {
	case 0:
	case 1:
	case 2:
		op_set(op, 'M', 2, j, 1 + rnd(s, M_ANON - j));
		break;
	case 3:
	case 4:
		lo = rnd(s, m->nf);
		for (i = 0; i < m->nf; i++)
			if (m->f[(lo + i) % m->nf].anon) {
				lo = (lo + i) % m->nf;
				break;
			}
		hi = lo + 1;
		while (lo > 0 && rnd(s, 2) &&
		       (!m->f[lo - 1].ref || m_migrated_idle(m, lo - 1)))
			lo--;
		while (hi < m->nf && rnd(s, 2) &&
		       (!m->f[hi].ref || m_migrated_idle(m, hi)))
			hi++;
		op_set(op, 'E', 2, lo, hi - lo);
		break;
	case 5:
	case 6:
		op_set(op, 'W', 1, j);
		break;
	case 7:
		/* munmap loses the page for the rest of the sequence: rarely */
		if (rnd(s, 3))
			return false;
		op_set(op, 'Y', 1, j);
		break;
	case 8:
		op_set(op, 'B', 2, j, rnd(s, 2));
		break;
	default:
		op_set(op, 'R', 2, j, rnd(s, 2));
		break;
	}
	return m_valid(m, op);
}

static bool m_gen(const struct model *m, u64 *s, struct m_op *op,
		  unsigned int left)
{
	u8 tmp[M_MAXP];
	unsigned int i, k, n;
	int p;

	/* A draw of its own: the other types' sequences stay as they were. */
	if (m_migrates(m) && !rnd(s, 4))
		return m_gen_anon(m, s, op);
	switch (rnd(s, 20)) {
	case 0:
	case 1:
		op_set(op, 'g', 1, rnd(s, m->np));
		break;
	case 2:
		op_set(op, 'p', 1, rnd(s, m->np));
		break;
	case 3:
		k = rnd(s, m->nf);
		op_set(op, 'f', 2, k, 1 + rnd(s, max(m->f[k].owned, 1)));
		break;
	case 4:
		/* a batch mixing device and normal folios, repeats allowed */
		n = 1 + rnd(s, 4);
		op->code = 'b';
		op->n = 0;
		for (i = 0; i < n; i++) {
			if (rnd(s, 3)) {
				k = rnd(s, m->nf);
				op->a[op->n++] = k;
				op->a[op->n++] = 1 + rnd(s, max(m->f[k].owned, 1));
			} else {
				k = rnd(s, M_NORMAL);
				op->a[op->n++] = 100 + k;
				op->a[op->n++] = 1 + rnd(s, max(m->normal_owned[k], 1));
			}
		}
		break;
	case 5:
		op_set(op, 'n', 1, rnd(s, M_NORMAL));
		break;
	case 6:
	case 7:
	case 8:
		/* GUP on a random sub-range; rarely LONGTERM or no P2P flag */
		k = rnd(s, max(m->nmapped, 1U));
		n = 1 + rnd(s, max(m->nmapped - k, 1U));
		op_set(op, 'G', 4, rnd(s, 3) ? rnd(s, 2) : rnd(s, 4),
		       rnd(s, 6) ? 0 : 1 + rnd(s, 2), k, n);
		m_avoid_base_bugs(m, op);
		break;
	case 9:
		p = pick_pinned(m, s);
		if (p < 0)
			return false;
		op_set(op, 'u', 1, p);
		break;
	case 10:
	case 11:
		/* unpin_user_pages[_dirty_lock]() of some pins, shuffled */
		memcpy(tmp, m->ppin, sizeof(tmp));
		op->code = rnd(s, 2) ? 'U' : 'D';
		op->n = 0;
		if (op->code == 'D')
			op->a[op->n++] = rnd(s, 2);
		for (n = 1 + rnd(s, 5); n; n--) {
			for (i = 0, k = 0; i < m->np; i++)
				k += tmp[i];
			if (!k)
				break;
			k = rnd(s, k);
			for (i = 0; k >= tmp[i]; i++)
				k -= tmp[i];
			tmp[i]--;
			op->a[op->n++] = i;
		}
		if (op->n == (op->code == 'D'))
			return false;
		/* out of order; keep neighbours of a folio together sometimes */
		if (rnd(s, 2)) {
			k = op->code == 'D';
			for (i = op->n - 1; i > k; i--) {
				unsigned int j = k + rnd(s, i - k + 1);
				u8 t = op->a[i];

				op->a[i] = op->a[j];
				op->a[j] = t;
			}
		}
		break;
	case 12:
		/* a range starting anywhere, often inside a folio */
		p = pick_pinned(m, s);
		if (p < 0)
			return false;
		k = rnd(s, 2) ? p : (p & ~(m->npp - 1)) + rnd(s, m->npp);
		op_set(op, 'r', 3, k, 1 + rnd(s, min(m->np - k, 2 * m->npp)),
		       rnd(s, 2));
		break;
	case 13:
		p = pick_pinned(m, s);
		if (p < 0)
			return false;
		if (rnd(s, 2)) {
			op_set(op, 'o', 1, m_folio_of(m, p));
			break;
		}
		op->code = 'O';
		op->n = 1 + rnd(s, 3);
		for (i = 0; i < op->n; i++) {
			p = pick_pinned(m, s);
			op->a[i] = m_folio_of(m, p);
		}
		break;
	case 14:
	case 15:
		k = rnd(s, 8);
		/* cached only where get_dev_pagemap() takes one (F_GDP_CACHED) */
		op_set(op, 'm', 2, k < 3 ? rnd(s, m->np) : k < 4 ? 0 :
		       k < 5 ? rnd(s, SEL_LAST) : SEL_LAST + (k - 5),
		       DEVMAP_BASE_GDP_CACHED_ARG ? rnd(s, 2) : 0);
		break;
	case 16:
		op_set(op, 'q', 0);
		break;
	case 17:
		if (m_hands_out(m))
			op_set(op, rnd(s, 4) ? 'a' : 'x', rnd(s, 4) ? 1 : 2,
			       rnd(s, m->nf), rnd(s, 2));
		else
			op_set(op, rnd(s, 2) ? 'z' : 'Z', 0);
		if (op->code == 'a')
			op->n = 1;
		else if (op->code == 'x')
			op->n = 2;
		break;
	case 18:
		op_set(op, rnd(s, 2) ? 'z' : 'Z', 0);
		break;
	default:
		/* memunmap_pages() in the last quarter, refs possibly held */
		if (left * 4 > steps || rnd(s, 3))
			return false;
		op_set(op, 'X', 0);
		break;
	}
	return m_valid(m, op);
}

/*
 * What gives everything back, as operations: unpins, puts down to the
 * idle reference (driver pages: freed), pgmap refs, zero page pins, then
 * memunmap_pages() (F_UNMAP: it must finish).
 */
static unsigned int m_teardown(const struct model *m, struct m_op *out)
{
	unsigned int i, n = 0, k;
	struct m_op *op = NULL;

	for (i = 0; i < m->np; i++)
		for (k = 0; k < m->ppin[i]; k++) {
			if (!op || op->n == M_MAXA) {
				op = &out[n++];
				op->code = 'U';
				op->n = 0;
			}
			op->a[op->n++] = i;
		}
	for (i = 0; i < m->nf; i++) {
		int left = m->f[i].owned - m->t->base_droppable;

		for (; !m->unmapped && left > 0; left -= 200)
			op_set(&out[n++], 'f', 2, i, min(left, 200));
	}
	for (i = 0; i < M_NORMAL; i++)
		if (m->normal_owned[i])
			op_set(&out[n++], 'b', 2, 100 + i, m->normal_owned[i]);
	for (i = 0; i < M_ANON; i++) {
		for (k = 0; k < m->busy_get[i]; k++)
			op_set(&out[n++], 'R', 2, i, 0);
		for (k = 0; k < m->busy_pin[i]; k++)
			op_set(&out[n++], 'R', 2, i, 1);
	}
	for (i = 0; i < m->nf; i++)
		if (m->f[i].anon)
			op_set(&out[n++], 'E', 2, i, 1);
	for (i = 0; i < m->pgrefs; i++)
		op_set(&out[n++], 'q', 0);
	for (i = 0; i < m->zero_pins; i++)
		op_set(&out[n++], 'Z', 0);
	if (!m->unmap_started)
		op_set(&out[n++], 'X', 0);
	return n;
}

/* ---- running, encoding, shrinking -------------------------------------- */

#define M_MAXOPS	512
#define M_TEARDOWN_MAX	(2 * M_MAXOPS)

struct m_run {
	const struct devmap_param *p;
	struct m_op *ops;		/* in: to replay; out: what ran */
	unsigned int nops;
	bool generate;			/* else replay ops[] */
	u64 seed;
	struct m_fail fail;
	bool *skipped;			/* replay: invalid ops skipped */
};

static void m_run(struct kunit *test, struct m_test *mt, struct m_run *run)
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
static unsigned int m_shrink(struct kunit *test, struct m_test *mt,
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

static void m_print(struct kunit *test, const struct devmap_param *p,
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

static void m_report(struct kunit *test, const struct devmap_param *p,
		     struct m_run *run, const char *what, u64 seed)
{
	kunit_err(test, "devmap_model: %s %llu %s order %u: step %d: %s: %s\n",
		  what, seed, fake_devmap_type_name(p->type), p->order,
		  run->fail.step, run->fail.kind, run->fail.what);
}

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

/* Replay ops= in its own case. */
static void devmap_model_replay(struct kunit *test, struct m_test *mt)
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
	n = m_parse(ops, &type, &order, list);
	KUNIT_ASSERT_GE_MSG(test, n, 0, "devmap_model_kunit.ops=%s: bad encoding", ops);
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

static void devmap_model_random(struct kunit *test)
{
	const struct devmap_param *p = test->param_value;
	struct m_test *mt = kunit_kzalloc(test, sizeof(*mt), GFP_KERNEL);
	struct m_op *list;
	struct m_run run = { .p = p, .generate = true };
	unsigned long seed;
	unsigned int nsteps = min_t(unsigned int, steps, M_MAXOPS), n;
	unsigned int replays = 0;
	char kind[24];

	KUNIT_ASSERT_NOT_NULL(test, mt);
	KUNIT_ASSERT_EQ(test, m_test_init(test, mt), 0);
	if (ops && *ops) {
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
		th[t].nops = min_t(unsigned int, steps, M_MAXOPS);
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
	if (ops && *ops)
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
