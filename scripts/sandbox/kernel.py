"""One kernel: config, build and boot, each with one outcome.

    k = Kernel(settings, PROFILES['suites'])
    k.configure()     # ConfigError
    k.build()         # BuildError, with the compiler's error lines
    run = k.boot(kernel_args, watch=devmem.alive)
                      # Hung, Crashed, DaemonDied; else a Run whose
                      # .test is kunit_parser's Test

Config goes through kunit.py's own kunit_kernel.LinuxSourceTree (the
.kunitconfig merge, and olddefconfig only when the fragments changed); the
build is `make` of the kernel image alone (no compile_commands.json, no
second olddefconfig: the lean loop); the boot is ours (own session, our
timeout, the daemon watched) and its console goes, as it comes, through
kunit.py's parse_tests, which prints kunit.py's usual results.

The arch specifics live in one ops class each, as in kunit_kernel.
"""
import contextlib
import ctypes
import dataclasses
import logging
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from typing import Callable, List, Optional

from . import bases, ccache, console
from .reaper import Reaper
from .errors import BadInput, BuildError, ConfigError, Crashed, DaemonDied, Hung, TreeError
from .progress import Progress
from .settings import Settings

CONFIGS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), 'uml-config')


@dataclasses.dataclass(frozen=True)
class Profile:
    """A kind of kernel the sandbox builds: which fragments, which arch."""
    name: str                  # also its build directory under BUILD
    arch: str                  # 'um' or a kunit.py --arch (x86_64)
    fragments: tuple           # uml-config/ files, merged in this order
    extra: tuple = ()          # tree-relative kunitconfigs (kunit-all)
    timeout_factor: int = 1    # QEMU under TCG and the selftests are slower
    debug_fragment: str = 'debug.config'
    # Fragments of the fast kernel only: the debug profile is the whole
    # kernel (kallsyms included, which lockdep selects) plus its checks.
    lean: tuple = ()
    ccache: bool = True        # builds through ccache (ccache.py), unless CCACHE=0

    def kunitconfigs(self, ksrc: str, debug: bool, base_fragments: tuple = ()) -> List[str]:
        paths = [os.path.join(CONFIGS, f) for f in self.fragments]
        # The base's own additions to the sandbox's UML (bases.py).
        if 'uml.config' in self.fragments:
            paths += [os.path.join(CONFIGS, f) for f in base_fragments]
        paths += [os.path.join(ksrc, f) for f in self.extra]
        if debug:
            paths.append(os.path.join(CONFIGS, self.debug_fragment))
        else:
            paths += [os.path.join(CONFIGS, f) for f in self.lean]
        return paths


PROFILES = {p.name: p for p in (
    Profile('kunit-uml', 'um', ('base.config', 'uml.config'), lean=('lean.config',)),
    Profile('kunit-all', 'um', ('base.config', 'uml.config'),
            extra=('tools/testing/kunit/configs/default.config',)),
    Profile('selftests-uml', 'um', ('base.config', 'uml.config', 'selftests.config',
                                    'selftests-uml.config', 'test_hmm.config'),
            timeout_factor=5),
    # Upstream's UML as it is (FLATMEM, no ZONE_DEVICE), in the stock clone
    # (tree.Stock): the reference column of make selftests-compare.
    Profile('selftests-stock', 'um', ('selftests.config', 'selftests-uml.config'),
            timeout_factor=5),
    # make coverage: the suites on a gcov build, kunit.py's own fragment
    # for UML (.gcda files written at the kernel's exit;
    # Documentation/dev-tools/kunit/running_tips.rst). Not through ccache:
    # an object compiled elsewhere would write its counts there.
    Profile('coverage-uml', 'um', ('base.config', 'uml.config'),
            extra=('tools/testing/kunit/configs/coverage_uml.config',), lean=('lean.config',),
            ccache=False),
    # The oracle's suites and the x86_64 column of make selftests-compare:
    # one kernel, one cold build.
    Profile('kunit-x86_64', 'x86_64', ('base.config', 'x86_64.config', 'selftests.config',
                                       'test_hmm.config'),
            timeout_factor=5),
)}


def kunit_tool(ksrc: str):
    """The tree's own kunit.py modules (kunit, kunit_kernel, kunit_parser...)."""
    path = os.path.join(ksrc, 'tools', 'testing', 'kunit')
    if not os.path.isfile(os.path.join(path, 'kunit.py')):
        raise TreeError(f'{ksrc} has no tools/testing/kunit/kunit.py')
    if path not in sys.path:
        sys.path.insert(0, path)
    import kunit  # noqa: F401  (the tree's)
    import kunit_json
    import kunit_kernel
    import kunit_parser
    return kunit, kunit_kernel, kunit_parser, kunit_json


def parse_request(kunit, json: Optional[str]):
    """kunit.py's KunitParseRequest of this tree: its fields grew (6.12:
    raw_output, json; 7.x adds junit, summary, failed). Those we know get
    what kunit.py's CLI passes when not asked for them; one we do not know
    gets None (off)."""
    want = {'raw_output': None, 'json': json, 'junit': None, 'summary': False, 'failed': False}
    fields = [f.name for f in dataclasses.fields(kunit.KunitParseRequest)]
    return kunit.KunitParseRequest(**{k: want.get(k) for k in fields})


@contextlib.contextmanager
def _cwd(path):
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


@contextlib.contextmanager
def _captured_log():
    """kunit_kernel reports config errors through logging: collect them."""
    records = []

    class Grab(logging.Handler):
        def emit(self, record):
            records.append(record.getMessage())
    h = Grab()
    logging.getLogger().addHandler(h)
    try:
        yield records
    finally:
        logging.getLogger().removeHandler(h)


# ---- arch ops -------------------------------------------------------------

class UmlOps:
    arch = 'um'
    image = 'linux'
    # `make linux` builds vmlinux and links the UML binary; no modules,
    # no compile_commands.json.
    targets = ('linux',)

    def __init__(self, kunit_kernel, base: bases.Base, settings: Settings):
        self.base = base

    def command(self, build_dir: str, params: List[str], kunit: bool = True) -> List[str]:
        # kunit.py's UML parameters; a boot of an initramfs sets its own.
        extra = list(self.base.kunit_uml_params) if kunit else []
        return [os.path.join(build_dir, self.image)] + params + extra


class QemuOps:
    """kunit.py's QEMU ops for the arch (qemu_configs/<arch>.py), started by us."""

    def __init__(self, kunit_kernel, base: bases.Base, settings: Settings, arch: str,
                 qemu_args: Optional[List[str]] = None):
        path = kunit_kernel._default_qemu_config_path(arch)
        self.arch, self._ops = kunit_kernel._get_qemu_ops(path, qemu_args, None)
        self.image = self._ops._kernel_path
        # arch/x86/boot/bzImage is built by `make bzImage`.
        self.targets = (os.path.basename(self.image),)

    def command(self, build_dir: str, params: List[str], kunit: bool = True) -> List[str]:
        # kunit.py's command line, exactly: its start() builds it.
        captured = {}

        class Grab:
            def __init__(self, cmd, **kw):
                captured['cmd'] = cmd

        with _patched(subprocess, 'Popen', Grab), open(os.devnull, 'w') as null, \
                contextlib.redirect_stdout(null):
            self._ops.start(list(params), build_dir)
        cmd = captured['cmd']
        if not kunit:
            # With KUnit disabled, its executor still obeys kunit_shutdown=
            # at once: an initramfs boot would reboot before /init runs.
            i = cmd.index('-append') + 1
            cmd[i] = ' '.join(w for w in cmd[i].split() if not w.startswith('kunit_shutdown='))
        return cmd


@contextlib.contextmanager
def _patched(obj, name, value):
    old = getattr(obj, name)
    setattr(obj, name, value)
    try:
        yield
    finally:
        setattr(obj, name, old)


# ---- results --------------------------------------------------------------

@dataclasses.dataclass
class Run:
    """One boot's result: kunit.py's Test, our console facts, timings."""
    test: object                  # kunit_parser.Test (None before parsing)
    facts: console.Facts
    log: str                      # the console log file
    seconds: float                # start to exit
    exit_status: Optional[int]
    boot_seconds: float = 0.0     # start to the first KTAP line
    suites_seconds: float = 0.0   # first KTAP line to the last result parsed

    @property
    def ok(self) -> bool:
        return self.test is not None and self.test.ok_status()


@dataclasses.dataclass
class BuildStats:
    steps: int
    seconds: float
    link_seconds: float           # from the first link step of the image on
    cache: Optional[ccache.Stats] = None   # None: built without ccache


class Kernel:
    def __init__(self, settings: Settings, profile: Profile, ksrc: Optional[str] = None,
                 build_dir: Optional[str] = None, qemu_args: Optional[List[str]] = None):
        self.settings = settings
        self.profile = profile
        self.ksrc = ksrc or settings.ksrc
        self.build_dir = build_dir or settings.kbuild(profile.name)
        self.base = bases.for_tree(self.ksrc)
        self.kunit, self.kunit_kernel, self.kunit_parser, self.kunit_json = kunit_tool(self.ksrc)
        if profile.arch == 'um':
            self.ops = UmlOps(self.kunit_kernel, self.base, settings)
        else:
            self.ops = QemuOps(self.kunit_kernel, self.base, settings, profile.arch, qemu_args)
        self.kunitconfigs = (profile.kunitconfigs(self.ksrc, settings.debug, self.base.uml_fragments)
                             + self._extra_kunitconfigs())

    def _extra_kunitconfigs(self) -> List[str]:
        out = []
        for a in self.settings.kunit_args:
            if a.startswith('--kunitconfig='):
                out.append(os.path.abspath(a.split('=', 1)[1]))
        return out

    def _kconfig_add(self) -> List[str]:
        return [a.split('=', 1)[1] for a in self.settings.kunit_args
                if a.startswith('--kconfig_add=')]

    @contextlib.contextmanager
    def lock(self):
        """One build-and-boot at a time in a build directory: two runs at
        once (two terminals, a bench beside a loop) take turns."""
        import fcntl
        os.makedirs(os.path.dirname(self.build_dir) or '.', exist_ok=True)
        with open(self.build_dir + '.lock', 'a') as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                print(f'waiting for another run that uses {self.build_dir}', file=sys.stderr,
                      flush=True)
                fcntl.flock(f, fcntl.LOCK_EX)
            yield

    # -- config
    def configure(self) -> bool:
        """kunit.py's config step; True when olddefconfig ran."""
        os.makedirs(self.build_dir, exist_ok=True)
        kk = self.kunit_kernel
        missing = [p for p in self.kunitconfigs if not os.path.isfile(p)]
        if missing:
            raise ConfigError(f'config fragment {missing[0]} does not exist')
        with _cwd(self.ksrc), _captured_log() as errors, open(os.devnull, 'w') as null, \
                contextlib.redirect_stdout(null):
            try:
                tree = kk.LinuxSourceTree(self.build_dir, kunitconfig_paths=self.kunitconfigs,
                                          kconfig_add=self._kconfig_add(),
                                          arch=None if self.profile.arch == 'um' else self.profile.arch)
            except kk.ConfigError as e:
                raise ConfigError('the config fragments conflict: ' + str(e).splitlines()[0],
                                  str(e).splitlines()[1:])
            # kunit.py installs its own SIGINT handler; ours is the CLI's.
            signal.signal(signal.SIGINT, signal.default_int_handler)
            before = _mtime(os.path.join(self.build_dir, '.config'))
            # Quiet when nothing changed (no line at all); olddefconfig in
            # a new build dir builds kconfig first: show that it works.
            with Progress(f'configuring {self.profile.name}') if _kunitconfig_changed(
                    tree, self.build_dir) else contextlib.nullcontext():
                ok = tree.build_reconfig(self.build_dir, None)
        if not ok:
            text = '\n'.join(errors).splitlines() or ['kunit.py could not configure the kernel']
            first = next((t for t in text if t.startswith('Missing:')), text[0])
            raise ConfigError(f'{self.profile.name}: {first}', text)
        return _mtime(os.path.join(self.build_dir, '.config')) != before

    # -- build
    @property
    def cold(self) -> bool:
        """Nothing built yet: the next build takes minutes, not seconds."""
        return not os.path.exists(os.path.join(self.build_dir, 'vmlinux'))

    def build(self, what: Optional[str] = None) -> BuildStats:
        what = what or f'building {self.profile.name}'
        steps_file = os.path.join(self.build_dir, '.sandbox-build-steps')
        cold = self.cold
        total = _read_int(steps_file) if cold else None
        cmd = ['make', f'ARCH={self.profile.arch if self.profile.arch == "um" else "x86_64"}',
               f'O={self.build_dir}', f'--jobs={self.settings.jobs}'] + list(self.ops.targets)
        if self.settings.verbose:
            cmd.append('V=1')
        env = _own_make_env()
        if not self.profile.ccache:
            env['CCACHE_DISABLE'] = '1'
        cache = ccache.BuildStats(self.build_dir, env)
        ccache.use_view(env, self.ksrc, self.build_dir)
        start = time.monotonic()
        steps = 0
        errors: List[str] = []
        with Progress(what, total=total or (self.base_steps() if cold else None),
                      unit='steps') as p:
            # Its own session: Ctrl-C reaches us, and we stop make and
            # every compiler it started (none may go on writing objects).
            proc = subprocess.Popen(cmd, cwd=self.ksrc, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True, errors='replace',
                                    start_new_session=True, env=env)
            # ... and a SIGKILL of ours takes the whole build with us.
            reaper = Reaper(proc.pid)
            err_thread = threading.Thread(target=lambda: errors.extend(proc.stderr), daemon=True)
            err_thread.start()
            link_start = None
            try:
                for line in proc.stdout:
                    m = STEP.match(line)
                    if m:
                        steps += 1
                        p.set(steps, f'{m.group(1)} {m.group(2)}')
                        if link_start is None and LINK.match(line):
                            link_start = time.monotonic()
                    if self.settings.verbose:
                        sys.stderr.write(line)
            except BaseException:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
                proc.wait()
                reaper.release()
                raise
            proc.wait()
            reaper.release()
            err_thread.join()
            proc.stdout.close()
            proc.stderr.close()
        seconds = time.monotonic() - start
        if proc.returncode:
            lines = [e.rstrip() for e in errors]
            interesting = [e for e in lines if re.search(r'error|Error|undefined reference', e)]
            first = interesting[0] if interesting else (lines[-1] if lines else 'make failed')
            raise BuildError(f'{self.profile.name} does not build: {first.strip()}',
                             (interesting or lines)[:40])
        if cold and steps:
            with open(steps_file, 'w') as f:
                f.write(f'{steps}\n')
        hits = cache.read()
        if hits is not None and hits.compiles:
            # The build's summary: how much of it the cache served.
            print(f'{self.profile.name}: {hits.summary()}', file=sys.stderr, flush=True)
        end = start + seconds
        return BuildStats(steps, seconds, end - link_start if link_start else 0.0, hits)

    def base_steps(self) -> Optional[int]:
        """A cold build's step count when this build dir never had one: the
        last one recorded by a build dir of the same profile, else the
        base's measured count (bases.py)."""
        for d in (self.settings.kbuild(self.profile.name),
                  os.path.join(self.settings.scratch, self.profile.name)):
            n = _read_int(os.path.join(d, '.sandbox-build-steps'))
            if n:
                return n
        return self.base.cold_steps.get(self.profile.name)

    def _symbols(self) -> Optional[console.Symbols]:
        """The image's symbols (System.map) when it has no kallsyms table of its own
        (lean.config): the console then prints bare addresses."""
        try:
            with open(os.path.join(self.build_dir, '.config')) as f:
                if 'CONFIG_KALLSYMS=y\n' in f.read():
                    return None
        except OSError:
            return None
        return console.Symbols(os.path.join(self.build_dir, 'vmlinux'),
                               system_map=os.path.join(self.build_dir, 'System.map'))

    # -- boot
    def list_cases(self, params: List[str], timeout: int = 60) -> Optional[List[str]]:
        """suite.case of every test the boot with @params would run, in
        the kernel's order: kunit.action=list, as kunit.py's _list_tests()
        asks for it and filters its output. None when the list cannot be
        had (the kernel no longer boots, say)."""
        cmd = self.ops.command(self.build_dir, list(params) + ['kunit.action=list'])
        try:
            r = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, errors='replace',
                               timeout=timeout, preexec_fn=_die_with_parent)
        except (OSError, subprocess.TimeoutExpired):
            return None
        lines = self.kunit_parser.extract_tap_lines(r.stdout.splitlines(True))
        return [str(x).strip() for x in lines
                if re.match(r'^[^\s.]+\.[^\s.]+$', str(x).strip())] or None

    def boot(self, kernel_args: List[str] = (), filter_glob: Optional[str] = None,
             watch: Optional[Callable[[], bool]] = None, death: Optional[Callable] = None,
             timeout: Optional[int] = None, json: Optional[str] = None,
             raw: bool = False, kunit: bool = True,
             on_line: Optional[Callable[[str], None]] = None,
             silence: Optional[Callable[[str], Optional[float]]] = None) -> Run:
        """Boot, parse the console with kunit.py as it comes, and return a
        Run; raise Hung / DaemonDied / Crashed for a boot that ended early.
        @silence, given each console line, may return how long the console
        may now stay silent before the boot counts as hung (None: as
        before); a boot of many programs has a long @timeout, but a hang
        inside one of them should not wait for all of it."""
        timeout = timeout or self.settings.timeout * self.profile.timeout_factor
        params = list(kernel_args)
        if kunit:
            if filter_glob:
                params.append('kunit.filter_glob=' + filter_glob)
            params.append('kunit.enable=1')
        cmd = self.ops.command(self.build_dir, params, kunit)
        image = os.path.join(self.build_dir, self.ops.image)
        if not os.path.exists(image):
            raise BuildError(f'{image} is missing: build first')
        log_path = os.path.join(self.build_dir, 'test.log')
        if self.settings.verbose:
            print('$', ' '.join(cmd))
        boot = _Boot(cmd, log_path, timeout, watch, silence)
        facts_lines: List[str] = []

        def lines():
            for line in boot.lines():
                facts_lines.append(line)
                if on_line:
                    on_line(line)
                if raw:
                    sys.stdout.write(line)
                yield line

        req = parse_request(self.kunit, json)
        meta = self.kunit_json.Metadata(arch=self.ops.arch, build_dir=self.build_dir,
                                        def_config='kunit_defconfig')
        gen = lines()
        parsed = None
        try:
            _, test = self.kunit.parse_tests(req, meta, gen)
            parsed = time.monotonic()
            # The parser stops at the last result; what the kernel says
            # after it (a late report, the halt) still goes to the log.
            for _ in gen:
                pass
        finally:
            boot.stop()
        symbols = self._symbols()
        facts = console.scan(facts_lines, symbols)
        if kunit and any(_vague(c.test) for c in facts.crashes):
            # The KTAP stream knows the suite and the last result, not the
            # case after it: kunit.action=list gives the order.
            cases = self.list_cases(params)
            if cases:
                facts = console.scan(facts_lines, symbols, cases)
        ktap = boot.first_ktap or boot.start
        run = Run(test, facts, log_path, boot.seconds, boot.status,
                  ktap - boot.start, (parsed - ktap) if parsed else 0.0)
        where = facts.running or (facts.crashes[0].test if facts.crashes else None)
        if boot.died:
            err = death() if death else DaemonDied('the device memory daemon died during the run')
            err.test, err.result = where, run
            raise err
        if boot.silent:
            raise Hung(f'{self.profile.name} hung: no console output for {boot.silence_limit:.0f} s'
                       + (f', while running {where}' if where else ''),
                       _tail(facts_lines), test=where, result=run)
        if boot.timed_out:
            raise Hung(f'{self.profile.name} hung: no result within {timeout} s'
                       + (f', while running {where}' if where else ''),
                       _tail(facts_lines), test=where, result=run)
        status = self.kunit_parser.TestStatus
        if test.status == status.NO_TESTS and not facts.crashes:
            raise BadInput(f'no test matches FILTER={filter_glob}' if filter_glob
                           else f'{self.profile.name} ran no test', result=None)
        # A run that KUnit says is complete is not a crash, whatever it
        # printed: some suites (kunit-all's) fault on purpose and catch it.
        if test.ok_status():
            return run
        if facts.crashes or test.status in (status.TEST_CRASHED, status.FAILURE_TO_PARSE_TESTS):
            c = facts.crashes[0] if facts.crashes else None
            where = (c.test if c else None) or where
            msg = f'{self.profile.name} crashed' + (f' in {where}' if where else '')
            msg += f': {c.summary()}' if c else ' (the output ended before the results)'
            raise Crashed(msg, c.head if c else _tail(facts_lines), test=where, result=run)
        return run


def _vague(test: Optional[str]) -> bool:
    return test is None or '(after' in test or '.' not in test


STEP = re.compile(r'^\s+([A-Z][A-Z0-9_]*(?: \[M\])?)\s+(\S+)')
# The image's link: vmlinux.a, then vmlinux, then (UML) the linux binary.
LINK = re.compile(r'^\s+(AR|LD)\s+\.?(tmp_)?vmlinux')


def _own_make_env():
    """The environment for kbuild without the outer make's flags: `make -s
    kunit` would make kbuild silent (no step lines to count), and its
    jobserver would set our -j."""
    env = dict(os.environ)
    for k in ('MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'MAKEOVERRIDES'):
        env.pop(k, None)
    return env


def _kunitconfig_changed(tree, build_dir) -> bool:
    """Will kunit.py's build_reconfig() run olddefconfig? Its own test."""
    import kunit_config
    cfg = os.path.join(build_dir, '.config')
    old = os.path.join(build_dir, 'last_used_kunitconfig')
    if not (os.path.exists(cfg) and os.path.exists(old)):
        return True
    want = tree._ops.make_arch_config(tree._kconfig)
    return not want.is_subset_of(kunit_config.parse_file(cfg)) or \
        kunit_config.parse_file(old) != want


def _tail(lines, n=15):
    return [x.rstrip() for x in lines[-n:]]


def _mtime(p):
    try:
        return os.stat(p).st_mtime_ns
    except OSError:
        return None


def _read_int(p):
    try:
        with open(p) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def _die_with_parent():
    """In the child: its own session (so that we stop UML and all its
    helpers as one), and SIGKILL when we die, even by SIGKILL."""
    os.setsid()
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class _Boot:
    """The kernel process: lines as they come, our timeout, the watch."""

    POLL = 0.1

    def __init__(self, cmd, log_path, timeout, watch, silence=None):
        self.cmd = cmd
        self.timeout = timeout
        self.watch = watch
        self.silence = silence
        self.silence_limit = None
        self.silent = False
        self.timed_out = False
        self.died = False
        self.status = None
        self.start = time.monotonic()
        self.first_ktap = None
        self.seconds = 0.0
        self.log = open(log_path, 'w')
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True,
                                     errors='backslashreplace', preexec_fn=_die_with_parent)
        self.reaper = Reaper(self.proc.pid)
        self.queue: queue.Queue = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.queue.put(line)
        self.queue.put(None)

    def lines(self):
        deadline = self.start + self.timeout
        last = self.start
        while True:
            try:
                line = self.queue.get(timeout=self.POLL)
            except queue.Empty:
                line = ''
            if line is None:
                break
            now = time.monotonic()
            if line:
                last = now
                if self.silence is not None:
                    limit = self.silence(line)
                    if limit is not None:
                        self.silence_limit = limit
                self.log.write(line)
                if self.first_ktap is None and 'KTAP version' in line:
                    self.first_ktap = time.monotonic()
                yield line
            if self.watch is not None and not self.watch():
                self.died = True
                break
            if self.silence_limit is not None and now - last > self.silence_limit:
                self.silent = self.timed_out = True
                break
            if now > deadline:
                self.timed_out = True
                break
        self.stop()

    def stop(self):
        """TERM to the whole session, a moment, then KILL; reap; idempotent."""
        if self.proc.poll() is None:
            for sig, wait in ((signal.SIGTERM, 1.0), (signal.SIGKILL, 5.0)):
                try:
                    os.killpg(self.proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.proc.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        else:
            # The kernel halted; its helpers may linger in the session.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        self.status = self.proc.wait()
        self.reaper.release()
        if not self.log.closed:
            self.log.close()
            self.seconds = time.monotonic() - self.start
        self.reader.join(timeout=5)
        for f in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(OSError):
                f.close()
