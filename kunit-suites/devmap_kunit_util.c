// SPDX-License-Identifier: GPL-2.0
/* Shared helpers of the devmap sandbox's KUnit suites (devmap_kunit.h). */

#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/pgtable.h>
#include <linux/sched/mm.h>
#include <linux/wait_bit.h>

#include "devmap_kunit.h"

void devmap_param_desc(const struct devmap_param *p, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s order %u",
		 fake_devmap_type_name(p->type), p->order);
}

struct devmap_owned {
	struct kunit *test;
	struct fake_devmap *fdm;
};

/*
 * Every test's leak check: the pgmap must go away, with every handed-out
 * page given back and no pgmap reference left. fake_devmap_destroy_why()
 * finds a leak in well under FAKE_DEVMAP_UNMAP_TIMEOUT (a second) and
 * leaves the pgmap behind, so the run goes on to the next case.
 */
static void devmap_destroy_action(void *data)
{
	struct devmap_owned *o = data;
	enum memory_type type = o->fdm->pgmap.type;
	char why[192];

	if (fake_devmap_destroy_why(o->fdm, why, sizeof(why)))
		KUNIT_FAIL(o->test, "leak in the %s pgmap: %s",
			   fake_devmap_type_name(type), why);
}

void devmap_own(struct kunit *test, struct fake_devmap *fdm)
{
	struct devmap_owned *o = kunit_kzalloc(test, sizeof(*o), GFP_KERNEL);

	if (!o)
		fake_devmap_destroy(fdm);
	KUNIT_ASSERT_NOT_NULL(test, o);
	o->test = test;
	o->fdm = fdm;
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, devmap_destroy_action,
						  o));
}

struct fake_devmap *devmap_get(struct kunit *test, unsigned long nr_pages,
			       unsigned int nr_ranges)
{
	const struct devmap_param *p = test->param_value;
	struct fake_devmap_spec spec = {
		.type = p->type,
		.order = p->order,
		.nr_pages = nr_pages,
		.nr_ranges = nr_ranges,
	};
	struct fake_devmap *fdm;

	if (p->order && !devmap_expect(p->type)->large)
		kunit_skip(test, "%s has no large %s folios", DEVMAP_BASE_VERSION,
			   fake_devmap_type_name(p->type));
	fdm = fake_devmap_create(&spec);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, fdm);
	devmap_own(test, fdm);
	return fdm;
}

static int var_wake_count(struct wait_queue_entry *wq_entry,
			  unsigned int mode, int sync, void *arg)
{
	struct var_wake_counter *c =
		container_of(wq_entry, struct var_wake_counter, wq_entry);
	struct wait_bit_key *key = arg;

	if (key->flags == c->var && key->bit_nr == -1)
		c->wakeups++;
	return 0;
}

static void var_wake_counter_stop(void *data)
{
	struct var_wake_counter *c = data;

	remove_wait_queue(__var_waitqueue(c->var), &c->wq_entry);
}

struct var_wake_counter *var_wake_counter_start(struct kunit *test, void *var)
{
	struct var_wake_counter *c;

	c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	c->var = var;
	init_waitqueue_func_entry(&c->wq_entry, var_wake_count);
	add_wait_queue(__var_waitqueue(var), &c->wq_entry);
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, var_wake_counter_stop,
						  c));
	return c;
}

/*
 * Runs in KUnit's cleanup thread, before the pgmaps made earlier in the
 * test are destroyed (actions run in reverse order): wait for the test
 * thread to let go of its mm, then drop the last user, so that its
 * mappings are zapped now, while the device's struct pages still exist.
 */
static void devmap_mm_release(void *data)
{
	struct mm_struct *mm = data;
	int ms;

	for (ms = 0; ms < 1000 && atomic_read(&mm->mm_users) > 1; ms++)
		usleep_range(1000, 2000);
	mmput(mm);
}

struct mm_struct *devmap_hold_mm(struct kunit *test)
{
	struct mm_struct *mm = current->mm;

	KUNIT_ASSERT_NOT_NULL(test, mm);
	mmget(mm);
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, devmap_mm_release, mm));
	return mm;
}

/*
 * Map device pages into a user mm as drivers do (devmap_expect()'s map):
 * before 6.17 devmap PTEs for the types whose pages GUP finds by pfn
 * (FS_DAX, GENERIC), vm_insert_page() for the rest; since then
 * vm_insert_page() for all (a pfn mapping is a special PTE GUP refuses),
 * which needs the page handed out first where the type idles at 0. The
 * file's private_data is the fake_devmap.
 */
bool devmap_maps_pfns(enum memory_type type)
{
	return devmap_expect(type)->map == DEVMAP_MAP_PFN;
}

/* Map the file's pages: by pfn (a pfn mapping) or with vm_insert_page(). */
static int devmap_map_pages(struct file *file, struct vm_area_struct *vma,
			    bool by_pfn)
{
	struct fake_devmap *fdm = file->private_data;
	unsigned long i, addr = vma->vm_start;

	if (vma->vm_pgoff + vma_pages(vma) > fake_devmap_nr_pages(fdm))
		return -EINVAL;
	vm_flags_set(vma, VM_MIXEDMAP | VM_DONTEXPAND);
	for (i = 0; i < vma_pages(vma); i++, addr += PAGE_SIZE) {
		struct page *page = fake_devmap_page(fdm, vma->vm_pgoff + i);
		int err;

		if (by_pfn)
			err = devmap_insert_pfn_mkwrite(vma, addr,
							page_to_pfn(page)) ==
				VM_FAULT_NOPAGE ? 0 : -EFAULT;
		else
			err = vm_insert_page(vma, addr, page);
		if (err)
			return err;
	}
	return 0;
}

static int devmap_file_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct fake_devmap *fdm = file->private_data;

	return devmap_map_pages(file, vma, devmap_maps_pfns(fdm->pgmap.type));
}

const struct file_operations devmap_file_fops = {
	.owner	= THIS_MODULE,
	.mmap	= devmap_file_mmap,
};

static int devmap_pfn_file_mmap(struct file *file, struct vm_area_struct *vma)
{
	return devmap_map_pages(file, vma, true);
}

const struct file_operations devmap_pfn_file_fops = {
	.owner	= THIS_MODULE,
	.mmap	= devmap_pfn_file_mmap,
};

pte_t devmap_user_pte_locked(struct mm_struct *mm, unsigned long addr)
{
	pte_t pte = __pte(0), *ptep;
	spinlock_t *ptl;	/* the page table's lock */
	pgd_t *pgd;
	p4d_t *p4d;
	pud_t *pud;
	pmd_t *pmd;

	pgd = pgd_offset(mm, addr);
	p4d = p4d_offset(pgd, addr);
	pud = pud_offset(p4d, addr);
	pmd = pmd_offset(pud, addr);
	if (pgd_present(*pgd) && p4d_present(*p4d) && pud_present(*pud) &&
	    pmd_present(*pmd)) {
		ptep = pte_offset_map_lock(mm, pmd, addr, &ptl);
		if (ptep) {
			pte = ptep_get(ptep);
			pte_unmap_unlock(ptep, ptl);
		}
	}
	return pte;
}

pte_t devmap_user_pte(struct mm_struct *mm, unsigned long addr)
{
	pte_t pte;

	mmap_read_lock(mm);
	pte = devmap_user_pte_locked(mm, addr);
	mmap_read_unlock(mm);
	return pte;
}

long foll_pin_stat(enum node_stat_item item)
{
	struct pglist_data *pgdat;
	long v = 0;
	int cpu;

	for_each_online_pgdat(pgdat) {
		v += atomic_long_read(&pgdat->vm_stat[item]);
		for_each_online_cpu(cpu)
			v += per_cpu_ptr(pgdat->per_cpu_nodestats,
					 cpu)->vm_node_stat_diff[item];
	}
	return v;
}
