"""make oracle: the same suites on the sandbox UML and on x86_64 under
QEMU (native ZONE_DEVICE), side by side. A test may skip on one kernel
with its stated reason, but not fail, nor run on one side only.

Writes BUILD/results/oracle.md (+ uml.json, x86_64.json); exit 1 on a
failure on either side or a test present on one side only.

With PATCH=file (a mutant, an idea) both kernels are built from the
scratch clone with the patch applied, as make try does: your tree is
untouched. That is how a KASAN-only mutant is shown on x86_64 too
(make oracle DEBUG=1 PATCH=kernel-patches/mutants/<name>.patch).
"""
import contextlib
import os
import subprocess
from typing import Dict, List, Optional, Tuple

from . import kernel as kmod
from . import reports, results, runner
from .errors import BadInput
from .settings import profile_dir

KVM_ARGS = ['-enable-kvm', '-cpu', 'host']
TCG_ARGS = ['-accel', 'tcg']
# A working KVM boots and runs one case in a few seconds; a broken nested
# one hangs: don't wait for it long.
KVM_PROBE_SECONDS = 30


# A failure's reason (the KASAN report's first line, the failed
# expectation) is cut to this, to keep the table readable.
REASON_CHARS = 120


def cell(leaf: Optional[results.Leaf]) -> str:
    """The status, with the reason for a skip or a failure."""
    if leaf is None:
        return 'not run'
    if leaf.status != 'PASS' and leaf.reason:
        reason = leaf.reason if len(leaf.reason) <= REASON_CHARS \
            else leaf.reason[:REASON_CHARS - 3] + '...'
        return f'{leaf.status}: {reason}'
    return leaf.status


def compare(columns: List[Tuple[str, List[results.Leaf]]]) -> Tuple[List[Dict], str, int]:
    """Rows test → column cells, a summary line, and how many are bad
    (failing or missing anywhere; an empty column counts once)."""
    maps = [(name, {leaf.name: leaf for leaf in leaves}) for name, leaves in columns]
    names = sorted(set().union(*(m.keys() for _, m in maps)))
    rows, same, differ, bad = [], 0, 0, 0
    for t in names:
        got = [m.get(t) for _, m in maps]
        row = {'test': t}
        row.update({name: cell(g) for (name, _), g in zip(maps, got)})
        rows.append(row)
        statuses = {g.status if g else None for g in got}
        if None in statuses or statuses - {'PASS', 'SKIP'}:
            bad += 1
        elif len(statuses) == 1:
            same += 1
        else:
            differ += 1
    bad += sum(1 for _, m in maps if not m)
    summary = (f'{len(names)} test cases: {same} with the same result, {differ} passing on '
               f'one and skipping on the other, {bad} failing or missing')
    return rows, summary, bad


def kvm_works(s, k_probe) -> bool:
    """/dev/kvm can be there and still not run this guest (nested KVM
    aborts -cpu host or hangs here): one test case under KVM, 30 s, the
    verdict cached per host kernel and QEMU version."""
    cache = os.path.join(k_probe.build_dir, '.kvm-probe')
    key = os.uname().release + ' ' + subprocess.run(
        ['qemu-system-x86_64', '--version'], stdout=subprocess.PIPE, text=True).stdout.split('\n')[0]
    try:
        with open(cache) as f:
            verdict, seen = f.read().split('\n')[:2]
        if seen == key:
            return verdict == 'works'
    except (OSError, ValueError):
        pass
    print('oracle: probing KVM: one test case under KVM', flush=True)
    out = runner.run_suites(s, k_probe, build=False, raise_on_error=False,
                            filter_glob='devmap_lifecycle.devmap_idle_pages',
                            timeout=KVM_PROBE_SECONDS)
    verdict = 'works' if out.ok else 'broken'
    with open(cache, 'w') as f:
        f.write(f'{verdict}\n{key}\n')
    return verdict == 'works'


def kernel(s, profile: str, scratch=None, **kw) -> kmod.Kernel:
    """The profile's kernel of KSRC, or of the scratch clone (PATCH=)."""
    if scratch is not None:
        kw.update(ksrc=scratch.path, build_dir=scratch.kbuild(profile_dir(profile, s.debug)))
    return kmod.Kernel(s, kmod.PROFILES[profile], **kw)


def x86_kernel(s, accel_args, scratch=None) -> kmod.Kernel:
    return kernel(s, 'kunit-x86_64', scratch, qemu_args=accel_args + ['-smp', '2'])


def pick_accel(s, scratch=None) -> Tuple[str, List[str]]:
    usable = os.access('/dev/kvm', os.R_OK | os.W_OK)
    accel = s.accel
    if accel is None:
        accel = 'kvm' if usable and kvm_works(s, x86_kernel(s, KVM_ARGS, scratch)) else 'tcg'
    if accel == 'kvm':
        if not usable:
            raise BadInput('ACCEL=kvm, but /dev/kvm is not usable here')
        return 'KVM', KVM_ARGS
    if accel == 'tcg':
        return 'software emulation (TCG)', TCG_ARGS
    raise BadInput(f'ACCEL={accel}: use kvm or tcg')


def run_x86(s, json: Optional[str], scratch=None) -> Tuple[runner.Outcome, str]:
    if subprocess.run(['sh', '-c', 'command -v qemu-system-x86_64'], stdout=subprocess.DEVNULL).returncode:
        raise BadInput('qemu-system-x86_64 is missing: sudo apt-get install qemu-system-x86')
    k = x86_kernel(s, TCG_ARGS, scratch)
    k.configure()
    k.build('building x86_64')
    name, args = pick_accel(s, scratch)
    k = x86_kernel(s, args, scratch)
    print(f'oracle: x86_64 under QEMU with {name}; device memory: {runner.X86_DEVMEM[0]}', flush=True)
    return runner.run_suites(s, k, json=json, build=False, raise_on_error=False, label='x86_64'), name


@contextlib.contextmanager
def patched(s):
    """The scratch clone with PATCH applied on your tree's state, or None
    without PATCH; reset afterwards."""
    patch = os.environ.get('PATCH')
    if not patch:
        yield None
        return
    if not os.path.isfile(patch):
        raise BadInput(f'PATCH={patch}: no such file')
    from .tree import Scratch
    with Scratch(s).with_patch(patch, 'make oracle PATCH=' + os.path.basename(patch)) as scratch:
        print(f'oracle: {os.path.basename(patch)} applied in the scratch clone {scratch.path}',
              flush=True)
        yield scratch


def main(s, a) -> int:
    with patched(s) as scratch:
        return _main(s, scratch)


def _main(s, scratch) -> int:
    res = s.results
    os.makedirs(res, exist_ok=True)
    print('oracle: 1/3: the suites on UML', flush=True)
    uml = runner.run_suites(s, kernel(s, 'kunit-uml', scratch),
                            json=os.path.join(res, 'uml.json'), raise_on_error=False, label='uml')
    print('oracle: 2/3: the suites on x86_64 under QEMU', flush=True)
    x86, accel = run_x86(s, os.path.join(res, 'x86_64.json'), scratch)
    reports.write(os.path.join(res, 'x86_64-accel.txt'), accel + '\n')
    print(f'oracle: 3/3: side by side (x86_64 with {accel})', flush=True)
    cols = [('UML', uml.leaves), (f'x86_64 ({accel})', x86.leaves)]
    rows, summary, bad = compare(cols)
    notes = [summary] + [f'{n}: {o.error.message}' for n, o in (('UML', uml), ('x86_64', x86))
                         if o.error is not None and hasattr(o.error, 'message')]
    text = reports.markdown(['test'] + [c for c, _ in cols], rows, notes=notes)
    reports.write(os.path.join(res, 'oracle.md'), text)
    cols_names = [c for c, _ in cols]
    reports.write(os.path.join(res, 'oracle.xml'), reports.junit_verdicts('oracle', [
        (r['test'], all(r[c] == 'PASS' or r[c].startswith('SKIP') for c in cols_names),
         ' / '.join(r[c] for c in cols_names)) for r in rows]))
    print(text)
    for n, o in (('UML', uml), ('x86_64', x86)):
        if o.error is not None and not hasattr(o.error, 'message'):
            raise o.error
    return 1 if bad or uml.error or x86.error else 0
