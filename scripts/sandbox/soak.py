"""make soak: the model suite (devmap_model) over many seeds, with a
progress line. SEEDS= seeds per (pgmap type, order) case from SEED_START=,
so that a range can be split across machines:

    make soak SEEDS=100000 SEED_START=0        # machine 1
    make soak SEEDS=100000 SEED_START=100000   # machine 2

A failing seed prints its shrunk sequence and a one-line reproduction
(the suite does); the exit status is make kunit's.
"""
import os
import re

from . import kernel as kmod
from . import results, runner
from .progress import Progress

MODULE = 'devmap_model_kunit'
DONE = re.compile(r'devmap_model: (\S+) order (\d+): (\d+) of (\d+) seeds')


def main(s, a) -> int:
    seeds = int(os.environ.get('SEEDS') or 10000)
    start = int(os.environ.get('SEED_START') or 0)
    every = max(1, seeds // 100)
    k = kmod.Kernel(s, kmod.PROFILES['kunit-uml'])
    args = [f'{MODULE}.seed_start={start}', f'{MODULE}.seeds={seeds}',
            f'{MODULE}.progress={every}']
    state = {}
    with Progress(f'soak: seeds {start}..{start + seeds - 1}', unit='case-seeds') as p:
        def on_line(line):
            m = DONE.search(line)
            if m:
                state[(m.group(1), m.group(2))] = int(m.group(3))
                p.set(sum(state.values()), f'{m.group(1)} order {m.group(2)}')
        out = runner.run_suites(s, k, filter_glob='devmap_model.*', kernel_args=args,
                                timeout=s.timeout + seeds, on_line=on_line, label='soak',
                                json=s.json)
    print(f'soak: {results.counts(out.leaves)}, {sum(state.values())} (case, seed) runs')
    return 0
