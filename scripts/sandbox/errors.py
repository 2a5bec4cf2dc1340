"""One exception per failure kind; the CLI maps each to its exit status
and prints its one-line message. Statuses, as the README lists them:

  0 everything passed     1 a test failed        2 bad input
  3 packages missing      4 config error         5 build error
  6 a patch does not apply  7 the kernel crashed  8 the kernel hung
  9 the device memory daemon died  10 the tree cannot be used
  11 the host cannot do it  12 the base's source cannot be fetched
  130 interrupted (Ctrl-C, SIGTERM)
"""


class SandboxError(Exception):
    """Base: a message for the user and the exit status that goes with it."""
    status = 2
    kind = 'error'

    def __init__(self, message, details=()):
        super().__init__(message)
        self.message = message
        # Lines the user needs to see under the one-line message (the
        # compiler's errors, the oops, git am's complaint).
        self.details = list(details)


class TestsFailed(SandboxError):
    status = 1
    kind = 'tests failed'


class StrayReport(TestsFailed):
    """Every test passed, but the kernel reported a memory-safety bug
    (KASAN, KFENCE, a bad page) outside the failing test's own thread:
    from a worker, an RCU callback, at boot. `test` is the test that was
    running when it came, if any."""
    kind = 'memory-safety report'

    def __init__(self, message, details=(), test=None):
        super().__init__(message, details)
        self.test = test


class BadInput(SandboxError):
    status = 2
    kind = 'bad input'

    def __init__(self, message, details=(), result=None):
        super().__init__(message, details)
        self.result = result


class MissingPackages(SandboxError):
    status = 3
    kind = 'missing packages'


class ConfigError(SandboxError):
    status = 4
    kind = 'config error'


class BuildError(SandboxError):
    status = 5
    kind = 'build error'


class PatchDoesNotApply(SandboxError):
    status = 6
    kind = 'patch does not apply'

    def __init__(self, message, details=(), patch=None):
        super().__init__(message, details)
        self.patch = patch


class BootOutcome(SandboxError):
    """A boot that ended without a complete result. `test` is the test
    that was running (suite.case), `result` the partial parse."""

    def __init__(self, message, details=(), test=None, result=None):
        super().__init__(message, details)
        self.test = test
        self.result = result


class Crashed(BootOutcome):
    status = 7
    kind = 'crashed'


class Hung(BootOutcome):
    status = 8
    kind = 'hung'


class DaemonDied(BootOutcome):
    status = 9
    kind = 'device memory daemon died'


class TreeError(SandboxError):
    status = 10
    kind = 'tree'


class HostUnsupported(SandboxError):
    """The base's UML cannot do this on this host (bases.py says why)."""
    status = 11
    kind = 'host unsupported'


class SourceUnavailable(SandboxError):
    """The base's pinned source package is not served (any more) and no
    SOURCE= names a local copy (scripts/fetch-source.sh)."""
    status = 12
    kind = 'source unavailable'


class Interrupted(SandboxError):
    status = 130
    kind = 'interrupted'
