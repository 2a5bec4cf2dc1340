// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite: anonymous pages of a user mm migrated to device-private and
 * device-coherent pages and back, through the real mm/migrate_device.c.
 *
 * The test maps anonymous memory in an mm of its own (kunit_vm_mmap()),
 * fills it with a pattern through copy_to_user() (real anonymous faults),
 * and then plays the driver, as lib/test_hmm.c does:
 *  - to the device: migrate_vma_setup() with MIGRATE_VMA_SELECT_SYSTEM,
 *    destination pages from the fake-devmap provider
 *    (zone_device_page_init(): locked, refcount 1, the pgmap references of
 *    devmap_alloc_pgmap_refs(), one for an order-0 page on every base),
 *    the data copied, migrate_vma_pages(), migrate_vma_finalize()
 *    (dmirror_migrate_to_device());
 *  - back by a CPU fault: copy_from_user() on the address faults
 *    (do_swap_page() on the device-private entry), and the provider's
 *    ->migrate_to_ram() migrates the page back (dmirror_devmem_fault());
 *  - back by eviction: the provider's migrate_device_range(),
 *    migrate_device_pages(), migrate_device_finalize()
 *    (dmirror_device_evict_chunk());
 *  - back by a FOLL_LONGTERM pin: GUP faults a device-private page back
 *    through ->migrate_to_ram(), and migrates a device-coherent one out
 *    with migrate_device_coherent_folio() (mm/gup.c).
 *
 * What the mm does at each step (6.12 and 7.3 alike at order 0):
 *  - an isolated source page (between setup and finalize) is locked,
 *    unmapped (its PTE is a migration entry, writable for a writable
 *    anonymous page) and holds exactly the one reference of its LRU
 *    isolation; a page with any other reference (a GUP pin) is not
 *    collected: its src entry is cleared and its PTE restored;
 *  - a migrated device page holds refcount 1 and one mapping
 *    (_mapcount 0), is anonymous and PG_anon_exclusive; a PRIVATE one is
 *    mapped by a writable device-private swap entry, a COHERENT one by a
 *    present PTE; each holds one pgmap reference;
 *  - when the page comes back to RAM, the device page is freed once
 *    (free_zone_device_folio(): the free callback, ->page_free() on 6.12,
 *    ->folio_free() on 7.3, refcount 0, the pgmap reference dropped,
 *    folio->mapping NULL, so not anonymous, and PG_anon_exclusive
 *    cleared), and can be handed out again.
 *
 * Only order 0: 6.12 has no large device-private or device-coherent
 * folios (migrate_vma_collect_pmd() skips THPs, "FIXME support THP");
 * 7.3 has them, but migrates them only at PMD order with THP and
 * CONFIG_ARCH_HAS_PMD_SOFTLEAVES, which UML has not
 * (DEVMAP_BASE_LARGE_DEVICE_MIGRATION).
 */

#include <kunit/test.h>
#include <asm/tlb.h>
#include <linux/highmem.h>
#include <linux/memremap.h>
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/pgtable.h>
#include <linux/rmap.h>
#include <linux/sched/mm.h>
#include <linux/swap.h>
#include <linux/uaccess.h>

#include "devmap_kunit.h"
#include "mm/internal.h"	/* insert_vm_struct(), anon_vma_fork() */

/*
 * Order 4: the migration of large device folios, which needs THP (skips
 * on UML, with the reason: kunit-suites/README.md, the THP decision).
 */
static const struct devmap_param migrate_params[] = {
	{ MEMORY_DEVICE_PRIVATE, 0 },
	{ MEMORY_DEVICE_COHERENT, 0 },
	{ MEMORY_DEVICE_PRIVATE, 4 },
	{ MEMORY_DEVICE_COHERENT, 4 },
};

KUNIT_ARRAY_PARAM(migrate, migrate_params, devmap_param_desc);

/* Pages per test: enough to see per-page bookkeeping, cheap to copy. */
#define MIG_PAGES	4

/* A test's anonymous range, its pages, and the device that takes them. */
struct mig {
	struct kunit *test;
	struct fake_devmap *fdm;
	struct mm_struct *mm;
	unsigned long addr;
	/* The anonymous pages before migration, and the device pages. */
	struct page *sys[MIG_PAGES];
	struct page *dev[MIG_PAGES];
	unsigned long src[MIG_PAGES];
	unsigned long dst[MIG_PAGES];
	/* Pgmap references before any page was handed out. */
	long refs0;
	u8 *buf;
};

static bool is_private(const struct mig *m)
{
	return m->fdm->pgmap.type == MEMORY_DEVICE_PRIVATE;
}

/* Pgmap references @n device pages in use hold (their hand-outs'). */
static long mig_refs(const struct mig *m, unsigned long n)
{
	return m->refs0 + n * devmap_alloc_pgmap_refs(m->fdm->pgmap.type, 0);
}

/* Page i's pattern: differs per page and per byte, never all zero. */
static void mig_pattern(u8 *buf, unsigned long i)
{
	unsigned long b;

	for (b = 0; b < PAGE_SIZE; b++)
		buf[b] = (u8)(b * 7 + i * 31 + 1);
}

/* The PTE of page @i (pte_none if there is no page table); mmap locked. */
static pte_t __mig_pte(struct mig *m, unsigned long i)
{
	return devmap_user_pte_locked(m->mm, m->addr + i * PAGE_SIZE);
}

static pte_t mig_pte(struct mig *m, unsigned long i)
{
	return devmap_user_pte(m->mm, m->addr + i * PAGE_SIZE);
}

/* A migration entry (of either permission): an entry's page, not device-private. */
static bool is_migration_pte(pte_t pte)
{
	struct devmap_pte_view v = devmap_pte_view(pte);

	return v.page && !v.device_private;
}

/* The page a present PTE maps, or NULL. */
static struct page *mig_mapped_page(struct mig *m, unsigned long i)
{
	pte_t pte = mig_pte(m, i);

	return pte_present(pte) ? pte_page(pte) : NULL;
}

/*
 * A pgmap of the test's type, MIG_PAGES anonymous pages filled with their
 * patterns, and the mm held until the test ends.
 */
static struct mig *mig_setup(struct kunit *test)
{
	const struct devmap_param *p = test->param_value;
	struct mig *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	unsigned long i;

	KUNIT_ASSERT_NOT_NULL(test, m);
	if (p->order && !DEVMAP_BASE_LARGE_DEVICE_MIGRATION)
		kunit_skip(test, "%s: no migration of large device folios here (THP)",
			   DEVMAP_BASE_VERSION);
	m->test = test;
	m->fdm = devmap_get(test, PAGES_PER_SUBSECTION, 1);
	m->buf = kunit_kmalloc(test, PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m->buf);
	m->addr = kunit_vm_mmap(test, NULL, 0, MIG_PAGES * PAGE_SIZE,
				PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, 0);
	KUNIT_ASSERT_FALSE(test, !m->addr || IS_ERR_VALUE(m->addr));
	m->mm = devmap_hold_mm(test);
	for (i = 0; i < MIG_PAGES; i++) {
		mig_pattern(m->buf, i);
		KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)m->addr +
						   i * PAGE_SIZE, m->buf,
						   PAGE_SIZE), 0);
	}
	/* New anonymous folios sit in a per-CPU LRU batch, with its ref. */
	lru_add_drain();
	for (i = 0; i < MIG_PAGES; i++) {
		m->sys[i] = mig_mapped_page(m, i);
		KUNIT_ASSERT_NOT_NULL(test, m->sys[i]);
		KUNIT_ASSERT_FALSE(test, is_zone_device_page(m->sys[i]));
		KUNIT_EXPECT_TRUE(test, PageAnon(m->sys[i]));
		KUNIT_EXPECT_EQ(test, page_ref_count(m->sys[i]), 1);
	}
	m->refs0 = fake_devmap_pgmap_refs(m->fdm);
	/* memremap_pages()'s own reference; driver types take no more. */
	KUNIT_EXPECT_EQ(test, m->refs0, 1);
	return m;
}

static bool page_matches(struct page *page, unsigned long i, u8 *buf)
{
	void *addr = kmap_local_page(page);
	bool same;

	mig_pattern(buf, i);
	same = !memcmp(addr, buf, PAGE_SIZE);
	kunmap_local(addr);
	return same;
}

/*
 * Migrate pages [0, MIG_PAGES) to the device as a driver does; @skip
 * (a bit per page) are expected not to be collected. Checks the source
 * pages between migrate_vma_setup() and migrate_vma_pages(). Assertions
 * wait until the mmap lock is dropped: an abort with it held would hang
 * the mm's teardown.
 */
static void mig_to_device(struct mig *m, unsigned long skip)
{
	struct kunit *test = m->test;
	struct migrate_vma args = {
		.start		= m->addr,
		.end		= m->addr + MIG_PAGES * PAGE_SIZE,
		.src		= m->src,
		.dst		= m->dst,
		.pgmap_owner	= m->fdm,
		.flags		= MIGRATE_VMA_SELECT_SYSTEM,
	};
	unsigned long i, want = MIG_PAGES - hweight_long(skip);
	int ret;

	/* The pages mapped now (after a round trip: new RAM pages). */
	for (i = 0; i < MIG_PAGES; i++)
		m->sys[i] = mig_mapped_page(m, i);
	mmap_read_lock(m->mm);
	args.vma = vma_lookup(m->mm, m->addr);
	ret = migrate_vma_setup(&args);
	KUNIT_EXPECT_EQ(test, ret, 0);
	if (ret) {
		mmap_read_unlock(m->mm);
		KUNIT_FAIL_AND_ABORT(test, "migrate_vma_setup(): %d", ret);
	}
	KUNIT_EXPECT_EQ(test, args.cpages, want);
	for (i = 0; i < MIG_PAGES; i++) {
		struct page *spage = migrate_pfn_to_page(m->src[i]);
		pte_t pte;

		m->dst[i] = 0;
		if (skip & BIT(i)) {
			/* Not migratable: restored, remapped, unlocked. */
			KUNIT_EXPECT_EQ_MSG(test, m->src[i], 0UL, "page %lu", i);
			continue;
		}
		KUNIT_EXPECT_TRUE_MSG(test, m->src[i] & MIGRATE_PFN_MIGRATE,
				      "page %lu not collected", i);
		KUNIT_EXPECT_TRUE_MSG(test, m->src[i] & MIGRATE_PFN_WRITE,
				      "page %lu lost its write permission", i);
		KUNIT_EXPECT_PTR_EQ(test, spage, m->sys[i]);
		if (!(m->src[i] & MIGRATE_PFN_MIGRATE) || spage != m->sys[i])
			continue;
		/* Isolated: locked, unmapped, the LRU isolation's ref only. */
		KUNIT_EXPECT_TRUE(test, PageLocked(spage));
		KUNIT_EXPECT_EQ(test, page_ref_count(spage), 1);
		KUNIT_EXPECT_EQ(test, folio_mapcount(page_folio(spage)), 0);
		KUNIT_EXPECT_FALSE(test, PageLRU(spage));
		pte = __mig_pte(m, i);
		KUNIT_EXPECT_TRUE(test, devmap_pte_view(pte).migration_write);

		m->dev[i] = fake_devmap_alloc_page_locked(m->fdm, i);
		if (!m->dev[i])
			continue;
		copy_highpage(fake_devmap_storage(m->fdm, m->dev[i]), spage);
		m->dst[i] = migrate_pfn(page_to_pfn(m->dev[i])) |
			    MIGRATE_PFN_WRITE;
	}
	migrate_vma_pages(&args);
	for (i = 0; i < MIG_PAGES; i++)
		if (m->dst[i])
			KUNIT_EXPECT_TRUE_MSG(test,
					      m->src[i] & MIGRATE_PFN_MIGRATE,
					      "page %lu not migrated", i);
	migrate_vma_finalize(&args);
	mmap_read_unlock(m->mm);
}

/* Page @i lives on the device, mapped as its type's drivers map it. */
static void expect_on_device(struct mig *m, unsigned long i)
{
	struct kunit *test = m->test;
	struct page *dev = fake_devmap_page(m->fdm, i);
	struct folio *folio = page_folio(dev);
	pte_t pte = mig_pte(m, i);

	KUNIT_EXPECT_EQ_MSG(test, folio_ref_count(folio), 1, "page %lu", i);
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->_mapcount), 0);
	KUNIT_EXPECT_TRUE(test, folio_test_anon(folio));
	KUNIT_EXPECT_TRUE(test, PageAnonExclusive(dev));
	KUNIT_EXPECT_FALSE(test, PageLocked(dev));
	KUNIT_EXPECT_EQ(test, is_device_private_page(dev), is_private(m));
	KUNIT_EXPECT_EQ(test, is_device_coherent_page(dev), !is_private(m));
	if (is_private(m)) {
		struct devmap_pte_view v = devmap_pte_view(pte);

		KUNIT_EXPECT_TRUE(test, v.device_private);
		KUNIT_EXPECT_TRUE(test, v.device_private_write);
		if (v.device_private)
			KUNIT_EXPECT_PTR_EQ(test, v.page, dev);
	} else {
		KUNIT_EXPECT_TRUE(test, pte_present(pte));
		KUNIT_EXPECT_TRUE(test, pte_write(pte));
		KUNIT_EXPECT_EQ(test, pte_pfn(pte), page_to_pfn(dev));
	}
	KUNIT_EXPECT_TRUE_MSG(test,
			      page_matches(fake_devmap_storage(m->fdm, dev), i,
					   m->buf),
			      "device copy of page %lu", i);
}

/* Page @i is back in RAM: a present, writable PTE, the data intact. */
static void expect_in_ram(struct mig *m, unsigned long i)
{
	struct kunit *test = m->test;
	struct page *page = mig_mapped_page(m, i);
	pte_t pte = mig_pte(m, i);

	KUNIT_ASSERT_NOT_NULL_MSG(test, page, "page %lu not mapped", i);
	KUNIT_EXPECT_FALSE(test, is_zone_device_page(page));
	KUNIT_EXPECT_TRUE(test, pte_write(pte));
	KUNIT_EXPECT_TRUE(test, PageAnon(page));
	KUNIT_EXPECT_TRUE(test, PageAnonExclusive(page));
	KUNIT_EXPECT_EQ(test, atomic_read(&page->_mapcount), 0);
	KUNIT_EXPECT_TRUE_MSG(test, page_matches(page, i, m->buf),
			      "RAM copy of page %lu", i);
}

/*
 * Device page @i was freed once by free_zone_device_folio() and is idle:
 * refcount 0, no mapping (so not anonymous), PG_anon_exclusive clear, not
 * locked, the pgmap reference of its allocation dropped.
 */
static void expect_device_free(struct mig *m, unsigned long i)
{
	struct kunit *test = m->test;
	struct page *dev = fake_devmap_page(m->fdm, i);

	KUNIT_EXPECT_EQ_MSG(test, page_ref_count(dev), 0, "page %lu", i);
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->_mapcount), -1);
	KUNIT_EXPECT_NULL(test, dev->mapping);
	KUNIT_EXPECT_FALSE(test, PageAnon(dev));
	/*
	 * The bit itself: PageAnonExclusive() asserts the page is anonymous
	 * (VM_BUG_ON_PGFLAGS under DEBUG_VM), which a freed page is not.
	 */
	KUNIT_EXPECT_FALSE(test, test_bit(PG_anon_exclusive,
					  devmap_page_flags_word(dev)));
	KUNIT_EXPECT_FALSE(test, PageLocked(dev));
}

/* Everything handed out has come back: frees, pgmap references. */
static void expect_all_back(struct mig *m, int frees)
{
	struct kunit *test = m->test;

	KUNIT_EXPECT_EQ(test, atomic_read(&m->fdm->page_free_calls), frees);
	KUNIT_EXPECT_EQ(test, atomic_read(&m->fdm->handed_out), frees);
	KUNIT_EXPECT_EQ(test, fake_devmap_pgmap_refs(m->fdm), m->refs0);
}

/*
 * Anonymous pages to the device: sources isolated and unmapped during the
 * migration, each device page mapped once, anonymous and exclusive, with a
 * pgmap reference each, nothing freed yet.
 */
static void devmap_migrate_to_device(struct kunit *test)
{
	struct mig *m = mig_setup(test);
	unsigned long i;

	mig_to_device(m, 0);
	for (i = 0; i < MIG_PAGES; i++)
		expect_on_device(m, i);
	KUNIT_EXPECT_EQ(test, fake_devmap_pgmap_refs(m->fdm),
			mig_refs(m, MIG_PAGES));
	KUNIT_EXPECT_EQ(test, atomic_read(&m->fdm->page_free_calls), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&m->fdm->migrate_to_ram_calls), 0);
	/* Back to RAM so that the leak check sees everything returned. */
	KUNIT_EXPECT_EQ(test, fake_devmap_evict(m->fdm, 0, MIG_PAGES),
			MIG_PAGES);
}

/*
 * A CPU access to a device-private page faults; ->migrate_to_ram() brings
 * it back. Each page: one fault, the data back in RAM, the device page
 * freed once. Then the same device pages are reused for a second trip.
 * COHERENT pages are CPU addressable: an access does not fault.
 */
static void devmap_migrate_fault_back(struct kunit *test)
{
	struct mig *m = mig_setup(test);
	unsigned long i;
	int round;

	for (round = 1; round <= 2; round++) {
		mig_to_device(m, 0);
		for (i = 0; i < MIG_PAGES; i++) {
			void __user *uaddr = (void __user *)m->addr +
					     i * PAGE_SIZE;

			/* A CPU access: faults on a device-private entry. */
			KUNIT_ASSERT_EQ(test, copy_from_user(m->buf, uaddr,
							     PAGE_SIZE), 0);
			if (!is_private(m))
				continue;
			KUNIT_EXPECT_EQ(test,
					atomic_read(&m->fdm->migrate_to_ram_calls),
					(round - 1) * MIG_PAGES + i + 1);
			KUNIT_EXPECT_EQ(test,
					atomic_read(&m->fdm->page_free_calls),
					(round - 1) * MIG_PAGES + i + 1);
			KUNIT_EXPECT_PTR_EQ(test, READ_ONCE(m->fdm->last_freed),
					    fake_devmap_page(m->fdm, i));
			expect_in_ram(m, i);
			expect_device_free(m, i);
		}
		if (!is_private(m)) {
			/* Read in place, no fault, nothing freed. */
			KUNIT_EXPECT_EQ(test,
					atomic_read(&m->fdm->migrate_to_ram_calls), 0);
			for (i = 0; i < MIG_PAGES; i++)
				expect_on_device(m, i);
			KUNIT_EXPECT_EQ(test, fake_devmap_evict(m->fdm, 0,
								MIG_PAGES),
					MIG_PAGES);
		}
		expect_all_back(m, round * MIG_PAGES);
	}
}

/*
 * Eviction (the device goes away): migrate_device_range() over the
 * device's pfns brings every page back without a fault; each device page
 * is freed once and idle.
 */
static void devmap_migrate_evict(struct kunit *test)
{
	struct mig *m = mig_setup(test);
	unsigned long i;

	mig_to_device(m, 0);
	/* Free device pages (refcount 0) are left alone. */
	KUNIT_EXPECT_EQ(test, fake_devmap_evict(m->fdm, MIG_PAGES, MIG_PAGES),
			0);
	KUNIT_EXPECT_EQ(test, fake_devmap_evict(m->fdm, 0, MIG_PAGES),
			MIG_PAGES);
	KUNIT_EXPECT_EQ(test, atomic_read(&m->fdm->migrate_to_ram_calls), 0);
	for (i = 0; i < MIG_PAGES; i++) {
		expect_in_ram(m, i);
		expect_device_free(m, i);
	}
	expect_all_back(m, MIG_PAGES);
}

/*
 * The mm lets go of pages that live on the device (munmap, exit): the zap
 * drops the mapping's reference and free_zone_device_folio() frees each
 * device page while it is still anonymous and PG_anon_exclusive (nothing
 * shared it for a migration), so it must clear both; the free callback
 * once each, the pgmap references dropped.
 */
static void devmap_migrate_unmap_frees(struct kunit *test)
{
	struct mig *m = mig_setup(test);
	unsigned long i;

	mig_to_device(m, 0);
	for (i = 0; i < MIG_PAGES; i++)
		KUNIT_EXPECT_TRUE(test,
				  PageAnonExclusive(fake_devmap_page(m->fdm, i)));
	KUNIT_ASSERT_EQ(test, vm_munmap(m->addr, MIG_PAGES * PAGE_SIZE), 0);
	for (i = 0; i < MIG_PAGES; i++)
		expect_device_free(m, i);
	KUNIT_EXPECT_EQ(test, atomic_read(&m->fdm->migrate_to_ram_calls), 0);
	expect_all_back(m, MIG_PAGES);
}

/*
 * A source page with references other than its mapping cannot migrate:
 * a pinned anonymous page cannot be shared for the migration entry
 * (folio_try_share_anon_rmap_pte() in migrate_vma_collect_pmd()), and a
 * page with one more plain reference fails migrate_vma_check_page() in
 * migrate_vma_setup(). Both stay mapped where they were, with their
 * counts, exclusive; the other pages move.
 */
static void devmap_migrate_busy_source_stays(struct kunit *test)
{
	struct mig *m = mig_setup(test);
	struct page *pinned, *got;
	unsigned long i;
	long ret;

	mmap_read_lock(m->mm);
	ret = pin_user_pages(m->addr, 1, FOLL_WRITE, &pinned);
	if (ret == 1)
		ret = get_user_pages(m->addr + PAGE_SIZE, 1, FOLL_WRITE, &got);
	mmap_read_unlock(m->mm);
	KUNIT_ASSERT_EQ(test, ret, 1);
	KUNIT_ASSERT_PTR_EQ(test, pinned, m->sys[0]);
	KUNIT_ASSERT_PTR_EQ(test, got, m->sys[1]);

	mig_to_device(m, BIT(0) | BIT(1));
	lru_add_drain();
	for (i = 0; i < 2; i++) {
		KUNIT_EXPECT_PTR_EQ(test, mig_mapped_page(m, i), m->sys[i]);
		KUNIT_EXPECT_EQ(test, atomic_read(&m->sys[i]->_mapcount), 0);
		KUNIT_EXPECT_FALSE(test, PageLocked(m->sys[i]));
		KUNIT_EXPECT_TRUE(test, PageAnonExclusive(m->sys[i]));
		KUNIT_EXPECT_TRUE(test, pte_write(mig_pte(m, i)));
	}
	KUNIT_EXPECT_EQ(test, page_ref_count(m->sys[0]),
			1 + GUP_PIN_COUNTING_BIAS);
	KUNIT_EXPECT_EQ(test, page_ref_count(m->sys[1]), 2);
	for (i = 2; i < MIG_PAGES; i++)
		expect_on_device(m, i);
	unpin_user_page(pinned);
	put_page(got);
	KUNIT_EXPECT_EQ(test, page_ref_count(m->sys[0]), 1);
	KUNIT_EXPECT_EQ(test, page_ref_count(m->sys[1]), 1);
	KUNIT_EXPECT_EQ(test, fake_devmap_evict(m->fdm, 0, MIG_PAGES),
			MIG_PAGES - 2);
	expect_all_back(m, MIG_PAGES - 2);
}

/*
 * A FOLL_LONGTERM pin of a migrated page never lands on device memory: a
 * PRIVATE page is faulted back by GUP (->migrate_to_ram()), a COHERENT one
 * is pinned, found unpinnable and migrated out by
 * migrate_device_coherent_folio(). The pin ends on a RAM page with the
 * data; the device page is freed exactly once.
 */
static void devmap_migrate_longterm_pin(struct kunit *test)
{
	struct mig *m = mig_setup(test);
	struct page *page;
	long ret;

	mig_to_device(m, 0);
	mmap_read_lock(m->mm);
	ret = pin_user_pages(m->addr, 1, FOLL_WRITE | FOLL_LONGTERM, &page);
	mmap_read_unlock(m->mm);
	KUNIT_ASSERT_EQ(test, ret, 1);
	KUNIT_EXPECT_FALSE(test, is_zone_device_page(page));
	KUNIT_EXPECT_PTR_EQ(test, mig_mapped_page(m, 0), page);
	KUNIT_EXPECT_TRUE(test, folio_maybe_dma_pinned(page_folio(page)));
	/* The new RAM page may sit in a per-CPU LRU batch, with its ref. */
	lru_add_drain();
	KUNIT_EXPECT_EQ(test, page_ref_count(page), 1 + GUP_PIN_COUNTING_BIAS);
	KUNIT_EXPECT_TRUE(test, page_matches(page, 0, m->buf));
	KUNIT_EXPECT_EQ(test, atomic_read(&m->fdm->migrate_to_ram_calls),
			is_private(m) ? 1 : 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&m->fdm->page_free_calls), 1);
	KUNIT_EXPECT_PTR_EQ(test, READ_ONCE(m->fdm->last_freed),
			    fake_devmap_page(m->fdm, 0));
	expect_device_free(m, 0);
	if (!is_zone_device_page(page))
		expect_in_ram(m, 0);
	unpin_user_page(page);

	KUNIT_EXPECT_EQ(test, fake_devmap_evict(m->fdm, 1, MIG_PAGES - 1),
			MIG_PAGES - 1);
	expect_all_back(m, MIG_PAGES);
}

/*
 * fork() of an mm whose pages live on the device, with fork's own steps on
 * a second mm made here (vm_area_dup(), anon_vma_fork(), insert_vm_struct()
 * and copy_page_range(), as dup_mmap() does). The page-table copy takes a
 * reference and a mapping per page and shares it: a device-private entry
 * goes through copy_nonpresent_pte(), which makes a writable entry
 * readable in both mms; a device-coherent page is a present PTE, copied
 * as any anonymous page by copy_present_pte() and write-protected. The
 * child's exit (exit_mmap(): zap_nonpresent_ptes() for PRIVATE) drops
 * both again; the pages stay the parent's, and evicting them frees each
 * once.
 */
static struct mm_struct *mig_fork(struct mig *m)
{
	struct kunit *test = m->test;
	struct mm_struct *child = mm_alloc();
	struct vm_area_struct *src, *dst = NULL;
	int ret = -ENOMEM;

	KUNIT_ASSERT_NOT_NULL(test, child);
	mmap_write_lock(m->mm);
	mmap_write_lock_nested(child, SINGLE_DEPTH_NESTING);
	src = vma_lookup(m->mm, m->addr);
	if (src)
		dst = vm_area_dup(src);
	if (dst) {
		dst->vm_mm = child;
		/* insert_vm_struct() wants an anonymous vma without one yet */
		dst->anon_vma = NULL;
		ret = insert_vm_struct(child, dst);
		if (ret)
			vm_area_free(dst);
		else
			ret = anon_vma_fork(dst, src);
		if (!ret)
			ret = copy_page_range(dst, src);
	}
	mmap_write_unlock(child);
	mmap_write_unlock(m->mm);
	if (ret)
		mmput(child);
	KUNIT_ASSERT_EQ_MSG(test, ret, 0, "fork's page-table copy failed");
	return child;
}

/*
 * Page @i, shared by parent and child after fork: two references, two
 * mappings, not exclusive, read-only in both.
 */
static void expect_forked(struct mig *m, struct mm_struct *child, unsigned long i)
{
	struct kunit *test = m->test;
	struct page *dev = fake_devmap_page(m->fdm, i);
	unsigned long addr = m->addr + i * PAGE_SIZE;
	pte_t ptes[2] = { mig_pte(m, i), devmap_user_pte(child, addr) };
	int j;

	KUNIT_EXPECT_EQ_MSG(test, page_ref_count(dev), 2,
			    "page %lu: refcount after fork (one per mapping)", i);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&dev->_mapcount), 1,
			    "page %lu: mapcount after fork", i);
	KUNIT_EXPECT_FALSE_MSG(test, PageAnonExclusive(dev),
			       "page %lu: still exclusive after fork", i);
	for (j = 0; j < 2; j++) {
		const char *who = j ? "child" : "parent";

		if (is_private(m)) {
			struct devmap_pte_view v = devmap_pte_view(ptes[j]);

			KUNIT_ASSERT_TRUE_MSG(test, v.device_private,
					      "%s: page %lu not a device-private entry", who, i);
			KUNIT_EXPECT_PTR_EQ(test, v.page, dev);
			KUNIT_EXPECT_FALSE_MSG(test, v.device_private_write,
					       "%s: page %lu writable after fork", who, i);
		} else {
			KUNIT_ASSERT_TRUE(test, pte_present(ptes[j]));
			KUNIT_EXPECT_EQ(test, pte_pfn(ptes[j]), page_to_pfn(dev));
			KUNIT_EXPECT_FALSE_MSG(test, pte_write(ptes[j]),
					       "%s: page %lu writable after fork", who, i);
		}
	}
}

static void devmap_migrate_fork(struct kunit *test)
{
	struct mig *m = mig_setup(test);
	struct mm_struct *child;
	unsigned long i;

	mig_to_device(m, 0);
	child = mig_fork(m);
	for (i = 0; i < MIG_PAGES; i++)
		expect_forked(m, child, i);
	/*
	 * The exact sum: get_mm_counter() reads the percpu counter without
	 * the CPUs' deltas, 0 here on SMP (found by make oracle on x86_64).
	 */
	KUNIT_EXPECT_EQ(test, percpu_counter_sum(&child->rss_stat[MM_ANONPAGES]), MIG_PAGES);
	/* No page moves or is freed by a fork. */
	KUNIT_EXPECT_EQ(test, atomic_read(&m->fdm->page_free_calls), 0);
	KUNIT_EXPECT_EQ(test, fake_devmap_pgmap_refs(m->fdm), mig_refs(m, MIG_PAGES));

	/* The child exits: its mappings and references go, the pages stay. */
	mmput(child);
	for (i = 0; i < MIG_PAGES; i++) {
		struct page *dev = fake_devmap_page(m->fdm, i);

		KUNIT_EXPECT_EQ_MSG(test, page_ref_count(dev), 1,
				    "page %lu: refcount after the child's exit", i);
		KUNIT_EXPECT_EQ_MSG(test, atomic_read(&dev->_mapcount), 0,
				    "page %lu: mapcount after the child's exit", i);
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&m->fdm->page_free_calls), 0);
	KUNIT_EXPECT_EQ(test, fake_devmap_evict(m->fdm, 0, MIG_PAGES), MIG_PAGES);
	for (i = 0; i < MIG_PAGES; i++)
		expect_device_free(m, i);
	expect_all_back(m, MIG_PAGES);
}

/*
 * mprotect() of pages that live on the device, writable to read-only, with
 * mprotect's own steps for a whole vma (mprotect_fixup(): the vma's flags
 * and page protection, then change_protection()). A device-private entry
 * cannot carry the new protection: change_pte_range() makes a writable one
 * readable. The next read faults the page back (->migrate_to_ram()) into
 * a read-only PTE; a write fails. A COHERENT page is a present PTE,
 * write-protected as any other, and read without a fault. Nothing is
 * freed by the mprotect itself.
 */
static void mig_mprotect_readonly(struct mig *m)
{
	struct kunit *test = m->test;
	struct vm_area_struct *vma;
	struct mmu_gather tlb;
	long ret = -EFAULT;

	mmap_write_lock(m->mm);
	vma = vma_lookup(m->mm, m->addr);
	if (vma && vma->vm_start == m->addr &&
	    vma->vm_end == m->addr + MIG_PAGES * PAGE_SIZE) {
		tlb_gather_mmu(&tlb, m->mm);
		vm_flags_clear(vma, VM_WRITE);
		vma_set_page_prot(vma);
		ret = change_protection(&tlb, vma, vma->vm_start, vma->vm_end, 0);
		tlb_finish_mmu(&tlb);
	}
	mmap_write_unlock(m->mm);
	KUNIT_ASSERT_GE_MSG(test, ret, 0, "mprotect of the test's vma failed");
}

static void devmap_migrate_mprotect(struct kunit *test)
{
	struct mig *m = mig_setup(test);
	unsigned long i;
	pte_t pte;

	mig_to_device(m, 0);
	mig_mprotect_readonly(m);
	for (i = 0; i < MIG_PAGES; i++) {
		struct page *dev = fake_devmap_page(m->fdm, i);

		pte = mig_pte(m, i);
		KUNIT_EXPECT_EQ_MSG(test, page_ref_count(dev), 1,
				    "page %lu: refcount after mprotect", i);
		KUNIT_EXPECT_EQ(test, atomic_read(&dev->_mapcount), 0);
		if (is_private(m)) {
			struct devmap_pte_view v = devmap_pte_view(pte);

			KUNIT_ASSERT_TRUE(test, v.device_private);
			KUNIT_EXPECT_FALSE_MSG(test, v.device_private_write,
					       "page %lu: device-private entry still writable", i);
		} else {
			KUNIT_ASSERT_TRUE(test, pte_present(pte));
			KUNIT_EXPECT_FALSE_MSG(test, pte_write(pte),
					       "page %lu: still writable", i);
		}
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&m->fdm->page_free_calls), 0);

	/* A read of page 0: PRIVATE faults it back, read-only. */
	KUNIT_EXPECT_EQ(test, copy_from_user(m->buf, (void __user *)m->addr, PAGE_SIZE), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&m->fdm->migrate_to_ram_calls), is_private(m) ? 1 : 0);
	pte = mig_pte(m, 0);
	KUNIT_EXPECT_TRUE(test, pte_present(pte));
	KUNIT_EXPECT_FALSE_MSG(test, pte_write(pte), "page 0 writable after the read fault");
	if (is_private(m))
		expect_device_free(m, 0);
	/* A write fails: the vma is read-only. */
	KUNIT_EXPECT_NE(test, copy_to_user((void __user *)m->addr, m->buf, 1), 0);

	KUNIT_EXPECT_EQ(test, fake_devmap_evict(m->fdm, 0, MIG_PAGES),
			is_private(m) ? MIG_PAGES - 1 : MIG_PAGES);
	expect_all_back(m, MIG_PAGES);
}

/*
 * Driver ownership and a migration that does not happen. The pages live
 * on this test's device (pgmap->owner is its fake_devmap). A driver with
 * another owner asks to migrate them (MIGRATE_VMA_SELECT_DEVICE_PRIVATE or
 * _COHERENT): migrate_vma_collect_pmd() must skip pages it does not own,
 * so nothing is collected and nothing changes. The owner asks: each page
 * is collected (locked, unmapped to a migration entry, the collection's
 * reference in place of the mapping's),
 * but no destination is allocated: migrate_vma_pages() moves nothing and
 * migrate_vma_finalize() restores each PTE to the same device page and
 * drops the collection's reference, exactly once.
 */
static unsigned long mig_from_device(struct mig *m, void *owner)
{
	struct migrate_vma args = {
		.start		= m->addr,
		.end		= m->addr + MIG_PAGES * PAGE_SIZE,
		.src		= m->src,
		.dst		= m->dst,
		.pgmap_owner	= owner,
		.flags		= is_private(m) ? MIGRATE_VMA_SELECT_DEVICE_PRIVATE :
						  MIGRATE_VMA_SELECT_DEVICE_COHERENT,
	};
	struct kunit *test = m->test;
	unsigned long i, collected = 0;
	int ret;

	memset(m->src, 0, sizeof(m->src));
	memset(m->dst, 0, sizeof(m->dst));
	mmap_read_lock(m->mm);
	args.vma = vma_lookup(m->mm, m->addr);
	ret = migrate_vma_setup(&args);
	if (!ret) {
		for (i = 0; i < MIG_PAGES; i++) {
			struct page *page = migrate_pfn_to_page(m->src[i]);

			if (!(m->src[i] & MIGRATE_PFN_MIGRATE))
				continue;
			collected++;
			KUNIT_EXPECT_PTR_EQ(test, page, fake_devmap_page(m->fdm, i));
			KUNIT_EXPECT_TRUE(test, page && PageLocked(page));
			/* unmapped: the collection's reference only */
			KUNIT_EXPECT_EQ_MSG(test, page ? page_ref_count(page) : 0, 1,
					    "page %lu: refcount while collected", i);
			KUNIT_EXPECT_EQ_MSG(test, page ? atomic_read(&page->_mapcount) : 0, -1,
					    "page %lu: still mapped while collected", i);
			KUNIT_EXPECT_TRUE(test, is_migration_pte(__mig_pte(m, i)));
		}
		/* No destination: dst[] stays 0. */
		migrate_vma_pages(&args);
		migrate_vma_finalize(&args);
	}
	mmap_read_unlock(m->mm);
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, args.cpages, collected);
	return collected;
}

static void devmap_migrate_owner_and_no_destination(struct kunit *test)
{
	struct mig *m = mig_setup(test);
	unsigned long i;

	mig_to_device(m, 0);
	KUNIT_EXPECT_EQ_MSG(test, mig_from_device(m, test), 0UL,
			    "pages of another driver's pgmap were collected");
	for (i = 0; i < MIG_PAGES; i++)
		expect_on_device(m, i);

	KUNIT_EXPECT_EQ(test, mig_from_device(m, m->fdm), (unsigned long)MIG_PAGES);
	for (i = 0; i < MIG_PAGES; i++)
		expect_on_device(m, i);
	KUNIT_EXPECT_EQ(test, atomic_read(&m->fdm->page_free_calls), 0);
	KUNIT_EXPECT_EQ(test, fake_devmap_pgmap_refs(m->fdm), mig_refs(m, MIG_PAGES));

	KUNIT_EXPECT_EQ(test, fake_devmap_evict(m->fdm, 0, MIG_PAGES), MIG_PAGES);
	expect_all_back(m, MIG_PAGES);
}

static struct kunit_case devmap_migrate_cases[] = {
	KUNIT_CASE_PARAM(devmap_migrate_to_device, migrate_gen_params),
	KUNIT_CASE_PARAM(devmap_migrate_fault_back, migrate_gen_params),
	KUNIT_CASE_PARAM(devmap_migrate_evict, migrate_gen_params),
	KUNIT_CASE_PARAM(devmap_migrate_unmap_frees, migrate_gen_params),
	KUNIT_CASE_PARAM(devmap_migrate_busy_source_stays,
			 migrate_gen_params),
	KUNIT_CASE_PARAM(devmap_migrate_longterm_pin, migrate_gen_params),
	KUNIT_CASE_PARAM(devmap_migrate_fork, migrate_gen_params),
	KUNIT_CASE_PARAM(devmap_migrate_mprotect, migrate_gen_params),
	KUNIT_CASE_PARAM(devmap_migrate_owner_and_no_destination,
			 migrate_gen_params),
	{}
};

static struct kunit_suite devmap_migrate_suite = {
	.name = "devmap_migrate",
	.test_cases = devmap_migrate_cases,
};

kunit_test_suite(devmap_migrate_suite);

MODULE_DESCRIPTION("KUnit suite: anonymous pages to device-private/coherent memory and back");
MODULE_LICENSE("GPL");
