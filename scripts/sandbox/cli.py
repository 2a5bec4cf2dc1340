"""The thin command line: parse, run one client, map its outcome to an
exit status (errors.py lists them). Everything else is in the modules.

    devmap_sandbox.py kunit [--profile kunit-all]   make kunit / kunit-all
    devmap_sandbox.py mutants                       make mutants
    devmap_sandbox.py oracle                        make oracle
    devmap_sandbox.py bench                         make bench
    devmap_sandbox.py check-series                  make check-series
    devmap_sandbox.py selftests-boot                make selftests (the boot)
    devmap_sandbox.py compile-db                    make compile-db
    devmap_sandbox.py preflight | knobs | clean-paths
"""
import argparse
import os
import signal
import sys

from . import ccache, devmem, kernel, runner
from .errors import Interrupted, SandboxError
from .progress import Progress
from .settings import Settings, describe_knobs

PROG = 'devmap-sandbox'


def say(msg: str) -> None:
    print(f'{PROG}: {msg}', file=sys.stderr, flush=True)


def cmd_preflight(s: Settings, a) -> int:
    if s.devmem == 'fuse':
        devmem.check_fuse()
    return 0


def cmd_kunit(s: Settings, a) -> int:
    if s.devmem == 'fuse':
        devmem.check_fuse()
    k = kernel.Kernel(s, kernel.PROFILES[a.profile])
    from .tree import require_setup
    require_setup(k.ksrc)
    out = runner.run_suites(s, k, json=s.json, junit=s.junit, label=a.profile)
    say(f'{a.profile}: {_counts(out)}; ' + ', '.join(f'{p} {t:.1f}s' for p, t in out.phases.items()))
    return 0


def _counts(out) -> str:
    from .results import counts
    return str(counts(out.leaves))


def cmd_compile_db(s: Settings, a) -> int:
    import subprocess
    k = kernel.Kernel(s, kernel.PROFILES[a.profile])
    r = subprocess.run(['make', 'ARCH=um', f'O={k.build_dir}', 'compile_commands.json'],
                       cwd=k.ksrc)
    return r.returncode and 5


def cmd_base(s: Settings, a) -> int:
    """The selected base for the shell plumbing (scripts/lib/common.sh), one
    tab-separated line: package, tarball, series file, root (its tree and
    builds), Debian suite, pinned version, pinned sha256, ready ('-': none)."""
    from . import bases, ccache
    b = bases.BASES[s.base_version]
    tarball = b.tarball
    if b.suite:
        # Fetched as an ordinary user: kept outside the clone, per version.
        tarball = os.path.join(os.path.dirname(ccache.default_dir()), 'src',
                               f'{b.package}_{b.deb_version}.tar.xz')
    print('\t'.join(x or '-' for x in (
        b.package, tarball, os.path.join(s.top, b.series), s.root, b.suite, b.deb_version,
        b.deb_sha256, 'ready' if b.ready else 'not-ready')))
    return 0


def cmd_knobs(s: Settings, a) -> int:
    print(describe_knobs())
    return 0


def cmd_clean_paths(s: Settings, a) -> int:
    print('\n'.join(s.clean_paths()))
    return 0


def cmd_uml_user_space(s: Settings, a) -> int:
    """Exit 0 when the base's UML can run user space on this host; else
    print why and exit HostUnsupported's status (for the bats tests)."""
    from . import bases
    from .errors import HostUnsupported
    why = bases.uml_user_space_blocker(bases.for_tree(s.ksrc))
    if why:
        print(why)
        return HostUnsupported.status
    return 0


def cmd_counts(s: Settings, a) -> int:
    """'passed failed skipped' of a results file (kunit.py JSON or
    mutants.json); '0 1 0' when it is missing."""
    from . import results
    print(*(results.file_counts(a.file) or (0, 1, 0)))
    return 0


def cmd_mutants(s: Settings, a) -> int:
    from . import mutants
    return mutants.main(s, a)


def cmd_oracle(s: Settings, a) -> int:
    from . import oracle
    return oracle.main(s, a)


def cmd_bench(s: Settings, a) -> int:
    from . import bench
    return bench.main(s, a)


def cmd_check_series(s: Settings, a) -> int:
    from . import check_series
    return check_series.main(s, a)


def cmd_try(s: Settings, a) -> int:
    """make try PATCH=file: the suites with a patch (a mutant, an idea)
    applied in the scratch clone on top of your tree; your tree untouched."""
    from .mutants import Runner
    patch = os.environ.get('PATCH')
    if not patch or not os.path.isfile(patch):
        from .errors import BadInput
        raise BadInput(f'PATCH={patch or ""}: name a patch file (git diff or format-patch output)')
    if s.devmem == 'fuse':
        devmem.check_fuse()
    r = Runner(s)
    with r.scratch.with_patch(patch, 'make try'):
        out = runner.run_suites(s, r.kernel(), json=s.json, junit=s.junit,
                                label=f'try {os.path.basename(patch)}')
    say(f'try: {_counts(out)}')
    return 0


def cmd_test_plan(s: Settings, a) -> int:
    """make test-plan: the plan, tab-separated (plan.py); --run: the
    selected steps as "name<TAB>command" for scripts/test.sh."""
    from . import plan
    from .errors import BadInput
    try:
        chosen = plan.select(a.tier or 'full', a.shard)
    except ValueError as e:
        raise BadInput(str(e))
    if a.as_root:
        chosen = [st for st in chosen if st.as_root]
    for st in chosen:
        print(f'{st.name}\t{st.command}' if a.run else st.line())
    return 0


def cmd_plan_reset(s: Settings, a) -> int:
    """Delete a step's results files before it runs: a stale one would count."""
    from . import plan
    for f in plan.results_files(plan.by_name()[a.file]):
        try:
            os.unlink(os.path.join(s.top, f))
        except FileNotFoundError:
            pass
    return 0


def cmd_plan_count(s: Settings, a) -> int:
    """'passed<TAB>failed<TAB>note' of a step, from its exit status and output."""
    from . import plan
    step = plan.by_name()[a.file]
    with open(a.extra[1], errors='replace') as f:
        out = f.read()
    os.chdir(s.top)
    p, f_, note = plan.count(step, int(a.extra[0]), out)
    print(f'{p}\t{f_}\t{note}')
    return 0


def cmd_workflow(s: Settings, a) -> int:
    """make workflow: .github/workflows/full.yml from the plan (workflow.py);
    --check: exit 1 when the committed file differs."""
    from . import workflow
    return workflow.main(s, a)


def cmd_base_header(s: Settings, a) -> int:
    """make base-header: fake-devmap/kernel/devmap_base.h from bases.py
    (expect.py); --check: exit 1 when the committed file differs."""
    from . import expect
    return expect.main(s, a)


def cmd_coverage(s: Settings, a) -> int:
    from . import coverage
    return coverage.main(s, a)


def cmd_soak(s: Settings, a) -> int:
    from . import soak
    return soak.main(s, a)


def cmd_selftests_boot(s: Settings, a) -> int:
    from . import selftests
    return selftests.main(s, a)


def cmd_selftests_compare(s: Settings, a) -> int:
    from . import selftests_compare
    return selftests_compare.main(s, a)


COMMANDS = {
    'preflight': cmd_preflight,
    'kunit': cmd_kunit,
    'compile-db': cmd_compile_db,
    'knobs': cmd_knobs,
    'base': cmd_base,
    'clean-paths': cmd_clean_paths,
    'counts': cmd_counts,
    'uml-user-space': cmd_uml_user_space,
    'mutants': cmd_mutants,
    'oracle': cmd_oracle,
    'bench': cmd_bench,
    'check-series': cmd_check_series,
    'selftests-boot': cmd_selftests_boot,
    'selftests-compare': cmd_selftests_compare,
    'soak': cmd_soak,
    'coverage': cmd_coverage,
    'try': cmd_try,
    'test-plan': cmd_test_plan,
    'plan-reset': cmd_plan_reset,
    'plan-count': cmd_plan_count,
    'workflow': cmd_workflow,
    'base-header': cmd_base_header,
}


def _terminated(signum, frame):
    raise Interrupted('terminated')


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('command', choices=sorted(COMMANDS))
    p.add_argument('--profile', default='kunit-uml', choices=sorted(kernel.PROFILES))
    p.add_argument('file', nargs='?', help='counts: the results file; plan-*: the step')
    p.add_argument('extra', nargs='*', help='plan-count: exit status and output file')
    p.add_argument('--tier', choices=('ci', 'full'), help='test-plan: one tier')
    p.add_argument('--shard', help='test-plan: i/N, one shard of the tier')
    p.add_argument('--run', action='store_true', help='test-plan: name<TAB>command lines')
    p.add_argument('--as-root', action='store_true', help='test-plan: the steps CI runs as root')
    p.add_argument('--check', action='store_true', help='workflow, base-header: compare, do not write')
    a = p.parse_args(argv)
    signal.signal(signal.SIGTERM, _terminated)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        s = Settings.from_env()
        Progress.setting = s.progress
        # Every kernel build the engine starts inherits it (ccache.py).
        ccache.activate()
        return COMMANDS[a.command](s, a) or 0
    except KeyboardInterrupt:
        say('interrupted: the kernel and the device memory daemon are stopped')
        return 130
    except Interrupted as e:
        say(f'interrupted ({e.message}): the kernel and the device memory daemon are stopped')
        return 130
    except SandboxError as e:
        for d in e.details:
            print(f'  | {d}', file=sys.stderr)
        say(f'error ({e.kind}): {e.message}')
        return e.status


if __name__ == '__main__':
    sys.exit(main())
