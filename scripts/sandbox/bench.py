"""make bench: where the edit → verdict loop's time goes, side by side in
one run (hyperfine; medians of RUNS rounds, each round every command once,
so that a drifting load is shared), as ratios, since seconds differ from
machine to machine:

  ours    make kunit: the engine's lean loop (config check, make linux,
          devmemd + boot + suites + parse)
  floor   what no tool can avoid: the bare incremental `make linux` after
          the same touch, then a bare boot of the same kernel (plain-file
          device memory, output discarded)
  stock   what a user types without us: kunit.py run with the same
          kunitconfigs (no devmemd: the provider takes host memory)

All three share make kunit's build directory: each timed run recompiles
exactly what the touch changed, the same objects for all three.

Rows: touch mm/gup.c, edit a suite, a no-op rerun; with COLD_RUNS > 0 a
fresh machine's set-up and cold build, each with its floor; ours' phases
(config, compile, link, boot, suites+parse, halt) from the engine's
PHASES_LOG. Writes BUILD/results/bench.md.
"""
import json
import os
import shlex
import shutil
import statistics
import subprocess
import tempfile

from . import kernel as kmod
from . import reports
from .errors import BadInput

PHASES = ('config', 'compile', 'link', 'boot', 'suites+parse', 'halt')


def commands(s, k: kmod.Kernel, stock_dir: str, devfile: str):
    make = f'make -s -C {shlex.quote(s.top)} kunit PROGRESS=off >/dev/null 2>&1'
    image = os.path.join(k.build_dir, 'linux')
    # The base's own boot parameters (7.3: two CPUs) go to all three, so
    # that each runs the same tests the same way.
    extra = [a for a in k.base.kunit_uml_params
             if a.split('=')[0] not in ('mem', 'console', 'kunit_shutdown')]
    floor = (f'make -s -C {shlex.quote(k.ksrc)} ARCH=um O={shlex.quote(k.build_dir)} '
             f'--jobs={s.jobs} linux >/dev/null 2>&1 && {shlex.quote(image)} '
             f'iomem=fake-devmap,{devfile} kunit.enable=1 mem=1G console=tty '
             f'kunit_shutdown=halt {" ".join(extra)} </dev/null >/dev/null 2>&1')
    kunit_py = os.path.join(k.ksrc, 'tools', 'testing', 'kunit', 'kunit.py')
    cfgs = ' '.join(f'--kunitconfig={shlex.quote(c)}' for c in k.kunitconfigs)
    kargs = ''.join(f' --kernel_args={shlex.quote(a)}' for a in extra)
    stock = (f'cd {shlex.quote(k.ksrc)} && {kunit_py} run {cfgs}{kargs} '
             f'--build_dir={shlex.quote(stock_dir)} --jobs={s.jobs} >/dev/null 2>&1')
    return {'ours': make, 'floor': floor, 'stock': stock}


def hyperfine(s, name, prepare, cmds, runs, env_phases):
    """Medians of @runs rounds, each round one run of every command in
    turn (hyperfine --runs 1): a shared machine's load drifts over
    minutes, and all runs of one command then all of the next would put
    the drift between the columns, not spread over them."""
    out = os.path.join(s.results, f'bench-{name}.json')
    args = ['hyperfine', '--runs', '1', '--export-json', out, '--prepare', prepare,
            '--style', 'basic' if not os.isatty(2) else 'full']
    for n, c in cmds.items():
        args += ['-n', n, f'PHASES_LOG={env_phases} {c}' if n == 'ours' else c]
    times = {n: [] for n in cmds}
    for i in range(runs):
        print(f'bench: {name}: {", ".join(cmds)}, round {i + 1}/{runs}', flush=True)
        r = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if r.returncode:
            raise BadInput(f'hyperfine failed on {name} (a command did not pass)')
        with open(out) as f:
            for res in json.load(f)['results']:
                times[res['command']] += res['times']
    with open(out, 'w') as f:
        json.dump({'rounds': runs, 'times': times}, f)
    return {n: statistics.median(t) for n, t in times.items()}


def phase_medians(path):
    rows = []
    try:
        with open(path) as f:
            rows = [json.loads(line) for line in f if line.strip()]
    except OSError:
        pass
    return {p: statistics.median([r.get(p, 0.0) for r in rows]) for p in PHASES} if rows else {}


def main(s, a) -> int:
    if not shutil.which('hyperfine'):
        raise BadInput('hyperfine is missing: sudo apt-get install hyperfine')
    os.makedirs(s.results, exist_ok=True)
    k = kmod.Kernel(s, kmod.PROFILES['kunit-uml'])
    stock_dir = k.build_dir
    work = tempfile.mkdtemp(prefix='bench.', dir=s.build)
    devfile = os.path.join(work, 'devmem.img')
    with open(devfile, 'wb') as f:
        f.truncate(64 << 20)
    cmds = commands(s, k, stock_dir, devfile)
    try:
        for n in ('ours', 'stock'):
            print(f'bench: warming up {n}', flush=True)
            if subprocess.run(cmds[n], shell=True).returncode:
                raise BadInput(f'bench: {n} does not pass; fix that before benchmarking')
        rows = []
        gup = os.path.join(k.ksrc, 'mm', 'gup.c')
        suite = os.path.join(s.top, 'kunit-suites', 'devmap_gup_kunit.c')
        cases = [('touch mm/gup.c', 'gup', f'touch {shlex.quote(gup)}'),
                 ('edit a suite', 'suite', f'touch {shlex.quote(suite)}'),
                 ('no-op rerun', 'noop', 'true')]
        phase_rows = []
        for label, name, prep in cases:
            plog = os.path.join(work, f'{name}.phases')
            med = hyperfine(s, name, prep, cmds, s.runs, plog)
            rows.append(row(label, med))
            ph = phase_medians(plog)
            if ph:
                phase_rows.append(dict({'loop': label}, **{p: f'{ph[p]:.2f}' for p in PHASES}))
        if s.cold_runs > 0:
            rows += cold_rows(s, k, cmds, stock_dir, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    text = render(s, rows, phase_rows)
    reports.write(os.path.join(s.results, 'bench.md'), text)
    print(text)
    return 0


def cold_rows(s, k, cmds, stock_dir, work):
    """A fresh machine's first run, after the packages: set-up (ours:
    setup-tree.sh into an empty BUILD; floor: unpacking the tarball alone,
    what any tree needs) and a cold build (floor: kbuild alone on the same
    .config, from olddefconfig to the booted image)."""
    rows = []
    base = k.base
    q = shlex.quote
    if os.path.isfile(base.tarball):
        tree = os.path.join(s.build, 'bench-setup')
        ccmds = {'ours': f'env -u KSRC BUILD={q(tree)} {q(s.top)}/scripts/setup-tree.sh >/dev/null 2>&1',
                 'floor': f'mkdir -p {q(tree)}-floor && tar -xJf {q(base.tarball)} '
                          f'-C {q(tree)}-floor --strip-components=1'}
        med = hyperfine(s, 'setup', f'rm -rf {q(tree)} {q(tree)}-floor', ccmds, s.cold_runs,
                        os.path.join(work, 'setup.phases'))
        rows.append(row('cold set-up', med))
        shutil.rmtree(tree, ignore_errors=True)
        shutil.rmtree(tree + '-floor', ignore_errors=True)
    cold = os.path.join(s.build, 'bench-cold')
    floor = cmds['floor'].replace(k.build_dir, cold + '-floor')
    ccmds = {'ours': f'KBUILD={q(cold)} ' + cmds['ours'],
             'floor': f'mkdir -p {q(cold)}-floor && cp {q(k.build_dir)}/.config {q(cold)}-floor/ && '
                      f'make -s -C {q(k.ksrc)} ARCH=um O={q(cold)}-floor olddefconfig >/dev/null 2>&1 && '
                      + floor,
             'stock': cmds['stock'].replace(stock_dir, cold + '-stock')}
    med = hyperfine(s, 'cold', f'rm -rf {q(cold)} {q(cold)}-floor {q(cold)}-stock',
                    ccmds, s.cold_runs, os.path.join(work, 'cold.phases'))
    rows.append(row('cold build', med))
    for d in (cold, cold + '-floor', cold + '-stock'):
        shutil.rmtree(d, ignore_errors=True)
    return rows


def row(label, med):
    ours, floor, stock = med.get('ours'), med.get('floor'), med.get('stock')
    r = {'loop': label, 'ours': f'{ours:.2f}'}
    if floor is not None:
        r['floor'] = f'{floor:.2f}'
        r['ours − floor'] = f'{ours - floor:+.2f}'
    if stock is not None:
        r['stock kunit.py'] = f'{stock:.2f}'
        r['ours : stock'] = f'{ours / stock:.2f}'
    return r


def render(s, rows, phase_rows):
    cpu = ''
    try:
        with open('/proc/cpuinfo') as f:
            cpu = next((ln.split(':', 1)[1].strip() for ln in f if ln.startswith('model name')), '')
    except OSError:
        pass
    head = (f'Machine: {os.cpu_count()} cores, {cpu}, host kernel {os.uname().release}. '
            f'Medians of {s.runs} runs (cold: {s.cold_runs}), seconds, one `make bench` run.')
    t1 = reports.markdown(['loop', 'ours', 'floor', 'ours − floor', 'stock kunit.py',
                           'ours : stock'], rows)
    t2 = reports.markdown(['loop'] + list(PHASES), phase_rows) if phase_rows else ''
    return (head + '\n\n' + t1 + ('\nWhere ours spends it (medians, seconds):\n\n' + t2 if t2 else ''))
