# shellcheck shell=bash
# Shared helpers of the shell plumbing (setup-tree.sh, build-selftests.sh,
# check-style.sh): messages, the tree, the series. Sourced, never run.
# Everything else lives in the engine (scripts/sandbox/settings.py).

TOP=$(cd "${BASH_SOURCE[0]%/*}/../.." && pwd)
BUILD=${BUILD:-$TOP/build}
# The base (scripts/sandbox/bases.py, the one place that knows them): its
# package and tarball, its series, its folder under BUILD (its tree,
# builds and clones), where its source comes from. Asked of the engine
# only when SANDBOX_BASE or KSRC is set (the edit loop runs set-up every
# time; a tree of the user's is of the base its Makefile says); else the
# default base, 6.12, whose folder is BUILD itself.
if [ -n "${SANDBOX_BASE:-}" ] || [ -n "${KSRC:-}" ]; then
	# The engine's status on a bad base or tree (2, 10), its message printed.
	base_line=$(BUILD=$BUILD "${PYTHON:-/usr/bin/python3}" -S \
		"$TOP/scripts/devmap_sandbox.py" base) || exit
	# shellcheck disable=SC2034 # read by the scripts that source this file
	IFS=$'\t' read -r BASE_PKG BASE_TARBALL BASE_SERIES BASE_ROOT BASE_SUITE BASE_DEB_VERSION \
		BASE_DEB_SHA256 BASE_READY <<<"$base_line"
	[ -n "${BASE_ROOT:-}" ] || exit 2
	SERIES_FILE=${SERIES_FILE:-$BASE_SERIES}
else
	BASE_ROOT=$BUILD
fi
# The sandbox kernel tree: Debian's linux-source-<base> unpacked as a git
# repo, or the user's own tree when KSRC is set.
KSRC_DEFAULT=$BASE_ROOT/linux
KSRC=${KSRC:-$KSRC_DEFAULT}
export SANDBOX_BRANCH=devmap-sandbox
# The directory our last patch makes in the kernel tree for the provider
# and the suites (linked in from fake-devmap/kernel and kunit-suites).
export SANDBOX_DIR=lib/devmap-sandbox

say() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { say "error: $*"; exit 1; }
# The engine's exit statuses (scripts/sandbox/errors.py), for the plumbing
# that fails before the engine starts: fail STATUS MESSAGE. (Used by the
# scripts that source this file, hence no SC2034.)
# shellcheck disable=SC2034
ST_BAD_INPUT=2 ST_PACKAGES=3 ST_BUILD=5 ST_PATCH=6 ST_TREE=10
fail() { local st=$1; shift; say "error: $*"; exit "$st"; }

# The series: one patch file per line, relative to the series file's
# directory or absolute; '#' starts a comment. Prints absolute paths.
SERIES_FILE=${SERIES_FILE:-$TOP/kernel-patches/series}
series_patches() {
	local line dir

	case $SERIES_FILE in */*) dir=${SERIES_FILE%/*} ;; *) dir=. ;; esac
	while read -r line; do
		line=${line%%#*}
		line=${line%"${line##*[![:space:]]}"}
		[ -n "$line" ] || continue
		case $line in
		/*) ;;
		*) line=$dir/$line ;;
		esac
		[ -f "$line" ] || fail "$ST_BAD_INPUT" "$SERIES_FILE names $line, which does not exist"
		printf '%s\n' "$line"
	done <"$SERIES_FILE"
}

# Run "$@" and say what it is doing every 5 s while it runs (on a
# terminal one updating line, in a log a plain line), so that no long
# step is silent.
with_progress() {
	local what=$1 pid rc=0 start=$SECONDS tty=0
	shift

	[ -t 2 ] && tty=1
	"$@" &
	pid=$!
	# A background job of a script ignores SIGINT: pass Ctrl-C on.
	# shellcheck disable=SC2064 # $pid is fixed now
	trap "kill $pid 2>/dev/null; say interrupted; exit 130" INT TERM
	while ! wait_a_moment "$pid"; do
		if [ "$tty" = 1 ]; then
			printf '\r\033[K%s: %s, %ds' "${0##*/}" "$what" $((SECONDS - start)) >&2
		elif [ $(((SECONDS - start) % 5)) = 0 ]; then
			say "$what, $((SECONDS - start))s"
		fi
	done
	wait "$pid" || rc=$?
	trap - INT TERM
	[ "$tty" = 0 ] || printf '\r\033[K' >&2
	say "$what: done in $((SECONDS - start))s"
	return "$rc"
}

# True once process $1 has ended; otherwise sleeps a second.
wait_a_moment() {
	kill -0 "$1" 2>/dev/null || return 0
	sleep 1
	return 1
}

# unmount_under DIR: lazily unmount every mount at or below DIR, deepest
# first (root, before deleting a tree another user ran in: root cannot stat
# that user's FUSE mounts, so rm -rf alone fails on them).
unmount_under() {
	local dir=$1 mnt

	while read -r mnt; do
		echo "unmounting $mnt, left by a run that was killed"
		umount -l "$mnt"
	done < <(awk -v d="$dir" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r)
}
