"""Progress of long steps: on a terminal one updating line (what, how far,
elapsed, an estimate), refreshed every second even when nothing moves; in a
log (CI) a plain line every PLAIN_EVERY seconds and at each step's end.

    with Progress('building UML', total=1400, unit='objects') as p:
        for ...: p.advance()
"""
import sys
import threading
import time
from typing import Optional

PLAIN_EVERY = 5.0


def mode(setting: Optional[str]) -> str:
    if setting in ('tty', 'plain', 'off'):
        return setting
    return 'tty' if sys.stderr.isatty() else 'plain'


def fmt_seconds(s: float) -> str:
    s = int(round(s))
    return f'{s // 60}m{s % 60:02d}s' if s >= 60 else f'{s}s'


class Progress:
    setting: Optional[str] = None   # set once by the CLI from PROGRESS=

    def __init__(self, what: str, total: Optional[int] = None, unit: str = '',
                 stream=None):
        self.what = what
        self.total = total
        self.unit = unit
        self.done = 0
        self.note = ''
        self.stream = stream or sys.stderr
        self.mode = mode(self.setting)
        self.start = time.monotonic()
        self._last_plain = self.start
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = None

    def line(self, now: Optional[float] = None) -> str:
        elapsed = (now or time.monotonic()) - self.start
        parts = [self.what]
        if self.total:
            done = min(self.done, self.total)
            parts.append(f'{done}/{self.total} {self.unit}'.rstrip())
        elif self.done:
            parts.append(f'{self.done} {self.unit}'.rstrip())
        if self.note:
            parts.append(self.note)
        parts.append(fmt_seconds(elapsed))
        if self.total and 0 < self.done < self.total and elapsed > 2:
            left = elapsed * (self.total - self.done) / self.done
            parts.append(f'~{fmt_seconds(left)} left')
        return parts[0] + (': ' + ', '.join(parts[1:]) if parts[1:] else '')

    def _draw(self, final=False):
        with self._lock:
            now = time.monotonic()
            if self.mode == 'tty':
                self.stream.write('\r\033[K' + self.line(now) + ('\n' if final else ''))
                self.stream.flush()
            elif self.mode == 'plain' and (final or now - self._last_plain >= PLAIN_EVERY):
                self._last_plain = now
                self.stream.write(self.line(now) + '\n')
                self.stream.flush()

    def _tick(self):
        while not self._stop.wait(1.0):
            self._draw()

    def __enter__(self):
        if self.mode != 'off':
            self._thread = threading.Thread(target=self._tick, daemon=True)
            self._thread.start()
            if self.mode == 'tty':
                self._draw()
        return self

    def advance(self, n: int = 1, note: Optional[str] = None):
        self.done += n
        if note is not None:
            self.note = note
        if self.mode == 'plain':
            self._draw()

    def set(self, done: int, note: Optional[str] = None):
        self.done = done
        if note is not None:
            self.note = note
        if self.mode == 'plain':
            self._draw()

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread:
            self._thread.join()
        if self.mode != 'off':
            self._draw(final=True)
        return False


def step(what: str, index: int, count: int, stream=None):
    """A plain 'what (i/n)' line for a client's step (mutant 7/30)."""
    (stream or sys.stderr).write(f'[{index}/{count}] {what}\n')
    (stream or sys.stderr).flush()
