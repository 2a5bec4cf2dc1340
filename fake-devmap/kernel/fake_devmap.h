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

#include "fake_devmap_compat.h"

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
	/*
	 * Pgmap operations without the free callback (->page_free() or
	 * ->folio_free()): memremap_pages() must refuse such a PRIVATE or
	 * COHERENT pgmap.
	 */
	bool no_free_op;
};

struct fake_devmap {
	struct fake_devmap_spec spec;
	/* memremap_pages()'s return: the first page's address, or NULL. */
	void *addr;
	/*
	 * What the pgmap operations saw. page_free_calls counts the free
	 * callbacks (->page_free() or ->folio_free(), see devmap_base.h),
	 * pages_freed the pages of the folios they freed.
	 */
	atomic_t page_free_calls;
	atomic_t pages_freed;
	struct page *last_freed;
	atomic_t migrate_to_ram_calls;
	/* Pages ->migrate_to_ram() moved back to RAM. */
	atomic_t migrated_to_ram;
	/*
	 * Folios handed out (the types whose idle pages nobody holds, see
	 * struct devmap_type_expect's handout): each must come back (its free
	 * callback, or refcount 0 where the type has none) before the pgmap
	 * goes.
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
	/*
	 * Folios of a hand-out type without a free callback still held when
	 * the unmap began (fake_devmap_unmap_start()): a leak, since the
	 * unmap does not wait for them.
	 */
	unsigned long held_at_unmap;
	/* Where each range came from, to give it back. */
	bool from_iomem[FAKE_DEVMAP_MAX_RANGES];
	/* Last: pgmap.ranges[] may run past it. */
	struct dev_pagemap pgmap;
};

/*
 * What the mm of this base does to a folio of each pgmap type: the rows of
 * devmap_base.h (generated from scripts/sandbox/bases.py), as a struct.
 */
struct devmap_type_expect {
	int idle_ref;		/* refcount of a page nobody holds */
	int handout;		/* DEVMAP_HANDOUT_*: how a driver hands one out */
	int free_cb;		/* DEVMAP_FREE_CB_*: what the last put calls */
	int ref_after_free;	/* refcount once the free path has run */
	bool clears_mapping;	/* the free path clears ->mapping */
	int free_pgmap_puts;	/* DEVMAP_PGREFS_*: pgmap refs a free drops */
	int alloc_pgmap_refs;	/* DEVMAP_PGREFS_*: pgmap refs a hand-out takes */
	int map;		/* DEVMAP_MAP_*: how the sandbox maps it */
	bool large;		/* folios of order > 0 exist */
	int on_zero;		/* DEVMAP_ZERO_*: the model's last-put rule */
};

const struct devmap_type_expect *devmap_expect(enum memory_type type);

/* Pgmap references a hand-out of a folio of @order takes (a free drops). */
long devmap_pgrefs(int how, unsigned int order);

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
 * fake_devmap_destroy() checks that every handed-out folio came back
 * (free callbacks, or refcount 0 for a type without one), unmaps (if not
 * started yet), waits at most FAKE_DEVMAP_UNMAP_TIMEOUT and frees. On a
 * leak it returns an error, says what leaked in @why (if given) and
 * leaves the pgmap alone (its memory is not reused).
 */
#define FAKE_DEVMAP_UNMAP_TIMEOUT	HZ
#define FAKE_DEVMAP_LEAK_SETTLE		(HZ / 10)
/*
 * How long a test watches memunmap_pages() wait for a reference it holds
 * (unmap_wait() must say no): 20 ms, two ticks at UML's 100 Hz. The
 * unmapper, woken by unmap_start, gets the CPU at our first sleep and is
 * through percpu_ref_kill() within a millisecond; one that does not wait
 * has finished long before the window closes. In milliseconds, not
 * ticks: the 7.3 sandbox ticks at 1000 Hz.
 */
#define FAKE_DEVMAP_WAIT_WINDOW		msecs_to_jiffies(20)
void fake_devmap_unmap_start(struct fake_devmap *fdm);
/*
 * Wait, at most @timeout jiffies, until memunmap_pages() has killed the
 * pgmap's ref (the unmapper may not have run yet when unmap_start
 * returns, all the more with two CPUs): before watching it wait.
 */
bool fake_devmap_wait_killed(struct fake_devmap *fdm, unsigned long timeout);
bool fake_devmap_unmap_wait(struct fake_devmap *fdm, unsigned long timeout);
int fake_devmap_destroy(struct fake_devmap *fdm);
int fake_devmap_destroy_why(struct fake_devmap *fdm, char *why, size_t len);

/*
 * The pgmap's reference count right now (memremap_pages() holds 1, plus
 * one per folio for the types that are not driver-allocated, plus what
 * the hand-outs of PRIVATE/COHERENT folios took: see devmap_pgrefs()).
 * Only while the pgmap is live (before fake_devmap_unmap_start()); -1
 * after.
 */
long fake_devmap_pgmap_refs(struct fake_devmap *fdm);

/* Total pages over all ranges, and the page at index @i of that span. */
unsigned long fake_devmap_nr_pages(const struct fake_devmap *fdm);
struct page *fake_devmap_page(const struct fake_devmap *fdm, unsigned long i);

/*
 * Hand out a free folio as a driver of this memory type does (refcount 1),
 * as devmap_type_expect's handout says: PRIVATE and COHERENT through
 * zone_device_page_init() (of the pgmap's order where the base has large
 * device folios), which also takes pgmap references; 0-based types that
 * a driver hands out without it (7.3 FS_DAX, P2PDMA) by setting the count
 * to 1, as fs/dax.c and drivers/pci/p2pdma.c do; the others' idle pages
 * are already at 1. @i is the index of the folio's first page.
 *
 * The provider relies on zone_device_page_init()'s contract (the folio
 * comes back locked, with refcount 1, of the order asked, and the pgmap
 * references taken) and checks it first: a broken contract fails the current KUnit test with
 * what broke, instead of an unlock_page() of an unlocked page hanging a
 * later lock_page().
 *
 * fake_devmap_alloc_page() unlocks the page (an allocation);
 * fake_devmap_alloc_page_locked() leaves it locked, as migrate_vma_pages()
 * wants its destination pages (lib/test_hmm.c's dmirror_devmem_alloc_page()):
 * only for the zone_device_page_init() hand-outs (PRIVATE, COHERENT); a
 * hand-out that sets the count (7.3's FS_DAX, P2PDMA) is never locked.
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
