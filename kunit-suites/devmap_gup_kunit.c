// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite: get_user_pages()/pin_user_pages() on ZONE_DEVICE pages
 * mapped into a user mm, and every way of giving them back.
 *
 * The test attaches an mm (kunit_vm_mmap()) and maps a file whose ->mmap
 * inserts the fake-devmap provider's pages the way the type's real drivers
 * do on this base (devmap_expect()'s map): before 6.17 fsdax and
 * device-dax (FS_DAX, GENERIC) insert pfns, which makes devmap PTEs that
 * hold no page reference, found by GUP through get_dev_pagemap(); since
 * then they insert pages as p2pdma and device-coherent drivers always did
 * (vm_insert_page(): one page reference per mapped page), because a pfn
 * mapping is a special PTE that GUP refuses. Types that idle at 0 are
 * handed out first (a driver's allocation). GUP then takes the real path:
 * on UML there is no GUP-fast (the _fast variants fall back to the slow
 * path) and no THP, so follow_page_pte() is what runs. PRIVATE pages
 * cannot be mapped (they are swap entries).
 *
 * What mm/gup.c does (try_grab_folio(), gup_put_folio()):
 *  - FOLL_GET adds 1 to the folio refcount;
 *  - FOLL_PIN adds GUP_PIN_COUNTING_BIAS to a small folio, and 1 plus 1 in
 *    _pincount to a large one; NR_FOLL_PIN_ACQUIRED counts pins;
 *  - unpinning reverses exactly that and counts NR_FOLL_PIN_RELEASED; on
 *    6.12 it goes through put_devmap_managed_folio_refs(): an fsdax folio
 *    that drops back to 1 wakes its waiters, whatever the number of
 *    references released at once; since 6.15 fsdax is 0-based and wakes
 *    when any put brings it to 0, which the mapping's references prevent
 *    while it is mapped;
 *  - a pfn mapping (special PTE) is refused with -EEXIST since 6.17;
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
	{ MEMORY_DEVICE_COHERENT, 4 },
	{ MEMORY_DEVICE_PCI_P2PDMA, 0 },
	{ MEMORY_DEVICE_PCI_P2PDMA, 4 },
};

KUNIT_ARRAY_PARAM(gup, gup_params, devmap_param_desc);

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
	/* The hand-outs were given back (devmap_user_give_back()). */
	bool given_back;
};

/* First pages of the folios that hold the user's pages: hand-out steps. */
static unsigned long folio_step(const struct fake_devmap *fdm)
{
	return 1UL << fdm->spec.order;
}

/*
 * Give back the folios handed out for the mapping (types that idle at 0),
 * as their driver does when done with them: one put_page() each.
 */
static void devmap_user_give_back(struct devmap_user *u)
{
	unsigned long i;

	if (u->given_back || !devmap_hands_out(u->fdm->pgmap.type))
		return;
	u->given_back = true;
	for (i = 0; i < u->nr_pages; i += folio_step(u->fdm))
		put_page(fake_devmap_page(u->fdm, i));
}

/*
 * Runs after the mm is released (devmap_hold_mm(), registered later) and
 * before the pgmap is destroyed: give back handed-out folios.
 */
static void devmap_user_release(void *data)
{
	devmap_user_give_back(data);
}

/*
 * The refcount of a folio of ours with @mapped of its pages mapped by
 * devmap_file_fops: the idle reference or the hand-out's, and one per
 * mapped page where the type is mapped with vm_insert_page().
 */
static int mapped_refcount(enum memory_type type, unsigned long mapped)
{
	int ref = devmap_hands_out(type) ? 1 : idle_refcount(type);

	return devmap_maps_pfns(type) ? ref : ref + mapped;
}

static struct devmap_user *devmap_user_map_fops(struct kunit *test,
						struct fake_devmap *fdm,
						unsigned long nr_pages,
						const struct file_operations *fops)
{
	struct devmap_user *u;
	struct file *file;
	unsigned long i;

	u = kunit_kzalloc(test, sizeof(*u), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, u);
	u->test = test;
	u->fdm = fdm;
	u->nr_pages = nr_pages;
	/*
	 * A driver maps folios it has handed out (device-coherent; since
	 * 6.15 also fsdax and p2pdma, whose idle folios are at 0 too, which
	 * vm_insert_page() refuses).
	 */
	if (devmap_hands_out(fdm->pgmap.type)) {
		for (i = 0; i < nr_pages; i += folio_step(fdm))
			KUNIT_ASSERT_NOT_NULL(test,
					      fake_devmap_alloc_page(fdm, i));
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
	file = anon_inode_create_getfile("[fake-devmap]", fops, fdm, O_RDWR,
					 NULL);
	if (IS_ERR_OR_NULL(file))
		devmap_user_give_back(u);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, file);
	if (fdm->pgmap.type == MEMORY_DEVICE_FS_DAX)
		file_inode(file)->i_flags |= S_DAX;
	u->addr = kunit_vm_mmap(test, file, 0, nr_pages << PAGE_SHIFT,
				PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	fput(file);
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, devmap_user_release,
						  u));
	/* kunit_vm_mmap() only treats 0 as failure. */
	KUNIT_ASSERT_FALSE_MSG(test, !u->addr || IS_ERR_VALUE(u->addr),
			       "mmap of device pages failed: %ld",
			       (long)u->addr);
	u->mm = devmap_hold_mm(test);
	return u;
}

static struct devmap_user *devmap_user_map(struct kunit *test,
					   struct fake_devmap *fdm,
					   unsigned long nr_pages)
{
	return devmap_user_map_fops(test, fdm, nr_pages, &devmap_file_fops);
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
	KUNIT_EXPECT_EQ_MSG(test, t->before.ref,
			    mapped_refcount(p->type, t->idx + 1),
			    "%s: refcount of a mapped folio (hand-out, mapping)",
			    DEVMAP_BASE_VERSION);
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
 * 6.12 FS_DAX, where the mapping holds no reference, that put wakes at 1;
 * since 6.15 the hand-out and the mapping keep it above 0: no wake).
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
	wake = var_wake_counter_start(test, devmap_wake_var(t.folio));
	put_page(page);
	expect_counts(test, t.folio, t.before);
	KUNIT_EXPECT_EQ(test, wake->wakeups,
			devmap_put_wakes(p->type, t.before.ref, true));
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
 * fsdax: releasing several pins of one folio at once. On 6.12 (1-based,
 * the mapping holds no reference) that brings it back to 1 and wakes the
 * waiters exactly once (dax_break_layout()). Since 6.15 the wake comes
 * only at 0, and the hand-out and the mapping's references keep a mapped
 * folio above it: no wake (devmap_gup_fsdax_zap_wakes has the wake).
 */
static void devmap_gup_fsdax_unpin_wakes(struct kunit *test)
{
	const struct devmap_param *p = test->param_value;
	struct var_wake_counter *wake;
	struct folio_counts before;
	struct fake_devmap *fdm;
	struct devmap_user *u;
	struct folio *folio;
	struct page *pages[2];

	if (p->type != MEMORY_DEVICE_FS_DAX)
		kunit_skip(test, "only FS_DAX folios wake their waiters");
	fdm = gup_devmap(test);
	u = devmap_user_map(test, fdm, 2);
	folio = page_folio(fake_devmap_page(fdm, 0));
	before = counts_of(folio);
	KUNIT_EXPECT_EQ(test, before.ref,
			mapped_refcount(p->type, p->order ? 2 : 1));
	/* Two pins of one folio: two pages of a large one, or one page twice. */
	KUNIT_ASSERT_EQ(test, devmap_gup(u, 0, 1, FOLL_PIN | FOLL_WRITE,
					 &pages[0]), 1);
	KUNIT_ASSERT_EQ(test, devmap_gup(u, p->order ? 1 : 0, 1,
					 FOLL_PIN | FOLL_WRITE, &pages[1]), 1);
	wake = var_wake_counter_start(test, devmap_wake_var(folio));
	unpin_user_pages(pages, 2);
	KUNIT_EXPECT_EQ(test, wake->wakeups,
			devmap_put_wakes(p->type, before.ref, true));
	expect_counts(test, folio, before);
	KUNIT_EXPECT_EQ(test, atomic_read(&fdm->page_free_calls), 0);
}

/*
 * fsdax since 6.15: a mapped folio is held by its hand-out and by each
 * mapping. Pins come and go without a wake; giving back the hand-out
 * neither; the zap of the last mapping brings it to 0, which wakes the
 * waiters once, on &folio->page, with no free callback (fsdax has none)
 * and the refcount left at 0 (free_zone_device_folio()).
 */
static void devmap_gup_fsdax_zap_wakes(struct kunit *test)
{
	const struct devmap_param *p = test->param_value;
	unsigned long nr = 1UL << p->order;
	struct var_wake_counter *wake;
	struct fake_devmap *fdm;
	struct devmap_user *u;
	struct folio *folio;
	struct page *pages[2];

	if (p->type != MEMORY_DEVICE_FS_DAX)
		kunit_skip(test, "only FS_DAX folios wake their waiters");
	if (DEVMAP_BASE_FSDAX_WAKE_AT != 0)
		kunit_skip(test, "%s: FS_DAX wakes at 1, see fsdax_unpin_wakes",
			   DEVMAP_BASE_VERSION);
	fdm = gup_devmap(test);
	u = devmap_user_map(test, fdm, nr);
	folio = page_folio(fake_devmap_page(fdm, 0));
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio),
			mapped_refcount(p->type, nr));
	wake = var_wake_counter_start(test, devmap_wake_var(folio));

	KUNIT_ASSERT_EQ(test, devmap_gup(u, 0, 1, FOLL_PIN | FOLL_WRITE,
					 &pages[0]), 1);
	KUNIT_ASSERT_EQ(test, devmap_gup(u, nr - 1, 1, FOLL_PIN | FOLL_WRITE,
					 &pages[1]), 1);
	unpin_user_pages(pages, 2);
	KUNIT_EXPECT_EQ(test, wake->wakeups, 0);
	devmap_user_give_back(u);
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), (int)nr);
	KUNIT_EXPECT_EQ(test, wake->wakeups, 0);

	KUNIT_ASSERT_EQ(test, vm_munmap(u->addr, nr << PAGE_SHIFT), 0);
	KUNIT_EXPECT_EQ(test, wake->wakeups, 1);
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&fdm->page_free_calls), 0);
}

/*
 * A pfn mapping of a device page (vmf_insert_mixed_mkwrite(), what fsdax
 * and device-dax did before 6.17) is a special PTE since pte_devmap went:
 * no struct page as far as GUP is concerned. GUP that wants the pages
 * fails with -EEXIST (follow_pfn_pte()) and takes nothing; the zap takes
 * nothing either.
 */
static void devmap_gup_pfn_mapping_refused(struct kunit *test)
{
	struct fake_devmap_spec spec = {
		.type = MEMORY_DEVICE_GENERIC,
		.nr_pages = PAGES_PER_SUBSECTION,
	};
	long acquired = foll_pin_stat(NR_FOLL_PIN_ACQUIRED);
	struct fake_devmap *fdm;
	struct devmap_user *u;
	struct folio *folio;
	struct page *page;
	int before;
	long ret;

	if (devmap_maps_pfns(MEMORY_DEVICE_GENERIC))
		kunit_skip(test, "%s: pfn mappings are devmap PTEs, which GUP takes",
			   DEVMAP_BASE_VERSION);
	if (!IS_ENABLED(CONFIG_ARCH_HAS_PTE_SPECIAL))
		kunit_skip(test, "no pte_special: vmf_insert_mixed() maps pages");
	fdm = fake_devmap_create(&spec);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, fdm);
	devmap_own(test, fdm);
	folio = page_folio(fake_devmap_page(fdm, 0));
	before = folio_ref_count(folio);
	u = devmap_user_map_fops(test, fdm, 1, &devmap_pfn_file_fops);
	KUNIT_EXPECT_TRUE(test, pte_special(devmap_user_pte(u->mm, u->addr)));
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), before);

	KUNIT_EXPECT_EQ(test, devmap_gup(u, 0, 1, FOLL_WRITE, &page),
			(long)-EEXIST);
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), before);
	ret = devmap_gup(u, 0, 1, FOLL_PIN | FOLL_WRITE, &page);
	KUNIT_EXPECT_EQ(test, ret, (long)-EEXIST);
	if (ret == 1)
		unpin_user_page(page);
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), before);
	KUNIT_EXPECT_EQ(test, foll_pin_stat(NR_FOLL_PIN_ACQUIRED), acquired);

	KUNIT_ASSERT_EQ(test, vm_munmap(u->addr, PAGE_SIZE), 0);
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), before);
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

	if (p->type == MEMORY_DEVICE_COHERENT && p->order)
		kunit_skip(test, "%s known bug (bases.py): %s", DEVMAP_BASE_VERSION,
			   "a longterm pin of a large COHERENT folio WARNs in migrate_device_coherent_folio()");
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
	KUNIT_CASE_PARAM(devmap_gup_fsdax_zap_wakes, gup_gen_params),
	KUNIT_CASE(devmap_gup_pfn_mapping_refused),
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
