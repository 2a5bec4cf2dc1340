// SPDX-License-Identifier: GPL-2.0
/*
 * devmap_model, generation: random operations valid in the model's state,
 * and the teardown that gives everything back.
 */

#include "devmap_model.h"

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

/* ---- generation -------------------------------------------------------- */

void op_set(struct m_op *op, char code, unsigned int n, ...)
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

bool m_gen(const struct model *m, u64 *s, struct m_op *op,
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
		if (left * 4 > devmap_model_steps || rnd(s, 3))
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
unsigned int m_teardown(const struct model *m, struct m_op *out)
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
