// SPDX-License-Identifier: GPL-2.0
/*
 * fake-devmap: a fake ZONE_DEVICE provider for the devmap sandbox.
 *
 * It plays the device, never the mm: pgmaps of every memory type are made
 * with the real memremap_pages() and torn down with memunmap_pages(), and
 * the pgmap operations only record that they were called.
 *
 * Device memory comes from one of two places, chosen at first use:
 *  - a range the platform sets aside for it, carved into 2 MiB
 *    subsections, the granule of memory hotplug. On UML that is an iomem=
 *    region named "fake-devmap": a host file that UML maps, in the sandbox
 *    served by the host's devmemd (FUSE) daemon. Elsewhere (x86_64 under
 *    QEMU, the sandbox's differential oracle) it is RAM that the command
 *    line turns into legacy persistent memory: memmap=<size>!<start>;
 *  - without one, free physical address space from
 *    request_free_mem_region(), which UML's arch_add_memory() backs with
 *    host memory. That keeps a plain "kunit.py run" working on UML; on
 *    other architectures nothing backs it, so give them the range.
 * DEVICE_PRIVATE memory is never CPU addressable, so it always comes from
 * request_free_mem_region(), exactly as drivers (and lib/test_hmm.c) do.
 */

#define pr_fmt(fmt) "fake-devmap: " fmt

#include <linux/bitmap.h>
#include <linux/ioport.h>
#include <linux/kthread.h>
#include <linux/mutex.h>
#include <linux/pagemap.h>
#include <linux/slab.h>
#ifdef CONFIG_UML
#include <mem_user.h>
#endif

#include "fake_devmap.h"

#define CHUNK_SIZE	(PAGES_PER_SUBSECTION << PAGE_SHIFT)

static struct {
	struct mutex lock;		/* protects the fields below */
	bool probed;
	phys_addr_t base;		/* 0: no iomem= region */
	unsigned long nr_chunks;
	unsigned long *used;		/* one bit per 2 MiB chunk */
} devmem = {
	.lock = __MUTEX_INITIALIZER(devmem.lock),
};

#ifdef CONFIG_UML
#define DEVMEM_SOURCE	"iomem=" FAKE_DEVMAP_IOMEM

/* The iomem= region; setup_iomem() has mapped it by now. */
static phys_addr_t devmem_find(u64 *len)
{
	unsigned long size, virt = find_iomem(FAKE_DEVMAP_IOMEM, &size);

	*len = size;
	return virt ? __pa(virt) : 0;
}
#else
#define DEVMEM_SOURCE	"memmap=<size>!<start>"

static int devmem_found(struct resource *res, void *arg)
{
	*(struct resource *)arg = *res;
	return 1;
}

/* The first legacy persistent memory range (e820 type 12). */
static phys_addr_t devmem_find(u64 *len)
{
	struct resource res = {};

	walk_iomem_res_desc(IORES_DESC_PERSISTENT_MEMORY_LEGACY,
			    IORESOURCE_MEM, 0, -1, &res, devmem_found);
	*len = resource_size(&res);
	return res.start;
}
#endif

/* Find the device memory once, at first use. */
static void devmem_probe(void)
{
	phys_addr_t base;
	u64 len;

	lockdep_assert_held(&devmem.lock);
	if (devmem.probed)
		return;
	devmem.probed = true;

	base = devmem_find(&len);
	if (!base) {
		pr_info("device memory: free physical address space (no %s)\n",
			DEVMEM_SOURCE);
		return;
	}
	if (!IS_ALIGNED(base, CHUNK_SIZE)) {
		pr_err("%s at %pa is not 2 MiB aligned: unusable\n",
		       DEVMEM_SOURCE, &base);
		return;
	}
	devmem.nr_chunks = len / CHUNK_SIZE;
	devmem.used = bitmap_zalloc(devmem.nr_chunks, GFP_KERNEL);
	if (!devmem.nr_chunks || !devmem.used) {
		pr_err("%s of %llu bytes is unusable (need 2 MiB or more)\n",
		       DEVMEM_SOURCE, len);
		bitmap_free(devmem.used);
		devmem.used = NULL;
		devmem.nr_chunks = 0;
		return;
	}
	devmem.base = base;
	pr_info("device memory: %s, %llu MiB at %pa\n", DEVMEM_SOURCE,
		len >> 20, &devmem.base);
}

const char *fake_devmap_backing(void)
{
	mutex_lock(&devmem.lock);
	devmem_probe();
	mutex_unlock(&devmem.lock);
	if (!devmem.base)
		return "hotplug";
	return IS_ENABLED(CONFIG_UML) ? "iomem" : "memmap";
}
EXPORT_SYMBOL_GPL(fake_devmap_backing);

/* Take @size bytes of device memory for one range of a pgmap. */
static int devmem_get(struct range *range, u64 size, bool private,
		      bool at_end, bool *from_iomem)
{
	struct resource *res;

	mutex_lock(&devmem.lock);
	devmem_probe();
	if (at_end && (!devmem.base || private)) {
		mutex_unlock(&devmem.lock);
		return -ENODEV;
	}
	if (devmem.base && !private) {
		unsigned long n = size / CHUNK_SIZE, first;

		if (at_end && n <= devmem.nr_chunks) {
			first = devmem.nr_chunks - n;
			if (find_next_bit(devmem.used, devmem.nr_chunks,
					  first) < devmem.nr_chunks)
				first = devmem.nr_chunks;
		} else {
			first = bitmap_find_next_zero_area(devmem.used,
							   devmem.nr_chunks,
							   0, n, 0);
		}
		if (first >= devmem.nr_chunks) {
			mutex_unlock(&devmem.lock);
			pr_err("%s is full\n", DEVMEM_SOURCE);
			return -ENOSPC;
		}
		bitmap_set(devmem.used, first, n);
		mutex_unlock(&devmem.lock);
		range->start = devmem.base + first * CHUNK_SIZE;
		range->end = range->start + size - 1;
		*from_iomem = true;
		return 0;
	}
	mutex_unlock(&devmem.lock);

	/* This claims whole sections; the pgmap uses the first @size bytes. */
	res = request_free_mem_region(&iomem_resource, size, "fake-devmap");
	if (IS_ERR(res))
		return PTR_ERR(res);
	range->start = res->start;
	range->end = res->start + size - 1;
	*from_iomem = false;
	return 0;
}

static void devmem_put(const struct range *range, bool from_iomem)
{
	if (!from_iomem) {
		struct resource *res = lookup_resource(&iomem_resource,
						       range->start);

		if (res)
			release_mem_region(res->start, resource_size(res));
		return;
	}
	mutex_lock(&devmem.lock);
	bitmap_clear(devmem.used, (range->start - devmem.base) / CHUNK_SIZE,
		     range_len(range) / CHUNK_SIZE);
	mutex_unlock(&devmem.lock);
}

static struct fake_devmap *to_fdm(struct dev_pagemap *pgmap)
{
	return container_of(pgmap, struct fake_devmap, pgmap);
}

static void fake_devmap_page_free(struct page *page)
{
	struct fake_devmap *fdm = to_fdm(page->pgmap);

	WRITE_ONCE(fdm->last_freed, page);
	atomic_inc(&fdm->page_free_calls);
}

/*
 * A CPU fault on a device-private entry. The suites count the call; the
 * page stays on the device, so the faulting access gets SIGBUS.
 */
static vm_fault_t fake_devmap_migrate_to_ram(struct vm_fault *vmf)
{
	atomic_inc(&to_fdm(vmf->page->pgmap)->migrate_to_ram_calls);
	return VM_FAULT_SIGBUS;
}

static const struct dev_pagemap_ops fake_devmap_ops = {
	.page_free	= fake_devmap_page_free,
	.migrate_to_ram	= fake_devmap_migrate_to_ram,
};

static void put_ranges(struct fake_devmap *fdm, unsigned int n)
{
	while (n--)
		devmem_put(&fdm->pgmap.ranges[n], fdm->from_iomem[n]);
}

struct fake_devmap *fake_devmap_create(const struct fake_devmap_spec *spec)
{
	unsigned int nr_ranges = spec->nr_ranges ?: 1, i;
	bool private = spec->type == MEMORY_DEVICE_PRIVATE;
	u64 size = (u64)spec->nr_pages << PAGE_SHIFT;
	struct fake_devmap *fdm;
	void *addr;
	int err;

	if (!size || !IS_ALIGNED(size, CHUNK_SIZE) ||
	    nr_ranges > FAKE_DEVMAP_MAX_RANGES ||
	    (spec->at_end && nr_ranges > 1))
		return ERR_PTR(-EINVAL);

	fdm = kzalloc(sizeof(*fdm) + (nr_ranges - 1) * sizeof(struct range),
		      GFP_KERNEL);
	if (!fdm)
		return ERR_PTR(-ENOMEM);
	fdm->spec = *spec;
	fdm->spec.nr_ranges = nr_ranges;
	init_completion(&fdm->unmapped);

	for (i = 0; i < nr_ranges; i++) {
		err = devmem_get(&fdm->pgmap.ranges[i], size, private,
				 spec->at_end, &fdm->from_iomem[i]);
		if (err) {
			put_ranges(fdm, i);
			goto out_free;
		}
	}
	fdm->pgmap.type = spec->type;
	fdm->pgmap.nr_range = nr_ranges;
	fdm->pgmap.vmemmap_shift = spec->order;
	fdm->pgmap.ops = &fake_devmap_ops;
	fdm->pgmap.owner = fdm;

	addr = memremap_pages(&fdm->pgmap, NUMA_NO_NODE);
	if (IS_ERR(addr)) {
		err = PTR_ERR(addr);
		put_ranges(fdm, nr_ranges);
		goto out_free;
	}
	fdm->addr = private ? NULL : addr;
	return fdm;

out_free:
	kfree(fdm);
	return ERR_PTR(err);
}
EXPORT_SYMBOL_GPL(fake_devmap_create);

static int fake_devmap_unmapper(void *data)
{
	struct fake_devmap *fdm = data;

	memunmap_pages(&fdm->pgmap);
	/* complete_all(): any number of waits may ask, none consumes it. */
	complete_all(&fdm->unmapped);
	return 0;
}

void fake_devmap_unmap_start(struct fake_devmap *fdm)
{
	struct task_struct *task;

	if (fdm->unmapper)
		return;
	task = kthread_run(fake_devmap_unmapper, fdm, "fake-devmap-unmap");
	if (IS_ERR(task)) {
		/* No thread: unmap here; a leak then hangs, as it would. */
		fake_devmap_unmapper(fdm);
		task = NULL;
	}
	fdm->unmapper = task ?: ERR_PTR(-ESRCH);
}
EXPORT_SYMBOL_GPL(fake_devmap_unmap_start);

bool fake_devmap_unmap_wait(struct fake_devmap *fdm, unsigned long timeout)
{
	return wait_for_completion_timeout(&fdm->unmapped, timeout);
}
EXPORT_SYMBOL_GPL(fake_devmap_unmap_wait);

int fake_devmap_destroy(struct fake_devmap *fdm)
{
	if (IS_ERR_OR_NULL(fdm))
		return 0;
	fake_devmap_unmap_start(fdm);
	if (!fake_devmap_unmap_wait(fdm, FAKE_DEVMAP_UNMAP_TIMEOUT)) {
		pr_err("memunmap_pages() of a %s pgmap still waits after %u ms: a page or pgmap reference leaked; leaving it\n",
		       fake_devmap_type_name(fdm->pgmap.type),
		       jiffies_to_msecs(FAKE_DEVMAP_UNMAP_TIMEOUT));
		return -ETIMEDOUT;
	}
	put_ranges(fdm, fdm->pgmap.nr_range);
	kfree(fdm);
	return 0;
}
EXPORT_SYMBOL_GPL(fake_devmap_destroy);

const char *fake_devmap_type_name(enum memory_type type)
{
	switch (type) {
	case MEMORY_DEVICE_PRIVATE:
		return "PRIVATE";
	case MEMORY_DEVICE_COHERENT:
		return "COHERENT";
	case MEMORY_DEVICE_FS_DAX:
		return "FS_DAX";
	case MEMORY_DEVICE_GENERIC:
		return "GENERIC";
	case MEMORY_DEVICE_PCI_P2PDMA:
		return "PCI_P2PDMA";
	}
	return "?";
}
EXPORT_SYMBOL_GPL(fake_devmap_type_name);

unsigned long fake_devmap_nr_pages(const struct fake_devmap *fdm)
{
	return fdm->spec.nr_pages * fdm->spec.nr_ranges;
}
EXPORT_SYMBOL_GPL(fake_devmap_nr_pages);

struct page *fake_devmap_page(const struct fake_devmap *fdm, unsigned long i)
{
	const struct range *range;

	if (i >= fake_devmap_nr_pages(fdm))
		return NULL;
	range = &fdm->pgmap.ranges[i / fdm->spec.nr_pages];
	return pfn_to_page(PHYS_PFN(range->start) + i % fdm->spec.nr_pages);
}
EXPORT_SYMBOL_GPL(fake_devmap_page);

struct page *fake_devmap_alloc_page(struct fake_devmap *fdm, unsigned long i)
{
	struct page *page = fake_devmap_page(fdm, i);

	if (!page)
		return NULL;
	switch (fdm->pgmap.type) {
	case MEMORY_DEVICE_PRIVATE:
	case MEMORY_DEVICE_COHERENT:
		/* As lib/test_hmm.c's dmirror_devmem_alloc_page(). */
		zone_device_page_init(page);
		unlock_page(page);
		break;
	default:
		/* Idle pages of the other types already hold their 1. */
		break;
	}
	return page;
}
EXPORT_SYMBOL_GPL(fake_devmap_alloc_page);

