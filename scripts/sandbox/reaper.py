"""What the engine starts in a session of its own goes when the engine
goes, SIGKILL included.

kbuild's make (with every compiler it starts) and the kernel under test
(with UML's helper processes) run in sessions of their own, so that Ctrl-C
reaches the engine first and the engine stops each as one group. But a
SIGKILL of the engine, or of its whole process group, does not reach them,
and PR_SET_PDEATHSIG is not inherited across fork: make's sub-makes and
compilers would go on for minutes. So each such group gets a reaper: a
shell in a session of its own too, reading a pipe that only the engine
holds. The engine ending in any way closes the pipe; the reaper's read
then sees end of file and SIGKILLs the group. A run that ends normally
says 'done' first (the group is gone, its number may be reused).

    proc = subprocess.Popen(cmd, start_new_session=True)
    reaper = Reaper(proc.pid)
    ...
    proc.wait(); reaper.release()
"""
import subprocess

# read fails only at end of file without a line: the engine is gone.
SCRIPT = 'read -r _ || kill -KILL "-$1" 2>/dev/null'


class Reaper:
    def __init__(self, pgid: int):
        self.proc = subprocess.Popen(['/bin/sh', '-c', SCRIPT, 'devmap-reaper', str(pgid)],
                                     stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)

    def release(self) -> None:
        """The group has ended (or was stopped by us): the reaper leaves."""
        if self.proc.stdin.closed:
            return
        try:
            self.proc.stdin.write(b'done\n')
            self.proc.stdin.close()
        except (BrokenPipeError, OSError):
            pass
        self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()
