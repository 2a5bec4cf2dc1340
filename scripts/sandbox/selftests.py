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
import os
import re
import shutil
import subprocess

from . import kernel as kmod
from . import reports, results, runner
from .devmem import DeviceMemory, check_fuse
from .errors import BuildError, Crashed, TestsFailed

COHERENT_NAME = 'hmm-coherent'
COHERENT_SIZE = '512M'
# Two 256 MiB chunks (test_hmm's DEVMEM_CHUNK_SIZE), one per coherent device.
COHERENT_PHYS = ('0x800000000', '0x810000000')
SKIPS = 'uml-config/selftests-expected-skips.txt'
RUNNING = re.compile(r'^# running ([^:]*):')


def build_userspace(s, k, out, filter_glob):
    r = subprocess.run([os.path.join(s.top, 'scripts', 'build-selftests.sh'), k.ksrc,
                        k.build_dir, out, s.plan, os.path.join(s.top, SKIPS),
                        filter_glob or ''])
    if r.returncode:
        raise BuildError('the selftests or their initramfs do not build (see above)')


def run(s, profile='selftests-uml', ksrc=None, build_dir=None, out=None, json=None,
        junit=None, filter_glob=None):
    check_fuse()
    k = kmod.Kernel(s, kmod.PROFILES[profile], ksrc=ksrc, build_dir=build_dir)
    out = out or s.selftests_out
    os.makedirs(out, exist_ok=True)
    k.configure()
    k.build(f'building {profile}')
    build_userspace(s, k, out, filter_glob)
    stats = os.path.join(out, 'devmemd-stats.txt')
    if os.path.exists(stats):
        os.unlink(stats)
    with runner.rundir(s) as rd, DeviceMemory(s.devmemd, rd, COHERENT_SIZE, COHERENT_NAME,
                                              stats_to=stats) as dm:
        args = ['mem=1G', f'initrd={out}/initramfs.cpio', 'con0=null,fd:1', 'con=null',
                f'uml_dir={rd}', 'quiet', f'iomem={COHERENT_NAME},{dm.file}',
                f'test_hmm.spm_addr_dev0={COHERENT_PHYS[0]}',
                f'test_hmm.spm_addr_dev1={COHERENT_PHYS[1]}']
        r = k.boot(args, watch=dm.alive, death=dm.death, json=json, kunit=False)
    # tests/uml/oracle.bats and people read it here.
    shutil.copy(r.log, os.path.join(out, 'console.log'))
    with open(r.log, errors='replace') as f:
        log = f.read().splitlines()
    leaves = list(results.from_test(r.test, skips=r.facts.skips))
    if junit:
        reports.write(junit, reports.junit(leaves, 'selftests'))
    if '# selftests: done' not in log:
        last = [m.group(1) for line in log for m in [RUNNING.match(line)] if m]
        raise Crashed('UML stopped before the end of the selftests'
                      + (f', while running {last[-1]}' if last else ''), log[-20:],
                      test=last[-1] if last else None, result=r)
    if not r.ok:
        raise TestsFailed(f'selftests failed: {", ".join(results.failed_cases(leaves))}')
    return r, leaves


def main(s, a) -> int:
    _, leaves = run(s, json=s.json, junit=s.junit, filter_glob=s.filter_glob)
    print(f'selftests: {results.counts(leaves)}')
    return 0
