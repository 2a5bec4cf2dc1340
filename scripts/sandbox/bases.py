"""What depends on the base kernel, as data: one entry per base.

A second base (linux-source-6.1, or a tree past 6.15 where FS_DAX pages
are 0-based, or past 6.17 without pte_devmap) is a new entry here and, if
the arch/um patches differ, its own series file: no code changes.
"""
import dataclasses
import os
import re
import sys
from typing import Optional

from .errors import TreeError
from .expect import DevmapExpect, TypeExpect


@dataclasses.dataclass(frozen=True)
class Base:
    version: str            # VERSION.PATCHLEVEL of the kernel Makefile
    package: str            # the Debian package with the source tarball
    tarball: str
    series: str             # our arch/um series for this base (kernel-patches/)
    # What the mm does to ZONE_DEVICE folios on this base, for the C side
    # (expect.py; fake-devmap/kernel/devmap_base.h is generated from it).
    expect: DevmapExpect
    # kunit.py of this base regenerates compile_commands.json on every build
    # and runs olddefconfig twice; our lean build skips both (see kernel.py).
    kunit_uml_params: tuple = ('mem=1G', 'console=tty', 'kunit_shutdown=halt')
    # Build steps (kbuild's "  CC  file" lines) of a cold build per profile,
    # measured: the progress line's total before a build dir has its own.
    cold_steps: dict = dataclasses.field(default_factory=dict)
    # Bugs of this base that the suites found and work around (where, what);
    # the model suite keeps them out of its random sequences.
    known_bugs: tuple = ()
    # Host CPU features (a /proc/cpuinfo flag, why) with which this base's
    # UML cannot run user space (init, the mm selftests); KUnit, all in
    # the kernel, is unaffected.
    uml_user_space_blockers: tuple = ()
    # Patches of the series (kernel-patches/) that the stock column of make
    # selftests-compare keeps: host compatibility, without which this
    # base's own arch/um cannot run user space on some hosts at all. No
    # memory-model change may be listed here: the column is upstream's UML.
    stock_keeps: tuple = ()
    # Seconds of each of this base's steps of the test plan (plan.py), a
    # clean clone's with a cold ccache on a 2-core machine, measured: what
    # the shards are balanced by. A step not listed gets plan.py's guess.
    plan_seconds: dict = dataclasses.field(default_factory=dict)
    # Where the source comes from when the system's own suites do not have
    # it: a Debian suite on the mirror the system already uses, fetched as
    # an ordinary user (scripts/fetch-source.sh), the version and the .deb's
    # sha256 pinned. None: the package is installed with apt-get (root).
    suite: Optional[str] = None
    deb_version: Optional[str] = None
    deb_sha256: Optional[str] = None
    # The arch/um port exists and every suite passes on it: only then is
    # the base in the test plan and offered by set-up past the unpacking.
    ready: bool = True
    # Where this base's tree, build directories and scratch clone live,
    # under BUILD: 6.12's are BUILD/linux, BUILD/kunit-uml, ... (the first
    # base's layout, kept so that no existing set-up moves); others have a
    # folder of their own, BUILD/<version>/linux, ...
    build_subdir: str = ''
    # make coverage: the device-page paths of this base's mm, as
    # coverage.CodePath (file, function, a part of it, the reason its
    # unexecuted lines cannot be reached here).
    coverage_paths: tuple = ()
    # uml-config/ fragments this base's sandbox UML needs on top of
    # uml.config (merged after it, in every profile that has it).
    uml_fragments: tuple = ()
    # The test plan's steps of this base (plan.py's names without the
    # base: 'kunit', 'mutants', ...); None: all of them. A base whose
    # mutant library or selftests are not ported yet lists what it has.
    plan_steps: Optional[tuple] = None
    # This base's mutant library (make mutants): faults in its own mm code.
    mutants: str = 'kernel-patches/mutants'


def _coverage_6_12():
    from .coverage import CodePath as P
    return (
        # mm/memremap.c: all of it is device-page code.
        *(P('mm/memremap.c', f) for f in (
            'devmap_managed_enable_get', 'devmap_managed_enable_put', 'pgmap_array_delete',
            'pfn_first', 'pgmap_pfn_valid', 'pfn_end', 'pfn_len', 'pageunmap_range',
            'memunmap_pages', 'dev_pagemap_percpu_release', 'pagemap_range', 'memremap_pages',
            'get_dev_pagemap', 'free_zone_device_folio', 'zone_device_page_init',
            '__put_devmap_managed_folio_refs')),
        # the devm_ wrappers, for drivers with a struct device: the provider
        # calls memremap_pages() itself
        P('mm/memremap.c', 'devm_memremap_pages'),
        P('mm/memremap.c', 'devm_memunmap_pages'),
        P('mm/memremap.c', 'devm_memremap_pages_release'),
        # mm/gup.c: references and pins, the pgmap cache of the slow walk
        *(P('mm/gup.c', f) for f in (
            'gup_put_folio', 'try_grab_folio', 'unpin_user_page', 'unpin_folio', 'folio_add_pin',
            'unpin_user_pages_dirty_lock', 'unpin_user_page_range_dirty_lock', 'unpin_user_pages',
            'unpin_user_folio', 'unpin_folios')),
        P('mm/gup.c', 'follow_page_pte', r'pte_devmap\(pte\) && \(flags', r'^\t}$'),
        P('mm/gup.c', 'try_grab_folio_fast', reason='GUP-fast'),
        P('mm/gup.c', 'gup_fast_pte_range', reason='GUP-fast'),
        P('mm/gup.c', 'gup_fast_devmap_leaf', reason='GUP-fast'),
        P('mm/gup.c', 'gup_fast_devmap_pmd_leaf', reason='PMD/THP'),
        # mm/memory.c: device-private entries in fork, zap, the CPU fault
        P('mm/memory.c', 'copy_nonpresent_pte', r'} else if \(is_device_private_entry',
          r'} else if \(is_device_exclusive_entry'),
        P('mm/memory.c', 'copy_nonpresent_pte', r'} else if \(is_device_exclusive_entry',
          r'} else if \(is_pte_marker_entry'),
        P('mm/memory.c', 'zap_pte_range', r'if \(is_device_private_entry\(entry\) \|\|',
          r'} else if \(!non_swap_entry'),
        P('mm/memory.c', 'do_swap_page', r'} else if \(is_device_exclusive_entry',
          r'} else if \(is_hwpoison_entry'),
        # mm/mprotect.c: a writable device-private entry made readable
        P('mm/mprotect.c', 'change_pte_range', r'} else if \(is_writable_device_private_entry',
          r'} else if \(is_pte_marker_entry'),
        # mm/swap.c: the release of device folios
        P('mm/swap.c', '__folio_put', r'folio_is_zone_device', r'return;'),
        P('mm/swap.c', 'folios_put_refs', r'if \(folio_is_zone_device\(folio\)\)', r'^\t\t\tcontinue;$'),
        # mm/migrate_device.c: all of it
        *(P('mm/migrate_device.c', f) for f in (
            'migrate_vma_collect_skip', 'migrate_vma_collect_hole', 'migrate_vma_collect_pmd',
            'migrate_vma_collect', 'migrate_vma_check_page', 'migrate_device_unmap',
            'migrate_vma_unmap', 'migrate_vma_setup', 'migrate_vma_insert_page',
            '__migrate_device_pages', 'migrate_device_pages', 'migrate_vma_pages',
            'migrate_device_finalize', 'migrate_vma_finalize', 'migrate_device_range',
            'migrate_device_coherent_folio')),
        # mm/mm_init.c: ZONE_DEVICE's struct pages
        *(P('mm/mm_init.c', f) for f in (
            '__init_zone_device_page', 'compound_nr_pages', 'memmap_init_compound',
            'memmap_init_zone_device')),
        # mm/hmm.c: device-private entries seen by hmm_range_fault()
        P('mm/hmm.c', 'hmm_vma_handle_pte', r'if \(is_device_private_entry\(entry\) &&',
          r'if \(is_device_exclusive_entry'),
    )


# Each row: idle_ref, handout, free_cb, ref_after_free, free_clears_mapping,
# free_pgmap_puts, alloc_pgmap_refs, map, large, on_zero (expect.py).
# Proofs, file:line in each tree: kunit-suites/PORT-7.3.md, Table 2.
EXPECT_6_12 = DevmapExpect(
    types={
        # mm/mm_init.c:1021-1023: PRIVATE, COHERENT idle at 0, the rest at 1;
        # mm/memremap.c:459-500: ->page_free(head) for every type, ->mapping
        # cleared, back to 1 but for PRIVATE/COHERENT (put_dev_pagemap()).
        'GENERIC': TypeExpect(1, 'NONE', 'PAGE', 1, True, 'NONE', 'NONE', 'PFN', True, 'RESET1'),
        'FSDAX': TypeExpect(1, 'NONE', 'PAGE', 1, True, 'NONE', 'NONE', 'PFN', True, 'NEVER'),
        'PRIVATE': TypeExpect(0, 'ZDPI', 'PAGE', 0, True, 'ONE', 'ONE', 'NONE', False, 'DROP_PGMAP'),
        'COHERENT': TypeExpect(0, 'ZDPI', 'PAGE', 0, True, 'ONE', 'ONE', 'PAGE', False, 'DROP_PGMAP'),
        'P2PDMA': TypeExpect(1, 'NONE', 'PAGE', 1, True, 'NONE', 'NONE', 'PAGE', True, 'RESET1'),
    },
    fsdax_wake_at=1, fsdax_wake_var_page=False, put_path_managed=True,
    has_devmap_managed_key=True, gdp_cached_arg=True, free_op_folio=False,
    memremap_requires_free_op=True, zdpi_order_arg=False,
    alloc_after_kill_takes_refs=False,
    large_device_migration=False, softleaf=False, page_flags_memdesc=False,
    page_pgmap_field=True, has_pfn_t=True, folio_batch_h=False,
    bug_p2pdma_fast_tail=True)

EXPECT_7_3 = DevmapExpect(
    types={
        # mm/mm_init.c:1011-1020: only GENERIC idles at 1; mm/memremap.c:
        # 416-479: PRIVATE/COHERENT ->folio_free() and nr pgmap puts, P2PDMA
        # ->folio_free() and stays 0, GENERIC reset to 1 silently, FS_DAX
        # wakes at 0; ->mapping cleared for PRIVATE/COHERENT/P2PDMA only.
        'GENERIC': TypeExpect(1, 'NONE', 'NONE', 1, False, 'NONE', 'NONE', 'PAGE', True, 'RESET1'),
        'FSDAX': TypeExpect(0, 'SET_COUNT', 'NONE', 0, False, 'NONE', 'NONE', 'PAGE', True, 'WAKE0'),
        'PRIVATE': TypeExpect(0, 'ZDPI', 'FOLIO', 0, True, 'NR', 'NR', 'NONE', True, 'DROP_PGMAP'),
        'COHERENT': TypeExpect(0, 'ZDPI', 'FOLIO', 0, True, 'NR', 'NR', 'PAGE', True, 'DROP_PGMAP'),
        'P2PDMA': TypeExpect(0, 'SET_COUNT', 'FOLIO', 0, True, 'NONE', 'NONE', 'PAGE', True, 'FREE0'),
    },
    fsdax_wake_at=0, fsdax_wake_var_page=True, put_path_managed=False,
    has_devmap_managed_key=False, gdp_cached_arg=False, free_op_folio=True,
    memremap_requires_free_op=True, zdpi_order_arg=True,
    alloc_after_kill_takes_refs=True,
    large_device_migration=False, softleaf=True, page_flags_memdesc=True,
    page_pgmap_field=False, has_pfn_t=False, folio_batch_h=True,
    bug_p2pdma_fast_tail=False)

BASES = {
    '6.12': Base(version='6.12', package='linux-source-6.12',
                 tarball='/usr/src/linux-source-6.12.tar.xz',
                 series='kernel-patches/series',
                 expect=EXPECT_6_12,
                 cold_steps={'kunit-uml': 1075, 'selftests-uml': 1451, 'selftests-stock': 1405,
                             'kunit-x86_64': 1972},
                 known_bugs=(
                     ('mm/gup.c try_grab_folio_fast(), x86_64 (GUP-fast)',
                      'is_pci_p2pdma_page() of a tail page of a compound P2PDMA pgmap reads '
                      'page->pgmap, which there is the compound_head word: pin/get_user_pages_fast() '
                      'without FOLL_PCI_P2PDMA pins it instead of failing with -EREMOTEIO '
                      '(found by devmap_model on the x86_64 oracle; kunit-suites/MODEL.md)'),
                 ),
                 # amx_tile was one until the series' patch 0008 (room for the
                 # host's whole XSTATE, transferred at its size): none left.
                 # Stock 6.12 UML has the same XSTATE bug (upstream's fix is
                 # 6.13's), so its column keeps 0008 to boot init on AMX hosts.
                 stock_keeps=('0008-um-make-room-for-the-host-s-whole-XSTATE-and-transfe.patch',),
                 # ci: measured, a clean clone's .ci/run with both bases, cold ccache (2026-12-07,
                 # 1422 s in all); full: the last measured runs before the plan
                 # (README history), not yet measured as plan steps.
                 plan_seconds={'kunit': 168, 'boot-tests': 232, 'mutants': 409,
                               'after-mutants': 29, 'debug': 284,
                               'kunit-all': 420, 'selftests': 600, 'oracle': 480,
                               'oracle-bats': 120, 'selftests-compare': 720,
                               'test-compare': 900, 'soak': 900},
                 coverage_paths=_coverage_6_12(),
                 ),
    # The newest kernel Debian ships (trixie-backports): the code under
    # test as upstream rewrote it (0-based FS_DAX and P2PDMA, ->folio_free(),
    # large device-private folios, no pte_devmap). Fetched as an ordinary
    # user, unpacked, patched (kernel-patches/7.3/series); the provider and
    # the five suites run on it through EXPECT_7_3.
    '7.3': Base(version='7.3', package='linux-source-7.3',
                tarball='linux-source-7.3.tar.xz',
                series='kernel-patches/7.3/series',
                expect=EXPECT_7_3,
                build_subdir='7.3',
                uml_fragments=('uml-7.3.config',),
                # The suites; the mutant library, selftests, oracle, KASAN
                # and the boot tests on 7.3 are issue #25's.
                known_bugs=(
                    ('mm/gup.c check_and_migrate_movable_folios(), mm/migrate_device.c:1502',
                     'a FOLL_LONGTERM pin of a large device-coherent folio reaches '
                     'migrate_device_coherent_folio(), which WARNs on large folios and does not '
                     'migrate it (found porting devmap_gup_longterm to 7.3; its {COHERENT,4} point '
                     'skips with this reason, and the model draws no such pin)'),
                ),
                plan_steps=('kunit',),
                mutants='kernel-patches/7.3/mutants',
                # Two CPUs (uml-7.3.config has SMP=y); UML's SMP needs seccomp
                # mode. CPU 1 is isolated: only what is bound to it runs there
                # (the model's second racer, kthread_run_on_cpu()); with the
                # scheduler spreading every test's kthreads and workers over
                # both, each wake-up of the other CPU cost up to a tick and
                # the suites took 7x as long (9.4 s against 1.4 s).
                # RCU's first force-quiescent-state scan at once, not a tick
                # later: each pgmap's hotplug waits for a grace period
                # (mem_hotplug_begin()), which with two CPUs online is a real
                # one; the suites went from 4.6 s to 2.2 s (one CPU: 1.8 s).
                kunit_uml_params=('mem=1G', 'console=tty', 'kunit_shutdown=halt', 'ncpus=2',
                                  'seccomp=on', 'isolcpus=1', 'rcutree.jiffies_till_first_fqs=0'),
                suite='trixie-backports', deb_version='7.3.4-1~bpo13+1',
                deb_sha256='703e369ddd4cce971452f5a593ee55df3a5c10c83caf0fa0df039633ed181ee3',
                # kunit: set-up (fetch, unpack, git am), a cold build and the
                # run, measured in a clean clone's .ci/run (2026-12-07).
                plan_seconds={'kunit': 222},
                ready=True),
}
DEFAULT = '6.12'


def selected(env=os.environ) -> Base:
    """The base SANDBOX_BASE names (default: DEFAULT)."""
    v = env.get('SANDBOX_BASE') or DEFAULT
    if v not in BASES:
        from .errors import BadInput
        raise BadInput(f'SANDBOX_BASE={v}: the sandbox knows the bases {", ".join(sorted(BASES))}')
    return BASES[v]


def ready_bases():
    """The bases with a port and passing suites: the test plan's."""
    return {v: b for v, b in BASES.items() if b.ready}


def uml_user_space_blocker(base: Base, cpuinfo: str = '/proc/cpuinfo') -> Optional[str]:
    """Why this base's UML cannot run user space on this host, or None."""
    try:
        with open(cpuinfo) as f:
            flags = next((line.split(':', 1)[1].split() for line in f
                          if line.startswith('flags')), [])
    except OSError:
        return None
    for flag, why in base.uml_user_space_blockers:
        if flag in flags:
            return f'UML {base.version} cannot run user space on this host ({flag}): {why}'
    return None


def tree_version(ksrc: str) -> Optional[str]:
    """VERSION.PATCHLEVEL from a tree's top-level Makefile."""
    try:
        with open(os.path.join(ksrc, 'Makefile')) as f:
            head = f.read(2048)
    except OSError:
        return None
    v = re.search(r'^VERSION = (\d+)', head, re.M)
    p = re.search(r'^PATCHLEVEL = (\d+)', head, re.M)
    return f'{v.group(1)}.{p.group(1)}' if v and p else None


def _key(version: str):
    return tuple(int(x) for x in version.split('.'))


def nearest(version: str) -> Optional[Base]:
    """The base of a tree of @version: its own, or for a tree newer than
    every base the newest one (a 7.4-rc or mm-unstable on top of 7.3 is
    7.3 with changes: the series is applied with git am -3 and the suites
    say what broke). None between two bases (6.13-7.2 rewrote the code
    under test: neither base's expectations hold) and below the oldest."""
    if version in BASES:
        return BASES[version]
    newest = max(BASES, key=_key)
    return BASES[newest] if _key(version) > _key(newest) else None


_warned = set()


def for_tree(ksrc: str) -> Base:
    version = tree_version(ksrc)
    if version is None:
        return BASES[DEFAULT]
    base = nearest(version)
    if base is None:
        raise TreeError(f'{ksrc} is Linux {version}; the sandbox knows the bases '
                        f'{", ".join(sorted(BASES, key=_key))} (scripts/sandbox/bases.py)')
    if base.version != version and ksrc not in _warned:
        _warned.add(ksrc)
        print(f'warning: {ksrc} is Linux {version}, which the sandbox has no base for: '
              f'using {base.version}\'s (scripts/sandbox/bases.py)', file=sys.stderr, flush=True)
    return base
