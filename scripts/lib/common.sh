# shellcheck shell=bash
# Shared helpers for the devmap-sandbox scripts: messages, paths, defaults.
# Sourced, never run.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$TOP/build}
# The sandbox kernel tree: Debian's linux-source-6.12 unpacked as a git repo,
# or the user's own tree when KSRC is set.
KSRC_DEFAULT=$BUILD/linux
KSRC=${KSRC:-$KSRC_DEFAULT}
# Where kunit.py puts the UML objects (make O=...). Kept apart from the tree
# so that a user's tree stays free of build output.
# The debug profile gets a directory of its own: switching DEBUG back and
# forth would otherwise rebuild everything each time.
if [ "${DEBUG:-0}" != 0 ]; then
	KBUILD=${KBUILD:-$BUILD/kunit-uml-debug}
else
	KBUILD=${KBUILD:-$BUILD/kunit-uml}
fi
# The same for the x86_64 kernel of the differential oracle (make oracle).
if [ "${DEBUG:-0}" != 0 ]; then
	QBUILD=${QBUILD:-$BUILD/kunit-x86_64-debug}
else
	QBUILD=${QBUILD:-$BUILD/kunit-x86_64}
fi
# The FUSE daemon, built by 'make host' (scripts/lib/devmem.sh runs it).
export DEVMEMD=${DEVMEMD:-$BUILD/host/devmemd}
export SANDBOX_BRANCH=devmap-sandbox
# The directory our last patch makes in the kernel tree for the provider
# and the suites (linked in from fake-devmap/kernel and kunit-suites).
export SANDBOX_DIR=lib/devmap-sandbox

# Stop a process started with setsid and everything in its session (UML
# and its helper processes): TERM, a moment to exit, then KILL.
stop_session() {
	kill -TERM -- "-$1" 2>/dev/null || true
	sleep 0.2
	kill -KILL -- "-$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

say() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { say "error: $*"; exit 1; }

# The series: one patch file per line, relative to the series file's
# directory or absolute; '#' starts a comment. Prints absolute paths.
SERIES_FILE=${SERIES_FILE:-$TOP/kernel-patches/series}
series_patches() {
	local line dir

	dir=$(dirname "$SERIES_FILE")
	while read -r line; do
		line=${line%%#*}
		line=${line%"${line##*[![:space:]]}"}
		[ -n "$line" ] || continue
		case $line in
		/*) ;;
		*) line=$dir/$line ;;
		esac
		[ -f "$line" ] || die "$SERIES_FILE names $line, which does not exist"
		printf '%s\n' "$line"
	done <"$SERIES_FILE"
}
