// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite: get_user_pages()/pin_user_pages() on ZONE_DEVICE pages
 * mapped into a user mm, and every way of giving them back.
 *
 * The test attaches an mm (kunit_vm_mmap()) and maps a file whose ->mmap
 * inserts the fake-devmap provider's pages the way the type's real drivers
 * do: fsdax and device-dax (FS_DAX, GENERIC) insert pfns, which makes
 * devmap PTEs that hold no page reference; p2pdma and device-coherent
 * drivers use vm_insert_page(). GUP then takes the real path: on UML there
 * is no GUP-fast (the _fast variants fall back to the slow path) and no
 * THP, so follow_page_pte() with get_dev_pagemap() for devmap PTEs is what
 * runs. PRIVATE pages cannot be mapped (they are swap entries).
 *
 * What 6.12's mm/gup.c does (try_grab_folio(), gup_put_folio()):
 *  - FOLL_GET adds 1 to the folio refcount;
 *  - FOLL_PIN adds GUP_PIN_COUNTING_BIAS to a small folio, and 1 plus 1 in
 *    _pincount to a large one; NR_FOLL_PIN_ACQUIRED counts pins;
 *  - unpinning reverses exactly that, counts NR_FOLL_PIN_RELEASED, and goes
 *    through put_devmap_managed_folio_refs(): an fsdax folio that drops
 *    back to 1 wakes its waiters, whatever the number of references
 *    released at once;
 *  - p2pdma pages need FOLL_PCI_P2PDMA (-EREMOTEIO otherwise);
 *  - FOLL_LONGTERM is refused on fsdax VMAs, migrates device-coherent
 *    pages away (which fails for pages with no mapping) and can never take
 *    p2pdma pages (FOLL_PCI_P2PDMA may not be combined with it), leaving
 *    the counts as they were;
 *  - the zero page is never pinned.
 */

#include <kunit/test.h>
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/vmstat.h>

#include "devmap_kunit.h"
#include "mm/internal.h"	/* try_grab_folio() */

static const struct devmap_param gup_params[] = {
	{ MEMORY_DEVICE_GENERIC, 0 },
	{ MEMORY_DEVICE_GENERIC, 4 },
	{ MEMORY_DEVICE_FS_DAX, 0 },
	{ MEMORY_DEVICE_FS_DAX, 4 },
	{ MEMORY_DEVICE_COHERENT, 0 },
	{ MEMORY_DEVICE_PCI_P2PDMA, 0 },
	{ MEMORY_DEVICE_PCI_P2PDMA, 4 },
};

KUNIT_ARRAY_PARAM(gup, gup_params, devmap_param_desc);

/* fsdax and device-dax map pfns (devmap PTEs), the others pages. */
/* The flag a p2pdma-aware caller passes; without it GUP refuses. */
static unsigned int type_gup_flags(enum memory_type type)
{
	return type == MEMORY_DEVICE_PCI_P2PDMA ? FOLL_PCI_P2PDMA : 0;
}

/* A user mapping of a pgmap's first pages, and the mm that holds it. */
struct devmap_user {
	struct kunit *test;
	struct fake_devmap *fdm;
	struct mm_struct *mm;
	unsigned long addr;
	unsigned long nr_pages;
};

/*
 * Runs after the mm is released (devmap_hold_mm(), registered later) and
 * before the pgmap is destroyed: give back driver-allocated pages.
 */
static void devmap_user_release(void *data)
{
	struct devmap_user *u = data;
	unsigned long i;

	if (driver_allocated(u->fdm->pgmap.type)) {
		for (i = 0; i < u->nr_pages; i++)
			put_page(fake_devmap_page(u->fdm, i));
	}
}

static struct devmap_user *devmap_user_map(struct kunit *test,
					   struct fake_devmap *fdm,
					   unsigned long nr_pages)
{
	struct devmap_user *u;
	struct file *file;
	unsigned long i;

	u = kunit_kzalloc(test, sizeof(*u), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, u);
	u->test = test;
	u->fdm = fdm;
	u->nr_pages = nr_pages;
	/* A device-coherent driver maps pages it has handed out. */
	if (driver_allocated(fdm->pgmap.type)) {
		for (i = 0; i < nr_pages; i++)
			fake_devmap_alloc_page(fdm, i);
	}

	/*
	 * GUP of a devmap PTE finds its pgmap with get_dev_pagemap(), and
	 * faults again and again while it does not: assert the contract here,
	 * so that a pgmap_array without every pfn fails in this case instead
	 * of hanging in it.
	 */
	if (devmap_maps_pfns(fdm->pgmap.type)) {
		for (i = 0; i < nr_pages; i++) {
			unsigned long pfn = page_to_pfn(fake_devmap_page(fdm, i));
			struct dev_pagemap *pgmap = devmap_get_dev_pagemap(pfn);

			if (pgmap)
				put_dev_pagemap(pgmap);
			KUNIT_ASSERT_PTR_EQ_MSG(test, pgmap, &fdm->pgmap,
						"get_dev_pagemap() does not find page %lu (pfn %#lx): GUP would fault forever",
						i, pfn);
		}
	}

	/* A private inode: S_DAX must not leak onto the shared anon inode. */
	file = anon_inode_create_getfile("[fake-devmap]", &devmap_file_fops,
					 fdm, O_RDWR, NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, file);
	if (one_based(fdm->pgmap.type))
		file_inode(file)->i_flags |= S_DAX;
	u->addr = kunit_vm_mmap(test, file, 0, nr_pages << PAGE_SHIFT,
				PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	fput(file);
	/* kunit_vm_mmap() only treats 0 as failure. */
	KUNIT_ASSERT_FALSE_MSG(test, !u->addr || IS_ERR_VALUE(u->addr),
			       "mmap of device pages failed: %ld",
			       (long)u->addr);
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, devmap_user_release,
						  u));
	u->mm = devmap_hold_mm(test);
	return u;
}

static long devmap_gup(struct devmap_user *u, unsigned long first,
		       unsigned long nr, unsigned int flags,
		       struct page **pages)
{
	unsigned long start = u->addr + (first << PAGE_SHIFT);
	long ret;

	/* FOLL_LONGTERM | FOLL_PCI_P2PDMA is invalid: callers never mix them. */
	if (!(flags & FOLL_LONGTERM))
		flags |= type_gup_flags(u->fdm->pgmap.type);
	mmap_read_lock(u->mm);
	if (flags & FOLL_PIN)
		ret = pin_user_pages(start, nr, flags & ~FOLL_PIN, pages);
	else
		ret = get_user_pages(start, nr, flags, pages);
	mmap_read_unlock(u->mm);
	return ret;
}

/* An NR_FOLL_PIN_* counter exactly, per-cpu deltas included. */
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

/* Refcount and pincount of a folio, to compare before and after. */
struct folio_counts {
	int ref;
	int pins;
};

static struct folio_counts counts_of(struct folio *folio)
{
	return (struct folio_counts) {
		.ref = folio_ref_count(folio),
		.pins = folio_test_large(folio) ?
			atomic_read(&folio->_pincount) : 0,
	};
}

static void expect_counts(struct kunit *test, struct folio *folio,
			  struct folio_counts want)
{
	struct folio_counts now = counts_of(folio);

	KUNIT_EXPECT_EQ(test, now.ref, want.ref);
	KUNIT_EXPECT_EQ(test, now.pins, want.pins);
}

static struct fake_devmap *gup_devmap(struct kunit *test)
{
	return devmap_get(test, PAGES_PER_SUBSECTION, 1);
}

/* What one pin adds: BIAS to a small folio, 1 (+1 pincount) to a large. */
static struct folio_counts pinned(struct folio_counts c, int n,
				  unsigned int order)
{
	if (order) {
		c.ref += n;
		c.pins += n;
	} else {
		c.ref += n * GUP_PIN_COUNTING_BIAS;
	}
	return c;
}

/* The last page of the first folio (a tail page when large), mapped. */
struct gup_target {
	struct fake_devmap *fdm;
	struct devmap_user *u;
	unsigned long idx;
	struct folio *folio;
	struct folio_counts before;
};

static void gup_target_map(struct kunit *test, struct gup_target *t)
{
	const struct devmap_param *p = test->param_value;

	t->fdm = gup_devmap(test);
	t->idx = (1UL << p->order) - 1;
	t->u = devmap_user_map(test, t->fdm, t->idx + 1);
	t->folio = page_folio(fake_devmap_page(t->fdm, t->idx));
	t->before = counts_of(t->folio);
}

/*
 * Pin one page (a tail page for large folios) and unpin it: the folio's
 * counts move by exactly one pin each way, the vmstat counters follow, and
 * folio_maybe_dma_pinned() says so in between.
 */
static void devmap_gup_pin_unpin_one(struct kunit *test)
{
	const struct devmap_param *p = test->param_value;
	long acquired = foll_pin_stat(NR_FOLL_PIN_ACQUIRED);
	long released = foll_pin_stat(NR_FOLL_PIN_RELEASED);
	struct gup_target t;
	struct page *page;

	gup_target_map(test, &t);
	KUNIT_ASSERT_EQ(test, devmap_gup(t.u, t.idx, 1, FOLL_PIN | FOLL_WRITE,
					 &page), 1);
	KUNIT_EXPECT_PTR_EQ(test, page, fake_devmap_page(t.fdm, t.idx));
	expect_counts(test, t.folio, pinned(t.before, 1, p->order));
	KUNIT_EXPECT_TRUE(test, folio_maybe_dma_pinned(t.folio));
	KUNIT_EXPECT_EQ(test, foll_pin_stat(NR_FOLL_PIN_ACQUIRED),
			acquired + 1);

	unpin_user_page(page);
	expect_counts(test, t.folio, t.before);
	KUNIT_EXPECT_FALSE(test, folio_maybe_dma_pinned(t.folio));
	KUNIT_EXPECT_EQ(test, foll_pin_stat(NR_FOLL_PIN_RELEASED),
			released + 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&t.fdm->page_free_calls), 0);
}

/*
 * FOLL_GET takes one plain reference; put_page() gives it back (and on
 * FS_DAX, where the mapping holds no reference, that put wakes at 1).
 */
static void devmap_gup_get_put_one(struct kunit *test)
{
	const struct devmap_param *p = test->param_value;
	struct var_wake_counter *wake;
	struct gup_target t;
	struct page *page;

	gup_target_map(test, &t);
	KUNIT_ASSERT_EQ(test, devmap_gup(t.u, t.idx, 1, FOLL_WRITE, &page), 1);
	KUNIT_EXPECT_EQ(test, folio_ref_count(t.folio), t.before.ref + 1);
	KUNIT_EXPECT_FALSE(test, folio_maybe_dma_pinned(t.folio));
	wake = var_wake_counter_start(test, &t.folio->_refcount);
	put_page(page);
	expect_counts(test, t.folio, t.before);
	KUNIT_EXPECT_EQ(test, wake->wakeups, one_based(p->type) ? 1 : 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t.fdm->page_free_calls), 0);
}

/* Pin two folios' worth of pages at once; unpin_user_pages() undoes it. */
static void devmap_gup_unpin_user_pages(struct kunit *test)
{
	const struct devmap_param *p = test->param_value;
	struct fake_devmap *fdm = gup_devmap(test);
	unsigned long nr = 2UL << p->order, i;
	struct devmap_user *u = devmap_user_map(test, fdm, nr);
	struct folio *first = page_folio(fake_devmap_page(fdm, 0));
	struct folio *last = page_folio(fake_devmap_page(fdm, nr - 1));
	struct folio_counts b0 = counts_of(first), b1 = counts_of(last);
	long acquired = foll_pin_stat(NR_FOLL_PIN_ACQUIRED);
	long released = foll_pin_stat(NR_FOLL_PIN_RELEASED);
	struct page **pages;

	pages = kunit_kcalloc(test, nr, sizeof(*pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pages);
	KUNIT_ASSERT_EQ(test, devmap_gup(u, 0, nr, FOLL_PIN | FOLL_WRITE,
					 pages), nr);
	for (i = 0; i < nr; i++)
		KUNIT_EXPECT_PTR_EQ(test, pages[i], fake_devmap_page(fdm, i));
	/* Order 0: each folio holds one page; else one folio each half. */
	expect_counts(test, first, pinned(b0, nr / 2, p->order));
	expect_counts(test, last, pinned(b1, nr / 2, p->order));

	unpin_user_pages(pages, nr);
	expect_counts(test, first, b0);
	expect_counts(test, last, b1);
	KUNIT_EXPECT_EQ(test, foll_pin_stat(NR_FOLL_PIN_ACQUIRED) - acquired,
			(long)nr);
	KUNIT_EXPECT_EQ(test, foll_pin_stat(NR_FOLL_PIN_RELEASED) - released,
			(long)nr);
}

/* unpin_user_pages_dirty_lock() dirties the folios only when asked. */
static void devmap_gup_unpin_dirty_lock(struct kunit *test)
{
	const struct devmap_param *p = test->param_value;
	struct fake_devmap *fdm = gup_devmap(test);
	unsigned long nr = 1UL << p->order;
	struct devmap_user *u = devmap_user_map(test, fdm, nr);
	struct folio *folio = page_folio(fake_devmap_page(fdm, 0));
	struct folio_counts before = counts_of(folio);
	struct page **pages;
	bool make_dirty;

	pages = kunit_kcalloc(test, nr, sizeof(*pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pages);
	for (make_dirty = false; ; make_dirty = true) {
		folio_clear_dirty(folio);
		KUNIT_ASSERT_EQ(test, devmap_gup(u, 0, nr,
						 FOLL_PIN | FOLL_WRITE,
						 pages), nr);
		unpin_user_pages_dirty_lock(pages, nr, make_dirty);
		KUNIT_EXPECT_EQ(test, folio_test_dirty(folio), make_dirty);
		expect_counts(test, folio, before);
		if (make_dirty)
			break;
	}
	folio_clear_dirty(folio);
}

/*
 * unpin_user_page_range_dirty_lock() over pages pinned one by one: for a
 * large folio the whole range is one folio and one call to gup_put_folio().
 */
static void devmap_gup_unpin_range(struct kunit *test)
{
	const struct devmap_param *p = test->param_value;
	struct fake_devmap *fdm = gup_devmap(test);
	unsigned long nr = p->order ? 1UL << p->order : 4, i;
	struct devmap_user *u = devmap_user_map(test, fdm, nr);
	struct folio *folio = page_folio(fake_devmap_page(fdm, 0));
	struct folio_counts before = counts_of(folio);
	struct page *page;

	for (i = 0; i < nr; i++)
		KUNIT_ASSERT_EQ(test, devmap_gup(u, i, 1,
						 FOLL_PIN | FOLL_WRITE,
						 &page), 1);
	KUNIT_EXPECT_TRUE(test, folio_maybe_dma_pinned(folio));
	unpin_user_page_range_dirty_lock(fake_devmap_page(fdm, 0), nr, false);
	expect_counts(test, folio, before);
	for (i = 0; i < nr; i++) {
		folio = page_folio(fake_devmap_page(fdm, i));
		KUNIT_EXPECT_FALSE(test, folio_maybe_dma_pinned(folio));
	}
}

/* Without FOLL_PCI_P2PDMA, GUP refuses p2pdma pages and takes nothing. */
static void devmap_gup_p2pdma_needs_flag(struct kunit *test)
{
	const struct devmap_param *p = test->param_value;
	struct fake_devmap *fdm;
	struct devmap_user *u;
	struct folio_counts before;
	struct folio *folio;
	struct page *page;
	long ret;

	if (p->type != MEMORY_DEVICE_PCI_P2PDMA)
		kunit_skip(test, "only PCI_P2PDMA pages need FOLL_PCI_P2PDMA");
	if (!IS_ENABLED(CONFIG_PCI_P2PDMA))
		kunit_skip(test, "CONFIG_PCI_P2PDMA is off: is_pci_p2pdma_page() is always false");
	fdm = gup_devmap(test);
	u = devmap_user_map(test, fdm, 1);
	folio = page_folio(fake_devmap_page(fdm, 0));
	before = counts_of(folio);

	mmap_read_lock(u->mm);
	ret = pin_user_pages(u->addr, 1, FOLL_WRITE, &page);
	KUNIT_EXPECT_EQ(test, ret, -EREMOTEIO);
	ret = get_user_pages(u->addr, 1, FOLL_WRITE, &page);
	KUNIT_EXPECT_EQ(test, ret, -EREMOTEIO);
	mmap_read_unlock(u->mm);
	expect_counts(test, folio, before);
}

/*
 * fsdax: releasing several pins of one folio at once still brings it back
 * to 1, and that wakes the waiters exactly once (dax_break_layout()).
 */
static void devmap_gup_fsdax_unpin_wakes(struct kunit *test)
{
	const struct devmap_param *p = test->param_value;
	struct var_wake_counter *wake;
	struct fake_devmap *fdm;
	struct devmap_user *u;
	struct folio *folio;
	struct page *pages[2];

	if (!one_based(p->type))
		kunit_skip(test, "only FS_DAX is 1-based");
	fdm = gup_devmap(test);
	u = devmap_user_map(test, fdm, 2);
	folio = page_folio(fake_devmap_page(fdm, 0));
	/* Two pins of one folio: two pages of a large one, or one page twice. */
	KUNIT_ASSERT_EQ(test, devmap_gup(u, 0, 1, FOLL_PIN | FOLL_WRITE,
					 &pages[0]), 1);
	KUNIT_ASSERT_EQ(test, devmap_gup(u, p->order ? 1 : 0, 1,
					 FOLL_PIN | FOLL_WRITE, &pages[1]), 1);
	wake = var_wake_counter_start(test, &folio->_refcount);
	unpin_user_pages(pages, 2);
	KUNIT_EXPECT_EQ(test, wake->wakeups, 1);
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&fdm->page_free_calls), 0);
}

/*
 * FOLL_LONGTERM: refused on an fsdax VMA, fails for device-coherent pages
 * (they must migrate, and mapping-less pages cannot) and for p2pdma pages
 * (no FOLL_PCI_P2PDMA with FOLL_LONGTERM), allowed for GENERIC. Either way
 * the counts end where they started.
 */
static void devmap_gup_longterm(struct kunit *test)
{
	const struct devmap_param *p = test->param_value;
	struct fake_devmap *fdm = gup_devmap(test);
	struct devmap_user *u = devmap_user_map(test, fdm, 1);
	struct folio *folio = page_folio(fake_devmap_page(fdm, 0));
	struct folio_counts before = counts_of(folio);
	struct page *page;
	long ret;

	ret = devmap_gup(u, 0, 1, FOLL_PIN | FOLL_WRITE | FOLL_LONGTERM,
			 &page);
	switch (p->type) {
	case MEMORY_DEVICE_FS_DAX:
		KUNIT_EXPECT_EQ(test, ret, -EOPNOTSUPP);
		break;
	case MEMORY_DEVICE_COHERENT:
		KUNIT_EXPECT_LT(test, ret, 0);
		break;
	case MEMORY_DEVICE_PCI_P2PDMA:
		KUNIT_EXPECT_EQ(test, ret, IS_ENABLED(CONFIG_PCI_P2PDMA) ?
				-EREMOTEIO : 1);
		if (ret == 1)
			unpin_user_page(page);
		break;
	default:
		KUNIT_EXPECT_EQ(test, ret, 1);
		if (ret == 1) {
			expect_counts(test, folio, pinned(before, 1, p->order));
			unpin_user_page(page);
		}
		break;
	}
	expect_counts(test, folio, before);
}

/*
 * A folio whose refcount is 0 (a free PRIVATE page) or has overflowed
 * (negative) cannot be grabbed: try_grab_folio() WARNs and fails cleanly,
 * leaving the count alone.
 */
static void devmap_gup_grab_free_page_fails(struct kunit *test)
{
	struct fake_devmap_spec spec = {
		.type = MEMORY_DEVICE_PRIVATE,
		.nr_pages = PAGES_PER_SUBSECTION,
	};
	struct fake_devmap *fdm = fake_devmap_create(&spec);
	struct folio *folio;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, fdm);
	folio = page_folio(fake_devmap_page(fdm, 0));
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), 0);
	/* Expect one WARN from try_grab_folio() in the log. */
	KUNIT_EXPECT_EQ(test, try_grab_folio(folio, 1, FOLL_PIN), -ENOMEM);
	KUNIT_EXPECT_EQ(test, try_grab_folio(folio, 1, FOLL_GET), -ENOMEM);
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), 0);

	/* Overflowed: INT_MAX references and one more. */
	folio_set_count(folio, INT_MIN);
	KUNIT_EXPECT_EQ(test, try_grab_folio(folio, 1, FOLL_PIN), -ENOMEM);
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), INT_MIN);
	folio_set_count(folio, 0);
	KUNIT_EXPECT_EQ(test, fake_devmap_destroy(fdm), 0);
}

/* The shared zero page is never pinned: no refcount, no vmstat. */
static void devmap_gup_zero_page_not_pinned(struct kunit *test)
{
	struct folio *zero = page_folio(ZERO_PAGE(0));
	int before = folio_ref_count(zero);
	long acquired = foll_pin_stat(NR_FOLL_PIN_ACQUIRED);
	unsigned long addr;
	struct page *page;
	long ret;

	addr = kunit_vm_mmap(test, NULL, 0, PAGE_SIZE, PROT_READ,
			     MAP_PRIVATE | MAP_ANONYMOUS, 0);
	KUNIT_ASSERT_FALSE(test, !addr || IS_ERR_VALUE(addr));
	mmap_read_lock(current->mm);
	ret = pin_user_pages(addr, 1, 0, &page);
	mmap_read_unlock(current->mm);
	KUNIT_ASSERT_EQ(test, ret, 1);
	KUNIT_EXPECT_TRUE(test, is_zero_folio(page_folio(page)));
	KUNIT_EXPECT_EQ(test, folio_ref_count(zero), before);
	KUNIT_EXPECT_EQ(test, foll_pin_stat(NR_FOLL_PIN_ACQUIRED), acquired);
	unpin_user_page(page);
	KUNIT_EXPECT_EQ(test, folio_ref_count(zero), before);
}

static struct kunit_case devmap_gup_cases[] = {
	KUNIT_CASE_PARAM(devmap_gup_pin_unpin_one, gup_gen_params),
	KUNIT_CASE_PARAM(devmap_gup_get_put_one, gup_gen_params),
	KUNIT_CASE_PARAM(devmap_gup_unpin_user_pages, gup_gen_params),
	KUNIT_CASE_PARAM(devmap_gup_unpin_dirty_lock, gup_gen_params),
	KUNIT_CASE_PARAM(devmap_gup_unpin_range, gup_gen_params),
	KUNIT_CASE_PARAM(devmap_gup_p2pdma_needs_flag, gup_gen_params),
	KUNIT_CASE_PARAM(devmap_gup_fsdax_unpin_wakes, gup_gen_params),
	KUNIT_CASE_PARAM(devmap_gup_longterm, gup_gen_params),
	KUNIT_CASE(devmap_gup_grab_free_page_fails),
	KUNIT_CASE(devmap_gup_zero_page_not_pinned),
	{}
};

static struct kunit_suite devmap_gup_suite = {
	.name = "devmap_gup",
	.test_cases = devmap_gup_cases,
};

kunit_test_suite(devmap_gup_suite);

MODULE_DESCRIPTION("KUnit suite: GUP pins and references on ZONE_DEVICE pages");
MODULE_LICENSE("GPL");
