/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers of the devmap sandbox's KUnit suites: the test matrix
 * (pgmap type x folio order), what each type is expected to do, pgmaps
 * that go away with the test, and a wake_up_var() counter.
 */
#ifndef _DEVMAP_KUNIT_H
#define _DEVMAP_KUNIT_H

#include <kunit/test.h>
#include <linux/memremap.h>
#include <linux/pgtable.h>
#include <linux/wait.h>

#include "fake_devmap.h"

/* One point of the matrix; suites list theirs with KUNIT_ARRAY_PARAM. */
struct devmap_param {
	enum memory_type type;
	unsigned int order;
};

void devmap_param_desc(const struct devmap_param *p, char *desc);

/* Device pages mapped into a user mm as drivers do (devmap_kunit_util.c). */
bool devmap_maps_pfns(enum memory_type type);
extern const struct file_operations devmap_file_fops;

/* FS_DAX refcounts are 1-based: 1 means free. */
static inline bool one_based(enum memory_type type)
{
	return type == MEMORY_DEVICE_FS_DAX;
}

/*
 * PRIVATE and COHERENT pages belong to a driver allocator: idle at 0, and
 * a page handed out holds a pgmap reference until it is freed.
 */
static inline bool driver_allocated(enum memory_type type)
{
	return type == MEMORY_DEVICE_PRIVATE ||
	       type == MEMORY_DEVICE_COHERENT;
}

static inline int idle_refcount(enum memory_type type)
{
	return driver_allocated(type) ? 0 : 1;
}

/*
 * A pgmap of this test's type and order with @nr_ranges ranges of
 * @nr_pages each, destroyed (bounded, see fake_devmap_destroy()) when the
 * test ends. Skips combinations 6.12 does not support.
 */
struct fake_devmap *devmap_get(struct kunit *test, unsigned long nr_pages,
			       unsigned int nr_ranges);

/*
 * Destroy @fdm when the test ends, and fail the test (naming the pgmap
 * type and what leaked) if it cannot go: memunmap_pages() does not finish
 * or pages handed out did not all come back through ->page_free().
 */
void devmap_own(struct kunit *test, struct fake_devmap *fdm);

/*
 * The test's user mm (after kunit_vm_mmap()), held until the test ends and
 * released before the pgmaps the test made earlier are destroyed.
 */
struct mm_struct *devmap_hold_mm(struct kunit *test);

/*
 * The PTE that maps @addr in @mm, or pte_none if there is no page table
 * (read under the page table lock; _locked: the caller holds the mmap
 * lock, else it is taken for reading).
 */
pte_t devmap_user_pte_locked(struct mm_struct *mm, unsigned long addr);
pte_t devmap_user_pte(struct mm_struct *mm, unsigned long addr);

/* Counts wake_up_var(var) calls without a second thread. */
struct var_wake_counter {
	struct wait_queue_entry wq_entry;
	void *var;
	int wakeups;
};

struct var_wake_counter *var_wake_counter_start(struct kunit *test,
						void *var);

#endif /* _DEVMAP_KUNIT_H */
