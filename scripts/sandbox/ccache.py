"""Every kernel build through ccache, one cache for all trees.

The user's tree (BUILD/linux), the scratch clone (BUILD/scratch/linux) and
the stock clone (BUILD/stock/linux) are the same sources in three places,
each with its build directories next to it (BUILD/kunit-uml,
BUILD/scratch/kunit-uml, ...). kbuild passes absolute source paths (and
-fmacro-prefix-map=<srctree>/=), so a plain cache would see three different
compilations. What makes them one:

  base_dir=/              absolute paths in the command line become paths
                          relative to the build directory: ../linux/mm/gup.c
                          in all three places
  hash_dir=false          the build directory's own path is not hashed (it
                          only reaches DWARF's comp_dir; nobody debugs a
                          test kernel from another tree's build directory)
  ignore_options=-fmacro-prefix-map=*
                          kbuild maps <srctree>/ to nothing for __FILE__: the
                          preprocessed text is the same whatever the
                          srctree, so the option's path must not split it
  sloppiness=time_macros  __DATE__/__TIME__ (kbuild pins them anyway)

Switched on by activate() at the CLI's start, in the engine's environment,
so that every build the engine starts goes through it: ours, the bench's
floor and stock kunit.py columns alike (the floor measured with a
different compiler front would not be a floor). The masquerade directory
(/usr/lib/ccache first on PATH) rather than CC="ccache gcc": kbuild
records CC in every .cmd file, and CCACHE=0 must not rebuild the tree.

The cache lives outside the clone (XDG_CACHE_HOME, ~/.cache by default), so
a fresh clone on the same machine starts warm; CCACHE_DIR moves it,
CCACHE=0 turns it off. Each build counts its own hits through ccache's
stats log (one file per build directory), for the build's summary line.
"""
import dataclasses
import os
from typing import Dict, Optional

MASQUERADE = '/usr/lib/ccache'
# Enough for two bases' trees in every profile (a lean UML build is about
# 150 MB of cache, x86_64 about 400 MB); ccache evicts the oldest past it.
MAX_SIZE = '5G'
STATS_LOG = '.sandbox-ccache.log'

# The counters of ccache's stats log that are results of one compilation.
HITS = ('direct_cache_hit', 'preprocessed_cache_hit')
MISSES = ('cache_miss',)


def default_dir(env=os.environ) -> str:
    home = env.get('HOME') or os.path.expanduser('~')
    cache = env.get('XDG_CACHE_HOME') or os.path.join(home, '.cache')
    return os.path.join(cache, 'devmap-sandbox', 'ccache')


def wanted(env=os.environ) -> bool:
    return env.get('CCACHE', '1') not in ('0', 'no', 'false')


def available() -> bool:
    return os.access(os.path.join(MASQUERADE, 'gcc'), os.X_OK)


def environment(env=os.environ) -> Dict[str, str]:
    """The variables that put ccache in front of every compiler kbuild
    runs, or {} when it is off or not installed."""
    if not wanted(env) or not available():
        return {}
    path = env.get('PATH', '')
    if path.split(':')[0] != MASQUERADE:
        path = MASQUERADE + (':' + path if path else '')
    return {
        'PATH': path,
        'CCACHE_DIR': env.get('CCACHE_DIR') or default_dir(env),
        'CCACHE_BASEDIR': '/',
        'CCACHE_NOHASHDIR': '1',
        'CCACHE_IGNOREOPTIONS': '-fmacro-prefix-map=*',
        'CCACHE_SLOPPINESS': 'time_macros',
        'CCACHE_MAXSIZE': env.get('CCACHE_MAXSIZE') or MAX_SIZE,
    }


def activate(env=os.environ) -> bool:
    """Put ccache in the engine's own environment (inherited by every
    build it starts); True when it is on."""
    add = environment(env)
    env.update(add)
    return bool(add)


@dataclasses.dataclass
class Stats:
    hits: int = 0
    misses: int = 0

    @property
    def compiles(self) -> int:
        return self.hits + self.misses

    def summary(self) -> str:
        if not self.compiles:
            return 'ccache: nothing compiled'
        return (f'ccache: {self.hits} of {self.compiles} compiles from the cache '
                f'({100 * self.hits // self.compiles}%)')


def parse_stats_log(text: str) -> Stats:
    """ccache's stats log: '# <source>' then one counter name per line.
    Only sources count: kbuild's compiler probes (cc-option, of /dev/null)
    run at every make and would make a no-op build look like one."""
    s = Stats()
    source = ''
    for line in text.splitlines():
        line = line.strip()
        if line.startswith('#'):
            source = line[1:].strip()
        elif source.endswith(('.c', '.S')):
            if line in HITS:
                s.hits += 1
            elif line in MISSES:
                s.misses += 1
    return s


VIEW_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                        'lib', 'ccache-view')


def use_view(env: Dict[str, str], ksrc: str, build_dir: str) -> None:
    """A tree that is not BUILD/linux or one of its clones sits elsewhere
    relative to its build directory, and base_dir alone would give ccache
    other paths for the same files: the build sees it through a link next
    to the build directory instead (lib/ccache-view/gcc)."""
    if 'CCACHE_DIR' not in env:
        return
    real = os.path.realpath(ksrc)
    view = os.path.join(os.path.dirname(build_dir), 'linux')
    if os.path.realpath(view) == real and not os.path.islink(view):
        return                          # BUILD/linux, the scratch or stock clone
    if os.path.islink(view) and os.readlink(view) != real:
        os.unlink(view)
    if not os.path.lexists(view):
        os.symlink(real, view)
    env['PATH'] = VIEW_DIR + ':' + env['PATH']
    env['DEVMAP_SRC'] = real
    env['DEVMAP_VIEW'] = view


class BuildStats:
    """The hits of one build: a stats log of its own in the build directory."""

    def __init__(self, build_dir: str, env: Dict[str, str]):
        self.path: Optional[str] = None
        if 'CCACHE_DIR' in env and not env.get('CCACHE_DISABLE'):
            self.path = os.path.join(build_dir, STATS_LOG)
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass
            env['CCACHE_STATSLOG'] = self.path

    def read(self) -> Optional[Stats]:
        if self.path is None:
            return None
        try:
            with open(self.path, errors='replace') as f:
                return parse_stats_log(f.read())
        except FileNotFoundError:
            return Stats()
