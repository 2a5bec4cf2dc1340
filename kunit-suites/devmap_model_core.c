// SPDX-License-Identifier: GPL-2.0
/*
 * devmap_model, the model: its type rows, transitions (m_apply()),
 * validity of operations (m_valid()).
 */

#include "devmap_model.h"

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

const struct m_type_row *m_type_of(enum memory_type type)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(m_type_rows); i++)
		if (m_type_rows[i].tm == m_type_mask(type))
			return &m_type_rows[i];
	return &m_type_rows[0];
}

/* The abstract state of a folio, for the edge check and the picture. */
enum m_state m_state_of(const struct model *m, int i)
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

void m_fail(struct m_ctx *c, const char *kind, const char *fmt, ...)
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
void m_apply(struct model *m, enum m_rule_id id, int i, int n)
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
int m_live_refs(const struct model *m)
{
	return m->pgrefs + m->allocated;
}

/*
 * The pgmap's own count while live: 1 (initial) + one per folio
 * (F_PGREF_PAGES) or the hand-outs' (F_ALLOC) + ours.
 */
long m_pgmap_count(const struct model *m)
{
	return 1 + m->pgrefs + m->allocated +
	       (m->t->pgref == PGREF_PER_PAGE ? M_PGMAP_PAGES >> m->order : 0);
}

/* The lowest free driver folio not in @taken (a bit per folio), or -1. */
int m_free_folio(const struct model *m, unsigned long taken)
{
	unsigned int i;

	for (i = 0; i < m->nf; i++)
		if (!m->f[i].ref && !(taken & BIT(i)))
			return i;
	return -1;
}

/* A migrated folio with nothing but its mapping's reference. */
bool m_migrated_idle(const struct model *m, int k)
{
	return m->f[k].anon && m->f[k].ref == m->f[k].maprefs &&
	       !m->f[k].pins;
}

/* Would migrate_vma_setup() collect anonymous page @j (F_MIGRATE_*)? */
bool m_collectable(const struct model *m, unsigned int j)
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
bool m_valid(const struct model *m, const struct m_op *op)
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
void m_unpin_pages(struct model *m, int fi, int cnt, int p)
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
