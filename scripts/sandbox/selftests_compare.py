"""make selftests-compare: upstream's mm selftests on three kernels, side
by side, to show that our arch/um series regresses nothing:

  stock UML    the user's tree with upstream's arch/um (tree.Stock: FLATMEM,
               no ZONE_DEVICE), profile selftests-stock, BUILD/stock/
  sandbox UML  the tree as make selftests builds it (profile selftests-uml);
               with PATCH=file, the scratch clone with the patch applied
               (a change to our port: kernel-patches/port-mutants/)
  x86_64       the oracle's kernel (profile kunit-x86_64) under QEMU

One initramfs for all three: the programs of uml-config/selftests-plan.txt
(the quick set) and uml-config/selftests-compare-plan.txt, with no
expected skips (the raw results are compared here). The verdict, per
result (verdict()):

  regression       passes on stock UML, fails or skips on the sandbox UML
  UML limitation   fails on the sandbox UML and does not pass on stock UML,
                   but passes on x86_64: must be listed, with its reason, in
                   uml-config/selftests-expected-skips.txt
  stale listing    listed there, but not a UML limitation (any more)
  elsewhere        fails on the sandbox UML and does not pass on x86_64
                   either: reported, not hidden, not ours to fix here
  x86_64 only      run on x86_64 alone (cow's THP variants): counted

A result is the same result in every column when its name is, but for
the numbers in what its program printed: a few programs put values of the
run in their results' names (mrelease_test's "... with 1MB ...", "2MB" on
a busy machine). See result_key() and keyed().

Exit 1 on a regression, an unlisted limitation, a stale listing, or a
column that did not run to the end. Writes BUILD/results/selftests-compare.md
(+ .json, .xml). The stock and x86_64 columns are kept by a hash of their
kernel image, initramfs and command line: a run whose only change is the
sandbox kernel boots the sandbox only.
"""
import collections
import contextlib
import dataclasses
import hashlib
import os
import re
from typing import Dict, List, Optional, Tuple

from . import kernel as kmod
from . import oracle, reports, results, selftests
from .errors import BadInput, SandboxError
from .tree import Scratch, Stock

PLANS = ('uml-config/selftests-plan.txt', 'uml-config/selftests-compare-plan.txt')
# Plan entries a column cannot run at all, and why (selftests.leave_out=).
LEAVE_OUT = {'stock UML': {'hmm-tests': 'needs ZONE_DEVICE (lib/test_hmm.c), which stock UML has not'}}
COLUMNS = ('stock UML', 'sandbox UML', 'x86_64')
# Enough for mremap_test's 2 GiB mremap() cases (OVERCOMMIT_GUESS refuses
# a mapping larger than RAM): the same on every column.
MEM_MB = 3072
# x86_64: HugeTLB pages for gup_test -H and the hugetlb programs (UML has
# no HugeTLB; map_hugetlb and hugepage-mmap map 256 MiB of 2 MiB pages);
# the quiet options as for the oracle (runner.X86_DEVMEM).
# Device-coherent memory for hmm-tests as on UML (two 256 MiB chunks):
# RAM set aside as legacy persistent memory, which nothing else claims.
X86_ARGS = ['quiet', 'hugepages=160', 'tsc=unstable', 'i8042.noaux', 'memmap=512M!1G',
            'test_hmm.spm_addr_dev0=0x40000000', 'test_hmm.spm_addr_dev1=0x50000000']


def say(msg: str) -> None:
    print(f'selftests-compare: {msg}', flush=True)


# ---- the verdict: pure functions on leaves, unit-tested ------------------

@dataclasses.dataclass(frozen=True)
class Listing:
    """One line of selftests-expected-skips.txt."""
    test: str          # the plan's name
    subtest: str       # '-' for the whole program
    reason: str

    def covers(self, name: str) -> bool:
        if self.subtest == '-':
            return name == self.test or name.startswith(self.test + '.')
        return name == f'{self.test}.{self.subtest}'

    def __str__(self):
        return f'{self.test} | {self.subtest}'


def parse_listings(text: str) -> List[Listing]:
    out = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith('#'):
            continue
        f = [x.strip() for x in line.split('|', 2)]
        if len(f) == 3:
            out.append(Listing(*f))
    return out


WHOLE = ' as a whole'


def result_name(name: str) -> str:
    """A result's name without what only its failure adds (mseal_test's
    failing cases end in ': line:<n>'), so that it meets its passing self."""
    return re.sub(r': line:\d+$', '', name)


# Results are matched across the columns on a key: their name with the
# numbers of its program's words made '<n>' (result_key()), because some
# programs print values of the run in a result's name. Those the plans run
# (build/linux/tools/testing/selftests/mm, ksft_test_result*() formats):
#
#   mrelease_test  "Success reaping a child with %zuMB of memory allocations":
#                  starts at 1MB and doubles while the child exits too early
#                  (timing: 2MB on a loaded machine)
#   pagemap_ioctl  "transact_test Extra pages %u (%.1lf%%), extra thread
#                  faults %d.": counts of racing threads; "sanity_tests_sd
#                  Repeated pattern ... in parts %ld %ld %ld": what the
#                  kernel returned
#   gup_test       "ioctl status %d": 0 when it passes, the ioctl's return
#                  value when it fails (one result a run: one thread, no -j)
#
# Others print a fixed parameter, one result per value: those must stay
# distinct results (a 2MB case that goes missing is a regression even if
# the 5MB case passes). They print several results that are one key, so
# a key that stands for two results of one column anywhere is not used:
# those results are matched on their exact names (keyed()):
#
#   mremap_test           "2MB mremap - Source 1MB-aligned, ..." / "5MB ..."
#   mlock2-tests          "test_vma_management call_mlock %d" (0 and 1)
#   split_huge_page_test  "Split PMD-mapped pagecache folio to order %d ..."
#   cow, gup_longterm     "[RUN] ... with THP (%zu kB)", "... hugetlb (%zu kB)":
#                         one result per size the kernel offers
#   pagemap_ioctl         "transact_test count %d" (the dirty pages: 192,
#                         then 0)
#
# and some print one name twice (pagemap_ioctl's "get half huge page",
# map_fixed_noreplace's "mmap() 5*PAGE_SIZE at base"): the second is
# "<name> #2" ('#' is in no name: selftests-ktap.awk removes it).
# Values in failure-only names (strerror(), pagemap_ioctl's "Lost update,
# iter %d") need nothing: the passing name is then missing, a regression.
# A number that ends an identifier (hmm2, gup_test_u_w_n123) is a name's.
_VALUE = re.compile(r'(?<![\w.])-?(?:0x[0-9a-fA-F]+|\d+(?:\.\d+)?)')


def result_key(name: str) -> str:
    """@name (a result_name()) with every number in its program's words
    (not in the plan's name before the first dot) made '<n>'."""
    prog, dot, words = name.partition('.')
    return prog + dot + _VALUE.sub('<n>', words)


@dataclasses.dataclass(frozen=True)
class Keyed:
    """One column's result under its key."""
    name: str          # result_name(): as printed, for the listings
    label: str         # as shown: the name, "<name> #2" for its second time
    leaf: results.Leaf


def keyed(columns: Dict[str, List[results.Leaf]]) -> Dict[str, Dict[str, Keyed]]:
    """Each column's results by their key: result_key(), unless that key
    stands for two results of one column anywhere (a fixed parameter: see
    above), then the exact name, numbered from its second occurrence on."""
    names = {c: [result_name(x.name) for x in columns.get(c, [])] for c in COLUMNS}
    shared = set()
    for c in COLUMNS:
        n = collections.Counter(result_key(x) for x in names[c])
        shared.update(k for k, times in n.items() if times > 1)
    out: Dict[str, Dict[str, Keyed]] = {}
    for c in COLUMNS:
        seen: collections.Counter = collections.Counter()
        out[c] = {}
        for leaf, name in zip(columns.get(c, []), names[c]):
            key = label = name
            if result_key(name) not in shared:
                key = result_key(name)
            else:
                seen[name] += 1
                if seen[name] > 1:
                    key = label = f'{name} #{seen[name]}'
            out[c][key] = Keyed(name, label, leaf)
    return out


def lookup(leaves: Dict[str, results.Leaf], name: str) -> Optional[results.Leaf]:
    """A column's result for @name (a key), or its program's (a program
    left out or crashed as a whole has one leaf for all its subtests)."""
    if name in leaves:
        return leaves[name]
    prog = name.split('.', 1)[0]
    # selftests-ktap.awk adds "<program> as a whole" only where the exit
    # status or the plan disagreed: a column that ran the program without
    # it ran it whole.
    if name.endswith(WHOLE) and any(n.startswith(prog + '.') for n in leaves):
        return results.Leaf(name, 'PASS')
    return leaves.get(prog)


@dataclasses.dataclass
class Verdict:
    rows: List[Dict]
    regressions: List[str]
    limitations: List[Tuple[str, str]]        # (result, listed reason)
    unlisted: List[str]
    stale: List[str]
    elsewhere: List[str]
    counts: Dict[str, results.Counts]
    x86_only: int = 0
    x86_fails: List[str] = dataclasses.field(default_factory=list)

    @property
    def bad(self) -> int:
        return len(self.regressions) + len(self.unlisted) + len(self.stale)


def _status(leaf: Optional[results.Leaf]) -> Optional[str]:
    return leaf.status if leaf else None


def _cell(leaf: Optional[results.Leaf], mine: Optional[Keyed], shown: str) -> str:
    """oracle.cell(), and the name the column printed where it is not the
    one shown (the values of its run)."""
    if mine is None or mine.label == shown:
        return oracle.cell(leaf)
    return f'{oracle.cell(leaf)} (as "{mine.label.partition(".")[2]}")'


def verdict(columns: Dict[str, List[results.Leaf]], listings: List[Listing]) -> Verdict:
    """@columns: COLUMNS → leaves. Every result's row and category."""
    mine = keyed(columns)
    maps = {c: {k: x.leaf for k, x in mine[c].items()} for c in COLUMNS}
    # A program's own leaf stands for its subtests elsewhere: not a row.
    keys = set().union(*(m.keys() for m in maps.values()))
    keys = sorted(k for k in keys if not any(o.startswith(k + '.') for o in keys))
    v = Verdict([], [], [], [], [], [], {c: results.counts(columns.get(c, [])) for c in COLUMNS})
    used = set()
    printed = set()
    for key in keys:
        got = {c: lookup(maps[c], key) for c in COLUMNS}
        here = [mine[c][key] for c in COLUMNS if key in mine[c]]
        name = here[0].label
        names = {x.name for x in here}
        printed |= names
        stock, sandbox, x86 = (_status(got[c]) for c in COLUMNS)
        listed = next((x for x in listings if any(x.covers(n) for n in names)), None)
        sandbox_bad = sandbox in ('FAIL', 'ERROR')
        if stock == 'PASS' and sandbox != 'PASS':
            what = 'regression'
            v.regressions.append(name)
        elif sandbox_bad and stock != 'PASS' and x86 == 'PASS':
            what = 'UML limitation'
            if listed:
                used.add(listed)
                v.limitations.append((name, listed.reason))
            else:
                what += ' (not listed)'
                v.unlisted.append(name)
        elif sandbox_bad:
            what = {None: 'not run on x86_64', 'SKIP': 'skips on x86_64'}.get(x86, 'fails on x86_64 too')
            v.elsewhere.append(name)
        elif sandbox is None and stock is None:
            # cow's THP and hugetlb variants: a program runs them only
            # where the kernel has THP or HugeTLB pages.
            what = 'x86_64 only'
            v.x86_only += 1
        else:
            what = ''
        # A listed subtest must be a limitation; a whole program must have
        # at least one (checked below), its other results may pass.
        if listed and listed.subtest != '-' and what != 'UML limitation':
            v.stale.append(f'{listed}: {name} ({what or "passes on the sandbox UML"})')
        if sandbox == 'PASS' and x86 in ('FAIL', 'ERROR'):
            v.x86_fails.append(name)
        row = {'result': name}
        row.update({c: _cell(got[c], mine[c].get(key), name) for c in COLUMNS})
        row['verdict'] = what
        v.rows.append(row)
    for x in listings:
        if x not in used and not any(x.covers(n) for n in printed):
            v.stale.append(f'{x}: no such result')
        elif x not in used and x.subtest == '-':
            v.stale.append(f'{x}: no result of it is a UML limitation')
    return v


def _program(name: str) -> str:
    return name.split('.', 1)[0]


RETRIED = 'failed on the first boot, passed on a second'


def retry_programs(x86: List[results.Leaf], listings: List[Listing]) -> List[str]:
    """Programs to boot x86_64 again for: those where a listed result
    failed on x86_64 (or the whole program did, so that its listed
    subtest has no result of its own). The reference column decides
    whether a listing is a UML limitation, and one failure there
    (uffd-unit-tests' fork-event case under TCG, once in four runs) is
    not yet a fact. Other x86_64 failures (hmm-tests' exclusive cases,
    every run) change no verdict: no second boot for them."""
    listed = {x.test for x in listings}

    def matters(leaf):
        name = result_name(leaf.name)
        return any(x.covers(name) for x in listings) or \
            (name == _program(name) and name in listed)
    return sorted({_program(x.name) for x in x86 if x.status in ('FAIL', 'ERROR') and matters(x)})


def merge_retry(first: List[results.Leaf], retry: List[results.Leaf],
                programs: List[str]) -> List[results.Leaf]:
    """x86_64's leaves with @programs' taken from the second boot; a
    program that passes there says that it failed the first time."""
    again = [x for x in retry if _program(x.name) in programs]
    flaky = {_program(x.name) for x in first if x.status in ('FAIL', 'ERROR')}
    out = [x for x in first if _program(x.name) not in programs]
    for x in again:
        if x.status == 'PASS' and _program(x.name) in flaky and x.name == _program(x.name):
            x = dataclasses.replace(x, reason=RETRIED)
        out.append(x)
    return out


def markdown(v: Verdict, notes: List[str]) -> str:
    out = ['# Upstream\'s mm selftests: stock UML, the sandbox UML, x86_64', '']
    out += [f'- {c}: {v.counts[c]}' for c in COLUMNS]
    out += ['', f'Regressions of the sandbox UML against stock UML: **{len(v.regressions)}**']
    out += [f'- {n}' for n in v.regressions]
    out += ['', f'UML limitations (fail on UML, pass on x86_64; '
                f'uml-config/selftests-expected-skips.txt): {len(v.limitations)}']
    out += [f'- {n}: {r}' for n, r in v.limitations]
    if v.unlisted:
        out += ['', f'UML limitations that are not listed: **{len(v.unlisted)}**']
        out += [f'- {n}' for n in v.unlisted]
    if v.stale:
        out += ['', f'Listed, but not UML limitations: **{len(v.stale)}**']
        out += [f'- {n}' for n in v.stale]
    out += ['', f'Failing on the sandbox UML and not passing on x86_64 either (reported, '
                f'not ours): {len(v.elsewhere)}']
    out += [f'- {n}' for n in v.elsewhere]
    out += ['', f'Passing on the sandbox UML, failing on x86_64 (reported: upstream\'s or '
                f'QEMU\'s matter, not ours): {len(v.x86_fails)}']
    out += [f'- {n}' for n in v.x86_fails]
    out += ['', f'Results of x86_64 alone (a program runs them only where there are THP or '
                f'HugeTLB pages): {v.x86_only}']
    out += [''] + notes + ['']
    return '\n'.join(out) + reports.markdown(['result'] + list(COLUMNS) + ['verdict'], v.rows)


# ---- the three columns ------------------------------------------------------

def _digest(*parts) -> str:
    h = hashlib.sha256()
    for p in parts:
        if isinstance(p, str) and os.path.isfile(p):
            with open(p, 'rb') as f:
                for chunk in iter(lambda: f.read(1 << 20), b''):
                    h.update(chunk)
        else:
            h.update(repr(p).encode())
    return h.hexdigest()


class Column:
    """One column's run, kept in OUT/<slug>.json by its key."""

    def __init__(self, s, name: str, out: str):
        self.s, self.name, self.out = s, name, out
        self.slug = name.replace(' ', '-').lower()
        self.dir = os.path.join(out, self.slug)
        self.cache = os.path.join(out, self.slug + '.json')
        os.makedirs(self.dir, exist_ok=True)

    def cached(self, key: str) -> Optional[Tuple[List[results.Leaf], Optional[str]]]:
        data = results.load_json(self.cache)
        if not data or data.get('key') != key:
            return None
        return [results.Leaf(*x) for x in data['leaves']], data.get('error')

    def keep(self, key: str, leaves, error: Optional[str]) -> None:
        reports.write_json(self.cache, {'key': key, 'error': error,
                                        'leaves': [(x.name, x.status, x.reason) for x in leaves]})

    def run(self, key: str, boot) -> Tuple[List[results.Leaf], Optional[str]]:
        """boot() → (run, leaves, crash) as selftests.finish() gives it."""
        hit = self.cached(key)
        if hit is not None:
            say(f'{self.name}: the same kernel, initramfs and command line as last time: '
                f'its results are kept ({self.cache})')
            return hit
        error = None
        leaves: List[results.Leaf] = []
        try:
            _, leaves, crash = boot()
            if crash:
                error = crash.message
        except SandboxError as e:
            error = e.message
            part = getattr(e, 'result', None)
            if part is not None and part.test is not None:
                leaves = list(results.from_test(part.test, skips=part.facts.skips))
        # A run cut short is not kept: the next one tries again.
        if error is None:
            self.keep(key, leaves, None)
        return leaves, error


def leave_out_arg(column: str) -> List[str]:
    names = sorted(LEAVE_OUT.get(column, {}))
    return ['selftests.leave_out=' + ','.join(names)] if names else []


def explain_left_out(column: str, leaves: List[results.Leaf]) -> List[results.Leaf]:
    why = LEAVE_OUT.get(column, {})
    return [dataclasses.replace(x, reason=f'left out: {why[x.name]}') if x.name in why else x
            for x in leaves]


def userspace(s, k, out) -> str:
    """The one initramfs: both plans, no expected skips."""
    plan = os.path.join(out, 'plan.txt')
    text = ''
    for p in PLANS:
        with open(os.path.join(s.top, p)) as f:
            text += f.read()
    reports.write(plan, text)
    no_skips = os.path.join(out, 'no-expected-skips.txt')
    reports.write(no_skips, '# make selftests-compare compares raw results\n')
    return selftests.build_userspace(s, k, os.path.join(out, 'userspace'), s.filter_glob,
                                     plan=plan, skips=no_skips)


def main(s, a) -> int:
    patch = os.environ.get('PATCH')
    if patch and not os.path.isfile(patch):
        raise BadInput(f'PATCH={patch}: no such file')
    out = os.path.join(s.build, 'selftests-compare')
    os.makedirs(out, exist_ok=True)
    mem = f'{MEM_MB}M'

    say('1/5: the sandbox UML kernel and the programs')
    scratch_cm = Scratch(s).with_patch(patch, 'make selftests-compare PATCH='
                                       + os.path.basename(patch)) if patch \
        else contextlib.nullcontext(None)
    with scratch_cm as scratch:
        kw = {}
        if scratch is not None:
            kw = dict(ksrc=scratch.path, build_dir=scratch.kbuild('selftests-uml'))
            say(f'{os.path.basename(patch)} applied in the scratch clone')
        sandbox_k = kmod.Kernel(s, kmod.PROFILES['selftests-uml'], **kw)
        with sandbox_k.lock():
            sandbox_k.configure()
            sandbox_k.build('building the sandbox UML (selftests-uml)')
        initramfs = userspace(s, sandbox_k, out)
        timeout = selftests.plan_seconds(os.path.join(out, 'userspace', 'plan')) + 120
        silence = selftests.silence_watch(os.path.join(out, 'userspace', 'plan'))
        cols: Dict[str, List[results.Leaf]] = {}
        errors: Dict[str, str] = {}

        say('2/5: stock UML (upstream\'s arch/um), in ' + Stock(s).path)
        stock = Stock(s)
        with stock.lock('make selftests-compare'):
            stock.prepare()
            stock_k = kmod.Kernel(s, kmod.PROFILES['selftests-stock'], ksrc=stock.path,
                                  build_dir=stock.kbuild('selftests-stock'))
            stock_k.configure()
            stock_k.build('building stock UML (selftests-stock)')
            c = Column(s, 'stock UML', out)
            args = leave_out_arg(c.name)
            leaves, err = c.run(
                _digest(os.path.join(stock_k.build_dir, 'linux'), initramfs, mem, args),
                lambda: selftests.uml_boot(s, stock_k, initramfs, c.dir, extra=args,
                                           coherent=False, mem=mem, timeout=timeout,
                                           silence=silence))
        cols[c.name] = explain_left_out(c.name, leaves)
        if err:
            errors[c.name] = err

        say('3/5: the sandbox UML')
        c = Column(s, 'sandbox UML', out)
        with sandbox_k.lock():
            leaves, err = c.run(
                _digest(os.path.join(sandbox_k.build_dir, 'linux'), initramfs, mem),
                lambda: selftests.uml_boot(s, sandbox_k, initramfs, c.dir, mem=mem,
                                           timeout=timeout, silence=silence))
        cols[c.name] = leaves
        if err:
            errors[c.name] = err

    say('4/5: x86_64 under QEMU (the oracle\'s kernel)')
    x86_probe = oracle.x86_kernel(s, oracle.TCG_ARGS)
    with x86_probe.lock():
        x86_probe.configure()
        x86_probe.build('building x86_64')
    accel, accel_args = oracle.pick_accel(s)
    # The oracle's kernel and QEMU arguments, with the initramfs and more RAM.
    x86_k = oracle.x86_kernel(s, accel_args + ['-m', str(MEM_MB), '-initrd', initramfs])
    x86_timeout = timeout * (3 if 'tcg' in ' '.join(accel_args) else 1)
    with open(os.path.join(s.top, selftests.SKIPS)) as f:
        listings = parse_listings(f.read())
    c = Column(s, 'x86_64', out)

    def x86_boot():
        run, leaves, crash = selftests.finish(x86_k.boot(X86_ARGS, kunit=False,
                                                         timeout=x86_timeout), c.dir)
        again = [] if crash else retry_programs(leaves, listings)
        if again:
            say(f'4/5: x86_64 again for {", ".join(again)} (listed as UML limitations, '
                f'failed on x86_64)')
            plan = selftests.plan_timeouts(os.path.join(out, 'userspace', 'plan'))
            only = ['selftests.leave_out=' + ','.join(n for n in plan if n not in again)]
            d = os.path.join(c.dir, 'again')
            os.makedirs(d, exist_ok=True)
            run, retry, crash = selftests.finish(x86_k.boot(X86_ARGS + only, kunit=False,
                                                            timeout=x86_timeout), d)
            leaves = merge_retry(leaves, retry, again)
        return run, leaves, crash
    with x86_k.lock():
        leaves, err = c.run(
            _digest(x86_k.ops.command(x86_k.build_dir, X86_ARGS, kunit=False),
                    os.path.join(x86_k.build_dir, x86_k.ops.image), initramfs), x86_boot)
    cols[c.name] = leaves
    if err:
        errors[c.name] = err

    say('5/5: side by side')
    v = verdict(cols, listings)
    notes = [f'x86_64 under QEMU with {accel}; every column booted with {MEM_MB} MiB.']
    notes += [f'{n}: did not run to the end: {e}' for n, e in errors.items()]
    retried = [x.name for x in cols['x86_64'] if x.reason == RETRIED]
    notes += [f'x86_64: {n} {RETRIED} (the table shows the second boot).' for n in retried]
    text = markdown(v, notes)
    res = s.results
    reports.write(os.path.join(res, 'selftests-compare.md'), text)
    reports.write_json(os.path.join(res, 'selftests-compare.json'), {
        'counts': {c: dataclasses.asdict(n) for c, n in v.counts.items()},
        'regressions': v.regressions, 'limitations': v.limitations, 'unlisted': v.unlisted,
        'stale': v.stale, 'elsewhere': v.elsewhere, 'errors': errors, 'rows': v.rows})
    reports.write(os.path.join(res, 'selftests-compare.xml'), reports.junit_verdicts(
        'selftests-compare', [(r['result'], not r['verdict'].startswith(('regression', 'UML limitation (')),
                               ' / '.join(r[c] for c in COLUMNS)) for r in v.rows]))
    for c in COLUMNS:
        say(f'{c}: {v.counts[c]}')
    say(f'{len(v.regressions)} regressions, {len(v.limitations)} UML limitations '
        f'(listed), {len(v.unlisted)} not listed, {len(v.stale)} stale listings, '
        f'{len(v.elsewhere)} failing elsewhere too; table: {os.path.join(res, "selftests-compare.md")}')
    rows = {r['result']: r for r in v.rows}
    for n in v.regressions[:10]:
        say(f'REGRESSION: {n}: stock UML {rows[n]["stock UML"]}, sandbox UML {rows[n]["sandbox UML"]}')
    for n in v.unlisted[:10] + v.stale[:10]:
        say(f'{n}')
    for n, e in errors.items():
        say(f'{n} did not run to the end: {e}')
    for n in retried:
        say(f'x86_64: {n} {RETRIED}')
    return 1 if v.bad or errors else 0
