// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite: the life of a ZONE_DEVICE folio, per pgmap type and folio
 * order, through the real mm functions (memremap_pages(), folio_get(),
 * folio_put(), free_zone_device_folio(), get_dev_pagemap(),
 * memunmap_pages()) on the fake-devmap provider's pages.
 *
 * What each type does differs per base: the cases read it from
 * devmap_expect(type) and the DEVMAP_BASE_* switches (devmap_base.h,
 * generated from scripts/sandbox/bases.py), never from an #if.
 *
 * 6.12 (mm/memremap.c, mm/mm_init.c):
 *  - idle refcount: 0 for PRIVATE and COHERENT, whose drivers set it to 1
 *    with zone_device_page_init() when they hand a page out, and 1 for
 *    the others (__init_zone_device_page());
 *  - the put that reaches 0 calls free_zone_device_folio(): ->page_free()
 *    once with the head page, folio->mapping cleared, then the refcount is
 *    reset to 1 (GENERIC, PCI_P2PDMA) or the pgmap reference that
 *    zone_device_page_init() took is dropped (PRIVATE, COHERENT);
 *  - FS_DAX is 1-based: the put that reaches 1 is the last one, it fires
 *    wake_up_var(&folio->_refcount) and never calls ->page_free().
 *
 * 7.3: only GENERIC idles at 1; FS_DAX and P2PDMA are handed out from 0
 * by setting the count to 1, PRIVATE and COHERENT by
 * zone_device_page_init() at any order (one pgmap reference per page).
 * Every put path is the same; the put that reaches 0 calls
 * ->folio_free(folio) for PRIVATE, COHERENT (and drops the folio's pgmap
 * references) and P2PDMA (count stays 0), resets GENERIC to 1 silently,
 * and fires wake_up_var(&folio->page) for FS_DAX; ->mapping is cleared
 * for PRIVATE, COHERENT and P2PDMA only.
 */

#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/panic.h>

#include "devmap_kunit.h"
#include "mm/internal.h"	/* try_grab_folio() */

static const struct devmap_param devmap_params[] = {
	{ MEMORY_DEVICE_GENERIC, 0 },
	{ MEMORY_DEVICE_GENERIC, 4 },
	{ MEMORY_DEVICE_FS_DAX, 0 },
	{ MEMORY_DEVICE_FS_DAX, 4 },
	{ MEMORY_DEVICE_PRIVATE, 0 },
	{ MEMORY_DEVICE_PRIVATE, 4 },
	{ MEMORY_DEVICE_COHERENT, 0 },
	{ MEMORY_DEVICE_COHERENT, 4 },
	{ MEMORY_DEVICE_PCI_P2PDMA, 0 },
	{ MEMORY_DEVICE_PCI_P2PDMA, 4 },
};

KUNIT_ARRAY_PARAM(devmap, devmap_params, devmap_param_desc);

/* The matrices of the cases about one type (or two). */
static const struct devmap_param fsdax_params[] = {
	{ MEMORY_DEVICE_FS_DAX, 0 },
	{ MEMORY_DEVICE_FS_DAX, 4 },
};

KUNIT_ARRAY_PARAM(fsdax, fsdax_params, devmap_param_desc);

static const struct devmap_param p2pdma_params[] = {
	{ MEMORY_DEVICE_PCI_P2PDMA, 0 },
	{ MEMORY_DEVICE_PCI_P2PDMA, 4 },
};

KUNIT_ARRAY_PARAM(p2pdma, p2pdma_params, devmap_param_desc);

static const struct devmap_param generic_params[] = {
	{ MEMORY_DEVICE_GENERIC, 0 },
	{ MEMORY_DEVICE_GENERIC, 4 },
};

KUNIT_ARRAY_PARAM(generic, generic_params, devmap_param_desc);

/* PRIVATE and COHERENT: the types drivers hand out with zone_device_page_init(). */
static const struct devmap_param driver_params[] = {
	{ MEMORY_DEVICE_PRIVATE, 0 },
	{ MEMORY_DEVICE_PRIVATE, 4 },
	{ MEMORY_DEVICE_COHERENT, 0 },
	{ MEMORY_DEVICE_COHERENT, 4 },
};

KUNIT_ARRAY_PARAM(driver, driver_params, devmap_param_desc);

static const struct devmap_param large_driver_params[] = {
	{ MEMORY_DEVICE_PRIVATE, 2 },
	{ MEMORY_DEVICE_PRIVATE, 4 },
	{ MEMORY_DEVICE_COHERENT, 2 },
	{ MEMORY_DEVICE_COHERENT, 4 },
};

KUNIT_ARRAY_PARAM(large_driver, large_driver_params, devmap_param_desc);

/* The free callback: how many a last put makes (0 or 1). */
static int free_calls(enum memory_type type)
{
	return devmap_expect(type)->free_cb != DEVMAP_FREE_CB_NONE;
}

/* Every page of a new pgmap: ZONE_DEVICE, our pgmap, idle refcount. */
static void devmap_idle_pages(struct kunit *test)
{
	const struct devmap_param *p = test->param_value;
	struct fake_devmap *fdm = devmap_get(test, PAGES_PER_SUBSECTION, 1);
	unsigned long i, nr = fake_devmap_nr_pages(fdm);
	unsigned long bad_zone = 0, bad_pgmap = 0, bad_ref = 0;

	for (i = 0; i < nr; i++) {
		struct page *page = fake_devmap_page(fdm, i);
		struct folio *folio = page_folio(page);

		bad_zone += !is_zone_device_page(page);
		/* A tail page's pgmap field is its compound_head. */
		bad_pgmap += devmap_folio_pgmap(folio) != &fdm->pgmap;
		if (&folio->page == page)
			bad_ref += folio_ref_count(folio) !=
				   idle_refcount(p->type);
		else
			/* A tail page's own count stays 0. */
			bad_ref += page_ref_count(page) != 0;
	}
	KUNIT_EXPECT_EQ(test, bad_zone, 0);
	KUNIT_EXPECT_EQ(test, bad_pgmap, 0);
	KUNIT_EXPECT_EQ(test, bad_ref, 0);
	KUNIT_EXPECT_EQ(test, folio_order(page_folio(fake_devmap_page(fdm, 0))),
			p->order);
	KUNIT_EXPECT_EQ(test, atomic_read(&fdm->page_free_calls), 0);
}

/*
 * A get and a put on any page of the folio move the folio's count only;
 * on a 1-based FS_DAX (6.12) the put back to 1 is a "last put" and wakes
 * the waiters.
 */
static void devmap_get_put(struct kunit *test)
{
	const struct devmap_param *p = test->param_value;
	struct fake_devmap *fdm = devmap_get(test, PAGES_PER_SUBSECTION, 1);
	unsigned long last = (1UL << p->order) - 1;
	struct page *page = fake_devmap_alloc_page(fdm, 0);
	struct folio *folio = page_folio(page);
	struct page *tail = fake_devmap_page(fdm, last);
	struct var_wake_counter *wake;

	wake = var_wake_counter_start(test, devmap_wake_var(folio));
	KUNIT_ASSERT_EQ(test, folio_ref_count(folio), 1);
	get_page(tail);
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), 2);
	KUNIT_EXPECT_TRUE(test, page_folio(tail) == folio);
	put_page(tail);
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), 1);
	KUNIT_EXPECT_EQ(test, wake->wakeups, devmap_put_wakes(p->type, 1, true));
	KUNIT_EXPECT_EQ(test, atomic_read(&fdm->page_free_calls), 0);

	/* Give the page back so the pgmap can go. */
	if (devmap_hands_out(p->type))
		folio_put(folio);
}

/*
 * The last put frees the folio exactly once, through the real
 * free_zone_device_folio(), as the type and base say (devmap_expect()):
 * the free callback with the head page (none for 7.3's GENERIC and
 * FS_DAX), a stale folio->mapping cleared or kept, the refcount left at
 * 0 or reset to 1, and 7.3's FS_DAX wake-up at 0.
 */
static void devmap_last_put_frees_once(struct kunit *test)
{
	const struct devmap_param *p = test->param_value;
	const struct devmap_type_expect *e = devmap_expect(p->type);
	unsigned long last = (1UL << p->order) - 1;
	struct var_wake_counter *wake;
	struct fake_devmap *fdm;
	struct folio *folio;

	if (one_based(p->type))
		kunit_skip(test, "%s: FS_DAX has no last put to 0: see devmap_fsdax_put_to_one",
			   DEVMAP_BASE_VERSION);
	fdm = devmap_get(test, PAGES_PER_SUBSECTION, 1);
	folio = page_folio(fake_devmap_alloc_page(fdm, 0));
	wake = var_wake_counter_start(test, devmap_wake_var(folio));
	folio->mapping = (void *)fdm;	/* stale, as after a truncate */
	put_page(fake_devmap_page(fdm, last));

	KUNIT_EXPECT_EQ(test, atomic_read(&fdm->page_free_calls),
			free_calls(p->type));
	if (free_calls(p->type)) {
		KUNIT_EXPECT_PTR_EQ(test, READ_ONCE(fdm->last_freed), &folio->page);
		KUNIT_EXPECT_EQ(test, atomic_read(&fdm->pages_freed),
				1 << p->order);
	}
	KUNIT_EXPECT_PTR_EQ(test, folio->mapping,
			    e->clears_mapping ? NULL : (void *)fdm);
	folio->mapping = NULL;
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), e->ref_after_free);
	KUNIT_EXPECT_EQ(test, wake->wakeups, devmap_put_wakes(p->type, 0, true));
}

/*
 * FS_DAX refcounts are 1-based (6.12): the put that brings the count back
 * to 1 is the last one. It wakes whoever waits in dax_break_layout() on
 * folio->_refcount and never frees the folio.
 */
static void devmap_fsdax_put_to_one(struct kunit *test)
{
	const struct devmap_param *p = test->param_value;
	struct var_wake_counter *wake;
	struct fake_devmap *fdm;
	struct folio *folio;

	if (p->type != MEMORY_DEVICE_FS_DAX)
		kunit_skip(test, "only FS_DAX wakes on a put");
	if (DEVMAP_BASE_FSDAX_WAKE_AT != 1 || !one_based(p->type))
		kunit_skip(test, "%s: FS_DAX is 0-based: see devmap_fsdax_put_to_zero",
			   DEVMAP_BASE_VERSION);
	fdm = devmap_get(test, PAGES_PER_SUBSECTION, 1);
	folio = page_folio(fake_devmap_alloc_page(fdm, 0));
	wake = var_wake_counter_start(test, devmap_wake_var(folio));
	folio_get(folio);
	folio_get(folio);
	put_page(&folio->page);
	KUNIT_EXPECT_EQ(test, wake->wakeups, 0);
	put_page(&folio->page);
	KUNIT_EXPECT_EQ(test, wake->wakeups, 1);
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&fdm->page_free_calls), 0);
}

/*
 * memunmap_pages() waits for the pgmap references that PRIVATE and
 * COHERENT folios hold while handed out (one per folio on 6.12, one per
 * page on 7.3), and for nothing else. The references are checked where
 * zone_device_page_init() takes them, before the unmap: a missing one
 * fails here instead of racing the unmap to a use after free. Bounded: a
 * kernel that never drops the reference fails in a second, never hangs.
 * A hand-out that takes none (7.3's FS_DAX and P2PDMA) is given back
 * before the unmap: nothing would keep its struct pages alive.
 */
static void devmap_memunmap_waits_for_pages(struct kunit *test)
{
	const struct devmap_param *p = test->param_value;
	struct fake_devmap *fdm = devmap_get(test, PAGES_PER_SUBSECTION, 1);
	long refs = fake_devmap_pgmap_refs(fdm);
	long want = devmap_alloc_pgmap_refs(p->type, p->order);
	struct folio *folio = page_folio(fake_devmap_alloc_page(fdm, 0));

	KUNIT_ASSERT_GT(test, refs, 0);
	KUNIT_ASSERT_EQ_MSG(test, fake_devmap_pgmap_refs(fdm), refs + want,
			    "pgmap references after handing out a page");
	if (!want) {
		if (devmap_hands_out(p->type))
			folio_put(folio);
		fake_devmap_unmap_start(fdm);
		KUNIT_EXPECT_TRUE(test, fake_devmap_unmap_wait(fdm, HZ));
		return;
	}
	fake_devmap_unmap_start(fdm);
	/* Killed first: a window with no unmapper yet would prove nothing. */
	KUNIT_ASSERT_TRUE_MSG(test, fake_devmap_wait_killed(fdm, HZ),
			      "memunmap_pages() did not kill the pgmap's ref");
	KUNIT_EXPECT_FALSE(test, fake_devmap_unmap_wait(fdm, FAKE_DEVMAP_WAIT_WINDOW));
	folio_put(folio);
	KUNIT_EXPECT_TRUE(test, fake_devmap_unmap_wait(fdm, HZ));
	KUNIT_EXPECT_EQ(test, atomic_read(&fdm->page_free_calls), 1);
}

/* The devmap_managed_key counts FS_DAX pgmaps, and only those. */
static void devmap_managed_key_counts_fsdax(struct kunit *test)
{
	const struct devmap_param *p = test->param_value;
	int before = devmap_managed_key_count();
	struct fake_devmap_spec spec = {
		.type = p->type,
		.order = p->order,
		.nr_pages = PAGES_PER_SUBSECTION,
	};
	struct fake_devmap *fdm;

	if (!DEVMAP_BASE_HAS_DEVMAP_MANAGED_KEY)
		kunit_skip(test, "%s has no devmap_managed_key", DEVMAP_BASE_VERSION);
	if (p->order && !devmap_expect(p->type)->large)
		kunit_skip(test, "%s has no large %s folios", DEVMAP_BASE_VERSION,
			   fake_devmap_type_name(p->type));
	fdm = fake_devmap_create(&spec);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, fdm);
	KUNIT_EXPECT_EQ(test, devmap_managed_key_count(),
			before + one_based(p->type));
	KUNIT_EXPECT_EQ(test, fake_devmap_destroy(fdm), 0);
	KUNIT_EXPECT_EQ(test, devmap_managed_key_count(),
			before);
	KUNIT_EXPECT_GE(test, devmap_managed_key_count(), 0);
}

/*
 * get_dev_pagemap() finds the pgmap from its first to its last pfn, not
 * one past it nor one before it. Before 6.15 it also takes a cached
 * pgmap: it returns it without a new reference while the pfn is inside,
 * and drops it when it is not (7.3 has no such argument: that half is
 * left out). Every reference taken is dropped: memunmap_pages() finishes.
 */
static void devmap_get_dev_pagemap_bounds(struct kunit *test)
{
	struct fake_devmap *fdm = devmap_get(test, PAGES_PER_SUBSECTION, 1);
	unsigned long first = page_to_pfn(fake_devmap_page(fdm, 0));
	unsigned long nr = fake_devmap_nr_pages(fdm);
	struct dev_pagemap *pgmap;

	pgmap = devmap_get_dev_pagemap(first);
	KUNIT_ASSERT_PTR_EQ(test, pgmap, &fdm->pgmap);
	if (DEVMAP_BASE_GDP_CACHED_ARG) {
		KUNIT_EXPECT_PTR_EQ(test,
				    devmap_get_dev_pagemap_cached(first + nr - 1, pgmap),
				    pgmap);
		/* One past the end: the cached reference is dropped, none found. */
		KUNIT_EXPECT_NULL(test, devmap_get_dev_pagemap_cached(first + nr, pgmap));
	} else {
		put_dev_pagemap(pgmap);
	}
	pgmap = devmap_get_dev_pagemap(first + nr - 1);
	KUNIT_EXPECT_PTR_EQ(test, pgmap, &fdm->pgmap);
	if (pgmap)
		put_dev_pagemap(pgmap);
	KUNIT_EXPECT_NULL(test, devmap_get_dev_pagemap(first + nr));
	KUNIT_EXPECT_NULL(test, devmap_get_dev_pagemap(first - 1));

	fake_devmap_unmap_start(fdm);
	KUNIT_EXPECT_TRUE(test, fake_devmap_unmap_wait(fdm, HZ));
}

/*
 * memunmap_pages() waits until every pgmap reference is gone, and a
 * get_dev_pagemap() after it started fails. Bounded: a kernel that never
 * drops the reference fails the test in a second instead of hanging.
 */
static void devmap_memunmap_waits_for_refs(struct kunit *test)
{
	struct fake_devmap *fdm = devmap_get(test, PAGES_PER_SUBSECTION, 1);
	unsigned long pfn = page_to_pfn(fake_devmap_page(fdm, 0));
	struct dev_pagemap *pgmap;

	pgmap = devmap_get_dev_pagemap(pfn);
	KUNIT_ASSERT_PTR_EQ(test, pgmap, &fdm->pgmap);

	fake_devmap_unmap_start(fdm);
	/* Killed first: a window with no unmapper yet would prove nothing. */
	KUNIT_ASSERT_TRUE_MSG(test, fake_devmap_wait_killed(fdm, HZ),
			      "memunmap_pages() did not kill the pgmap's ref");
	KUNIT_EXPECT_FALSE(test, fake_devmap_unmap_wait(fdm, FAKE_DEVMAP_WAIT_WINDOW));
	KUNIT_EXPECT_NULL(test, devmap_get_dev_pagemap(pfn));
	put_dev_pagemap(pgmap);
	KUNIT_EXPECT_TRUE(test, fake_devmap_unmap_wait(fdm, HZ));
}

/*
 * folios_put_refs() (release_pages(), munmap batches) with a device folio
 * holding several references next to a normal folio: the device folio
 * takes the devmap-managed path (6.12 FS_DAX: back to 1, one wake-up) or
 * reaches 0 and goes through the free path once, as its type and base say
 * (callback, refcount after, 7.3 FS_DAX's wake-up at 0); the normal folio
 * just loses refs.
 */
static void devmap_batch_release(struct kunit *test)
{
	const struct devmap_param *p = test->param_value;
	struct fake_devmap *fdm = devmap_get(test, PAGES_PER_SUBSECTION, 1);
	struct folio *dev = page_folio(fake_devmap_alloc_page(fdm, 0));
	struct folio *normal = folio_alloc(GFP_KERNEL, 0);
	unsigned int refs[2] = { 3, 2 };
	struct var_wake_counter *wake;
	struct folio_batch fbatch;

	KUNIT_ASSERT_NOT_NULL(test, normal);
	wake = var_wake_counter_start(test, devmap_wake_var(dev));
	/* Device folio 1 -> 3 (6.12 FS_DAX: 1 -> 3, of which 2 are ours). */
	folio_get(dev);
	folio_get(dev);
	if (one_based(p->type))
		refs[0] = 2;
	/* Normal folio 1 -> 3; the batch drops 2 and we keep 1. */
	folio_get(normal);
	folio_get(normal);

	folio_batch_init(&fbatch);
	folio_batch_add(&fbatch, dev);
	folio_batch_add(&fbatch, normal);
	folios_put_refs(&fbatch, refs);

	KUNIT_EXPECT_EQ(test, folio_ref_count(normal), 1);
	folio_put(normal);
	if (one_based(p->type)) {
		KUNIT_EXPECT_EQ(test, folio_ref_count(dev), 1);
		KUNIT_EXPECT_EQ(test, wake->wakeups, 1);
		KUNIT_EXPECT_EQ(test, atomic_read(&fdm->page_free_calls), 0);
	} else {
		KUNIT_EXPECT_EQ(test, atomic_read(&fdm->page_free_calls),
				free_calls(p->type));
		KUNIT_EXPECT_EQ(test, folio_ref_count(dev),
				devmap_expect(p->type)->ref_after_free);
		KUNIT_EXPECT_EQ(test, wake->wakeups,
				devmap_put_wakes(p->type, 0, true));
	}
}

struct racing_put {
	struct folio *folio;
	struct completion *go;
	struct completion done;
};

static int racing_put_fn(void *data)
{
	struct racing_put *r = data;

	wait_for_completion(r->go);
	folio_put(r->folio);
	complete(&r->done);
	return 0;
}

/*
 * Two threads drop the last two references at the same time: the folio
 * goes through the free path exactly once (one callback, or one 7.3
 * FS_DAX wake-up). Each thread is bound to a CPU of its own when there
 * are two (7.3's UML, make oracle's x86_64 guest): a real cross-CPU race.
 * (6.12's UML is uniprocessor: there the threads interleave only at
 * preemption points, so this checks the accounting, not the atomics.)
 */
static void devmap_concurrent_last_put(struct kunit *test)
{
	const struct devmap_param *p = test->param_value;
	struct racing_put racers[2];
	struct var_wake_counter *wake;
	struct fake_devmap *fdm;
	struct completion go;
	struct folio *folio;
	int i;

	if (one_based(p->type))
		kunit_skip(test, "%s: FS_DAX folios are never freed by a put",
			   DEVMAP_BASE_VERSION);
	fdm = devmap_get(test, PAGES_PER_SUBSECTION, 1);
	folio = page_folio(fake_devmap_alloc_page(fdm, 0));
	wake = var_wake_counter_start(test, devmap_wake_var(folio));
	folio_get(folio);
	init_completion(&go);
	for (i = 0; i < 2; i++) {
		struct task_struct *t;

		racers[i] = (struct racing_put){ .folio = folio, .go = &go };
		init_completion(&racers[i].done);
		t = kthread_run_on_cpu(racing_put_fn, &racers[i],
				       i % num_online_cpus(), "devmap-put/%u");
		KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	}
	complete_all(&go);
	for (i = 0; i < 2; i++) {
		unsigned long left;

		left = wait_for_completion_timeout(&racers[i].done, HZ);
		KUNIT_ASSERT_NE(test, left, 0);
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&fdm->page_free_calls),
			free_calls(p->type));
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio),
			devmap_expect(p->type)->ref_after_free);
	KUNIT_EXPECT_EQ(test, wake->wakeups, devmap_put_wakes(p->type, 0, false));
}

/*
 * A pgmap of several ranges (pgmap->nr_range > 1): every range has its
 * pages, get_dev_pagemap() finds the pgmap in each, and the last put on a
 * page of the last range frees it through the same pgmap (callback where
 * the type has one).
 */
static void devmap_multi_range(struct kunit *test)
{
	const struct devmap_param *p = test->param_value;
	struct fake_devmap *fdm = devmap_get(test, PAGES_PER_SUBSECTION, 3);
	unsigned long nr = fake_devmap_nr_pages(fdm), i;
	struct dev_pagemap *pgmap;
	struct folio *folio;

	KUNIT_EXPECT_EQ(test, fdm->pgmap.nr_range, 3);
	for (i = 0; i < nr; i += PAGES_PER_SUBSECTION) {
		unsigned long pfn = page_to_pfn(fake_devmap_page(fdm, i));

		pgmap = devmap_get_dev_pagemap(pfn + PAGES_PER_SUBSECTION - 1);
		KUNIT_EXPECT_PTR_EQ(test, pgmap, &fdm->pgmap);
		if (pgmap)
			put_dev_pagemap(pgmap);
	}
	folio = page_folio(fake_devmap_alloc_page(fdm, nr - (1UL << p->order)));
	KUNIT_EXPECT_PTR_EQ(test, devmap_folio_pgmap(folio), &fdm->pgmap);
	if (one_based(p->type))
		return;
	folio_put(folio);
	KUNIT_EXPECT_EQ(test, atomic_read(&fdm->page_free_calls),
			free_calls(p->type));
	if (free_calls(p->type))
		KUNIT_EXPECT_PTR_EQ(test, READ_ONCE(fdm->last_freed), &folio->page);
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio),
			devmap_expect(p->type)->ref_after_free);
}

/*
 * Pgmaps of every type alive at once: what one type switches on for all
 * (on 6.12 devmap_managed_key, on while any FS_DAX pgmap exists: every put
 * of a device folio then asks __put_devmap_managed_folio_refs()) must not
 * change how the others count. Per type, with all five pgmaps alive: the
 * types whose idle pages are at 1 take a get and a put of page 0 (6.12
 * FS_DAX back to 1 with a wake-up, GENERIC and P2PDMA back to 1); the
 * types a driver hands out (PRIVATE and COHERENT, on 7.3 also FS_DAX and
 * P2PDMA) are handed out at 1 and their last put goes through the free
 * path once, as devmap_expect() says. Then FS_DAX goes first: the key
 * drops back, the others count the same.
 */
static const enum memory_type all_types[] = {
	MEMORY_DEVICE_FS_DAX, MEMORY_DEVICE_GENERIC, MEMORY_DEVICE_PRIVATE,
	MEMORY_DEVICE_COHERENT, MEMORY_DEVICE_PCI_P2PDMA,
};

static void side_by_side_get_put(struct kunit *test, struct fake_devmap *fdm,
				 const char *when)
{
	enum memory_type type = fdm->pgmap.type;
	const char *name = fake_devmap_type_name(type);
	int frees = atomic_read(&fdm->page_free_calls);
	struct var_wake_counter *wake;
	struct folio *folio;

	if (devmap_hands_out(type)) {
		folio = page_folio(fake_devmap_alloc_page(fdm, 0));
		KUNIT_ASSERT_EQ(test, folio_ref_count(folio), 1);
		wake = var_wake_counter_start(test, devmap_wake_var(folio));
		put_page(&folio->page);
		KUNIT_EXPECT_EQ_MSG(test, atomic_read(&fdm->page_free_calls),
				    frees + free_calls(type),
				    "%s %s: free callbacks of the last put", name, when);
		KUNIT_EXPECT_EQ_MSG(test, folio_ref_count(folio),
				    devmap_expect(type)->ref_after_free,
				    "%s %s: refcount after the last put", name, when);
		KUNIT_EXPECT_EQ_MSG(test, wake->wakeups, devmap_put_wakes(type, 0, true),
				    "%s %s: wake-ups at the last put", name, when);
		return;
	}
	folio = page_folio(fake_devmap_page(fdm, 0));
	wake = var_wake_counter_start(test, devmap_wake_var(folio));
	get_page(&folio->page);
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), 2);
	put_page(&folio->page);
	KUNIT_EXPECT_EQ_MSG(test, folio_ref_count(folio), 1,
			    "%s %s: refcount after get and put", name, when);
	KUNIT_EXPECT_EQ_MSG(test, wake->wakeups, devmap_put_wakes(type, 1, true),
			    "%s %s: wake-ups at the put back to 1", name, when);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&fdm->page_free_calls), frees,
			    "%s %s: a put freed an idle page", name, when);
}

static void devmap_types_side_by_side(struct kunit *test)
{
	int before = devmap_managed_key_count();
	struct fake_devmap *fdm[ARRAY_SIZE(all_types)];
	char why[192] = "";
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(all_types); i++) {
		struct fake_devmap_spec spec = {
			.type = all_types[i],
			.nr_pages = PAGES_PER_SUBSECTION,
		};

		fdm[i] = fake_devmap_create(&spec);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, fdm[i]);
		/* FS_DAX (all_types[0]) is destroyed here, the others at the end */
		if (i)
			devmap_own(test, fdm[i]);
	}
	KUNIT_EXPECT_EQ(test, devmap_managed_key_count(),
			before + DEVMAP_BASE_HAS_DEVMAP_MANAGED_KEY);
	for (i = 0; i < ARRAY_SIZE(all_types); i++)
		side_by_side_get_put(test, fdm[i], "beside FS_DAX");

	/* FS_DAX goes first; the others stay. */
	KUNIT_EXPECT_EQ(test, fake_devmap_destroy_why(fdm[0], why, sizeof(why)), 0);
	KUNIT_EXPECT_EQ(test, devmap_managed_key_count(), before);
	for (i = 1; i < ARRAY_SIZE(all_types); i++)
		side_by_side_get_put(test, fdm[i], "after FS_DAX went");
}

/*
 * FS_DAX counts from 0 since 6.15 (7.3 mm/mm_init.c), as fsdax itself
 * does (dax_break_layout() waits for 0): a hand-out takes the count
 * 0 -> 1, a get on a tail moves the folio's count, and the put that
 * reaches 0 wakes the waiters once, on &folio->page (not on ->_refcount),
 * with no callback, the count left at 0 and a stale ->mapping kept (fsdax
 * clears it itself). The folio can then be handed out again.
 */
static void devmap_fsdax_put_to_zero(struct kunit *test)
{
	const struct devmap_param *p = test->param_value;
	unsigned long last = (1UL << p->order) - 1;
	struct var_wake_counter *wake, *old_wake;
	struct fake_devmap *fdm;
	struct folio *folio;
	struct page *tail;

	if (DEVMAP_BASE_FSDAX_WAKE_AT != 0)
		kunit_skip(test, "%s: FS_DAX is 1-based: see devmap_fsdax_put_to_one",
			   DEVMAP_BASE_VERSION);
	fdm = devmap_get(test, PAGES_PER_SUBSECTION, 1);
	folio = page_folio(fake_devmap_page(fdm, 0));
	tail = fake_devmap_page(fdm, last);
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), 0);
	KUNIT_ASSERT_PTR_EQ(test, page_folio(fake_devmap_alloc_page(fdm, 0)),
			    folio);
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), 1);
	KUNIT_EXPECT_FALSE(test, folio_test_locked(folio));
	wake = var_wake_counter_start(test, devmap_wake_var(folio));
	old_wake = var_wake_counter_start(test, &folio->_refcount);

	get_page(tail);
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), 2);
	put_page(tail);
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), 1);
	KUNIT_EXPECT_EQ(test, wake->wakeups, 0);

	folio->mapping = (void *)fdm;	/* stale, as after a truncate */
	folio_put(folio);
	KUNIT_EXPECT_EQ(test, wake->wakeups, 1);
	KUNIT_EXPECT_EQ(test, old_wake->wakeups, 0);
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&fdm->page_free_calls), 0);
	KUNIT_EXPECT_PTR_EQ(test, folio->mapping, (void *)fdm);
	folio->mapping = NULL;

	/* Free again: a new hand-out takes it 0 -> 1, and gives it back. */
	KUNIT_EXPECT_PTR_EQ(test, page_folio(fake_devmap_alloc_page(fdm, 0)),
			    folio);
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), 1);
	folio_put(folio);
	KUNIT_EXPECT_EQ(test, wake->wakeups, 2);
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), 0);
}

/* The ways a reference can be dropped, and which 6.12 calls "managed". */
enum put_path {
	PUT_FOLIO,		/* folio_put() */
	PUT_FOLIO_REFS,		/* folio_put_refs(folio, 3) */
	PUT_PAGE,		/* put_page() of a tail */
	PUT_BATCH,		/* folios_put_refs(batch, {2}) */
	PUT_UNPIN,		/* unpin_folio() of a pin */
	NR_PUT_PATHS
};

static const char * const put_path_name[NR_PUT_PATHS] = {
	[PUT_FOLIO] = "folio_put()",
	[PUT_FOLIO_REFS] = "folio_put_refs()",
	[PUT_PAGE] = "put_page()",
	[PUT_BATCH] = "folios_put_refs()",
	[PUT_UNPIN] = "unpin_folio()",
};

/* References the path's last put drops (the unpin: its pin). */
static const int put_path_refs[NR_PUT_PATHS] = {
	[PUT_FOLIO] = 1,
	[PUT_FOLIO_REFS] = 3,
	[PUT_PAGE] = 1,
	[PUT_BATCH] = 2,
};

/* The paths 6.12 sends through put_devmap_managed_folio_refs(). */
static bool put_path_managed(enum put_path path)
{
	return path == PUT_PAGE || path == PUT_BATCH || path == PUT_UNPIN;
}

static void put_by_path(struct folio *folio, struct page *tail,
			enum put_path path)
{
	unsigned int refs[1] = { put_path_refs[path] };
	struct folio_batch fbatch;

	switch (path) {
	case PUT_FOLIO:
		folio_put(folio);
		break;
	case PUT_FOLIO_REFS:
		folio_put_refs(folio, put_path_refs[path]);
		break;
	case PUT_PAGE:
		put_page(tail);
		break;
	case PUT_BATCH:
		folio_batch_init(&fbatch);
		folio_batch_add(&fbatch, folio);
		folios_put_refs(&fbatch, refs);
		break;
	default:
		unpin_folio(folio);
		break;
	}
}

/*
 * The FS_DAX wake-up, path by path: a folio per path is brought to one
 * put above the level that wakes (its idle count: 1 on 6.12, 0 on 7.3),
 * and that put is made through the path. Since 6.15 every path wakes,
 * once, at 0 (7.3 mm/folio.c's __folio_put() and folios_put_refs(),
 * mm/gup.c's gup_put_folio() all end in free_zone_device_folio()); on
 * 6.12 only the managed ones (put_page(), folios_put_refs(), unpin) wake,
 * at 1, and folio_put()/folio_put_refs() land at 1 silently.
 */
static void devmap_fsdax_wake_any_put_path(struct kunit *test)
{
	const struct devmap_param *p = test->param_value;
	int idle = idle_refcount(p->type);
	struct fake_devmap *fdm;
	unsigned int path;

	fdm = devmap_get(test, PAGES_PER_SUBSECTION, 1);
	for (path = 0; path < NR_PUT_PATHS; path++) {
		unsigned long first = (unsigned long)path << p->order;
		struct page *tail = fake_devmap_page(fdm, first +
						     (1UL << p->order) - 1);
		struct folio *folio;
		struct var_wake_counter *wake;
		const char *name = put_path_name[path];
		int held;

		folio = page_folio(fake_devmap_alloc_page(fdm, first));
		held = folio_ref_count(folio);
		KUNIT_ASSERT_GE(test, held, 1);
		wake = var_wake_counter_start(test, devmap_wake_var(folio));
		if (path == PUT_UNPIN) {
			KUNIT_ASSERT_EQ(test, try_grab_folio(folio, 1, FOLL_PIN), 0);
			if (held > idle)
				folio_put_refs(folio, held - idle);
		} else {
			folio_ref_add(folio, idle + put_path_refs[path] - held);
		}
		KUNIT_EXPECT_EQ_MSG(test, wake->wakeups, 0,
				    "%s: woken before the last put", name);
		put_by_path(folio, tail, path);
		KUNIT_EXPECT_EQ_MSG(test, folio_ref_count(folio), idle,
				    "%s: refcount after the last put", name);
		KUNIT_EXPECT_EQ_MSG(test, wake->wakeups,
				    devmap_put_wakes(p->type, idle,
						     put_path_managed(path)),
				    "%s: wake-ups of the last put (to %d)", name,
				    idle);
		KUNIT_EXPECT_FALSE_MSG(test, folio_maybe_dma_pinned(folio),
				       "%s: still pinned", name);
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&fdm->page_free_calls), 0);
}

/*
 * P2PDMA since 6.15: pages idle at 0, the driver hands one out by setting
 * its count to 1 (drivers/pci/p2pdma.c), and the last put calls
 * ->folio_free(folio) once, clears ->mapping and leaves the count at 0.
 * The pgmap references are the core's only (one per folio, taken by
 * memremap_pages(), plus its initial one): neither the hand-out nor the
 * free moves them.
 */
static void devmap_p2pdma_folio_free(struct kunit *test)
{
	const struct devmap_param *p = test->param_value;
	struct fake_devmap *fdm;
	struct folio *folio;
	long refs;

	if (DEVMAP_BASE_FREE_CB_P2PDMA != DEVMAP_FREE_CB_FOLIO)
		kunit_skip(test, "%s: P2PDMA pages idle at 1 and have no ->folio_free()",
			   DEVMAP_BASE_VERSION);
	fdm = devmap_get(test, PAGES_PER_SUBSECTION, 1);
	folio = page_folio(fake_devmap_page(fdm, 0));
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), 0);
	refs = fake_devmap_pgmap_refs(fdm);
	KUNIT_EXPECT_EQ(test, refs,
			1 + (long)(fake_devmap_nr_pages(fdm) >> p->order));

	KUNIT_ASSERT_PTR_EQ(test, page_folio(fake_devmap_alloc_page(fdm, 0)),
			    folio);
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), 1);
	KUNIT_EXPECT_EQ(test, fake_devmap_pgmap_refs(fdm), refs);

	folio->mapping = (void *)fdm;	/* stale */
	folio_put(folio);
	KUNIT_EXPECT_EQ(test, atomic_read(&fdm->page_free_calls), 1);
	KUNIT_EXPECT_PTR_EQ(test, READ_ONCE(fdm->last_freed), &folio->page);
	KUNIT_EXPECT_EQ(test, atomic_read(&fdm->pages_freed), 1 << p->order);
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), 0);
	KUNIT_EXPECT_NULL(test, folio->mapping);
	KUNIT_EXPECT_EQ(test, fake_devmap_pgmap_refs(fdm), refs);
}

/*
 * A large PRIVATE or COHERENT folio, as zone_device_page_init(page,
 * pgmap, order) builds it since 6.19: handed out locked, at refcount 1,
 * of the order asked, with one pgmap reference per page. A get and a put
 * on a tail move the head's count; the last put calls ->folio_free() once
 * with the folio, drops folio_nr_pages() pgmap references and clears
 * ->mapping; every tail's own count stays 0.
 */
static void devmap_large_driver_folio(struct kunit *test)
{
	const struct devmap_param *p = test->param_value;
	unsigned long i, nr = 1UL << p->order, bad = 0;
	struct fake_devmap *fdm;
	struct folio *folio;
	struct page *page, *tail;
	long refs;

	if (!devmap_expect(p->type)->large)
		kunit_skip(test, "%s has no large %s folios", DEVMAP_BASE_VERSION,
			   fake_devmap_type_name(p->type));
	fdm = devmap_get(test, PAGES_PER_SUBSECTION, 1);
	refs = fake_devmap_pgmap_refs(fdm);
	page = fake_devmap_alloc_page_locked(fdm, 0);
	KUNIT_ASSERT_NOT_NULL(test, page);
	folio = page_folio(page);
	tail = fake_devmap_page(fdm, nr - 1);
	KUNIT_EXPECT_PTR_EQ(test, &folio->page, page);
	KUNIT_EXPECT_TRUE(test, folio_test_locked(folio));
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), 1);
	KUNIT_EXPECT_EQ(test, folio_order(folio), p->order);
	KUNIT_EXPECT_PTR_EQ(test, page_folio(tail), folio);
	KUNIT_EXPECT_EQ(test, fake_devmap_pgmap_refs(fdm), refs + (long)nr);
	if (folio_test_locked(folio))
		folio_unlock(folio);

	get_page(tail);
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), 2);
	KUNIT_EXPECT_EQ(test, page_ref_count(tail), 0);
	put_page(tail);
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&fdm->page_free_calls), 0);

	folio->mapping = (void *)fdm;	/* stale */
	put_page(tail);
	KUNIT_EXPECT_EQ(test, atomic_read(&fdm->page_free_calls), 1);
	KUNIT_EXPECT_PTR_EQ(test, READ_ONCE(fdm->last_freed), &folio->page);
	KUNIT_EXPECT_EQ(test, atomic_read(&fdm->pages_freed), nr);
	KUNIT_EXPECT_EQ(test, fake_devmap_pgmap_refs(fdm), refs);
	KUNIT_EXPECT_NULL(test, folio->mapping);
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), 0);
	for (i = 1; i < nr; i++)
		bad += page_ref_count(fake_devmap_page(fdm, i)) != 0;
	KUNIT_EXPECT_EQ_MSG(test, bad, 0, "tail pages with a count of their own");
}

static const struct devmap_param per_page_params[] = {
	{ MEMORY_DEVICE_PRIVATE, 4 },
	{ MEMORY_DEVICE_COHERENT, 4 },
};

KUNIT_ARRAY_PARAM(per_page, per_page_params, devmap_param_desc);

/*
 * The order is the driver's choice at each hand-out, not the pgmap's
 * (lib/test_hmm.c): on a pgmap of order-0 pages, hand out an order-4
 * folio and free it, then hand the same pages out one by one at order 0.
 * zone_device_page_init() clears what the large folio left in each page
 * (order, head bit, compound head), so each is its own order-0 folio with
 * one pgmap reference, freed by its own ->folio_free().
 */
static void devmap_large_driver_folio_per_page(struct kunit *test)
{
	const struct devmap_param *p = test->param_value;
	unsigned long i, nr = 1UL << p->order, bad = 0;
	struct fake_devmap_spec spec = {
		.type = p->type,
		.nr_pages = PAGES_PER_SUBSECTION,
	};
	struct fake_devmap *fdm;
	struct folio *folio;
	struct page *page;
	long refs;

	if (!devmap_expect(p->type)->large)
		kunit_skip(test, "%s has no large %s folios", DEVMAP_BASE_VERSION,
			   fake_devmap_type_name(p->type));
	fdm = fake_devmap_create(&spec);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, fdm);
	devmap_own(test, fdm);
	refs = fake_devmap_pgmap_refs(fdm);

	/* The provider hands out at the pgmap's order: do it as a driver. */
	page = fake_devmap_page(fdm, 0);
	devmap_zone_device_init(page, &fdm->pgmap, p->order);
	atomic_inc(&fdm->handed_out);
	folio = page_folio(page);
	KUNIT_EXPECT_PTR_EQ(test, &folio->page, page);
	KUNIT_EXPECT_EQ(test, folio_order(folio), p->order);
	KUNIT_EXPECT_PTR_EQ(test, page_folio(fake_devmap_page(fdm, nr - 1)), folio);
	KUNIT_EXPECT_EQ(test, fake_devmap_pgmap_refs(fdm), refs + (long)nr);
	KUNIT_ASSERT_TRUE(test, folio_test_locked(folio));
	folio_unlock(folio);
	folio_put(folio);
	KUNIT_EXPECT_EQ(test, atomic_read(&fdm->page_free_calls), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&fdm->pages_freed), nr);
	KUNIT_EXPECT_EQ(test, fake_devmap_pgmap_refs(fdm), refs);

	/* The same pages, one order-0 folio each (the provider checks each). */
	for (i = 0; i < nr; i++) {
		page = fake_devmap_alloc_page(fdm, i);
		KUNIT_ASSERT_NOT_NULL(test, page);
		bad += page_folio(page) != (struct folio *)page ||
		       folio_order(page_folio(page)) != 0 ||
		       page_ref_count(page) != 1;
	}
	KUNIT_EXPECT_EQ_MSG(test, bad, 0, "pages that are not order-0 folios at 1");
	KUNIT_EXPECT_EQ(test, fake_devmap_pgmap_refs(fdm), refs + (long)nr);
	for (i = 0; i < nr; i++)
		folio_put(page_folio(fake_devmap_page(fdm, i)));
	KUNIT_EXPECT_EQ(test, atomic_read(&fdm->page_free_calls), 1 + nr);
	KUNIT_EXPECT_EQ(test, atomic_read(&fdm->pages_freed), 2 * nr);
	KUNIT_EXPECT_EQ(test, fake_devmap_pgmap_refs(fdm), refs);
}

/*
 * A driver hands out a page while memunmap_pages() runs, after its
 * percpu_ref_kill(). Since 6.19 zone_device_page_init() takes its
 * references with percpu_ref_tryget_many(), which still succeeds on a
 * dying ref whose count is not 0: no WARN, 1 << order references that
 * memunmap_pages() then waits for, and the last put gives them back
 * (->folio_free()), which lets it finish. (6.12's tryget_live fails there:
 * it WARNs, takes nothing, and the free drops a reference never taken.)
 */
static void devmap_alloc_races_memunmap(struct kunit *test)
{
	const struct devmap_param *p = test->param_value;
	struct fake_devmap *fdm;
	struct folio *folio;

	if (!DEVMAP_BASE_ALLOC_AFTER_KILL_TAKES_REFS)
		kunit_skip(test, "%s: a hand-out after the kill WARNs, takes no ref",
			   DEVMAP_BASE_VERSION);
	fdm = devmap_get(test, PAGES_PER_SUBSECTION, 1);
	fake_devmap_unmap_start(fdm);
	KUNIT_ASSERT_TRUE_MSG(test, fake_devmap_wait_killed(fdm, HZ),
			      "memunmap_pages() did not kill the pgmap's ref");

	/*
	 * The provider checks that the hand-out took its 1 << order refs
	 * (zone_device_page_init()'s WARN_ON_ONCE() would say the same, but
	 * once per boot: it cannot be counted per case).
	 */
	folio = page_folio(fake_devmap_alloc_page(fdm, 0));
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), 1);
	KUNIT_EXPECT_EQ(test, folio_order(folio), p->order);

	/* memunmap_pages() waits for exactly the hand-out's references. */
	KUNIT_EXPECT_FALSE(test, fake_devmap_unmap_wait(fdm, HZ / 2));
	KUNIT_EXPECT_EQ(test, fdm->leaked, 1L << p->order);

	folio_put(folio);
	KUNIT_EXPECT_EQ(test, atomic_read(&fdm->page_free_calls), 1);
	KUNIT_EXPECT_TRUE(test, fake_devmap_unmap_wait(fdm, HZ));
}

static const struct devmap_param free_op_params[] = {
	{ MEMORY_DEVICE_PRIVATE, 0 },
	{ MEMORY_DEVICE_COHERENT, 0 },
};

KUNIT_ARRAY_PARAM(free_op, free_op_params, devmap_param_desc);

/*
 * memremap_pages() refuses a PRIVATE or COHERENT pgmap whose operations
 * have no free callback (->page_free() on 6.12, ->folio_free() on 7.3):
 * -EINVAL and one WARN, nothing mapped. The provider gives its ranges
 * back.
 */
static void devmap_memremap_needs_free_op(struct kunit *test)
{
	const struct devmap_param *p = test->param_value;
	struct fake_devmap_spec spec = {
		.type = p->type,
		.order = p->order,
		.nr_pages = PAGES_PER_SUBSECTION,
		.no_free_op = true,
	};
	struct fake_devmap *fdm;

	if (!DEVMAP_BASE_MEMREMAP_REQUIRES_FREE_OP)
		kunit_skip(test, "%s: memremap_pages() takes a pgmap without a free op",
			   DEVMAP_BASE_VERSION);
	/*
	 * The refusal is the contract. memremap_pages() also WARNs, but with
	 * WARN_ON_ONCE(): once per boot and call site, so not per case.
	 */
	fdm = fake_devmap_create(&spec);
	if (!IS_ERR_OR_NULL(fdm))
		devmap_own(test, fdm);
	KUNIT_EXPECT_PTR_EQ(test, fdm, ERR_PTR(-EINVAL));

	/* With the op, the same spec is taken. */
	spec.no_free_op = false;
	fdm = fake_devmap_create(&spec);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, fdm);
	devmap_own(test, fdm);
}

/*
 * GENERIC since 6.15: the put of an idle page's reference takes it to 0,
 * and free_zone_device_folio() silently resets it to 1: no callback, no
 * wake-up, a stale ->mapping kept. Every time.
 */
static void devmap_generic_reset_silent(struct kunit *test)
{
	const struct devmap_param *p = test->param_value;
	struct var_wake_counter *wake;
	struct fake_devmap *fdm;
	struct folio *folio;

	if (DEVMAP_BASE_FREE_CB_GENERIC != DEVMAP_FREE_CB_NONE)
		kunit_skip(test, "%s: GENERIC's last put calls ->page_free(), clears ->mapping",
			   DEVMAP_BASE_VERSION);
	fdm = devmap_get(test, PAGES_PER_SUBSECTION, 1);
	folio = page_folio(fake_devmap_page(fdm, 0));
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), 1);
	wake = var_wake_counter_start(test, devmap_wake_var(folio));

	folio->mapping = (void *)fdm;	/* stale */
	put_page(fake_devmap_page(fdm, (1UL << p->order) - 1));
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&fdm->page_free_calls), 0);
	KUNIT_EXPECT_PTR_EQ(test, folio->mapping, (void *)fdm);
	folio->mapping = NULL;

	folio_put(folio);
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&fdm->page_free_calls), 0);
	KUNIT_EXPECT_EQ(test, wake->wakeups, 0);
}

static struct kunit_case devmap_lifecycle_cases[] = {
	KUNIT_CASE_PARAM(devmap_idle_pages, devmap_gen_params),
	KUNIT_CASE_PARAM(devmap_get_put, devmap_gen_params),
	KUNIT_CASE_PARAM(devmap_last_put_frees_once, devmap_gen_params),
	KUNIT_CASE_PARAM(devmap_fsdax_put_to_one, devmap_gen_params),
	KUNIT_CASE_PARAM(devmap_memunmap_waits_for_pages, devmap_gen_params),
	KUNIT_CASE_PARAM(devmap_managed_key_counts_fsdax, devmap_gen_params),
	KUNIT_CASE_PARAM(devmap_get_dev_pagemap_bounds, devmap_gen_params),
	KUNIT_CASE_PARAM(devmap_memunmap_waits_for_refs, devmap_gen_params),
	KUNIT_CASE_PARAM(devmap_batch_release, devmap_gen_params),
	KUNIT_CASE_PARAM(devmap_concurrent_last_put, devmap_gen_params),
	KUNIT_CASE_PARAM(devmap_multi_range, devmap_gen_params),
	KUNIT_CASE(devmap_types_side_by_side),
	KUNIT_CASE_PARAM(devmap_fsdax_put_to_zero, fsdax_gen_params),
	KUNIT_CASE_PARAM(devmap_fsdax_wake_any_put_path, fsdax_gen_params),
	KUNIT_CASE_PARAM(devmap_p2pdma_folio_free, p2pdma_gen_params),
	KUNIT_CASE_PARAM(devmap_large_driver_folio, large_driver_gen_params),
	KUNIT_CASE_PARAM(devmap_large_driver_folio_per_page, per_page_gen_params),
	KUNIT_CASE_PARAM(devmap_alloc_races_memunmap, driver_gen_params),
	KUNIT_CASE_PARAM(devmap_memremap_needs_free_op, free_op_gen_params),
	KUNIT_CASE_PARAM(devmap_generic_reset_silent, generic_gen_params),
	{}
};

static struct kunit_suite devmap_lifecycle_suite = {
	.name = "devmap_lifecycle",
	.test_cases = devmap_lifecycle_cases,
};

kunit_test_suite(devmap_lifecycle_suite);

MODULE_DESCRIPTION("KUnit suite: ZONE_DEVICE folio life cycle per pgmap type");
MODULE_LICENSE("GPL");
