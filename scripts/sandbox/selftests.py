"""make selftests: upstream's mm selftests (gup_test, gup_longterm,
hmm-tests, ...) inside the sandbox UML, booted through the engine's one
boot path with an initramfs instead of KUnit.

  1. the kernel: profile selftests-uml (base + uml + selftests.config)
  2. scripts/build-selftests.sh: headers, static programs, busybox, initramfs
  3. devmemd serves 512 MiB that UML maps as its first iomem= region, at the
     fixed 32 GiB (kernel-patches/0002): test_hmm's device-coherent memory
  4. boot; /init (scripts/lib/selftests-init.sh) prints KTAP, one test per
     program; expected failures (uml-config/selftests-expected-skips.txt)
     are reported as skips
"""
import contextlib
import os
import re
import shutil
import subprocess

from . import kernel as kmod
from . import bases, reports, results, runner
from .devmem import DeviceMemory, check_fuse
from .errors import BuildError, Crashed, HostUnsupported, TestsFailed

COHERENT_NAME = 'hmm-coherent'
COHERENT_SIZE = '512M'
# Two 256 MiB chunks (test_hmm's DEVMEM_CHUNK_SIZE), one per coherent device.
COHERENT_PHYS = ('0x800000000', '0x810000000')
SKIPS = 'uml-config/selftests-expected-skips.txt'
RUNNING = re.compile(r'^# running ([^:]*):')


def build_userspace(s, k, out, filter_glob, plan=None, skips=None):
    """Programs, busybox and OUT/initramfs.cpio (scripts/build-selftests.sh)."""
    r = subprocess.run([os.path.join(s.top, 'scripts', 'build-selftests.sh'), k.ksrc,
                        k.build_dir, out, plan or s.plan, skips or os.path.join(s.top, SKIPS),
                        filter_glob or ''])
    if r.returncode:
        raise BuildError('the selftests or their initramfs do not build (see above)')
    return os.path.join(out, 'initramfs.cpio')


def plan_timeouts(plan: str) -> dict:
    """name → timeout in seconds, of a plan as build-selftests.sh writes it."""
    with open(plan) as f:
        return {w[0]: int(w[1]) for w in (ln.split() for ln in f)
                if len(w) >= 3 and w[1].isdigit()}


def plan_seconds(plan: str) -> int:
    """The longest a boot of this plan may take: every program's timeout."""
    return sum(plan_timeouts(plan).values())


def silence_watch(plan: str, slack: int = 60):
    """For Kernel.boot(silence=): after "# running <name>", the console may
    stay silent for that program's own timeout and a minute, no longer
    (the guest's timeout kills a hung program; a hung kernel says nothing)."""
    limits = {name: t + slack for name, t in plan_timeouts(plan).items()}

    def watch(line):
        m = RUNNING.match(line)
        return limits.get(m.group(1)) if m else None
    return watch


def check_user_space(s):
    """HostUnsupported when the base's UML cannot run user space here
    (bases.py: uml_user_space_blockers), before anything is built."""
    blocked = bases.uml_user_space_blocker(bases.for_tree(s.ksrc))
    if blocked:
        raise HostUnsupported(blocked)


def uml_boot(s, k, initramfs, out, extra=(), coherent=True, mem='1G', json=None, timeout=None,
             silence=None):
    """Boot a UML kernel on the selftests' initramfs; with @coherent,
    devmemd serves test_hmm's device-coherent memory. Returns what
    finish() returns."""
    check_user_space(s)
    stats = os.path.join(out, 'devmemd-stats.txt')
    if os.path.exists(stats):
        os.unlink(stats)
    with contextlib.ExitStack() as stack:
        rd = stack.enter_context(runner.rundir(s))
        args = [f'mem={mem}', f'initrd={initramfs}', 'con0=null,fd:1', 'con=null',
                f'uml_dir={rd}', 'quiet']
        watch = death = None
        if coherent:
            check_fuse()
            dm = stack.enter_context(DeviceMemory(s.devmemd, rd, COHERENT_SIZE, COHERENT_NAME,
                                                  stats_to=stats))
            args += [f'iomem={COHERENT_NAME},{dm.file}',
                     f'test_hmm.spm_addr_dev0={COHERENT_PHYS[0]}',
                     f'test_hmm.spm_addr_dev1={COHERENT_PHYS[1]}']
            watch, death = dm.alive, dm.death
        r = k.boot(args + list(extra), watch=watch, death=death, json=json, kunit=False,
                   timeout=timeout, silence=silence)
    return finish(r, out)


def finish(r, out):
    """The console log kept in OUT (tests/uml/oracle.bats and people read
    it there); returns the Run, its leaves, and a Crashed if the kernel
    stopped before the end (else None)."""
    shutil.copy(r.log, os.path.join(out, 'console.log'))
    with open(r.log, errors='replace') as f:
        log = f.read().splitlines()
    leaves = list(results.from_test(r.test, skips=r.facts.skips))
    if '# selftests: done' not in log:
        last = [m.group(1) for line in log for m in [RUNNING.match(line)] if m]
        return r, leaves, Crashed('the kernel stopped before the end of the selftests'
                                  + (f', while running {last[-1]}' if last else ''), log[-20:],
                                  test=last[-1] if last else None, result=r)
    return r, leaves, None


def run(s, profile='selftests-uml', ksrc=None, build_dir=None, out=None, json=None,
        junit=None, filter_glob=None):
    check_fuse()
    check_user_space(s)
    k = kmod.Kernel(s, kmod.PROFILES[profile], ksrc=ksrc, build_dir=build_dir)
    out = out or s.selftests_out
    os.makedirs(out, exist_ok=True)
    k.configure()
    k.build(f'building {profile}')
    initramfs = build_userspace(s, k, out, filter_glob)
    r, leaves, crash = uml_boot(s, k, initramfs, out, json=json)
    if junit:
        reports.write(junit, reports.junit(leaves, 'selftests'))
    if crash:
        raise crash
    if not r.ok:
        raise TestsFailed(f'selftests failed: {", ".join(results.failed_cases(leaves))}')
    return r, leaves


def main(s, a) -> int:
    _, leaves = run(s, json=s.json, junit=s.junit, filter_glob=s.filter_glob)
    print(f'selftests: {results.counts(leaves)}')
    return 0
