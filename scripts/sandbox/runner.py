"""Config → build → boot with device memory → results: the one path every
client (make kunit, kunit-all, mutants, check-series, oracle, bench) takes
to run the suites on a kernel.
"""
import contextlib
import dataclasses
import os
import shutil
import subprocess
import tempfile
import time
from typing import Dict, List, Optional

from . import kernel as kmod
from . import reports, results
from .devmem import DeviceMemory
from .errors import StrayReport, TestsFailed
from .settings import Settings

IOMEM_NAME = 'fake-devmap'
# x86_64: RAM set aside as legacy persistent memory, the provider's device
# memory (uml-config/x86_64.config); the two quiet options keep
# asynchronous printers out of the KTAP (kunit_parser loses its place).
X86_DEVMEM = ['memmap=256M!768M', 'tsc=unstable', 'i8042.noaux']


@dataclasses.dataclass
class Outcome:
    """What one run of the suites gave: a Run or the exception that ended
    it (a SandboxError), the leaves, and where the time went."""
    run: Optional[kmod.Run]
    error: Optional[Exception]
    leaves: List[results.Leaf]
    phases: Dict[str, float]

    @property
    def ok(self) -> bool:
        return self.error is None and self.run is not None and self.run.ok


@contextlib.contextmanager
def rundir(settings: Settings):
    """BUILD/run.XXXX for one boot (the daemon's mount, a device file),
    removed at the end. It names its owner: a run killed by SIGKILL leaves
    it (and maybe a FUSE mount) behind, which the next run removes."""
    os.makedirs(settings.build, exist_ok=True)
    sweep_dead_runs(settings.build)
    d = tempfile.mkdtemp(prefix='run.', dir=settings.build)
    with open(os.path.join(d, 'owner'), 'w') as f:
        f.write(f'{os.getpid()}\n')
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


def _mounted(path: str) -> bool:
    with open('/proc/self/mountinfo') as f:
        return any(line.split()[4] == path for line in f)


def sweep_dead_runs(build: str) -> None:
    for name in os.listdir(build):
        d = os.path.join(build, name)
        if not name.startswith('run.') or not os.path.isdir(d):
            continue
        try:
            with open(os.path.join(d, 'owner')) as f:
                pid = int(f.read())
            os.kill(pid, 0)
            continue                      # its run is still going
        except PermissionError:
            continue                      # another user's, still going
        except (OSError, ValueError):
            pass
        mnt = os.path.join(d, 'mnt')
        if _mounted(mnt):
            subprocess.run(['fusermount3', '-u', '-z', mnt], stderr=subprocess.DEVNULL)
        if not _mounted(mnt):
            print(f'removing {d}, left by a run that was killed', flush=True)
            shutil.rmtree(d, ignore_errors=True)


@contextlib.contextmanager
def device_memory(settings: Settings, k: kmod.Kernel, rd: str):
    """A function that returns the kernel arguments that give the provider
    its device memory and a watch of the daemon (None when there is no
    daemon). The daemon starts at once and mounts while the kernel
    builds: the function waits for it (and may be called again)."""
    if k.profile.arch != 'um':
        yield lambda: (list(X86_DEVMEM), None, None)
        return
    if settings.devmem == 'hotplug':
        yield lambda: ([], None, None)
        return
    if settings.devmem == 'file':
        f = settings.persist or os.path.join(rd, 'devmem.img')
        with open(f, 'ab') as fh:
            fh.truncate(_size(settings.devmem_size))
        yield lambda: ([f'iomem={IOMEM_NAME},{f}'], None, None)
        return
    os.makedirs(settings.results, exist_ok=True)
    stats = os.path.join(settings.results, 'devmemd-stats.txt')
    with contextlib.suppress(FileNotFoundError):
        os.unlink(stats)
    with DeviceMemory(settings.devmemd, rd, settings.devmem_size, IOMEM_NAME,
                      settings.persist, stats_to=stats) as dm:
        said = []

        def ready():
            if not said:
                said.append(dm.ready())
                print(f'device memory: {settings.devmem_size} served by devmemd (FUSE) at {dm.file}',
                      flush=True)
            return [f'iomem={IOMEM_NAME},{dm.file}'], dm.alive, dm.death
        yield ready


def _size(s: str) -> int:
    units = {'K': 1 << 10, 'M': 1 << 20, 'G': 1 << 30}
    return int(s[:-1]) * units[s[-1].upper()] if s[-1].upper() in units else int(s)


def extra_kernel_args(settings: Settings) -> List[str]:
    return [a.split('=', 1)[1] for a in settings.kunit_args if a.startswith('--kernel_args=')]


def run_suites(settings: Settings, k: kmod.Kernel, json: Optional[str] = None,
               junit: Optional[str] = None, filter_glob: Optional[str] = None,
               kernel_args: List[str] = (), build: bool = True, raise_on_error=True,
               label: Optional[str] = None, timeout: Optional[int] = None,
               on_line=None) -> Outcome:
    with k.lock():
        return _run_suites_locked(settings, k, json, junit, filter_glob, kernel_args, build,
                                  raise_on_error, label, timeout, on_line)


def _run_suites_locked(settings, k, json, junit, filter_glob, kernel_args, build,
                       raise_on_error, label, timeout, on_line) -> Outcome:
    phases: Dict[str, float] = {}
    t = time.monotonic()
    run = error = None
    leaves: List[results.Leaf] = []
    try:
        with rundir(settings) as rd, device_memory(settings, k, rd) as devmem:
            if build:
                k.configure()
                phases['config'] = time.monotonic() - t
                t = time.monotonic()
                # Minutes of compiling would hide a daemon that cannot
                # start: wait for it first (0.1 s); a warm build overlaps it.
                if k.cold:
                    devmem()
                b = k.build(label and f'building {label}')
                phases['compile'] = b.seconds - b.link_seconds
                phases['link'] = b.link_seconds
            args, watch, death = devmem()
            t = time.monotonic()
            run = k.boot(args + extra_kernel_args(settings) + list(kernel_args),
                         filter_glob=filter_glob if filter_glob is not None else settings.filter_glob,
                         watch=watch, death=death, json=json, timeout=timeout,
                         on_line=on_line)
            phases['boot'] = run.boot_seconds
            phases['suites+parse'] = run.suites_seconds
            phases['halt'] = max(0.0, run.seconds - run.boot_seconds - run.suites_seconds)
            _log_phases(phases)
        leaves = list(results.from_test(run.test, skips=run.facts.skips))
        if not run.ok:
            failed = results.failed_cases(leaves)
            raise TestsFailed(f'{len(failed)} test case(s) failed: ' + ', '.join(failed[:5])
                              + (' ...' if len(failed) > 5 else ''),
                              _failure_details(leaves, run))
        stray = stray_report(run.facts)
        if stray:
            raise stray
    except Exception as e:  # noqa: BLE001 (every SandboxError; others re-raised)
        error = e
        partial = getattr(e, 'result', None)
        if partial is not None and partial.test is not None and not leaves:
            leaves = list(results.from_test(partial.test, skips=partial.facts.skips))
            run = run or partial
    finally:
        if junit and leaves:
            reports.write(junit, reports.junit(leaves, label or k.profile.name))
    outcome = Outcome(run, error, leaves, phases)
    if error is not None and raise_on_error:
        raise error
    if error is not None and not hasattr(error, 'status'):
        raise error
    return outcome


def _log_phases(phases) -> None:
    """make bench reads where the time went: one JSON line per run."""
    path = os.environ.get('PHASES_LOG')
    if path:
        import json as _json
        with open(path, 'a') as f:
            f.write(_json.dumps(phases) + '\n')


# Our suites: a report while one of them runs is theirs. Other suites
# (kunit-all's kasan and kfence tests) provoke reports on purpose.
OUR_SUITES = 'devmap_'


def stray_report(facts) -> Optional[StrayReport]:
    """The failure of a run whose tests all passed while the kernel
    reported a memory-safety bug, outside every test or while one of ours
    ran: KUnit fails a test only for a report in its own thread, one from
    a worker or an RCU callback passes the run."""
    stray = [r for r in facts.memory_safety if r.test is None or r.test.startswith(OUR_SUITES)]
    if not stray:
        return None
    r = stray[0]
    return StrayReport(f'every test passed, but the kernel reported "{r.summary()}"'
                       + (f' while {r.test} ran' if r.test else ' outside any test'),
                       r.head, test=r.test)


def _failure_details(leaves, run) -> List[str]:
    out = []
    for leaf in leaves:
        if leaf.status not in ('PASS', 'SKIP'):
            out.append(f'{leaf.name}: {leaf.reason}' if leaf.reason else leaf.name)
    # Reports inside a test (KASAN, WARN, lockdep): a boot-time one outside
    # every test (stock UML's um_pci_init WARN) is the kernel log's matter.
    for r in run.facts.reports:
        if r.test:
            out.append(f'{r.test}: {r.summary()}')
    return out[:20]
