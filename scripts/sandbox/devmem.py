"""The device memory daemon (devmemd, FUSE) for one boot.

The lifecycle itself is scripts/lib/devmem.sh (shell: processes and
mounts); scripts/lib/devmem-serve.sh runs it for one boot and tells us on
a pipe when the daemon is ready or dies. The pipe also means that if we
die, even by SIGKILL, the server sees EOF and stops the daemon.

    with DeviceMemory(settings, rundir, '64M', 'fake-devmap') as dm:
        build()                  # the daemon mounts meanwhile
        boot(..., karg=f'iomem=fake-devmap,{dm.ready()}', watch=dm.alive)
"""
import os
import select
import shutil
import subprocess
from typing import Optional

from .errors import BadInput, DaemonDied

SERVE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                     'lib', 'devmem-serve.sh')


def _fuse_usable() -> bool:
    """The two facts devmem_check_fuse checks, without starting a shell
    (0.05 s of every run): fusermount3 on PATH, /dev/fuse opened rw."""
    if not shutil.which('fusermount3'):
        return False
    try:
        os.close(os.open('/dev/fuse', os.O_RDWR))
    except OSError:
        return False
    return True


def check_fuse() -> None:
    """fusermount3 and a usable /dev/fuse, before anything is built. The
    shell's check says what is wrong and how to fix it."""
    if _fuse_usable():
        return
    r = subprocess.run(['bash', '-c', f'. "{os.path.dirname(SERVE)}/devmem.sh"; devmem_check_fuse'],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode:
        raise BadInput('FUSE is not usable: ' + r.stderr.strip().replace('devmem: ', '', 1)
                       + ' (or run with DEVMEM=file)')


class DeviceMemory:
    """Entering starts the daemon and returns at once: its mount comes up
    while the caller does something else (builds the kernel). ready()
    waits for it; .file is the device file once it is there."""

    def __init__(self, devmemd: str, rundir: str, size: str, name: str,
                 persist: Optional[str] = None, stats_to: Optional[str] = None):
        self.devmemd = devmemd
        self.rundir = rundir
        self.size = size
        self.name = name
        self.persist = persist
        self.stats_to = stats_to
        self._file = None
        self.proc = None
        self.log = os.path.join(rundir, 'devmemd.log')
        self._died = False

    def __enter__(self):
        env = dict(os.environ, DEVMEMD=self.devmemd)
        args = [SERVE, self.rundir, self.size, self.name] + ([self.persist] if self.persist else [])
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=env)
        return self

    def ready(self) -> str:
        """Wait until the daemon serves the memory; its device file."""
        if self._file is None:
            line = self.proc.stdout.readline().split()
            if line[:1] != ['ready']:
                err = self.proc.stderr.read().strip()
                self.proc.wait()
                raise BadInput('the device memory daemon did not start: '
                               + (err.splitlines()[0] if err else 'no message'),
                               err.splitlines()[1:])
            self._file = line[1]
        return self._file

    @property
    def file(self) -> str:
        return self.ready()

    def alive(self) -> bool:
        """False once the daemon died or its mount went away."""
        if self._died:
            return False
        r, _, _ = select.select([self.proc.stdout], [], [], 0)
        if r or self.proc.poll() is not None:
            self._died = True
        return not self._died

    def death(self) -> DaemonDied:
        tail = []
        try:
            with open(self.log, errors='replace') as f:
                tail = f.read().splitlines()[-5:]
        except OSError:
            pass
        return DaemonDied('the device memory daemon (devmemd) died during the run',
                          ['devmemd log: ' + t for t in tail])

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            f.close()
        if self.stats_to:
            stats = os.path.join(self.rundir, 'stats.txt')
            if os.path.getsize(stats) if os.path.exists(stats) else 0:
                shutil.copy(stats, self.stats_to)
        return False
