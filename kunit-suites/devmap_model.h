/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The devmap_model suite's shared declarations. The suite is split by job:
 *   devmap_model_kunit.c   the cases and the suite, module parameters, the
 *                          concurrent mode
 *   devmap_model_core.c    the model and its rules (devmap_model_rules.h)
 *   devmap_model_rig.c     the kernel side: set-up, execution, comparison
 *   devmap_model_gen.c     generation of random sequences, the teardown
 *   devmap_model_shrink.c  running, encoding, shrinking and replay
 * (see devmap_model_kunit.c for what the suite does).
 */
#ifndef _DEVMAP_MODEL_H
#define _DEVMAP_MODEL_H

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

#define M_BIAS GUP_PIN_COUNTING_BIAS
#include "devmap_model_rules.h"

/* Module parameters of devmap_model_kunit (devmap_model_kunit.c). */
extern unsigned int devmap_model_steps;
extern char *devmap_model_ops;

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

/* Per test: the zero page's address (the mm is attached by kunit). */
struct m_test {
	unsigned long zero_addr;
	struct page *zero[64];
};

#define M_CHECK(c, kind, want, got, fmt, ...)				\
	do {								\
		long __w = (want), __g = (got);				\
		if (__w != __g)						\
			m_fail(c, kind, fmt ": expected %ld, actual %ld",	\
			       ##__VA_ARGS__, __w, __g);		\
	} while (0)

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

/* ---- small functions of the model --------------------------------------- */

static inline int m_folio_of(const struct model *m, unsigned int page)
{
	return page >> m->order;
}

/*
 * Idle at 0: a driver hands folios out (F_ALLOC, F_HANDOUT) and they come
 * back at refcount 0 (S_FREE).
 */
static inline bool m_hands_out(const struct model *m)
{
	return m->t->handout != DEVMAP_HANDOUT_NONE;
}

/*
 * The anonymous window: driver types whose anonymous pages migrate_vma
 * moves to the device, for folios of the order this base migrates.
 */
static inline bool m_migrates(const struct model *m)
{
	return (m->t->tm & TM_DRIVER) &&
	       (!m->order || DEVMAP_BASE_LARGE_DEVICE_MIGRATION);
}

/* pgmap references a hand-out of one folio takes (and its free drops). */
static inline int m_alloc_refs(const struct model *m)
{
	switch (m->t->alloc_refs) {
	case DEVMAP_PGREFS_ONE:
		return 1;
	case DEVMAP_PGREFS_NR:
		return m->npp;
	}
	return 0;
}

static inline bool m_has_pincount(const struct model *m)
{
	return m->order > 0;
}

static inline bool m_can_map(const struct model *m)
{
	return m->t->map != MAP_NONE;
}

/* devmap_model_core.c */
const struct m_type_row *m_type_of(enum memory_type type);
enum m_state m_state_of(const struct model *m, int i);
void m_fail(struct m_ctx *c, const char *kind, const char *fmt, ...);
void m_apply(struct model *m, enum m_rule_id id, int i, int n);
int m_live_refs(const struct model *m);
long m_pgmap_count(const struct model *m);
int m_free_folio(const struct model *m, unsigned long taken);
bool m_migrated_idle(const struct model *m, int k);
bool m_collectable(const struct model *m, unsigned int j);
bool m_valid(const struct model *m, const struct m_op *op);
void m_unpin_pages(struct model *m, int fi, int cnt, int p);

/* devmap_model_rig.c */
void rig_destroy(struct rig *r, struct model *m);
int rig_create(struct rig *r, struct model *m, struct kunit *test,
	       const struct devmap_param *p, struct m_fail *fail);
void m_check(struct m_ctx *c, struct rig *r, const bool *stale);
void m_check_lookup(struct m_ctx *c, struct rig *r);
void m_exec(struct m_ctx *c, struct rig *r, struct m_test *mt,
	    const struct m_op *op);

/* devmap_model_gen.c */
void op_set(struct m_op *op, char code, unsigned int n, ...);
bool m_gen(const struct model *m, u64 *s, struct m_op *op,
	   unsigned int left);
unsigned int m_teardown(const struct model *m, struct m_op *out);

/* devmap_model_shrink.c */
void m_run(struct kunit *test, struct m_test *mt, struct m_run *run);
unsigned int m_shrink(struct kunit *test, struct m_test *mt,
		      const struct devmap_param *p, struct m_op *cur,
		      unsigned int n, const char *kind,
		      unsigned int *replays);
void m_print(struct kunit *test, const struct devmap_param *p,
	     const struct m_op *ops, unsigned int n, bool repro);
void m_report(struct kunit *test, const struct devmap_param *p,
	      struct m_run *run, const char *what, u64 seed);
void devmap_model_replay(struct kunit *test, struct m_test *mt);

#endif /* _DEVMAP_MODEL_H */
