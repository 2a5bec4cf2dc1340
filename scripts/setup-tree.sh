#!/bin/bash
# Make $KSRC a kernel git tree with kernel-patches/series applied.
#
#   default tree:  Debian's linux-source-6.12 unpacked into build/linux as a
#                  git repo whose first commit is the pristine source, tagged
#                  pristine/<debian version>
#   KSRC=/path:    the user's own git tree; our patches go on a branch named
#                  devmap-sandbox started from the current HEAD
#
# Idempotent: the applied series is remembered (git config devmap-sandbox.*)
# and re-applied only when kernel-patches/ changed. Never destroys work: a
# dirty tree, an unfinished git am, or commits on top of the sandbox patches
# make it refuse with a message rather than reset anything.
set -euo pipefail
case $0 in */*) here=${0%/*} ;; *) here=. ;; esac
# shellcheck source=scripts/lib/common.sh
. "$here/lib/common.sh"

# The base kernel's package and tarball: scripts/sandbox/bases.py, the one
# place that knows what depends on the base. Asked only for a new tree
# (the edit loop runs this script every time: it must be quick).
PKG='' TARBALL='' SUITE=- VERSION=''
base_package() {
	if [ -z "${BASE_PKG:-}" ]; then
		IFS=$'\t' read -r BASE_PKG BASE_TARBALL _ _ BASE_SUITE BASE_DEB_VERSION BASE_DEB_SHA256 _ < <(
			"${PYTHON:-/usr/bin/python3}" -S "$TOP/scripts/devmap_sandbox.py" base)
	fi
	PKG=$BASE_PKG TARBALL=$BASE_TARBALL SUITE=$BASE_SUITE VERSION=$BASE_DEB_VERSION
}

# Commits we make must not depend on the user's git identity.
export GIT_COMMITTER_NAME=${GIT_COMMITTER_NAME:-devmap-sandbox}
export GIT_COMMITTER_EMAIL=${GIT_COMMITTER_EMAIL:-devmap-sandbox@localhost}

kgit() { git -C "$KSRC" "$@"; }

ensure_tarball() {
	[ -r "$TARBALL" ] && return
	if [ "$SUITE" != - ]; then
		# Not in the system's suites: fetched as an ordinary user.
		BASE_PKG=$PKG BASE_TARBALL=$TARBALL BASE_SUITE=$SUITE BASE_DEB_VERSION=$VERSION \
			BASE_DEB_SHA256=$BASE_DEB_SHA256 "$here/fetch-source.sh"
		return
	fi
	if [ "$(id -u)" = 0 ]; then
		say "installing $PKG (kernel source)"
		apt-get install -y "$PKG" >/dev/null ||
			fail "$ST_PACKAGES" "apt-get install $PKG failed (run apt-get update first?)"
	else
		fail "$ST_PACKAGES" "$TARBALL is missing. Install the kernel source with:
    sudo apt-get install $PKG"
	fi
}

# Unpack into a temporary directory and rename it into place at the end, so
# an interrupted unpack never leaves a half tree that looks usable.
unpack_pristine() {
	local version
	if [ "$SUITE" != - ]; then
		version=$VERSION
	else
		version=$(dpkg-query -W -f='${Version}' "$PKG" 2>/dev/null || echo unknown)
	fi
	mkdir -p "$BUILD" "${KSRC%/*}"
	unpack_tmp=$(mktemp -d "${KSRC%/*}/.linux-unpack.XXXXXX")
	trap 'rm -rf "$unpack_tmp"' EXIT
	local tmp=$unpack_tmp
	say "unpacking $TARBALL ($version) into $KSRC"
	with_progress "unpacking $(basename "$TARBALL")" \
		tar -xJf "$TARBALL" -C "$tmp" --strip-components=1
	git -C "$tmp" init -q -b pristine
	# No automatic gc: repacking 86,000 files costs minutes of CPU that
	# the first build needs more.
	git -C "$tmp" config gc.auto 0
	# -f: Debian's top-level .gitignore ignores everything but debian/.
	# Loose objects uncompressed: zlib is more than half of this step's
	# time (measured: 68 s -> 29 s on a 2-core machine), for about 1 GiB
	# more on disk; nothing here is ever pushed.
	with_progress "recording the pristine source in git" \
		git -C "$tmp" -c core.looseCompression=0 add -A -f
	with_progress "committing the pristine source" \
		env GIT_AUTHOR_NAME=Debian GIT_AUTHOR_EMAIL=debian-kernel@lists.debian.org \
		git -C "$tmp" commit -q -m "Debian $PKG $version (pristine)"
	git -C "$tmp" tag "pristine/${version//\~/_}"
	# Debian's .gitignore ignores everything at the top level (a rule of
	# its packaging repository), which would hide new files from git and
	# from our dirty-tree checks. Drop that rule in a commit of its own.
	sed -i '/^# Debian packaging: ignore everything/,/^!\/debian\/$/d' \
		"$tmp/.gitignore"
	GIT_AUTHOR_NAME=$GIT_COMMITTER_NAME GIT_AUTHOR_EMAIL=$GIT_COMMITTER_EMAIL \
		git -C "$tmp" commit -q -a -m "Let git see new files: drop Debian's ignore-all rule"
	mv "$tmp" "$KSRC"
	trap - EXIT
}

# The edit loop runs this script before every build, so the check that
# nothing changed forks few programs (each is ~5 ms): one cat, one
# sha1sum, two git.
series_hash() {
	local list hash
	local -a patches

	list=$(series_patches) || exit
	mapfile -t patches <<<"$list"
	read -r hash _ < <(cat "$SERIES_FILE" "${patches[@]}" | sha1sum)
	echo "$hash"
}

is_dirty() { [ -n "$(kgit status --porcelain --untracked-files=no)" ]; }

# The out-of-tree pieces (provider, suites) are linked into the directory
# our patches make for them, $SANDBOX_DIR/, so that one edit in this repo
# is one incremental kernel rebuild. git ignores the links.
link_sandbox_dirs() {
	local dir=$KSRC/$SANDBOX_DIR old=$KSRC/arch/um/devmap-sandbox ex

	[ -d "$dir" ] || die "$dir is missing: kernel-patches/series was not applied"
	# Already linked (git's exclude was written when they were made).
	if [ "$dir/fake-devmap" -ef "$TOP/fake-devmap/kernel" ] &&
	   [ "$dir/kunit" -ef "$TOP/kunit-suites" ] && [ ! -d "$old" ]; then
		return 0
	fi
	ln -sfn "$TOP/fake-devmap/kernel" "$dir/fake-devmap"
	ln -sfn "$TOP/kunit-suites" "$dir/kunit"
	# Links of an older series, whose glue lived in arch/um/.
	if [ ! -e "$old/Kconfig" ] && [ -d "$old" ]; then
		rm -f "$old/fake-devmap" "$old/kunit"
		rmdir "$old" 2>/dev/null || true
	fi
	ex=$(kgit rev-parse --git-path info/exclude)
	case $ex in /*) ;; *) ex=$KSRC/$ex ;; esac
	mkdir -p "$(dirname "$ex")"
	grep -qx "/$SANDBOX_DIR/kunit" "$ex" 2>/dev/null ||
		printf '/%s/fake-devmap\n/%s/kunit\n' "$SANDBOX_DIR" "$SANDBOX_DIR" >>"$ex"
}

# git am the series in a throwaway worktree of KSRC that checks out only
# the files the patches touch (sparse), on $1; print the resulting commit.
# The user's tree, index and branch are not touched, whatever happens.
# Runs in a subshell ($(...)): the EXIT trap removes the worktree.
try_series() {
	local base=$1 wt log new paths
	shift

	mkdir -p "$BUILD"
	wt=$(mktemp -d "$BUILD/.series-try.XXXXXX")
	log=$wt.log
	# shellcheck disable=SC2064 # $wt and $log are fixed now
	trap "remove_try '$wt' '$log'" EXIT INT TERM
	kgit worktree add -q --detach --no-checkout "$wt" "$base" >"$log" 2>&1 ||
		{ cat "$log" >&2; fail "$ST_TREE" "cannot make a worktree of $KSRC"; }
	mapfile -t paths < <(sed -n 's|^[-+][-+][-+] [ab]/|/|p' "$@" | sort -u)
	git -C "$wt" sparse-checkout set --no-cone "${paths[@]}" >>"$log" 2>&1
	git -C "$wt" checkout -q >>"$log" 2>&1
	# -3: on a tree newer than the base (7.4-rc, mm-unstable) a patch
	# whose context moved still applies where git can merge it.
	if ! git -C "$wt" -c core.hooksPath=/dev/null am -q -3 "$@" >"$log" 2>&1; then
		say "error: a patch in ${SERIES_FILE#"$TOP"/} does not apply:"
		grep -E '^(Patch failed|error:|Applying)' "$log" >&2 || cat "$log" >&2
		remove_try "$wt" "$log"
		fail "$ST_PATCH" "tree left as it was ($(kgit log -1 --format=%h HEAD)): nothing was changed"
	fi
	new=$(git -C "$wt" rev-parse HEAD)
	remove_try "$wt" "$log"
	echo "$new"
}

remove_try() {
	git -C "$1" am --abort >/dev/null 2>&1 || true
	kgit worktree remove --force --force "$1" >/dev/null 2>&1 || true
	rm -rf "$1" "$2"
	kgit worktree prune
}

apply_series() {
	local want have head base
	[ -f "$SERIES_FILE" ] || fail "$ST_TREE" "$KSRC is unpacked, but the base's arch/um port is not written yet: ${SERIES_FILE#"$TOP"/} is missing (scripts/sandbox/bases.py: not ready)"
	want=$(series_hash) || exit
	have='' head=''
	while read -r key value; do
		case $key in
		devmap-sandbox.series) have=$value ;;
		devmap-sandbox.head) head=$value ;;
		esac
	done < <(kgit config --get-regexp '^devmap-sandbox\.(series|head)$' || true)

	if [ "$want" = "$have" ] && [ -n "$head" ] &&
	   kgit merge-base --is-ancestor "$head" HEAD 2>/dev/null; then
		return 0
	fi

	[ ! -d "$(kgit rev-parse --git-path rebase-apply)" ] ||
		fail "$ST_TREE" "a 'git am' is in progress in $KSRC; finish or abort it first"
	if is_dirty; then
		fail "$ST_TREE" "$KSRC has uncommitted changes and kernel-patches/ changed, so the
tree must be re-patched. Commit or stash them first:
    git -C $KSRC stash"
	fi

	base=$(kgit config --get devmap-sandbox.base || true)
	if [ -n "$head" ]; then
		[ "$(kgit rev-parse HEAD)" = "$(kgit rev-parse "$head")" ] ||
			fail "$ST_TREE" "$KSRC has commits on top of the sandbox patches (or another
branch checked out); kernel-patches/ changed and re-applying would drop
them. Check out branch $SANDBOX_BRANCH without extra commits, or save them
and run: git -C $KSRC checkout $SANDBOX_BRANCH && git -C $KSRC reset --hard $base"
	else
		base=$(kgit rev-parse HEAD)
		kgit config devmap-sandbox.base "$base"
		kgit config devmap-sandbox.origin \
			"$(kgit symbolic-ref -q --short HEAD || kgit rev-parse HEAD)"
	fi

	local patches new
	mapfile -t patches < <(series_patches)
	[ ${#patches[@]} -gt 0 ] || fail "$ST_BAD_INPUT" "${SERIES_FILE#"$TOP"/} lists no patches"
	say "applying ${SERIES_FILE#"$TOP"/} on $(kgit log -1 --format='%h %s' "$base")"
	new=$(try_series "$base" "${patches[@]}") || exit
	# Only now does the tree move, and git rewrites only the files whose
	# content changes: the next build stays incremental.
	kgit checkout -q -B "$SANDBOX_BRANCH" "$new"
	kgit config devmap-sandbox.series "$want"
	kgit config devmap-sandbox.head "$(kgit rev-parse HEAD)"
	say "applied ${#patches[@]} patches; branch $SANDBOX_BRANCH at $(kgit log -1 --format='%h %s')"
}

main() {
	if [ ! -e "$KSRC/.git" ]; then
		[ "$KSRC" = "$KSRC_DEFAULT" ] ||
			fail "$ST_TREE" "KSRC=$KSRC is not a git tree"
		[ ! -e "$KSRC" ] ||
			fail "$ST_TREE" "$KSRC exists but is not a git tree; move it away"
		base_package
		ensure_tarball
		unpack_pristine
	fi
	apply_series
	link_sandbox_dirs
}

main "$@"
