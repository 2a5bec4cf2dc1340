"""What the mm does to ZONE_DEVICE folios, per base, as data for C.

Each base of bases.py carries a DevmapExpect: idle refcounts per pgmap
type, how a driver hands a free page out, which callback the last put
calls, whether the free clears ->mapping, how many pgmap references a
hand-out takes and a free drops, where FS_DAX wakes its waiters, and the
compile-level switches of the kernel API. The provider, the hand-written
suites and the model's rules all read it through one generated header,
fake-devmap/kernel/devmap_base.h (`make base-header` writes it; `make
check` and a unit test fail when it and this data disagree). The header
picks its block by LINUX_VERSION_CODE: the nearest base at or below the
tree's version, so a plain `kunit.py run` in any tree of a known base
(or a newer rc of it) builds without a step of ours.
"""
import dataclasses
from typing import Dict

# The pgmap types, in the order of the C enum's names the header uses.
TYPES = ('GENERIC', 'FSDAX', 'PRIVATE', 'COHERENT', 'P2PDMA')

# Enumerated values, as the header defines them (C constants).
ENUMS = {
    'HANDOUT': ('NONE', 'ZDPI', 'SET_COUNT'),
    'FREE_CB': ('NONE', 'PAGE', 'FOLIO'),
    'PGREFS': ('NONE', 'ONE', 'NR'),
    'MAP': ('PFN', 'PAGE', 'NONE'),
    'ZERO': ('RESET1', 'DROP_PGMAP', 'NEVER', 'FREE0', 'WAKE0'),
}

# The model's type bits (devmap_model_rules.h uses them too), for the masks.
TYPE_BITS = {'GENERIC': 'TM_GENERIC', 'FSDAX': 'TM_FS_DAX', 'PRIVATE': 'TM_PRIVATE',
             'COHERENT': 'TM_COHERENT', 'P2PDMA': 'TM_P2PDMA'}


@dataclasses.dataclass(frozen=True)
class TypeExpect:
    idle_ref: int               # refcount of a page nobody holds
    handout: str                # HANDOUT: how a driver hands a free page out
    free_cb: str                # FREE_CB: the pgmap op the last put calls
    ref_after_free: int         # refcount once the free path has run
    free_clears_mapping: bool   # the free path clears ->mapping
    free_pgmap_puts: str        # PGREFS: pgmap references a free drops
    alloc_pgmap_refs: str       # PGREFS: pgmap references a hand-out takes
    map: str                    # MAP: how the sandbox maps it into a user mm
    large: bool                 # folios of order > 0 exist for this type
    on_zero: str                # ZERO: the model's rule for the last put

    def __post_init__(self):
        for field, enum in (('handout', 'HANDOUT'), ('free_cb', 'FREE_CB'),
                            ('free_pgmap_puts', 'PGREFS'), ('alloc_pgmap_refs', 'PGREFS'),
                            ('map', 'MAP'), ('on_zero', 'ZERO')):
            if getattr(self, field) not in ENUMS[enum]:
                raise ValueError(f'{field}={getattr(self, field)!r}: one of {ENUMS[enum]}')


@dataclasses.dataclass(frozen=True)
class DevmapExpect:
    types: Dict[str, TypeExpect]
    fsdax_wake_at: int                  # the refcount a put leaves that wakes FS_DAX waiters
    fsdax_wake_var_page: bool           # waiters wait on &folio->page (else &folio->_refcount)
    put_path_managed: bool              # put_page()/unpin/folios_put_refs()/zap take a managed step
    has_devmap_managed_key: bool
    gdp_cached_arg: bool                # get_dev_pagemap(pfn, cached pgmap)
    free_op_folio: bool                 # ->folio_free() (else ->page_free())
    memremap_requires_free_op: bool     # PRIVATE/COHERENT pgmaps without it are refused
    zdpi_order_arg: bool                # zone_device_page_init(page, pgmap, order)
    alloc_after_kill_takes_refs: bool   # a hand-out after percpu_ref_kill() takes its references
    large_device_migration: bool        # migrate_vma of large device folios (needs THP)
    softleaf: bool                      # <linux/leafops.h> softleaf_*() (else swapops)
    page_flags_memdesc: bool            # page->flags is a memdesc_flags_t
    page_pgmap_field: bool              # page->pgmap (else page_pgmap()/folio->pgmap)
    has_pfn_t: bool
    folio_batch_h: bool                 # <linux/folio_batch.h> (else <linux/pagevec.h>)
    bug_p2pdma_fast_tail: bool          # bases.py known_bugs' GUP-fast P2PDMA tail, for C

    def __post_init__(self):
        if tuple(self.types) != TYPES:
            raise ValueError(f'types must be {TYPES}, in that order')

    def mask(self, pred) -> str:
        bits = [TYPE_BITS[t] for t, e in self.types.items() if pred(e, t)]
        return '(' + ' | '.join(bits) + ')' if bits else '0'


def _c(v) -> str:
    return str(int(v)) if isinstance(v, bool) else str(v)


def block(e: DevmapExpect) -> list:
    """The #defines of one base."""
    out = []
    for f in dataclasses.fields(e):
        if f.name != 'types':
            out.append(f'#define DEVMAP_BASE_{f.name.upper()} {_c(getattr(e, f.name))}')
    enum_of = {'handout': 'HANDOUT', 'free_cb': 'FREE_CB', 'free_pgmap_puts': 'PGREFS',
               'alloc_pgmap_refs': 'PGREFS', 'map': 'MAP', 'on_zero': 'ZERO'}
    for f in dataclasses.fields(TypeExpect):
        for t, te in e.types.items():
            v = getattr(te, f.name)
            v = f'DEVMAP_{enum_of[f.name]}_{v}' if f.name in enum_of else _c(v)
            out.append(f'#define DEVMAP_BASE_{f.name.upper()}_{t} {v}')
    masks = {
        'HANDOUT': lambda x, t: x.handout != 'NONE',
        'RESET1': lambda x, t: x.on_zero == 'RESET1',
        'MAP_PAGE': lambda x, t: x.map == 'PAGE',
        'FREE_CB': lambda x, t: x.free_cb != 'NONE',
        'WAKE_AT_ONE': lambda x, t: x.on_zero == 'NEVER',
        'WAKE_AT_ZERO': lambda x, t: x.on_zero == 'WAKE0',
        'GRAB_FREE': lambda x, t: x.handout != 'NONE',
    }
    for name, pred in masks.items():
        out.append(f'#define DEVMAP_BASE_TM_{name} {e.mask(pred)}')
    return out


def code(version: str) -> int:
    """LINUX_VERSION_CODE of VERSION.PATCHLEVEL.0."""
    major, minor = version.split('.')
    return (int(major) << 16) + (int(minor) << 8)


def header(bases) -> str:
    """fake-devmap/kernel/devmap_base.h for @bases (version -> Base)."""
    out = ['/* SPDX-License-Identifier: GPL-2.0 */',
           '/*',
           ' * Generated by scripts/sandbox/expect.py from scripts/sandbox/bases.py',
           ' * (make base-header): do not edit. What the mm does to ZONE_DEVICE',
           ' * folios on each base, for the provider, the suites and the model.',
           ' * The block of the nearest base at or below the tree\'s version.',
           ' */',
           '#ifndef _DEVMAP_BASE_H',
           '#define _DEVMAP_BASE_H',
           '',
           '/*',
           ' * The tree\'s VERSION and PATCHLEVEL, from kbuild (our Makefiles pass',
           ' * them), or a host program\'s -DDEVMAP_BASE_CODE (model-graph.c).',
           ' */',
           '#ifndef DEVMAP_BASE_CODE',
           '#define DEVMAP_BASE_CODE (DEVMAP_TREE_VERSION * 65536 + DEVMAP_TREE_PATCHLEVEL * 256)',
           '#endif',
           '']
    for enum, values in ENUMS.items():
        for i, v in enumerate(values):
            out.append(f'#define DEVMAP_{enum}_{v} {i}')
    out.append('')
    out += [f'#define {bit} 0x{1 << i:02x}' for i, bit in enumerate(TYPE_BITS.values())]
    out.append('')
    ordered = sorted(bases.values(), key=lambda b: tuple(int(x) for x in b.version.split('.')),
                     reverse=True)
    for i, b in enumerate(ordered):
        out.append(f'#{"if" if i == 0 else "elif"} DEVMAP_BASE_CODE >= {code(b.version)} /* {b.version} */')
        out.append(f'#define DEVMAP_BASE_VERSION "{b.version}"')
        out += block(b.expect)
    out += ['#else', '#error "the devmap sandbox knows no base this old (scripts/sandbox/bases.py)"',
            '#endif', '', '#endif /* _DEVMAP_BASE_H */', '']
    return '\n'.join(out)


PATH = 'fake-devmap/kernel/devmap_base.h'


def main(s, a) -> int:
    """make base-header: write PATH from bases.py; --check: exit 1 when the
    committed file differs (make check)."""
    from . import bases
    from .generated import write_or_check
    return write_or_check(s.top, PATH, header(bases.BASES), a.check,
                          'does not match scripts/sandbox/bases.py: run make base-header',
                          ', '.join(sorted(bases.BASES)))
