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

#include <kunit/test-bug.h>
#include <linux/bitmap.h>
#include <linux/delay.h>
#include <linux/highmem.h>
#include <linux/ioport.h>
#include <linux/kthread.h>
#include <linux/migrate.h>
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

/* The free callback, whichever the base has (DEVMAP_PGMAP_FREE_OP). */
static void fake_devmap_freed(struct folio *folio)
{
	struct fake_devmap *fdm = to_fdm(devmap_folio_pgmap(folio));

	WRITE_ONCE(fdm->last_freed, &folio->page);
	atomic_add(folio_nr_pages(folio), &fdm->pages_freed);
	atomic_inc(&fdm->page_free_calls);
}

static void __maybe_unused fake_devmap_free_page(struct page *page)
{
	fake_devmap_freed(page_folio(page));
}

static void __maybe_unused fake_devmap_free_folio(struct folio *folio)
{
	fake_devmap_freed(folio);
}

/*
 * A CPU fault on a device-private entry: move the page back to RAM the way
 * drivers do (lib/test_hmm.c's dmirror_devmem_fault()): migrate_vma_setup()
 * on the faulting address with the faulting page, a new RAM page with the
 * device's copy of the data, migrate_vma_pages(), migrate_vma_finalize().
 * The faulting access then retries on the RAM page.
 */
static vm_fault_t fake_devmap_migrate_to_ram(struct vm_fault *vmf)
{
	struct fake_devmap *fdm = to_fdm(devmap_page_pgmap(vmf->page));
	unsigned long src = 0, dst = 0;
	struct migrate_vma args = {
		.vma		= vmf->vma,
		.start		= vmf->address & PAGE_MASK,
		.end		= (vmf->address & PAGE_MASK) + PAGE_SIZE,
		.src		= &src,
		.dst		= &dst,
		.pgmap_owner	= fdm,
		.flags		= MIGRATE_VMA_SELECT_DEVICE_PRIVATE,
		.fault_page	= vmf->page,
	};
	struct page *spage, *dpage, *storage;

	atomic_inc(&fdm->migrate_to_ram_calls);
	if (migrate_vma_setup(&args))
		return VM_FAULT_SIGBUS;
	spage = migrate_pfn_to_page(src);
	if (spage && (src & MIGRATE_PFN_MIGRATE)) {
		storage = fake_devmap_storage(fdm, spage);
		dpage = alloc_page_vma(GFP_HIGHUSER_MOVABLE, args.vma,
				       args.start);
		if (dpage && storage) {
			lock_page(dpage);
			copy_highpage(dpage, storage);
			dst = migrate_pfn(page_to_pfn(dpage));
			if (src & MIGRATE_PFN_WRITE)
				dst |= MIGRATE_PFN_WRITE;
		} else if (dpage) {
			__free_page(dpage);
		}
	}
	migrate_vma_pages(&args);
	if (src & MIGRATE_PFN_MIGRATE && dst)
		atomic_inc(&fdm->migrated_to_ram);
	migrate_vma_finalize(&args);
	return 0;
}

static const struct dev_pagemap_ops fake_devmap_ops = {
	DEVMAP_PGMAP_FREE_OP(fake_devmap_free),
	.migrate_to_ram	= fake_devmap_migrate_to_ram,
};

/* The same without the free callback (spec->no_free_op). */
static const struct dev_pagemap_ops fake_devmap_ops_no_free = {
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
	if (private) {
		fdm->backing = kcalloc(spec->nr_pages * nr_ranges,
				       sizeof(*fdm->backing), GFP_KERNEL);
		if (!fdm->backing) {
			kfree(fdm);
			return ERR_PTR(-ENOMEM);
		}
	}

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
	fdm->pgmap.ops = spec->no_free_op ? &fake_devmap_ops_no_free :
					    &fake_devmap_ops;
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
	kfree(fdm->backing);
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

#define DEVMAP_EXPECT_ROW(T) {					\
	.idle_ref = DEVMAP_BASE_IDLE_REF_##T,				\
	.handout = DEVMAP_BASE_HANDOUT_##T,				\
	.free_cb = DEVMAP_BASE_FREE_CB_##T,				\
	.ref_after_free = DEVMAP_BASE_REF_AFTER_FREE_##T,		\
	.clears_mapping = DEVMAP_BASE_FREE_CLEARS_MAPPING_##T,		\
	.free_pgmap_puts = DEVMAP_BASE_FREE_PGMAP_PUTS_##T,		\
	.alloc_pgmap_refs = DEVMAP_BASE_ALLOC_PGMAP_REFS_##T,		\
	.map = DEVMAP_BASE_MAP_##T,					\
	.large = DEVMAP_BASE_LARGE_##T,					\
	.on_zero = DEVMAP_BASE_ON_ZERO_##T,				\
}

static const struct devmap_type_expect devmap_expect_rows[] = {
	[MEMORY_DEVICE_PRIVATE] = DEVMAP_EXPECT_ROW(PRIVATE),
	[MEMORY_DEVICE_COHERENT] = DEVMAP_EXPECT_ROW(COHERENT),
	[MEMORY_DEVICE_FS_DAX] = DEVMAP_EXPECT_ROW(FSDAX),
	[MEMORY_DEVICE_GENERIC] = DEVMAP_EXPECT_ROW(GENERIC),
	[MEMORY_DEVICE_PCI_P2PDMA] = DEVMAP_EXPECT_ROW(P2PDMA),
};

const struct devmap_type_expect *devmap_expect(enum memory_type type)
{
	if (WARN_ON_ONCE(!type || type >= ARRAY_SIZE(devmap_expect_rows)))
		type = MEMORY_DEVICE_GENERIC;
	return &devmap_expect_rows[type];
}
EXPORT_SYMBOL_GPL(devmap_expect);

long devmap_pgrefs(int how, unsigned int order)
{
	switch (how) {
	case DEVMAP_PGREFS_ONE:
		return 1;
	case DEVMAP_PGREFS_NR:
		return 1L << order;
	}
	return 0;
}
EXPORT_SYMBOL_GPL(devmap_pgrefs);

static bool hands_out(const struct fake_devmap *fdm)
{
	return devmap_expect(fdm->pgmap.type)->handout != DEVMAP_HANDOUT_NONE;
}

/* Folios of a type without a free callback still held (refcount > 0). */
static unsigned long held_folios(const struct fake_devmap *fdm)
{
	unsigned long i, n = 0, step = 1UL << fdm->spec.order;

	for (i = 0; i < fake_devmap_nr_pages(fdm); i += step)
		n += page_ref_count(fake_devmap_page(fdm, i)) != 0;
	return n;
}

/* The value of the kill's leftover PERCPU_COUNT_BIAS (lib/percpu-refcount.c). */
#define FAKE_PERCPU_COUNT_BIAS	(1LU << (BITS_PER_LONG - 1))

/*
 * Reads percpu_ref internals on purpose: the provider is a test fixture,
 * and the pgmap reference count is what the suites check. In a quiet
 * test (nobody else taking or dropping references: on one CPU, or on two
 * while the other does not touch this pgmap) the sum is exact; a test
 * whose threads race on the pgmap reads it only once they are done.
 */
long fake_devmap_pgmap_refs(struct fake_devmap *fdm)
{
	struct percpu_ref *ref = &fdm->pgmap.ref;
	unsigned long __percpu *pcpu;
	unsigned long sum;
	int cpu;

	if (fdm->unmapper)
		return -1;
	rcu_read_lock();
	if (!__ref_is_percpu(ref, &pcpu)) {
		rcu_read_unlock();
		return -1;
	}
	sum = atomic_long_read(&ref->data->count) - FAKE_PERCPU_COUNT_BIAS;
	for_each_possible_cpu(cpu)
		sum += *per_cpu_ptr(pcpu, cpu);
	rcu_read_unlock();
	return (long)sum;
}
EXPORT_SYMBOL_GPL(fake_devmap_pgmap_refs);

/*
 * The count of a killed ref once percpu_ref_kill() has finished switching
 * it to atomic mode (-1 before). Only while we hold our guard reference:
 * then the ref's data cannot go away under us.
 */
static long killed_refs(struct percpu_ref *ref)
{
	unsigned long __percpu *pcpu;

	if (__ref_is_percpu(ref, &pcpu) || READ_ONCE(ref->data->confirm_switch))
		return -1;
	return atomic_long_read(&ref->data->count);
}

bool fake_devmap_wait_killed(struct fake_devmap *fdm, unsigned long timeout)
{
	unsigned long deadline = jiffies + timeout;

	while (!percpu_ref_is_dying(&fdm->pgmap.ref)) {
		if (time_after(jiffies, deadline))
			return false;
		usleep_range(100, 200);
	}
	return true;
}
EXPORT_SYMBOL_GPL(fake_devmap_wait_killed);

void fake_devmap_unmap_start(struct fake_devmap *fdm)
{
	struct task_struct *task;

	if (fdm->unmapper)
		return;
	/*
	 * Hand-outs of a type without a free callback (7.3's FS_DAX) hold no
	 * pgmap reference: memunmap_pages() does not wait for them, and
	 * removes struct pages they still use. Count them now, while the
	 * pages exist.
	 */
	if (hands_out(fdm) && !devmap_expect(fdm->pgmap.type)->free_cb &&
	    atomic_read(&fdm->handed_out))
		fdm->held_at_unmap = held_folios(fdm);
	/* Our guard: memunmap_pages() cannot finish until we let go. */
	fdm->guard = percpu_ref_tryget_live(&fdm->pgmap.ref);
	task = kthread_run(fake_devmap_unmapper, fdm, "fake-devmap-unmap");
	if (IS_ERR(task)) {
		/* No thread: unmap here; a leak then hangs, as it would. */
		if (fdm->guard)
			percpu_ref_put(&fdm->pgmap.ref);
		fdm->guard = false;
		fake_devmap_unmapper(fdm);
		task = NULL;
	}
	fdm->unmapper = task ?: ERR_PTR(-ESRCH);
}
EXPORT_SYMBOL_GPL(fake_devmap_unmap_start);

/*
 * With the guard held: once the kill has switched the ref to atomic mode,
 * a count of 1 is our guard alone (drop it: memunmap_pages() finishes);
 * a higher count that does not move for FAKE_DEVMAP_LEAK_SETTLE is held
 * by someone who is not going to drop it (in a test that has given
 * everything back: a leak), so say no without waiting out @timeout.
 */
bool fake_devmap_unmap_wait(struct fake_devmap *fdm, unsigned long timeout)
{
	unsigned long deadline = jiffies + timeout, since = jiffies;
	long refs, last = -1;

	while (fdm->guard) {
		/*
		 * memunmap_pages() is documented to wait for every reference:
		 * returning while we hold one breaks that (and has exited the
		 * ref: never touch it again).
		 */
		if (completion_done(&fdm->unmapped) ||
		    !READ_ONCE(fdm->pgmap.ref.data)) {
			kunit_fail_current_test("%s: memunmap_pages() did not wait for a ref",
						fake_devmap_type_name(fdm->pgmap.type));
			fdm->guard = false;
			break;
		}
		refs = killed_refs(&fdm->pgmap.ref);
		if (refs == 1) {
			fdm->guard = false;
			fdm->leaked = 0;
			percpu_ref_put(&fdm->pgmap.ref);
			break;
		}
		fdm->leaked = refs > 1 ? refs - 1 : -1;
		if (refs != last) {
			last = refs;
			since = jiffies;
		} else if (refs > 1 &&
			   time_after(jiffies, since + FAKE_DEVMAP_LEAK_SETTLE)) {
			return false;
		}
		if (time_after(jiffies, deadline))
			return false;
		/*
		 * Killed, not yet atomic: the switch is an RCU callback, run
		 * by the next grace period; rcu_barrier() waits for exactly
		 * that (a sleep would wait for a tick or more). Otherwise
		 * the unmapper has not got the CPU yet, or a count is moving.
		 */
		if (refs < 0 && percpu_ref_is_dying(&fdm->pgmap.ref))
			rcu_barrier();
		else
			usleep_range(100, 200);
	}
	if (time_after(jiffies, deadline))
		deadline = jiffies + 1;
	return wait_for_completion_timeout(&fdm->unmapped, deadline - jiffies);
}
EXPORT_SYMBOL_GPL(fake_devmap_unmap_wait);

int fake_devmap_destroy_why(struct fake_devmap *fdm, char *why, size_t len)
{
	const char *type;
	char none[1];
	int out, freed, n = 0, err = 0;

	if (!why) {
		why = none;
		len = sizeof(none);
	}
	why[0] = '\0';
	if (IS_ERR_OR_NULL(fdm))
		return 0;
	type = fake_devmap_type_name(fdm->pgmap.type);
	out = atomic_read(&fdm->handed_out);
	freed = atomic_read(&fdm->page_free_calls);
	if (hands_out(fdm) && devmap_expect(fdm->pgmap.type)->free_cb &&
	    out != freed) {
		n += scnprintf(why + n, len - n,
			       "%d folios handed out, %d came back through the free callback; ",
			       out, freed);
		err = -EBUSY;
	}
	/* Counted by unmap_start, before the struct pages can go. */
	fake_devmap_unmap_start(fdm);
	if (fdm->held_at_unmap) {
		n += scnprintf(why + n, len - n,
			       "%d folios handed out, %lu still held (refcount > 0) when the unmap began; ",
			       out, fdm->held_at_unmap);
		err = -EBUSY;
	}
	if (!fake_devmap_unmap_wait(fdm, FAKE_DEVMAP_UNMAP_TIMEOUT)) {
		if (fdm->leaked > 0)
			n += scnprintf(why + n, len - n,
				       "memunmap_pages() cannot finish: %ld pgmap references leaked",
				       fdm->leaked);
		else
			n += scnprintf(why + n, len - n,
				       "memunmap_pages() still waits after %u ms",
				       jiffies_to_msecs(FAKE_DEVMAP_UNMAP_TIMEOUT));
		if (fdm->guard) {
			fdm->guard = false;
			percpu_ref_put(&fdm->pgmap.ref);
		}
		pr_err("%s pgmap: %s; leaving it\n", type, why);
		return -ETIMEDOUT;
	}
	if (fdm->backing) {
		unsigned long i;

		for (i = 0; i < fake_devmap_nr_pages(fdm); i++)
			if (fdm->backing[i])
				__free_page(fdm->backing[i]);
		kfree(fdm->backing);
	}
	put_ranges(fdm, fdm->pgmap.nr_range);
	kfree(fdm);
	return err;
}
EXPORT_SYMBOL_GPL(fake_devmap_destroy_why);

int fake_devmap_destroy(struct fake_devmap *fdm)
{
	return fake_devmap_destroy_why(fdm, NULL, 0);
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

/*
 * A hand-out as lib/test_hmm.c's dmirror_devmem_alloc_page() makes one
 * (zone_device_page_init()), or as fs/dax.c and drivers/pci/p2pdma.c do
 * for 0-based types (count 0 -> 1), checking the contract first (see
 * fake_devmap.h).
 */
#define INIT	"zone_device_page_init() broke its contract"

static struct page *alloc_checked(struct fake_devmap *fdm, unsigned long i,
				  bool locked)
{
	const struct devmap_type_expect *e = devmap_expect(fdm->pgmap.type);
	const char *type = fake_devmap_type_name(fdm->pgmap.type);
	struct page *page = fake_devmap_page(fdm, i);
	unsigned int order = fdm->spec.order;
	long refs, want;

	if (!page || e->handout == DEVMAP_HANDOUT_NONE)
		return page;
	if (!IS_ALIGNED(i, 1UL << order)) {
		kunit_fail_current_test("%s page %lu: not the first page of an order-%u folio",
					type, i, order);
		return NULL;
	}
	if (e->handout == DEVMAP_HANDOUT_SET_COUNT) {
		struct folio *folio = page_folio(page);

		if (folio_ref_count(folio)) {
			kunit_fail_current_test("%s page %lu: handed out while its refcount is %d",
						type, i, folio_ref_count(folio));
			return NULL;
		}
		folio_set_count(folio, 1);
		atomic_inc(&fdm->handed_out);
		return page;
	}
	refs = fake_devmap_pgmap_refs(fdm);
	want = devmap_pgrefs(e->alloc_pgmap_refs, order);
	devmap_zone_device_init(page, &fdm->pgmap, order);
	atomic_inc(&fdm->handed_out);
	if (page_ref_count(page) != 1)
		kunit_fail_current_test("%s: %s page %lu has refcount %d, not 1",
					INIT, type, i, page_ref_count(page));
	if (refs >= 0 && fake_devmap_pgmap_refs(fdm) != refs + want)
		kunit_fail_current_test("%s: %s pgmap refs %ld -> %ld, not +%ld",
					INIT, type, refs,
					fake_devmap_pgmap_refs(fdm), want);
	if (folio_order(page_folio(page)) != order)
		kunit_fail_current_test("%s: %s page %lu is a folio of order %u, not %u",
					INIT, type, i,
					folio_order(page_folio(page)), order);
	if (!PageLocked(page)) {
		kunit_fail_current_test("%s: %s page %lu is not locked",
					INIT, type, i);
		/* Never unlock an unlocked page: it would stay locked. */
		if (locked)
			WARN_ON(!trylock_page(page));
		return page;
	}
	if (!locked)
		unlock_page(page);
	return page;
}

struct page *fake_devmap_alloc_page(struct fake_devmap *fdm, unsigned long i)
{
	return alloc_checked(fdm, i, false);
}
EXPORT_SYMBOL_GPL(fake_devmap_alloc_page);

struct page *fake_devmap_alloc_page_locked(struct fake_devmap *fdm,
					   unsigned long i)
{
	return alloc_checked(fdm, i, true);
}
EXPORT_SYMBOL_GPL(fake_devmap_alloc_page_locked);

/* Index of @page in the pgmap's span, or -1 if it is not one of ours. */
static long fake_devmap_index(const struct fake_devmap *fdm, struct page *page)
{
	unsigned long pfn = page_to_pfn(page), r;

	for (r = 0; r < fdm->spec.nr_ranges; r++) {
		const struct range *range = &fdm->pgmap.ranges[r];

		if (pfn >= PHYS_PFN(range->start) &&
		    pfn < PHYS_PFN(range->start) + fdm->spec.nr_pages)
			return r * fdm->spec.nr_pages + pfn -
			       PHYS_PFN(range->start);
	}
	return -1;
}

struct page *fake_devmap_storage(struct fake_devmap *fdm, struct page *page)
{
	struct page *backing;
	long i = fake_devmap_index(fdm, page);

	if (i < 0)
		return NULL;
	if (!fdm->backing)
		return page;
	backing = READ_ONCE(fdm->backing[i]);
	if (backing)
		return backing;
	backing = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!backing)
		return NULL;
	if (cmpxchg(&fdm->backing[i], NULL, backing)) {
		__free_page(backing);
		backing = READ_ONCE(fdm->backing[i]);
	}
	return backing;
}
EXPORT_SYMBOL_GPL(fake_devmap_storage);

long fake_devmap_evict(struct fake_devmap *fdm, unsigned long first,
		       unsigned long nr)
{
	struct page *start = fake_devmap_page(fdm, first);
	unsigned long *src, *dst, i;
	long moved = 0;

	/* migrate_device_range() takes one run of pfns: one range. */
	if (!start || !nr || first % fdm->spec.nr_pages + nr > fdm->spec.nr_pages)
		return -EINVAL;
	src = kvcalloc(nr, sizeof(*src), GFP_KERNEL);
	dst = kvcalloc(nr, sizeof(*dst), GFP_KERNEL);
	if (!src || !dst) {
		kvfree(src);
		kvfree(dst);
		return -ENOMEM;
	}
	migrate_device_range(src, page_to_pfn(start), nr);
	for (i = 0; i < nr; i++) {
		struct page *spage = migrate_pfn_to_page(src[i]);
		struct page *dpage, *storage;

		if (!spage || !(src[i] & MIGRATE_PFN_MIGRATE))
			continue;
		storage = fake_devmap_storage(fdm, spage);
		if (!storage)
			continue;
		dpage = alloc_page(GFP_HIGHUSER_MOVABLE | __GFP_NOFAIL);
		lock_page(dpage);
		copy_highpage(dpage, storage);
		dst[i] = migrate_pfn(page_to_pfn(dpage));
		if (src[i] & MIGRATE_PFN_WRITE)
			dst[i] |= MIGRATE_PFN_WRITE;
	}
	migrate_device_pages(src, dst, nr);
	for (i = 0; i < nr; i++)
		moved += dst[i] && (src[i] & MIGRATE_PFN_MIGRATE);
	migrate_device_finalize(src, dst, nr);
	kvfree(src);
	kvfree(dst);
	return moved;
}
EXPORT_SYMBOL_GPL(fake_devmap_evict);
