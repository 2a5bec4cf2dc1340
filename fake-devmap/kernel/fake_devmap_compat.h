/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel API the provider and the suites use, the same on every base.
 * The only file with base conditionals: each reads a switch of the
 * generated devmap_base.h (scripts/sandbox/bases.py), so that test bodies
 * never need one.
 */
#ifndef _FAKE_DEVMAP_COMPAT_H
#define _FAKE_DEVMAP_COMPAT_H

#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/swap.h>

#include "devmap_base.h"

#if DEVMAP_BASE_SOFTLEAF
#include <linux/leafops.h>
#else
#include <linux/swapops.h>
#endif
#if DEVMAP_BASE_HAS_PFN_T
#include <linux/pfn_t.h>
#endif
#if DEVMAP_BASE_FOLIO_BATCH_H
#include <linux/folio_batch.h>
#else
#include <linux/pagevec.h>
#define FOLIO_BATCH_SIZE	PAGEVEC_SIZE
#endif

/* The pgmap a device folio or page belongs to. */
static inline struct dev_pagemap *devmap_folio_pgmap(struct folio *folio)
{
#if DEVMAP_BASE_PAGE_PGMAP_FIELD
	return folio->page.pgmap;
#else
	return folio->pgmap;
#endif
}

static inline struct dev_pagemap *devmap_page_pgmap(struct page *page)
{
	return devmap_folio_pgmap(page_folio(page));
}

/* get_dev_pagemap() without a cached pgmap. */
static inline struct dev_pagemap *devmap_get_dev_pagemap(unsigned long pfn)
{
#if DEVMAP_BASE_GDP_CACHED_ARG
	return get_dev_pagemap(pfn, NULL);
#else
	return get_dev_pagemap(pfn);
#endif
}

/*
 * get_dev_pagemap() with a cached pgmap, where the base has that argument
 * (callers check DEVMAP_BASE_GDP_CACHED_ARG first).
 */
static inline struct dev_pagemap *
devmap_get_dev_pagemap_cached(unsigned long pfn, struct dev_pagemap *cached)
{
#if DEVMAP_BASE_GDP_CACHED_ARG
	return get_dev_pagemap(pfn, cached);
#else
	WARN_ON_ONCE(1);
	if (cached)
		put_dev_pagemap(cached);
	return NULL;
#endif
}

/* devmap_managed_key's count: FS_DAX pgmaps alive (0 where it is gone). */
static inline int devmap_managed_key_count(void)
{
#if DEVMAP_BASE_HAS_DEVMAP_MANAGED_KEY && defined(CONFIG_FS_DAX)
	return static_key_count(&devmap_managed_key.key);
#else
	return 0;
#endif
}

/*
 * zone_device_folio_init() of a folio of @order at @page (only order 0
 * before 6.19). @page becomes the head: not page_folio(page), which for a
 * page of an earlier, larger folio is that folio's head.
 */
static inline void devmap_zone_device_init(struct page *page,
					   struct dev_pagemap *pgmap,
					   unsigned int order)
{
#if DEVMAP_BASE_ZDPI_ORDER_ARG
	zone_device_folio_init((struct folio *)page, pgmap, order);
#else
	WARN_ON_ONCE(order);
	zone_device_page_init(page);
#endif
}

/*
 * The free op of a dev_pagemap_ops initialiser: ->folio_free = @fn##_folio
 * (a void fn(struct folio *)) or ->page_free = @fn##_page (struct page *).
 */
#if DEVMAP_BASE_FREE_OP_FOLIO
#define DEVMAP_PGMAP_FREE_OP(fn)	.folio_free = fn##_folio
#else
#define DEVMAP_PGMAP_FREE_OP(fn)	.page_free = fn##_page
#endif

/* The word of page flags, for test_bit() and friends. */
static inline unsigned long *devmap_page_flags_word(struct page *page)
{
#if DEVMAP_BASE_PAGE_FLAGS_MEMDESC
	return &page->flags.f;
#else
	return &page->flags;
#endif
}

/* What a non-present PTE says about a device-private or migration entry. */
struct devmap_pte_view {
	bool migration_write;
	bool device_private;
	bool device_private_write;
	struct page *page;	/* the entry's page, NULL if neither */
};

static inline struct devmap_pte_view devmap_pte_view(pte_t pte)
{
	struct devmap_pte_view v = {};
#if DEVMAP_BASE_SOFTLEAF
	softleaf_t entry = softleaf_from_pte(pte);

	v.migration_write = softleaf_is_migration_write(entry);
	v.device_private = softleaf_is_device_private(entry);
	v.device_private_write = softleaf_is_device_private_write(entry);
	if (softleaf_is_migration(entry) || v.device_private)
		v.page = softleaf_to_page(entry);
#else
	swp_entry_t entry;

	if (!is_swap_pte(pte))
		return v;
	entry = pte_to_swp_entry(pte);
	v.migration_write = is_writable_migration_entry(entry);
	v.device_private = is_device_private_entry(entry);
	v.device_private_write = is_writable_device_private_entry(entry);
	if (is_migration_entry(entry) || v.device_private)
		v.page = pfn_swap_entry_to_page(entry);
#endif
	return v;
}

/* A pfn mapping of a device page, as a driver's ->pfn_mkwrite() makes it. */
static inline vm_fault_t devmap_insert_pfn_mkwrite(struct vm_area_struct *vma,
						   unsigned long addr,
						   unsigned long pfn)
{
#if DEVMAP_BASE_HAS_PFN_T
	return vmf_insert_mixed_mkwrite(vma, addr,
					__pfn_to_pfn_t(pfn, PFN_DEV | PFN_MAP));
#else
	return vmf_insert_mixed_mkwrite(vma, addr, pfn);
#endif
}

#endif /* _FAKE_DEVMAP_COMPAT_H */
