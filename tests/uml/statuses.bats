#!/usr/bin/env bats
#
# The exit statuses a script gets from scripts/devmap-sandbox (the README's
# table; make itself exits 2 for any failed recipe): one test per class,
# each a real run. The patches go to the scratch clone (make try): each
# is an incremental build of one file there. The daemon's death (9) and
# Ctrl-C (130) are in faults.bats. Needs make kunit's set-up.

setup() {
	TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	BUILD=${BUILD:-$TOP/build}
	KSRC=$BUILD/linux
	T=$BATS_TEST_TMPDIR
	[ -d "$KSRC/.git" ] || skip "no kernel tree: run make setup"
}

entry() { run "$TOP/scripts/devmap-sandbox" "$@" PROGRESS=off; echo "$output" | tail -n 3; }

# A patch of mm/memremap.c: sed expression $1 applied to it, as git diff.
memremap_patch() {
	local w=$T/tree

	git -C "$KSRC" show HEAD:mm/memremap.c >"$T/a.c"
	sed "$1" "$T/a.c" >"$T/b.c"
	mkdir -p "$w/a/mm" "$w/b/mm"
	cp "$T/a.c" "$w/a/mm/memremap.c"
	cp "$T/b.c" "$w/b/mm/memremap.c"
	(cd "$w" && git diff --no-index --src-prefix= --dst-prefix= a/mm/memremap.c b/mm/memremap.c >"$T/$2.patch") || true
	[ -s "$T/$2.patch" ]
}

@test "no test matches FILTER: 2" {
	entry kunit FILTER=nomatch
	[ "$status" -eq 2 ]
	[[ "$output" == *"no test matches FILTER=nomatch"* ]]
}

@test "an unknown target: 2" {
	entry frobnicate
	[ "$status" -eq 2 ]
}

@test "a patch that does not apply: 6" {
	printf 'this is not a patch\n' >"$T/garbage.patch"
	entry try PATCH="$T/garbage.patch"
	[ "$status" -eq 6 ]
}

@test "a test that fails: 1" {
	entry try PATCH="$TOP/kernel-patches/mutants/gup-get-adds-two.patch" FILTER='devmap_gup*'
	[ "$status" -eq 1 ]
}

@test "a build error: 5" {
	memremap_patch 's/^void memunmap_pages(struct dev_pagemap \*pgmap)$/& broken/' build-error
	entry try PATCH="$T/build-error.patch"
	[ "$status" -eq 5 ]
	[[ "$output" == *"does not build"* ]]
}

@test "a crash: 7, named after the case the KTAP stream was in, not a stack word" {
	# memunmap_pages() returning at once: the pgmap's pages stay in use
	# and the next pgmap over the same range faults.
	memremap_patch '/^void memunmap_pages/,/^{/{/^{/a\	return;
}' memunmap-early
	entry try PATCH="$T/memunmap-early.patch"
	[ "$status" -eq 7 ]
	[[ "$output" =~ crashed\ in\ devmap_[a-z_]+\.devmap_ ]]
}

@test "a hang: 8, within the timeout, not at KUnit's own" {
	memremap_patch '/^void memunmap_pages/,/^{/{/^{/a\	schedule_timeout_uninterruptible(3600 * HZ);
}' hang
	entry try PATCH="$T/hang.patch" TIMEOUT=20 FILTER='devmap_lifecycle*'
	[ "$status" -eq 8 ]
	[[ "$output" == *"hung"* ]]
}
