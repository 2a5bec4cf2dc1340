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
/* The same file, every type mapped by pfn (what GUP refuses since 6.17). */
extern const struct file_operations devmap_pfn_file_fops;

/*
 * What this base's mm does to each type is data: devmap_expect(type)
 * (fake_devmap.h, from the generated devmap_base.h). The helpers below
 * name the questions the suites ask of it.
 */

/* FS_DAX refcounts are 1-based (before 6.15): 1 means free. */
static inline bool one_based(enum memory_type type)
{
	return type == MEMORY_DEVICE_FS_DAX && devmap_expect(type)->idle_ref;
}

/*
 * Pages of a driver allocator: idle at 0, handed out with
 * zone_device_page_init(), which takes pgmap references that the free
 * gives back (PRIVATE and COHERENT).
 */
static inline bool driver_allocated(enum memory_type type)
{
	return devmap_expect(type)->handout == DEVMAP_HANDOUT_ZDPI;
}

/* Idle at 0: a page must be handed out (count 0 -> 1) before any use. */
static inline bool devmap_hands_out(enum memory_type type)
{
	return devmap_expect(type)->handout != DEVMAP_HANDOUT_NONE;
}

/* The anonymous window: types whose pages migrate_vma moves. */
static inline bool devmap_migrates(enum memory_type type)
{
	return type == MEMORY_DEVICE_PRIVATE || type == MEMORY_DEVICE_COHERENT;
}

static inline int idle_refcount(enum memory_type type)
{
	return devmap_expect(type)->idle_ref;
}

/* Pgmap references a hand-out of a folio of @order takes (its free drops). */
static inline long devmap_alloc_pgmap_refs(enum memory_type type,
					   unsigned int order)
{
	return devmap_pgrefs(devmap_expect(type)->alloc_pgmap_refs, order);
}

/*
 * FS_DAX wake-ups a put fires that leaves @after references; @managed: a
 * put_page(), an unpin, folios_put_refs() or a zap (6.12's managed paths;
 * since 6.15 every put path is the same).
 */
static inline int devmap_put_wakes(enum memory_type type, int after,
				   bool managed)
{
	return type == MEMORY_DEVICE_FS_DAX &&
	       after == DEVMAP_BASE_FSDAX_WAKE_AT &&
	       (managed || !DEVMAP_BASE_PUT_PATH_MANAGED);
}

/* What FS_DAX waiters wait on: &folio->_refcount, since 6.15 &folio->page. */
static inline void *devmap_wake_var(struct folio *folio)
{
	if (DEVMAP_BASE_FSDAX_WAKE_VAR_PAGE)
		return &folio->page;
	return &folio->_refcount;
}

/*
 * A pgmap of this test's type and order with @nr_ranges ranges of
 * @nr_pages each, destroyed (bounded, see fake_devmap_destroy()) when the
 * test ends. Skips combinations this base does not have (large folios of a
 * type without them).
 */
struct fake_devmap *devmap_get(struct kunit *test, unsigned long nr_pages,
			       unsigned int nr_ranges);

/*
 * Destroy @fdm when the test ends, and fail the test (naming the pgmap
 * type and what leaked) if it cannot go: memunmap_pages() does not finish
 * or folios handed out did not all come back (free callbacks, refcounts).
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

/*
 * An NR_FOLL_PIN_* counter exactly, per-CPU deltas included (what
 * global_node_page_state() misses until the deltas are folded in).
 */
long foll_pin_stat(enum node_stat_item item);

/* Counts wake_up_var(var) calls without a second thread. */
struct var_wake_counter {
	struct wait_queue_entry wq_entry;
	void *var;
	int wakeups;
};

struct var_wake_counter *var_wake_counter_start(struct kunit *test,
						void *var);

#endif /* _DEVMAP_KUNIT_H */
