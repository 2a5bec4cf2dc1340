/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fake-devmap: the API the devmap sandbox's suites use to get ZONE_DEVICE
 * memory. The provider is the fake *device*; everything it hands out goes
 * through the real memremap_pages()/memunmap_pages().
 */
#ifndef _FAKE_DEVMAP_H
#define _FAKE_DEVMAP_H

#include <linux/completion.h>
#include <linux/memremap.h>
#include <linux/mm.h>

/* Name of the iomem= region the provider takes its device memory from. */
#define FAKE_DEVMAP_IOMEM	"fake-devmap"

#define FAKE_DEVMAP_MAX_RANGES	8

/* What a test asks for. */
struct fake_devmap_spec {
	enum memory_type type;
	/* Pages per range: a multiple of PAGES_PER_SUBSECTION (2 MiB). */
	unsigned long nr_pages;
	/* Physical ranges of the pgmap (pgmap->nr_range); 0 means 1. */
	unsigned int nr_ranges;
	/* Folio order of the pgmap (pgmap->vmemmap_shift). */
	unsigned int order;
	/*
	 * Take the one range at the very end of the iomem= region: device
	 * memory a test finds again in the next boot (persistence).
	 */
	bool at_end;
};

struct fake_devmap {
	struct fake_devmap_spec spec;
	/* memremap_pages()'s return: the first page's address, or NULL. */
	void *addr;
	/* What the pgmap operations saw. */
	atomic_t page_free_calls;
	struct page *last_freed;
	atomic_t migrate_to_ram_calls;
	/* Pages ->migrate_to_ram() moved back to RAM. */
	atomic_t migrated_to_ram;
	/*
	 * PRIVATE and COHERENT pages handed out (zone_device_page_init()):
	 * each must come back through ->page_free() before the pgmap goes.
	 */
	atomic_t handed_out;
	/*
	 * PRIVATE memory is not CPU addressable: what the "device" stores
	 * in its page i lives in backing[i], a RAM page allocated on first
	 * use (lib/test_hmm.c keeps the same thing in zone_device_data).
	 */
	struct page **backing;
	/* memunmap_pages() runs in a kthread so that a leak can't hang us. */
	struct task_struct *unmapper;
	struct completion unmapped;
	/*
	 * A pgmap reference the provider holds across the kill, so that it
	 * can read the count (see fake_devmap_unmap_wait()), and the
	 * references besides it that the last wait saw (-1: unknown).
	 */
	bool guard;
	long leaked;
	/* Where each range came from, to give it back. */
	bool from_iomem[FAKE_DEVMAP_MAX_RANGES];
	/* Last: pgmap.ranges[] may run past it. */
	struct dev_pagemap pgmap;
};

struct fake_devmap *fake_devmap_create(const struct fake_devmap_spec *spec);

/*
 * memunmap_pages() waits for every pgmap reference. So that a leaked
 * reference fails a test instead of hanging the run, it runs in a kthread:
 * fake_devmap_unmap_start() starts it, fake_devmap_unmap_wait() waits at
 * most @timeout jiffies and says whether it finished.
 *
 * A leak is found fast: unmap_start takes a pgmap reference of its own (the
 * guard) before the kill, so that unmap_wait can read the count once
 * percpu_ref_kill() has switched it to atomic mode. The guard alone left:
 * it is dropped and memunmap_pages() finishes. More, unchanged for
 * FAKE_DEVMAP_LEAK_SETTLE: unmap_wait says no at once (@leaked says how
 * many), without waiting out @timeout.
 *
 * fake_devmap_destroy() checks that every handed-out page came back
 * (->page_free() calls), unmaps (if not started yet), waits at most
 * FAKE_DEVMAP_UNMAP_TIMEOUT and frees. On a leak it returns an error, says
 * what leaked in @why (if given) and leaves the pgmap alone (its memory is
 * not reused).
 */
#define FAKE_DEVMAP_UNMAP_TIMEOUT	HZ
#define FAKE_DEVMAP_LEAK_SETTLE		(HZ / 10)
/*
 * How long a test watches memunmap_pages() wait for a reference it holds
 * (unmap_wait() must say no): two ticks. The unmapper, woken by
 * unmap_start, gets UML's one CPU at our first sleep and is through
 * percpu_ref_kill() within a millisecond; one that does not wait has
 * finished long before the window closes.
 */
#define FAKE_DEVMAP_WAIT_WINDOW		2
void fake_devmap_unmap_start(struct fake_devmap *fdm);
bool fake_devmap_unmap_wait(struct fake_devmap *fdm, unsigned long timeout);
int fake_devmap_destroy(struct fake_devmap *fdm);
int fake_devmap_destroy_why(struct fake_devmap *fdm, char *why, size_t len);

/*
 * The pgmap's reference count right now (memremap_pages() holds 1, plus
 * one per page for the types that are not driver-allocated, plus one per
 * handed-out PRIVATE/COHERENT page). Only while the pgmap is live (before
 * fake_devmap_unmap_start()); -1 after.
 */
long fake_devmap_pgmap_refs(struct fake_devmap *fdm);

/* Total pages over all ranges, and the page at index @i of that span. */
unsigned long fake_devmap_nr_pages(const struct fake_devmap *fdm);
struct page *fake_devmap_page(const struct fake_devmap *fdm, unsigned long i);

/*
 * Hand out a free page as a driver of this memory type does (refcount 1):
 * PRIVATE and COHERENT through zone_device_page_init(), which also takes
 * a pgmap reference; the other types' idle pages are already at 1.
 *
 * The provider relies on zone_device_page_init()'s contract (the page
 * comes back locked, with refcount 1 and one more pgmap reference) and
 * checks it first: a broken contract fails the current KUnit test with
 * what broke, instead of an unlock_page() of an unlocked page hanging a
 * later lock_page().
 *
 * fake_devmap_alloc_page() unlocks the page (an allocation);
 * fake_devmap_alloc_page_locked() leaves it locked, as migrate_vma_pages()
 * wants its destination pages (lib/test_hmm.c's dmirror_devmem_alloc_page()).
 */
struct page *fake_devmap_alloc_page(struct fake_devmap *fdm, unsigned long i);
struct page *fake_devmap_alloc_page_locked(struct fake_devmap *fdm,
					   unsigned long i);

/*
 * The page that holds device page @page's contents: @page itself for CPU
 * addressable memory, its RAM backing page for PRIVATE (NULL if that
 * cannot be allocated).
 */
struct page *fake_devmap_storage(struct fake_devmap *fdm, struct page *page);

/*
 * Evict pages [@first, @first + @nr) of the pgmap back to RAM with
 * migrate_device_range()/migrate_device_pages()/migrate_device_finalize(),
 * as a driver does when its device goes away (lib/test_hmm.c's
 * dmirror_device_evict_chunk()). Returns how many pages it moved.
 */
long fake_devmap_evict(struct fake_devmap *fdm, unsigned long first,
		       unsigned long nr);

const char *fake_devmap_type_name(enum memory_type type);

/*
 * "iomem" (UML: host daemon or file), "memmap" (a memmap=<size>!<start>
 * range) or "hotplug" (free physical address space; UML backs it on demand).
 */
const char *fake_devmap_backing(void);

#endif /* _FAKE_DEVMAP_H */
