"""Every knob, default and path of the sandbox, in one place.

The Makefile passes the environment through untouched; Settings.from_env()
reads it once. Each knob is listed in KNOBS with its default and meaning:
`devmap_sandbox.py knobs` prints them (the README's table comes from it).
"""
import dataclasses
import os
import shlex
from typing import Dict, List, Optional

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# name: (default, meaning). A default of None means "unset".
KNOBS = {
    'BUILD': ('build', 'where everything built goes (relative to the repo)'),
    'KSRC': (None, 'your own kernel git tree (default: BUILD/linux, set up from linux-source-6.12)'),
    'KBUILD': (None, "make kunit's build directory (default: BUILD/kunit-uml, BUILD/kunit-uml-debug)"),
    'SANDBOX_BASE': (None, 'the base kernel: its own tree, builds and clones (BUILD/linux for 6.12, '
                           'BUILD/<version>/linux for others; scripts/sandbox/bases.py; default 6.12)'),
    'PHASES_LOG': (None, 'append each run\'s phase timings (JSON lines) to this file (make bench)'),
    'DEBUG': ('0', '1: the debug profile (DEBUG_VM, lockdep, kmemleak; KASAN where the series has it)'),
    'DEVMEM': ('fuse', 'device memory: fuse (devmemd), file (a plain file), hotplug (no iomem=)'),
    'DEVMEM_SIZE': ('64M', 'size of the device memory the suites get'),
    'PERSIST': (None, 'keep the device memory in this file across runs'),
    'FILTER': (None, "kunit.py's filter_glob, e.g. 'devmap_gup*' or 'devmap_model.*'"),
    'TIMEOUT': ('120', 'seconds one boot may take (QEMU and the selftests get 5x)'),
    'JSON': (None, "also write kunit.py's JSON results to this file"),
    'JUNIT': (None, 'also write JUnit XML results to this file'),
    'KUNIT_ARGS': ('', 'extra kunit.py options: --kernel_args=..., --kunitconfig=..., --kconfig_add=...'),
    'JOBS': (None, 'make -j (default: the number of CPUs)'),
    'ACCEL': (None, 'QEMU accelerator: kvm or tcg (default: KVM when it works here)'),
    'RUNS': ('5', 'make bench: warm runs per row'),
    'COLD_RUNS': ('1', 'make bench: cold builds per column'),
    'ARCHS': ('uml x86_64', 'make bench: which kernels get a column'),
    'SERIES': (None, 'make check-series: a directory of patches or an mbox'),
    'RANGE': (None, 'make check-series: a commit range a..b of KSRC'),
    'BASE': (None, 'make check-series: the commit the series goes on (default: the sandbox branch)'),
    'QUICK': ('0', 'make check-series: 1 = apply and checkpatch only'),
    'KEEP_GOING': ('1', 'make check-series: 0 = stop at the first bad patch'),
    'SELFTESTS': ('0', 'make check-series: 1 = also the mm selftests on the whole series'),
    'AM_ARGS': ('', 'make check-series: more git am options, e.g. -3 (three-way merge)'),
    'MUTANTS': (None, 'make mutants: a glob of mutant patches (default: all)'),
    'PATCH': (None, 'make try, make oracle, make selftests-compare: a patch to apply in the scratch clone '
                    '(never your tree) before the suites'),
    'SEEDS': ('10000', 'make soak: seeds per (pgmap type, order) case of the model suite'),
    'SEED_START': ('0', 'make soak: the first seed (split a range across machines)'),
    'PLAN': (None, 'make selftests: the plan file (default: uml-config/selftests-plan.txt)'),
    'PROGRESS': (None, 'tty | plain | off: how progress is shown (default: tty on a terminal)'),
    'CCACHE': ('1', '0: kernel builds without ccache (scripts/sandbox/ccache.py)'),
    'CCACHE_DIR': ('~/.cache/devmap-sandbox/ccache',
                   "ccache's cache, shared by every tree and clone (outside the repo)"),
    'VERBOSE': ('0', '1: show build commands and the whole console'),
    'PYTHON': ('/usr/bin/python3', "the engine's interpreter (make reads it; Debian's, not a shim on PATH)"),
}


def _get(env, name):
    v = env.get(name)
    if v is None or v == '':
        return KNOBS[name][0]
    return v


@dataclasses.dataclass
class Settings:
    top: str
    build: str
    base_version: str           # SANDBOX_BASE's version (bases.py)
    root: str                   # the base's folder: its tree, builds, clones
    ksrc: str
    ksrc_is_default: bool
    debug: bool
    devmem: str
    devmem_size: str
    persist: Optional[str]
    filter_glob: Optional[str]
    timeout: int
    json: Optional[str]
    junit: Optional[str]
    kunit_args: List[str]
    jobs: int
    accel: Optional[str]
    runs: int
    cold_runs: int
    archs: List[str]
    series: Optional[str]
    range: Optional[str]
    base: Optional[str]
    quick: bool
    keep_going: bool
    selftests: bool
    mutants: Optional[str]
    plan: str
    progress: Optional[str]
    verbose: bool
    kbuild_override: Optional[str] = None
    am_args: tuple = ()

    @classmethod
    def from_env(cls, env: Optional[Dict[str, str]] = None) -> 'Settings':
        env = os.environ if env is None else env
        build = os.path.join(TOP, _get(env, 'BUILD'))
        from . import bases
        base = bases.selected(env)
        ksrc = _get(env, 'KSRC')
        if ksrc:
            # A tree of the user's: its Makefile says which base (or the
            # newest, with a warning, for a newer tree); SANDBOX_BASE may
            # only agree with it.
            tree_base = bases.for_tree(os.path.abspath(ksrc))
            if env.get('SANDBOX_BASE') and tree_base.version != base.version:
                from .errors import BadInput
                raise BadInput(f'SANDBOX_BASE={base.version}, but KSRC={ksrc} is a '
                               f'{tree_base.version} tree: leave SANDBOX_BASE out')
            base = tree_base
        root = os.path.join(build, base.build_subdir) if base.build_subdir else build
        default_ksrc = os.path.join(root, 'linux')

        def path(name):
            v = _get(env, name)
            return os.path.abspath(v) if v else None

        def flag(name):
            return _get(env, name) not in ('0', '', 'no', 'false')

        def number(name):
            v = _get(env, name)
            try:
                return int(v)
            except ValueError:
                from .errors import BadInput
                raise BadInput(f'{name}={v}: a whole number, please')

        devmem = _get(env, 'DEVMEM')
        if devmem not in ('fuse', 'file', 'hotplug'):
            from .errors import BadInput
            raise BadInput(f'DEVMEM={devmem}: use fuse, file or hotplug')
        return cls(
            top=TOP,
            build=build,
            base_version=base.version,
            root=root,
            ksrc=os.path.abspath(ksrc) if ksrc else default_ksrc,
            ksrc_is_default=not ksrc or os.path.abspath(ksrc) == default_ksrc,
            debug=flag('DEBUG'),
            devmem=devmem,
            devmem_size=_get(env, 'DEVMEM_SIZE'),
            persist=path('PERSIST'),
            filter_glob=_get(env, 'FILTER'),
            timeout=number('TIMEOUT'),
            json=path('JSON'),
            junit=path('JUNIT'),
            kunit_args=shlex.split(_get(env, 'KUNIT_ARGS')),
            jobs=number('JOBS') if env.get('JOBS') else (os.cpu_count() or 1),
            accel=_get(env, 'ACCEL'),
            runs=number('RUNS'),
            cold_runs=number('COLD_RUNS'),
            archs=_get(env, 'ARCHS').split(),
            series=path('SERIES'),
            range=_get(env, 'RANGE'),
            base=_get(env, 'BASE'),
            quick=flag('QUICK'),
            keep_going=flag('KEEP_GOING'),
            selftests=flag('SELFTESTS'),
            mutants=_get(env, 'MUTANTS'),
            plan=path('PLAN') or os.path.join(TOP, 'uml-config', 'selftests-plan.txt'),
            progress=_get(env, 'PROGRESS'),
            verbose=flag('VERBOSE'),
            kbuild_override=path('KBUILD'),
            am_args=tuple(shlex.split(_get(env, 'AM_ARGS'))),
        )

    # Paths derived from the knobs: the one place that spells them.
    @property
    def results(self) -> str:
        return os.path.join(self.build, 'results')

    @property
    def host_build(self) -> str:
        return os.path.join(self.build, 'host')

    @property
    def devmemd(self) -> str:
        return os.path.join(self.host_build, 'devmemd')

    @property
    def scratch(self) -> str:
        """The throwaway clone for mutants and series checks, and its builds."""
        return os.path.join(self.root, 'scratch')

    @property
    def selftests_out(self) -> str:
        return os.path.join(self.root, 'selftests')

    def kbuild(self, profile: str) -> str:
        """The build directory (make O=) of a profile of the user's tree:
        BUILD/<profile> for BUILD/linux, BUILD/trees/<tree>/<profile> for
        any other KSRC, so that switching KSRC between trees costs an
        incremental build of each, not a full one (ccache serves a new
        tree's first build)."""
        if profile == 'kunit-uml' and self.kbuild_override:
            return self.kbuild_override
        return os.path.join(self.tree_build, profile_dir(profile, self.debug))

    @property
    def tree_build(self) -> str:
        """Where the build directories of KSRC go."""
        if self.ksrc_is_default:
            return self.root
        import hashlib
        real = os.path.realpath(self.ksrc)
        tag = hashlib.sha1(real.encode()).hexdigest()[:8]
        return os.path.join(self.build, 'trees', f'{os.path.basename(real)}-{tag}')

    def clean_paths(self) -> List[str]:
        """What `make clean` removes: all build output, not the kernel
        trees (BUILD/linux and the scratch clone, slow to make again)."""
        keep = {'linux', os.path.join('scratch', 'linux')}
        out = []
        for d in ('', 'scratch'):
            base = os.path.join(self.build, d)
            if not os.path.isdir(base):
                continue
            for n in os.listdir(base):
                rel = os.path.join(d, n) if d else n
                if rel not in keep and rel != 'scratch':
                    out.append(os.path.join(self.build, rel))
        return sorted(out)


def profile_dir(profile: str, debug: bool) -> str:
    return profile + ('-debug' if debug else '')


def describe_knobs() -> str:
    rows = ['| variable | default | meaning |', '|---|---|---|']
    for name, (default, meaning) in KNOBS.items():
        rows.append(f'| `{name}` | {default if default is not None else ""} | {meaning} |')
    return '\n'.join(rows)
