"""The kernel trees: the user's (read only here: set-up is
scripts/setup-tree.sh) and the scratch clone that mutants and series
checks change instead.

The scratch clone, BUILD/scratch/linux, shares the user's objects
(git clone --shared) and stays between runs, with build directories of its
own next to it, so its builds stay incremental. Before each use it is
reset to the user's HEAD plus their uncommitted changes, committed there
as the run's base; git rewrites only the files that differ, so a reset
costs a rebuild of only what changed. Nothing here writes to KSRC: a
SIGKILL at any moment leaves the user's tree as it was, and at worst the
scratch clone mutated, which the next reset undoes.
"""
import contextlib
import fcntl
import os
import subprocess
from typing import List, Optional

from . import bases
from .errors import PatchDoesNotApply, TreeError
from .progress import Progress
from .settings import Settings

SANDBOX_DIR = 'lib/devmap-sandbox'
IDENTITY = ['-c', 'user.name=devmap-sandbox', '-c', 'user.email=devmap-sandbox@localhost',
            '-c', 'core.hooksPath=/dev/null', '-c', 'gc.auto=0', '-c', 'advice.detachedHead=false']


def git(repo: str, *args: str, check=True, input: Optional[str] = None,
        capture=True) -> subprocess.CompletedProcess:
    r = subprocess.run(['git', '-C', repo] + IDENTITY + list(args), input=input,
                       stdout=subprocess.PIPE if capture else None,
                       stderr=subprocess.PIPE if capture else None, text=True,
                       env=dict(os.environ, GIT_OPTIONAL_LOCKS='0'))
    if check and r.returncode:
        raise TreeError(f'git {" ".join(args[:2])} in {repo} failed: '
                        + ((r.stderr or '').strip().splitlines() or ['?'])[0],
                        (r.stderr or '').splitlines())
    return r


def require_setup(ksrc: str) -> None:
    if not os.path.isdir(os.path.join(ksrc, SANDBOX_DIR)):
        raise TreeError(f"{ksrc} is not set up: run 'make setup' (or make kunit) first")


def link_sandbox(tree: str, top: str) -> None:
    """Our provider and suites, linked into the directory our last patch
    makes for them: one edit in this repo is one incremental rebuild."""
    d = os.path.join(tree, SANDBOX_DIR)
    for name, target in (('fake-devmap', os.path.join(top, 'fake-devmap', 'kernel')),
                         ('kunit', os.path.join(top, 'kunit-suites'))):
        link = os.path.join(d, name)
        if os.path.islink(link) and os.readlink(link) == target:
            continue
        if os.path.lexists(link):
            os.unlink(link)
        os.symlink(target, link)


class Scratch:
    def __init__(self, settings: Settings, root: Optional[str] = None):
        self.settings = settings
        self.root = root or settings.scratch
        self.path = os.path.join(self.root, 'linux')

    def kbuild(self, profile: str) -> str:
        return os.path.join(self.root, profile)

    def _create(self) -> None:
        os.makedirs(self.root, exist_ok=True)
        tmp = self.path + '.tmp'
        subprocess.run(['rm', '-rf', tmp], check=True)
        git(self.root, 'clone', '-q', '--shared', '--no-checkout',
            self.settings.ksrc, tmp)
        with Progress(f'making the clone {self.path} (once)', unit='files'):
            git(tmp, 'checkout', '-q', '--detach', git(self.settings.ksrc, 'rev-parse', 'HEAD').stdout.strip())
        with open(os.path.join(tmp, '.git', 'info', 'exclude'), 'a') as f:
            f.write(f'/{SANDBOX_DIR}/fake-devmap\n/{SANDBOX_DIR}/kunit\n')
        os.rename(tmp, self.path)

    def ensure(self) -> None:
        """The clone, made once (from KSRC: keep KSRC where it is, the
        clone borrows its objects)."""
        if not os.path.isdir(os.path.join(self.path, '.git')):
            self._create()

    @contextlib.contextmanager
    def lock(self, what: str):
        """One run at a time in the scratch clone (another fails at once)."""
        os.makedirs(self.root, exist_ok=True)
        path = os.path.join(self.root, 'lock')
        with open(path, 'a+') as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                f.seek(0)
                raise TreeError(f'the scratch clone is in use by another run ({f.read().strip()}; '
                                f'lock {path})')
            f.seek(0)
            f.truncate()
            f.write(f'{what}, pid {os.getpid()}\n')
            f.flush()
            yield

    def at(self, commit: str) -> str:
        """Reset to a commit of KSRC, without KSRC's uncommitted changes
        (fetched from KSRC when the clone lacks it: KSRC may be another
        tree than the one the clone was made from); returns the commit."""
        self.ensure()
        if git(self.path, 'cat-file', '-e', commit + '^{commit}', check=False).returncode:
            git(self.path, 'fetch', '-q', '--no-tags', self.settings.ksrc, commit)
        self.reset(commit)
        link_sandbox(self.path, self.settings.top)
        return commit

    def prepare(self) -> str:
        """Reset to the user's HEAD plus their uncommitted changes to
        tracked files; returns the base commit (in the scratch clone)."""
        ksrc = self.settings.ksrc
        require_setup(ksrc)
        if not os.path.isdir(os.path.join(self.path, '.git')):
            self._create()
        head = git(ksrc, 'rev-parse', 'HEAD').stdout.strip()
        # An unfinished am or apply of a run that was killed.
        git(self.path, 'am', '--abort', check=False)
        git(self.path, 'reset', '-q', '--hard', head)
        git(self.path, 'clean', '-fdq')
        diff = git(ksrc, 'diff', '--binary', 'HEAD').stdout
        if diff:
            r = git(self.path, 'apply', '--whitespace=nowarn', '-', input=diff, check=False)
            if r.returncode:
                raise TreeError('your uncommitted changes in KSRC do not apply to its HEAD in the '
                                'scratch clone: ' + (r.stderr.strip().splitlines() or ['?'])[0])
            git(self.path, 'commit', '-q', '-a', '-m', 'uncommitted changes of KSRC')
        link_sandbox(self.path, self.settings.top)
        return git(self.path, 'rev-parse', 'HEAD').stdout.strip()

    @contextlib.contextmanager
    def with_patch(self, patch: str, what: str):
        """The clone at your tree's state with @patch applied (make try,
        make oracle PATCH=); back to that state afterwards."""
        with self.lock(what):
            base = self.prepare()
            try:
                self.apply(os.path.abspath(patch))
                yield self
            finally:
                self.reset(base)

    def reset(self, commit: str) -> None:
        """Back to a commit: only files that differ are rewritten."""
        git(self.path, 'am', '--abort', check=False)
        git(self.path, 'reset', '-q', '--hard', commit)
        git(self.path, 'clean', '-fdq')

    def apply(self, patch: str) -> List[str]:
        """git apply (a mutant: a bare diff); returns the files it touches."""
        r = git(self.path, 'apply', '--index', patch, check=False)
        if r.returncode:
            raise PatchDoesNotApply(f'{os.path.basename(patch)} does not apply: '
                                    + (r.stderr.strip().splitlines() or ['?'])[0],
                                    r.stderr.splitlines(), patch=patch)
        return git(self.path, 'diff', '--cached', '--name-only').stdout.split()

    def am(self, patch: str, args: List[str] = ()) -> str:
        """git am one mail; returns the new commit."""
        r = git(self.path, 'am', '-q', *args, patch, check=False)
        if r.returncode:
            err = (r.stdout or '') + (r.stderr or '')
            git(self.path, 'am', '--abort', check=False)
            lines = [x for x in err.splitlines() if x.startswith(('error:', 'Patch failed'))] \
                or err.splitlines()
            raise PatchDoesNotApply(f'{os.path.basename(patch)} does not apply: '
                                    + (lines[0] if lines else '?'), err.splitlines(), patch=patch)
        return git(self.path, 'rev-parse', 'HEAD').stdout.strip()


# Fixed dates: the same stock tree is the same commit, run after run.
_FIXED_DATE = '2000-01-01T00:00:00Z'


class Stock(Scratch):
    """BUILD/stock/linux: the user's tree (HEAD) with upstream's arch/um,
    i.e. with every file our series (kernel-patches/series) touches put
    back as it was before the series, its new files removed. The
    reference column of make selftests-compare: what UML does without us.
    The base's host-compatibility patches (bases.py: stock_keeps) are then
    applied again, so that stock UML runs user space where ours does.
    Made without touching its work tree, so that a reset to the same
    stock tree rewrites nothing and its build stays incremental."""

    def __init__(self, settings: Settings):
        super().__init__(settings, os.path.join(settings.root, 'stock'))

    def _series_range(self):
        ksrc = self.settings.ksrc
        cfg = {k: git(ksrc, 'config', '--get', f'devmap-sandbox.{k}', check=False).stdout.strip()
               for k in ('base', 'head')}
        if not cfg['base'] or not cfg['head']:
            raise TreeError(f"{ksrc} has no record of our series: run 'make setup' first")
        return cfg['base'], cfg['head']

    def prepare(self) -> str:
        """Reset to the stock tree of the user's HEAD; returns its commit."""
        ksrc = self.settings.ksrc
        require_setup(ksrc)
        self.ensure()
        base, series_head = self._series_range()
        head = git(ksrc, 'rev-parse', 'HEAD').stdout.strip()
        if git(self.path, 'cat-file', '-e', head + '^{commit}', check=False).returncode:
            git(self.path, 'fetch', '-q', '--no-tags', ksrc, head)
        files = git(self.path, 'diff', '--name-only', '--no-renames', base, series_head).stdout.split()
        index = os.path.join(self.path, '.git', 'stock-index')
        env = dict(os.environ, GIT_INDEX_FILE=index, GIT_AUTHOR_DATE=_FIXED_DATE,
                   GIT_COMMITTER_DATE=_FIXED_DATE)
        run = lambda *a, **kw: subprocess.run(['git', '-C', self.path] + IDENTITY + list(a),  # noqa: E731
                                              env=env, check=True, text=True,
                                              stdout=subprocess.PIPE, **kw).stdout
        run('read-tree', head)
        at_base = {line.split('\t', 1)[1]: line.split('\t', 1)[0]
                   for line in run('ls-tree', '-r', base, '--', *files).splitlines()}
        gone = [f for f in files if f not in at_base]
        if gone:
            run('update-index', '--force-remove', '--', *gone)
        if at_base:
            info = ''.join(f'{meta.split()[0]} {meta.split()[2]}\t{f}\n' for f, meta in at_base.items())
            run('update-index', '--index-info', input=info)
        patches = os.path.join(self.settings.top, 'kernel-patches')
        for name in bases.for_tree(ksrc).stock_keeps:
            try:
                run('apply', '--cached', os.path.join(patches, name), stderr=subprocess.PIPE)
            except subprocess.CalledProcessError as e:
                os.unlink(index)
                why = ((e.stderr or '').strip().splitlines() or ['?'])[0]
                raise TreeError(f'the stock tree cannot keep {name}: {why}') from None
        tree = run('write-tree').strip()
        commit = run('commit-tree', tree, '-p', head, '-m',
                     "stock: upstream's arch/um (the sandbox's series taken out)").strip()
        os.unlink(index)
        self.reset(commit)
        return commit
