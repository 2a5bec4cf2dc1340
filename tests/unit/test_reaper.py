"""The reaper (scripts/sandbox/reaper.py): a group started in a session of
its own dies with the engine, SIGKILL included; without it, it lives on."""
import os
import signal
import subprocess
import sys
import time
import unittest

from common import TOP

# A stand-in for the engine: starts a silent "build" (sleep, in a session
# of its own, as kernel.py starts kbuild), with or without a reaper,
# prints the build's pid and waits to be killed.
ENGINE = '''
import subprocess, sys, time
sys.path.insert(0, sys.argv[1])
from sandbox.reaper import Reaper
p = subprocess.Popen(['sleep', '60'], start_new_session=True)
if sys.argv[2] == '1':
    Reaper(p.pid)
print(p.pid, flush=True)
time.sleep(60)
'''


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie of an unreaped child is gone for our purpose
    with open(f'/proc/{pid}/stat') as f:
        return f.read().split(') ')[1][0] != 'Z'


class ReaperTest(unittest.TestCase):
    def run_engine(self, reaper):
        e = subprocess.Popen([sys.executable, '-c', ENGINE, os.path.join(TOP, 'scripts'),
                              '1' if reaper else '0'], stdout=subprocess.PIPE, text=True)
        build = int(e.stdout.readline())
        self.addCleanup(lambda: alive(build) and os.kill(build, signal.SIGKILL))
        e.kill()                     # SIGKILL: no handler, no finally
        e.wait()
        deadline = time.monotonic() + 5
        while alive(build) and time.monotonic() < deadline:
            time.sleep(0.05)
        return alive(build)

    def test_sigkill_of_the_engine_takes_the_build(self):
        self.assertFalse(self.run_engine(reaper=True), 'the build outlived the engine')

    def test_without_the_reaper_the_build_outlives_the_engine(self):
        # what the reaper is for: this must stay true, or the test above proves nothing
        self.assertTrue(self.run_engine(reaper=False))

    def test_release_kills_nothing(self):
        from sandbox.reaper import Reaper
        p = subprocess.Popen(['sleep', '60'], start_new_session=True)
        self.addCleanup(p.kill)
        Reaper(p.pid).release()
        time.sleep(0.2)
        self.assertIsNone(p.poll())


if __name__ == '__main__':
    unittest.main()
