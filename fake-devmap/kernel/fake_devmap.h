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
	/* memunmap_pages() runs in a kthread so that a leak can't hang us. */
	struct task_struct *unmapper;
	struct completion unmapped;
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
 * most @timeout jiffies and says whether it finished. fake_devmap_destroy()
 * unmaps (if not started yet), waits up to FAKE_DEVMAP_UNMAP_TIMEOUT and
 * frees; on timeout it reports the leak and leaves the pgmap alone.
 */
#define FAKE_DEVMAP_UNMAP_TIMEOUT	(5 * HZ)
void fake_devmap_unmap_start(struct fake_devmap *fdm);
bool fake_devmap_unmap_wait(struct fake_devmap *fdm, unsigned long timeout);
int fake_devmap_destroy(struct fake_devmap *fdm);

/* Total pages over all ranges, and the page at index @i of that span. */
unsigned long fake_devmap_nr_pages(const struct fake_devmap *fdm);
struct page *fake_devmap_page(const struct fake_devmap *fdm, unsigned long i);

/*
 * Hand out a free page as a driver of this memory type does (refcount 1):
 * PRIVATE and COHERENT through zone_device_page_init(), which also takes
 * a pgmap reference; the other types' idle pages are already at 1.
 */
struct page *fake_devmap_alloc_page(struct fake_devmap *fdm, unsigned long i);

const char *fake_devmap_type_name(enum memory_type type);

/*
 * "iomem" (UML: host daemon or file), "memmap" (a memmap=<size>!<start>
 * range) or "hotplug" (free physical address space; UML backs it on demand).
 */
const char *fake_devmap_backing(void);

#endif /* _FAKE_DEVMAP_H */
