// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite: the life of a ZONE_DEVICE folio, per pgmap type and folio
 * order, through the real mm functions (memremap_pages(), folio_get(),
 * folio_put(), free_zone_device_folio(), get_dev_pagemap(),
 * memunmap_pages()) on the fake-devmap provider's pages.
 *
 * What each type does, from mm/memremap.c and mm/mm_init.c (6.12):
 *  - idle refcount: 0 for PRIVATE and COHERENT, whose drivers set it to 1
 *    with zone_device_page_init() when they hand a page out, and 1 for
 *    the others (__init_zone_device_page());
 *  - the put that reaches 0 calls free_zone_device_folio(): ->page_free()
 *    once with the head page, folio->mapping cleared, then the refcount is
 *    reset to 1 (GENERIC, PCI_P2PDMA) or the pgmap reference that
 *    zone_device_page_init() took is dropped (PRIVATE, COHERENT);
 *  - FS_DAX is 1-based: the put that reaches 1 is the last one, it fires
 *    wake_up_var(&folio->_refcount) and never calls ->page_free().
 */

#include <kunit/test.h>
#include <linux/kthread.h>
#include <linux/memremap.h>
#include <linux/mm.h>

#include "devmap_kunit.h"

static const struct devmap_param devmap_params[] = {
	{ MEMORY_DEVICE_GENERIC, 0 },
	{ MEMORY_DEVICE_GENERIC, 4 },
	{ MEMORY_DEVICE_FS_DAX, 0 },
	{ MEMORY_DEVICE_FS_DAX, 4 },
	{ MEMORY_DEVICE_PRIVATE, 0 },
	{ MEMORY_DEVICE_COHERENT, 0 },
	{ MEMORY_DEVICE_PCI_P2PDMA, 0 },
	{ MEMORY_DEVICE_PCI_P2PDMA, 4 },
};

KUNIT_ARRAY_PARAM(devmap, devmap_params, devmap_param_desc);

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
 * on FS_DAX the put back to 1 is a "last put" and wakes the waiters.
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

	wake = var_wake_counter_start(test, &folio->_refcount);
	KUNIT_ASSERT_EQ(test, folio_ref_count(folio), 1);
	get_page(tail);
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), 2);
	KUNIT_EXPECT_TRUE(test, page_folio(tail) == folio);
	put_page(tail);
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), 1);
	KUNIT_EXPECT_EQ(test, wake->wakeups, one_based(p->type) ? 1 : 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&fdm->page_free_calls), 0);

	/* Give the page back so the pgmap can go. */
	if (!idle_refcount(p->type))
		folio_put(folio);
}

/*
 * The last put frees the folio exactly once, through the real
 * free_zone_device_folio(): ->page_free() with the head page, a stale
 * folio->mapping cleared, and the refcount left as the type requires.
 */
static void devmap_last_put_frees_once(struct kunit *test)
{
	const struct devmap_param *p = test->param_value;
	unsigned long last = (1UL << p->order) - 1;
	struct var_wake_counter *wake;
	struct fake_devmap *fdm;
	struct folio *folio;

	if (one_based(p->type))
		kunit_skip(test, "FS_DAX has no last put to 0: see devmap_fsdax_put_to_one");
	fdm = devmap_get(test, PAGES_PER_SUBSECTION, 1);
	folio = page_folio(fake_devmap_alloc_page(fdm, 0));
	wake = var_wake_counter_start(test, &folio->_refcount);
	folio->mapping = (void *)fdm;	/* stale, as after a truncate */
	put_page(fake_devmap_page(fdm, last));

	KUNIT_EXPECT_EQ(test, atomic_read(&fdm->page_free_calls), 1);
	KUNIT_EXPECT_PTR_EQ(test, READ_ONCE(fdm->last_freed), &folio->page);
	KUNIT_EXPECT_NULL(test, folio->mapping);
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio),
			driver_allocated(p->type) ? 0 : 1);
	KUNIT_EXPECT_EQ(test, wake->wakeups, 0);
}

/*
 * FS_DAX refcounts are 1-based: the put that brings the count back to 1 is
 * the last one. It wakes whoever waits in dax_break_layout() on
 * folio->_refcount and never frees the folio.
 */
static void devmap_fsdax_put_to_one(struct kunit *test)
{
	const struct devmap_param *p = test->param_value;
	struct var_wake_counter *wake;
	struct fake_devmap *fdm;
	struct folio *folio;

	if (!one_based(p->type))
		kunit_skip(test, "only FS_DAX is 1-based");
	fdm = devmap_get(test, PAGES_PER_SUBSECTION, 1);
	folio = page_folio(fake_devmap_alloc_page(fdm, 0));
	wake = var_wake_counter_start(test, &folio->_refcount);
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
 * COHERENT pages hold while handed out, and for nothing else. The
 * reference is checked where zone_device_page_init() takes it, before the
 * unmap: a missing one fails here instead of racing the unmap to a use
 * after free. Bounded: a kernel that never drops the reference fails in a
 * second, never hangs.
 */
static void devmap_memunmap_waits_for_pages(struct kunit *test)
{
	const struct devmap_param *p = test->param_value;
	struct fake_devmap *fdm = devmap_get(test, PAGES_PER_SUBSECTION, 1);
	long refs = fake_devmap_pgmap_refs(fdm);
	struct folio *folio = page_folio(fake_devmap_alloc_page(fdm, 0));

	KUNIT_ASSERT_GT(test, refs, 0);
	KUNIT_ASSERT_EQ_MSG(test, fake_devmap_pgmap_refs(fdm),
			    refs + driver_allocated(p->type),
			    "pgmap references after handing out a page");
	fake_devmap_unmap_start(fdm);
	if (!driver_allocated(p->type)) {
		KUNIT_EXPECT_TRUE(test, fake_devmap_unmap_wait(fdm, HZ));
		return;
	}
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
 * one past it; given the cached pgmap it returns it without a new
 * reference while the pfn is inside, and drops it when it is not. Every
 * reference taken is dropped: memunmap_pages() finishes.
 */
static void devmap_get_dev_pagemap_bounds(struct kunit *test)
{
	struct fake_devmap *fdm = devmap_get(test, PAGES_PER_SUBSECTION, 1);
	unsigned long first = page_to_pfn(fake_devmap_page(fdm, 0));
	unsigned long nr = fake_devmap_nr_pages(fdm);
	struct dev_pagemap *pgmap;

	pgmap = devmap_get_dev_pagemap(first);
	KUNIT_ASSERT_PTR_EQ(test, pgmap, &fdm->pgmap);
	KUNIT_EXPECT_PTR_EQ(test, devmap_get_dev_pagemap_cached(first + nr - 1, pgmap),
			    pgmap);
	/* One past the end: the cached reference is dropped, none found. */
	KUNIT_EXPECT_NULL(test, devmap_get_dev_pagemap_cached(first + nr, pgmap));
	pgmap = devmap_get_dev_pagemap(first + nr - 1);
	KUNIT_EXPECT_PTR_EQ(test, pgmap, &fdm->pgmap);
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
	KUNIT_EXPECT_FALSE(test, fake_devmap_unmap_wait(fdm, FAKE_DEVMAP_WAIT_WINDOW));
	KUNIT_EXPECT_NULL(test, devmap_get_dev_pagemap(pfn));
	put_dev_pagemap(pgmap);
	KUNIT_EXPECT_TRUE(test, fake_devmap_unmap_wait(fdm, HZ));
}

/*
 * folios_put_refs() (release_pages(), munmap batches) with a device folio
 * holding several references next to a normal folio: the device folio
 * takes the devmap-managed path (FS_DAX: back to 1, one wake-up) or is
 * freed once when its count reaches 0; the normal folio just loses refs.
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
	wake = var_wake_counter_start(test, &dev->_refcount);
	/* Device folio 1 -> 3 (FS_DAX: 1 -> 3, of which 2 are ours). */
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
		KUNIT_EXPECT_EQ(test, atomic_read(&fdm->page_free_calls), 1);
		KUNIT_EXPECT_EQ(test, folio_ref_count(dev), idle_refcount(p->type));
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
 * Two threads drop the last two references at the same time: the folio is
 * freed exactly once. Each thread is bound to a CPU of its own when there
 * are two (make oracle's x86_64 guest): a real cross-CPU race. (UML is
 * uniprocessor: there the threads interleave only at preemption points, so
 * this checks the accounting, not the atomics.)
 */
static void devmap_concurrent_last_put(struct kunit *test)
{
	const struct devmap_param *p = test->param_value;
	struct racing_put racers[2];
	struct fake_devmap *fdm;
	struct completion go;
	struct folio *folio;
	int i;

	if (one_based(p->type))
		kunit_skip(test, "FS_DAX folios are never freed by a put");
	fdm = devmap_get(test, PAGES_PER_SUBSECTION, 1);
	folio = page_folio(fake_devmap_alloc_page(fdm, 0));
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
	KUNIT_EXPECT_EQ(test, atomic_read(&fdm->page_free_calls), 1);
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), idle_refcount(p->type));
}

/*
 * A pgmap of several ranges (pgmap->nr_range > 1): every range has its
 * pages, get_dev_pagemap() finds the pgmap in each, and the last put on a
 * page of the last range frees it through the same pgmap.
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
	KUNIT_EXPECT_EQ(test, atomic_read(&fdm->page_free_calls), 1);
	KUNIT_EXPECT_PTR_EQ(test, READ_ONCE(fdm->last_freed), &folio->page);
}

/*
 * Pgmaps of every type alive at once: what one type switches on for all
 * (on 6.12 devmap_managed_key, on while any FS_DAX pgmap exists: every put
 * of a device folio then asks __put_devmap_managed_folio_refs()) must not
 * change how the others count. Per type, a get and a put of page 0 with
 * all five pgmaps alive: FS_DAX back to 1 with a wake-up, GENERIC and
 * P2PDMA back to 1, PRIVATE and COHERENT handed out at 1 and freed once by
 * their last put. Then FS_DAX goes first: the key drops back, the others
 * count the same.
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

	if (driver_allocated(type)) {
		folio = page_folio(fake_devmap_alloc_page(fdm, 0));
		KUNIT_ASSERT_EQ(test, folio_ref_count(folio), 1);
		put_page(&folio->page);
		KUNIT_EXPECT_EQ_MSG(test, atomic_read(&fdm->page_free_calls), frees + 1,
				    "%s %s: the last put did not free the page once", name, when);
		KUNIT_EXPECT_EQ_MSG(test, folio_ref_count(folio), 0,
				    "%s %s: refcount after the last put", name, when);
		return;
	}
	folio = page_folio(fake_devmap_page(fdm, 0));
	wake = var_wake_counter_start(test, &folio->_refcount);
	get_page(&folio->page);
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), 2);
	put_page(&folio->page);
	KUNIT_EXPECT_EQ_MSG(test, folio_ref_count(folio), 1,
			    "%s %s: refcount after get and put", name, when);
	KUNIT_EXPECT_EQ_MSG(test, wake->wakeups, one_based(type) ? 1 : 0,
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
	KUNIT_EXPECT_EQ(test, devmap_managed_key_count(), before + 1);
	for (i = 0; i < ARRAY_SIZE(all_types); i++)
		side_by_side_get_put(test, fdm[i], "beside FS_DAX");

	/* FS_DAX goes first; the others stay. */
	KUNIT_EXPECT_EQ(test, fake_devmap_destroy_why(fdm[0], why, sizeof(why)), 0);
	KUNIT_EXPECT_EQ(test, devmap_managed_key_count(), before);
	for (i = 1; i < ARRAY_SIZE(all_types); i++)
		side_by_side_get_put(test, fdm[i], "after FS_DAX went");
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
	{}
};

static struct kunit_suite devmap_lifecycle_suite = {
	.name = "devmap_lifecycle",
	.test_cases = devmap_lifecycle_cases,
};

kunit_test_suite(devmap_lifecycle_suite);

MODULE_DESCRIPTION("KUnit suite: ZONE_DEVICE folio life cycle per pgmap type");
MODULE_LICENSE("GPL");
