# shellcheck shell=bash
# Variables set here are the .bats files'; $output is bats' own.
# shellcheck disable=SC2034,SC2154
# The fixture of make check-series' bats tests (tests/uml/check-series.bats,
# tests/compare/check-series-selftests.bats): the test tree, the scratch
# clone, and what every test checks after the run. Loaded, never run.
#
# KSRC is a clone of build/linux that shares its objects and has no files
# checked out (so it is also a "dirty" tree): build/linux itself is the
# team's edit-test tree. Kept in build/check-series/test-ksrc between runs.
# BUILD= moves all of it (as it moves everything the engine builds).
# The scratch clone borrows the objects of the tree it is first made from:
# setup_file makes it from build/linux, not from that test tree.

setup_file() {
	local top src ksrc

	top=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	build=${BUILD:-$top/build}
	src=${KSRC:-$top/build/linux}
	ksrc=$build/check-series/test-ksrc
	# The UML runs serve device memory with devmemd.
	make -s -C "$top/fake-devmap/host" O="$build/host" >&2
	[ -d "$src/.git" ] || return 0
	KSRC=$src python3 -c 'import sys; sys.path.insert(0, sys.argv[1])
from sandbox.settings import Settings
from sandbox.tree import Scratch
Scratch(Settings.from_env()).ensure()' "$top/scripts" >&2
	if [ ! -d "$ksrc/.git" ]; then
		git clone -q --shared --no-checkout -b devmap-sandbox "$src" "$ksrc"
	fi
	git -C "$ksrc" fetch -q --update-head-ok "$src" \
		+refs/heads/devmap-sandbox:refs/heads/devmap-sandbox
	git -C "$ksrc" reset -q
}

setup() {
	TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	FIX=$TOP/tests/fixtures/series
	B=${BUILD:-$TOP/build}
	KSRC=$B/check-series/test-ksrc
	RESULTS=$B/results
	SCRATCH=$B/scratch/linux
	[ -d "$KSRC/.git" ] || skip "no kernel tree: run 'make setup' first"
	T=$(mktemp -d "${TMPDIR:-/tmp}/check-series-test.XXXXXX")
	export GIT_OPTIONAL_LOCKS=0
	before=$(snapshot "$KSRC")
}

teardown() {
	rm -rf "$T"
}

# Everything of the user's tree that the check must leave alone.
snapshot() {
	git -C "$1" rev-parse HEAD
	git -C "$1" symbolic-ref -q HEAD || echo detached
	git -C "$1" ls-files -s | md5sum
	git -C "$1" status --porcelain | md5sum
	git -C "$1" stash list
	git -C "$1" worktree list --porcelain | grep -c '^worktree '
	git -C "$1" for-each-ref | md5sum
}

untouched() {
	[ "$(snapshot "${1:-$KSRC}")" = "$before" ]
}

# The scratch clone's HEAD: where the series went instead.
scratch_subject() {
	git -C "$SCRATCH" log -1 --format=%s
}

check_series() {
	run env -u SERIES -u RANGE -u QUICK -u BASE -u SELFTESTS -u KEEP_GOING -u FILTER \
		KSRC="$KSRC" "$@" python3 "$TOP/scripts/devmap_sandbox.py" check-series
	echo "$output"
}

# The report's table row of patch $1 ("| 1 | subject | yes | ...").
row() {
	printf '%s\n' "$output" | grep "^| $1 | "
}

# A value from the JSON report: json '.first_bad_patch.index'.
json() {
	jq -r "$1" "$RESULTS/check-series.json"
}
