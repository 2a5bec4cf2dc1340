/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The devmap_model suite's rules, as tables. The KUnit suite
 * (devmap_model_kunit.c) executes them; kunit-suites/model-graph.c (a host
 * program) includes this same file and prints MODEL.md's rule table and
 * the state machine as graphviz DOT, so that the picture and the document
 * cannot drift from what the model checks.
 *
 * Plain C data only (no kernel headers but the generated devmap_base.h,
 * which says what this base's mm does to each pgmap type: a host program
 * picks the base with -DDEVMAP_BASE_CODE), included by both. Whatever
 * differs between bases is a DEVMAP_BASE_* value in an initialiser.
 *
 * Types, m_type_rows[]:
 *   name            MEMORY_DEVICE_<name>
 *   idle_ref        refcount of an idle page (0: handed out by a driver)
 *   base_droppable  the idle reference may be put (-> last put, reset)
 *   on_zero         ZERO_RESET1: refcount back to 1 (with ->page_free()
 *                   where the base calls one);
 *                   ZERO_DROP_PGMAP: free callback, stays 0, the hand-out's
 *                   pgmap refs put;
 *                   ZERO_NEVER: 1-based, never reaches 0 (wakes at 1);
 *                   ZERO_FREE0: ->folio_free(), stays 0;
 *                   ZERO_WAKE0: no callback, stays 0, wake_up_var()
 *   map             MAP_PFN (devmap PTE, no page ref), MAP_PAGE
 *                   (vm_insert_page(), one ref per page), MAP_NONE
 *   pgmap_refs      PGREF_PER_PAGE: memremap_pages() holds one pgmap ref
 *                   per folio (pfn_len()), memunmap_pages() drops them; PGREF_PER_ALLOC:
 *                   the hand-out takes them (zone_device_page_init())
 *   longterm        what FOLL_LONGTERM gives: LT_OK, LT_EOPNOTSUPP,
 *                   LT_MIGRATE_FAILS, LT_EREMOTEIO
 *   handout         DEVMAP_HANDOUT_*: NONE (idle pages are at 1), ZDPI
 *                   (zone_device_page_init(): locked, takes pgmap refs),
 *                   SET_COUNT (count 0 -> 1, as fs/dax.c and p2pdma do)
 *   free_cb         the free at refcount 0 calls the pgmap's free callback
 *   ref_after_free  the refcount the free leaves
 *   clears_mapping  the free clears ->mapping
 *   alloc_refs      DEVMAP_PGREFS_*: pgmap refs a hand-out takes and its
 *                   free drops (ONE, or NR = the folio's pages)
 *   large           folios of order > 0 exist
 */
#ifndef _DEVMAP_MODEL_RULES_H
#define _DEVMAP_MODEL_RULES_H

#include "devmap_base.h"

enum m_on_zero {
	ZERO_RESET1 = DEVMAP_ZERO_RESET1,
	ZERO_DROP_PGMAP = DEVMAP_ZERO_DROP_PGMAP,
	ZERO_NEVER = DEVMAP_ZERO_NEVER,
	ZERO_FREE0 = DEVMAP_ZERO_FREE0,
	ZERO_WAKE0 = DEVMAP_ZERO_WAKE0,
};

enum m_map {
	MAP_PFN = DEVMAP_MAP_PFN,
	MAP_PAGE = DEVMAP_MAP_PAGE,
	MAP_NONE = DEVMAP_MAP_NONE,
};

enum m_pgref { PGREF_PER_PAGE, PGREF_PER_ALLOC };
enum m_longterm { LT_OK, LT_EOPNOTSUPP, LT_MIGRATE_FAILS, LT_EREMOTEIO };
enum m_path { PATH_NONE, PATH_MANAGED, PATH_PLAIN };

/* Type masks (TM_GENERIC .. TM_P2PDMA: devmap_base.h). */
#define TM_ALL		0x1f
/* The types whose anonymous pages migrate_vma moves (the anonymous window). */
#define TM_DRIVER	(TM_PRIVATE | TM_COHERENT)
#define TM_MAPPED	(TM_GENERIC | TM_FS_DAX | TM_COHERENT | TM_P2PDMA)
/* Handed out by setting the count (no pgmap references, not locked). */
#define TM_SET_COUNT	(DEVMAP_BASE_TM_HANDOUT & ~TM_DRIVER)
/* devmap_managed_key counts these pgmaps. */
#define TM_KEY		(DEVMAP_BASE_HAS_DEVMAP_MANAGED_KEY ? TM_FS_DAX : 0)
/* Types whose refcount reaches 0 and which get a free callback then. */
#define TM_ZERO_CB	(DEVMAP_BASE_TM_FREE_CB & ~DEVMAP_BASE_TM_WAKE_AT_ONE)
/* Puts on a managed path (6.12): put_devmap_managed_folio_refs() first. */
#define M_PATH_MANAGED	(DEVMAP_BASE_PUT_PATH_MANAGED ? PATH_MANAGED : PATH_PLAIN)
/* Short text (edge labels) of this base: @managed before 6.15, @plain since. */
#define M_SRC(managed, plain)	(DEVMAP_BASE_PUT_PATH_MANAGED ? (managed) : (plain))
/* A fact of the bases where @flag holds: its types there, none elsewhere. */
#define M_IF(flag, mask)	((flag) ? (mask) : 0)

struct m_type_row {
	const char *name;	/* MEMORY_DEVICE_<name> */
	unsigned int tm;
	int idle_ref;
	int base_droppable;
	enum m_on_zero on_zero;
	enum m_map map;
	enum m_pgref pgref;
	enum m_longterm longterm;
	int handout;
	int free_cb;
	int ref_after_free;
	int clears_mapping;
	int alloc_refs;
	int large;
};

/* A row from devmap_base.h's per-type values (T: GENERIC, FSDAX, ...). */
#define M_TYPE_ROW(n, mask, T, lt) {					\
	.name = (n),							\
	.tm = (mask),							\
	.idle_ref = DEVMAP_BASE_IDLE_REF_##T,				\
	.base_droppable = DEVMAP_BASE_ON_ZERO_##T == DEVMAP_ZERO_RESET1, \
	.on_zero = (enum m_on_zero)DEVMAP_BASE_ON_ZERO_##T,		\
	.map = (enum m_map)DEVMAP_BASE_MAP_##T,				\
	.pgref = DEVMAP_BASE_ALLOC_PGMAP_REFS_##T /* not PGREFS_NONE */ ? \
		 PGREF_PER_ALLOC : PGREF_PER_PAGE,			\
	.longterm = (lt),						\
	.handout = DEVMAP_BASE_HANDOUT_##T,				\
	.free_cb = DEVMAP_BASE_FREE_CB_##T != DEVMAP_FREE_CB_NONE,	\
	.ref_after_free = DEVMAP_BASE_REF_AFTER_FREE_##T,		\
	.clears_mapping = DEVMAP_BASE_FREE_CLEARS_MAPPING_##T,		\
	.alloc_refs = DEVMAP_BASE_ALLOC_PGMAP_REFS_##T,			\
	.large = DEVMAP_BASE_LARGE_##T,					\
}

static const struct m_type_row m_type_rows[] = {
	M_TYPE_ROW("GENERIC", TM_GENERIC, GENERIC, LT_OK),
	M_TYPE_ROW("FS_DAX", TM_FS_DAX, FSDAX, LT_EOPNOTSUPP),
	M_TYPE_ROW("PRIVATE", TM_PRIVATE, PRIVATE, LT_OK),
	M_TYPE_ROW("COHERENT", TM_COHERENT, COHERENT, LT_MIGRATE_FAILS),
	M_TYPE_ROW("PCI_P2PDMA", TM_P2PDMA, P2PDMA, LT_EREMOTEIO),
};

/*
 * Reference-moving rules, per unit (a page for GUP, a reference for puts):
 * what is added to the folio's refcount (small / large folio; M_BIAS is
 * GUP_PIN_COUNTING_BIAS, defined by the includer), to _pincount (large
 * folios only), to the references the caller owns, and to
 * NR_FOLL_PIN_ACQUIRED / NR_FOLL_PIN_RELEASED. path says how a put is
 * released: PATH_MANAGED (before 6.15: put_devmap_managed_folio_refs()
 * first: FS_DAX wakes at 1 and never frees), PATH_PLAIN
 * (folio_ref_sub_and_test() and free at 0: the type row's on_zero),
 * PATH_NONE (not a put). Since 6.15 every put path is plain.
 */
enum m_rule_id {
	R_GET,
	R_PUT_PAGE,
	R_FOLIO_PUT,
	R_BATCH,
	R_GUP_GET,
	R_GUP_PIN,
	R_UNPIN,
	R_MAP_PAGE,
	R_ZAP_PAGE,
	R_MIGRATE_IN,
	R_MIGRATE_OUT,
	R_ZAP_ANON,
	R_NR
};

struct m_rule {
	const char *id;
	unsigned int types;
	int ref_small, ref_large, pins, owned, acq, rel;
	enum m_path path;
	const char *fn;
	const char *src;
};

static const struct m_rule m_rules[] = {
	[R_GET] = {
		"R_GET", TM_ALL, 1, 1, 0, 1, 0, 0, PATH_NONE,
		"folio_get() / get_page()",
		"include/linux/mm.h folio_get(): one reference, any page of the folio"
	},
	[R_PUT_PAGE] = {
		"R_PUT_PAGE", TM_ALL, -1, -1, 0, -1, 0, 0, M_PATH_MANAGED,
		"put_page()",
		"include/linux/mm.h put_page(): put_devmap_managed_folio_refs(folio, 1) first where it exists (before 6.15), else folio_put()"
	},
	[R_FOLIO_PUT] = {
		"R_FOLIO_PUT", TM_ALL, -1, -1, 0, -1, 0, 0, PATH_PLAIN,
		"folio_put() / folio_put_refs(n)",
		"include/linux/mm.h folio_put_refs(): folio_ref_sub_and_test(), __folio_put() -> free_zone_device_folio(); no devmap-managed step"
	},
	[R_BATCH] = {
		"R_BATCH", TM_ALL, -1, -1, 0, -1, 0, 0, M_PATH_MANAGED,
		"folios_put_refs(batch, refs)",
		"mm/swap.c (later mm/folio.c) folios_put_refs(): zone-device folios: put_devmap_managed_folio_refs(nr_refs) where it exists, else sub_and_test -> free_zone_device_folio()"
	},
	[R_GUP_GET] = {
		"R_GUP_GET", TM_MAPPED, 1, 1, 0, 1, 0, 0, PATH_NONE,
		"get_user_pages[_fast]()",
		"mm/gup.c try_grab_folio() kernel-doc: FOLL_GET adds refs"
	},
	[R_GUP_PIN] = {
		"R_GUP_PIN", TM_MAPPED, M_BIAS, 1, 1, 0, 1, 0, PATH_NONE,
		"pin_user_pages[_fast]()",
		"mm/gup.c try_grab_folio(): FOLL_PIN: large: refs and _pincount, small: refs * GUP_PIN_COUNTING_BIAS; NR_FOLL_PIN_ACQUIRED"
	},
	[R_UNPIN] = {
		"R_UNPIN", TM_MAPPED, -M_BIAS, -1, -1, 0, 0, 1, M_PATH_MANAGED,
		"unpin_user_page[s][_dirty_lock]() / unpin_user_page_range_dirty_lock() / unpin_folio[s]()",
		"mm/gup.c gup_put_folio(): NR_FOLL_PIN_RELEASED, _pincount or BIAS back, put_devmap_managed_folio_refs() where it exists, else folio_put_refs()"
	},
	[R_MAP_PAGE] = {
		"R_MAP_PAGE", DEVMAP_BASE_TM_MAP_PAGE, 1, 1, 0, 0, 0, 0, PATH_NONE,
		"vm_insert_page()",
		"mm/memory.c insert_page_into_pte_locked(): folio_get() per page mapped"
	},
	[R_ZAP_PAGE] = {
		"R_ZAP_PAGE", DEVMAP_BASE_TM_MAP_PAGE, -1, -1, 0, 0, 0, 0, M_PATH_MANAGED,
		"vm_munmap() of a vm_insert_page() mapping",
		"mm/mmu_gather.c: zap batches the mapping's references to folios_put_refs()"
	},
	/*
	 * Anonymous memory migrated to the device and back (driver types,
	 * the model's anonymous window): the destination page is allocated
	 * (F_ALLOC), and its allocation reference becomes the mapping's.
	 */
	[R_MIGRATE_IN] = {
		"R_MIGRATE_IN", TM_DRIVER, 0, 0, 0, -1, 0, 0, PATH_NONE,
		"migrate_vma_setup() / migrate_vma_pages() / migrate_vma_finalize() to a new device page",
		"mm/migrate_device.c migrate_vma_pages(): dst mapped by remove_migration_ptes() (folio_get()), migrate_device_finalize() drops the allocation's ref"
	},
	[R_MIGRATE_OUT] = {
		"R_MIGRATE_OUT", TM_DRIVER, -1, -1, 0, 0, 0, 0, PATH_PLAIN,
		"migrate_device_range() (eviction) / ->migrate_to_ram() (CPU fault): back to RAM",
		"mm/migrate_device.c migrate_device_finalize(): remove_migration_ptes(src, dst), folio_put(src)"
	},
	[R_ZAP_ANON] = {
		"R_ZAP_ANON", TM_DRIVER, -1, -1, 0, 0, 0, 0, PATH_PLAIN,
		"vm_munmap() of an anonymous page on the device",
		"mm/memory.c zap_pte_range(): device-private entry: folio_remove_rmap_pte(), folio_put(); present (coherent): batched put"
	},
};

/* Rules without a reference delta (results, side effects). */
struct m_fact {
	const char *id;
	unsigned int types;
	const char *fn;
	const char *effect;
	const char *src;
};

static const struct m_fact m_facts[] = {
	{
		"F_GUP_FAST_BACKOFF", TM_MAPPED,
		"pin_user_pages_fast() / get_user_pages_fast()",
		"where GUP-fast exists: may grab and give back first (ACQUIRED and RELEASED +k, FS_DAX may wake at 1 on bases where it wakes at 1)",
		"mm/gup.c gup_fast_pte_range(): folio_fast_pin_allowed() false -> gup_put_folio()"
	},
	{
		"F_IDLE", M_IF(DEVMAP_BASE_IDLE_REF_FSDAX, TM_ALL),
		"memremap_pages()",
		"idle refcount 1, or 0 for PRIVATE/COHERENT; tails 0",
		"mm/mm_init.c __init_zone_device_page(): set_page_count(page, 0) for PRIVATE/COHERENT, init_page_count() else"
	},
	{
		"F_IDLE", M_IF(!DEVMAP_BASE_IDLE_REF_FSDAX, TM_ALL),
		"memremap_pages()",
		"idle refcount 1 for GENERIC, else 0; tails 0",
		"mm/mm_init.c __init_zone_device_page(): set_page_count(page, 0) for FS_DAX, PRIVATE, COHERENT, P2PDMA"
	},
	{
		"F_PGREF_PAGES", TM_GENERIC | TM_FS_DAX | TM_P2PDMA,
		"memremap_pages() / memunmap_pages()",
		"one pgmap ref per folio while mapped; memunmap_pages() drops them",
		"mm/memremap.c pagemap_range(): percpu_ref_get_many(pfn_len) for non-PRIVATE/COHERENT; memunmap_pages(): put_many"
	},
	{
		"F_KEY", TM_KEY,
		"memremap_pages() / memunmap_pages()",
		"devmap_managed_key +1 per FS_DAX pgmap, -1 at unmap",
		"mm/memremap.c devmap_managed_enable_get/put(): MEMORY_DEVICE_FS_DAX only"
	},
	{
		"F_ALLOC", M_IF(!DEVMAP_BASE_ZDPI_ORDER_ARG, TM_DRIVER),
		"zone_device_page_init()",
		"0 -> 1, takes a live pgmap ref, returns the page locked",
		"mm/memremap.c zone_device_page_init(): percpu_ref_tryget_live(); set_page_count(page, 1); lock_page()"
	},
	{
		"F_ALLOC", M_IF(DEVMAP_BASE_ZDPI_ORDER_ARG, TM_DRIVER),
		"zone_device_page_init(page, pgmap, order)",
		"0 -> 1, takes 1 << order pgmap refs (percpu_ref_tryget_many(), also after the kill), returns the folio locked, compound",
		"mm/memremap.c zone_device_page_init(): percpu_ref_tryget_many(1 << order); set_page_count(page, 1); lock_page(); prep_compound_page()"
	},
	{
		"F_HANDOUT", TM_SET_COUNT,
		"a driver's hand-out of a 0-based page",
		"count 0 -> 1, no pgmap ref, not locked",
		"fs/dax.c dax_fault_iter(): folio_ref_inc() from 0; drivers/pci/p2pdma.c p2pmem_alloc_mmap(): set_page_count(page, 1)"
	},
	{
		"F_ZERO", M_IF(!DEVMAP_BASE_FREE_OP_FOLIO, TM_ZERO_CB),
		"last put (refcount 0)",
		"->page_free(head) once, mapping = NULL, PG_anon_exclusive clear; RESET1: refcount 1; DROP_PGMAP: stays 0, put_dev_pagemap()",
		"mm/memremap.c free_zone_device_folio(): 'anonymous pages ... PG_anon_exclusive', folio->mapping = NULL"
	},
	{
		"F_ZERO", M_IF(DEVMAP_BASE_FREE_OP_FOLIO, TM_ZERO_CB),
		"last put (refcount 0)",
		"->folio_free(folio) once, mapping = NULL, PG_anon_exclusive clear on every page; DROP_PGMAP: stays 0, folio_nr_pages() pgmap refs put; FREE0: stays 0",
		"mm/memremap.c free_zone_device_folio(): __ClearPageAnonExclusive() per page, folio->mapping = NULL but for FS_DAX and GENERIC, the switch on pgmap->type"
	},
	{
		"F_ZERO_SILENT", DEVMAP_BASE_TM_RESET1 & ~DEVMAP_BASE_TM_FREE_CB,
		"last put (refcount 0)",
		"no callback, mapping kept, refcount back to 1",
		"mm/memremap.c free_zone_device_folio(): MEMORY_DEVICE_GENERIC: folio_set_count(folio, 1)"
	},
	{
		"F_WAKE", DEVMAP_BASE_TM_WAKE_AT_ONE,
		"managed put to 1",
		"wake_up_var(&folio->_refcount) once per put landing at 1; no ->page_free()",
		"mm/memremap.c __put_devmap_managed_folio_refs(): 'fsdax page refcounts are 1-based'"
	},
	{
		"F_WAKE", DEVMAP_BASE_TM_WAKE_AT_ZERO,
		"any put to 0",
		"wake_up_var(&folio->page) once, no callback, refcount stays 0, mapping kept",
		"mm/memremap.c free_zone_device_folio(): MEMORY_DEVICE_FS_DAX: wake_up_var(&folio->page)"
	},
	{
		"F_PINNED", TM_MAPPED,
		"folio_maybe_dma_pinned()",
		"large: _pincount > 0; small: refcount >= GUP_PIN_COUNTING_BIAS",
		"include/linux/mm.h folio_maybe_dma_pinned() kernel-doc"
	},
	{
		"F_P2P", TM_P2PDMA,
		"GUP without FOLL_PCI_P2PDMA",
		"-EREMOTEIO, nothing taken",
		"mm/gup.c try_grab_folio(): !(flags & FOLL_PCI_P2PDMA) && is_pci_p2pdma_page()"
	},
	{
		"F_LT_FSDAX", TM_FS_DAX,
		"pin_user_pages(FOLL_LONGTERM)",
		"-EOPNOTSUPP, nothing taken",
		"mm/gup.c check_vma_flags(): FOLL_LONGTERM && vma_is_fsdax()"
	},
	{
		"F_LT_COHERENT", TM_COHERENT,
		"pin_user_pages(FOLL_LONGTERM)",
		"< 0; pins taken and given back (ACQUIRED and RELEASED +n)",
		"include/linux/mm.h folio_is_longterm_pinnable(): coherent must allow eviction; mm/gup.c __gup_longterm_locked()"
	},
	{
		"F_LT_P2P", TM_P2PDMA,
		"pin_user_pages(FOLL_LONGTERM)",
		"-EREMOTEIO: FOLL_PCI_P2PDMA may not be combined with FOLL_LONGTERM",
		"mm/gup.c is_valid_gup_args(): 'We want to allow the pgmap to be hot-unplugged at all times'"
	},
	{
		"F_GRAB_FREE", DEVMAP_BASE_TM_GRAB_FREE,
		"try_grab_folio() on refcount 0",
		"-ENOMEM, count untouched",
		"mm/gup.c try_grab_folio(): WARN_ON_ONCE(folio_ref_count(folio) <= 0)"
	},
	{
		"F_ZERO_PAGE", TM_ALL,
		"pin_user_pages() / unpin_user_page() of the zero page",
		"no reference, no vmstat",
		"mm/gup.c try_grab_folio() / gup_put_folio(): is_zero_folio()"
	},
	{
		"F_GDP", TM_ALL,
		"get_dev_pagemap(pfn, NULL), or get_dev_pagemap(pfn) where it has no cached argument",
		"+1 pgmap ref if pfn in a live pgmap, else NULL",
		"mm/memremap.c get_dev_pagemap(): xa_load(), percpu_ref_tryget_live_rcu()"
	},
	{
		"F_GDP_CACHED", DEVMAP_BASE_GDP_CACHED_ARG ? TM_ALL : 0,
		"get_dev_pagemap(pfn, cached)",
		"pfn covered: the cached pgmap as-is (no new ref); else the cached ref is released, then as without",
		"mm/memremap.c get_dev_pagemap() kernel-doc"
	},
	{
		"F_PUT_PGMAP", TM_ALL,
		"put_dev_pagemap()",
		"-1 pgmap ref",
		"include/linux/memremap.h put_dev_pagemap()"
	},
	{
		"F_UNMAP", TM_ALL,
		"memunmap_pages()",
		"kills the ref (get_dev_pagemap() fails), waits until no pgmap ref is left",
		"mm/memremap.c memunmap_pages(): percpu_ref_kill(); wait_for_completion(&pgmap->done)"
	},
	{
		"F_DIRTY", TM_MAPPED,
		"unpin_user_pages_dirty_lock() / unpin_user_page_range_dirty_lock()",
		"make_dirty: every folio named is dirty after; !make_dirty: left clean",
		"mm/gup.c unpin_user_pages_dirty_lock() kernel-doc"
	},
	{
		"F_MIGRATE_COLLECT", TM_DRIVER,
		"migrate_vma_setup(MIGRATE_VMA_SELECT_SYSTEM)",
		"a writable anonymous RAM page: src = MIGRATE | WRITE; after the migration the device page is mapped writable (PRIVATE: device-private entry, COHERENT: present PTE), anonymous, PG_anon_exclusive; pages already on the device: src 0",
		"mm/migrate_device.c migrate_vma_collect_pmd(): mpfn |= pte_write(pte) ? MIGRATE_PFN_WRITE : 0; device pages only with SELECT_DEVICE_*"
	},
	{
		"F_MIGRATE_BUSY", TM_DRIVER,
		"migrate_vma_setup() of a page with a GUP pin or reference",
		"not collected (src 0), stays mapped where it was",
		"mm/migrate_device.c migrate_vma_check_page(): refcount - extra > mapcount; migrate_vma_collect_pmd(): folio_try_share_anon_rmap_pte() fails when pinned"
	},
	{
		"F_EVICT", TM_DRIVER,
		"migrate_device_range() over device pfns",
		"every page in the range that holds data goes back to RAM (R_MIGRATE_OUT); free pages (refcount 0) are skipped",
		"mm/migrate_device.c migrate_device_range(): folio_get_nontail_page() fails on refcount 0"
	},
	{
		"F_FAULT", TM_DRIVER,
		"CPU access to an anonymous page on the device",
		"PRIVATE: ->migrate_to_ram() once, the page back in RAM (R_MIGRATE_OUT); COHERENT: no fault",
		"mm/memory.c do_swap_page(): is_device_private_entry() (softleaf_is_device_private()) -> pgmap->ops->migrate_to_ram()"
	},
};

/*
 * The abstract state of a folio (for the picture, and checked: every
 * change of state the model makes must be an edge of m_edges[]).
 */
enum m_state {
	S_FREE,
	S_IDLE,
	S_HELD,
	S_PINNED,
	S_MIGRATED,
	S_NR
};

static const char * const m_state_labels[] = {
	[S_FREE] = "free\\n(ref 0, driver's)",
	[S_IDLE] = "idle\\n(ref = idle)",
	[S_HELD] = "held\\n(extra refs)",
	[S_PINNED] = "pinned\\n(maybe_dma_pinned)",
	[S_MIGRATED] = "migrated\\n(anon, mapping's ref only)",
};

struct m_edge {
	unsigned int types;
	enum m_state from, to;
	const char *label;
};

static const struct m_edge m_edges[] = {
	{ DEVMAP_BASE_TM_HANDOUT, S_FREE, S_IDLE,
	  M_SRC("zone_device_page_init()\\n+pgmap ref",
		"hand-out: zone_device_page_init()\\n(+pgmap refs) / set count 1") },
	{ DEVMAP_BASE_TM_HANDOUT, S_IDLE, S_FREE,
	  M_SRC("last put\\n->page_free(), put_dev_pagemap()",
		"last put\\n->folio_free() (+pgmap refs put) / wake") },
	{ DEVMAP_BASE_TM_HANDOUT, S_HELD, S_FREE,
	  M_SRC("last put (n refs)\\n->page_free(), put_dev_pagemap()",
		"last put (n refs)\\n->folio_free() (+pgmap refs put) / wake") },
	{ TM_COHERENT, S_PINNED, S_FREE,
	  M_SRC("last unpin\\n->page_free(), put_dev_pagemap()",
		"last unpin\\n->folio_free(), pgmap refs put") },
	{ DEVMAP_BASE_TM_RESET1, S_IDLE, S_IDLE,
	  M_SRC("put of the idle ref, no other:\\n->page_free(), reset to 1",
		"put of the idle ref, no other:\\nno callback, reset to 1") },
	{ TM_ALL, S_IDLE, S_HELD,
	  "folio_get(), get_user_pages()" },
	{ TM_ALL, S_HELD, S_IDLE,
	  "put_page(), folio_put_refs(),\\nfolios_put_refs()" },
	{ DEVMAP_BASE_TM_WAKE_AT_ONE, S_HELD, S_IDLE,
	  "managed put to 1:\\nwake_up_var()" },
	{ DEVMAP_BASE_TM_RESET1, S_HELD, S_IDLE,
	  M_SRC("last put at 0:\\n->page_free(), reset to 1",
		"last put at 0:\\nno callback, reset to 1") },
	{ DEVMAP_BASE_TM_RESET1, S_IDLE, S_HELD,
	  "put of the idle ref\\n(others hold refs)" },
	{ TM_MAPPED, S_IDLE, S_PINNED,
	  "pin_user_pages()\\n+BIAS / +1 +_pincount" },
	{ TM_MAPPED, S_HELD, S_PINNED,
	  "pin_user_pages()" },
	{ TM_MAPPED, S_PINNED, S_HELD,
	  "unpin_*()" },
	{ TM_MAPPED, S_PINNED, S_IDLE,
	  M_SRC("last unpin_*()\\n(FS_DAX: wake at 1)", "last unpin_*()") },
	{ TM_COHERENT, S_PINNED, S_PINNED,
	  "unpin_*(), folio_get()" },
	{ TM_DRIVER, S_FREE, S_MIGRATED,
	  "migrate_vma_*(): allocated,\\nthe ref becomes the mapping's" },
	{ TM_DRIVER, S_MIGRATED, S_FREE,
	  M_SRC("eviction, CPU fault (PRIVATE), munmap:\\n->page_free(), put_dev_pagemap()",
		"eviction, CPU fault (PRIVATE), munmap:\\n->folio_free(), pgmap ref put") },
	{ TM_DRIVER, S_MIGRATED, S_HELD,
	  "folio_get()" },
	{ TM_DRIVER, S_HELD, S_MIGRATED,
	  "put_page(), folio_put_refs()" },
};

#endif /* _DEVMAP_MODEL_RULES_H */
