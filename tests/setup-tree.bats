#!/usr/bin/env bats
#
# scripts/setup-tree.sh on a tiny stand-in for a kernel tree (KSRC=): the
# series is applied on a branch of its own, idempotently, and a user's work
# is never lost: a dirty tree, a patch that does not apply or commits on top
# make it refuse and leave everything as it was.

setup() {
	TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	T=$(mktemp -d "${TMPDIR:-/tmp}/setup-tree-test.XXXXXX")
	export KSRC=$T/linux SERIES_FILE=$T/patches/series
	export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@t GIT_COMMITTER_NAME=t \
		GIT_COMMITTER_EMAIL=t@t
	mkdir -p "$KSRC/mm" "$T/patches"
	git -C "$KSRC" init -q -b main
	printf 'int gup(void)\n{\n\treturn 0;\n}\n' >"$KSRC/mm/gup.c"
	git -C "$KSRC" add -A
	git -C "$KSRC" commit -q -m base
	# Two patches, made the way ours are: the "glue" and an mm change.
	make_patch 0001-glue.patch lib/devmap-sandbox/Kconfig 'config X'
	make_patch 0002-mm.patch mm/gup.c 'int gup(void) { return 1; }'
	printf '0001-glue.patch\n0002-mm.patch\n' >"$SERIES_FILE"
}

teardown() {
	rm -rf "$T"
}

# make_patch NAME FILE CONTENT: a git am-able patch; each builds on the
# one before, in a scratch clone ($T/mk), so $KSRC stays at "base".
make_patch() {
	local mk=$T/mk

	[ -d "$mk" ] || git clone -q "$KSRC" "$mk"
	mkdir -p "$(dirname "$mk/$2")"
	printf '%s\n' "$3" >"$mk/$2"
	git -C "$mk" add -A
	git -C "$mk" commit -q -m "change $2"
	git -C "$mk" format-patch -q -1 --stdout >"$T/patches/$1"
}

setup_tree() {
	run "$TOP/scripts/setup-tree.sh"
}

@test "applies the series on branch devmap-sandbox and leaves main alone" {
	setup_tree
	[ "$status" -eq 0 ]
	[ "$(git -C "$KSRC" symbolic-ref --short HEAD)" = devmap-sandbox ]
	[ "$(git -C "$KSRC" rev-list --count main..devmap-sandbox)" -eq 2 ]
	[ "$(git -C "$KSRC" log -1 --format=%s main)" = base ]
	[ -L "$KSRC/lib/devmap-sandbox/kunit" ]
	[ -L "$KSRC/lib/devmap-sandbox/fake-devmap" ]
	# The links are not something to commit.
	[ -z "$(git -C "$KSRC" status --porcelain)" ]
}

@test "running it again changes nothing" {
	setup_tree
	head=$(git -C "$KSRC" rev-parse HEAD)
	setup_tree
	[ "$status" -eq 0 ]
	[ "$(git -C "$KSRC" rev-parse HEAD)" = "$head" ]
}

@test "uncommitted edits survive a rerun (the edit-test loop)" {
	setup_tree
	echo '/* my edit */' >>"$KSRC/mm/gup.c"
	setup_tree
	[ "$status" -eq 0 ]
	grep -q 'my edit' "$KSRC/mm/gup.c"
}

@test "a changed series on a dirty tree is refused and the edit kept" {
	setup_tree
	echo '/* my edit */' >>"$KSRC/mm/gup.c"
	echo '# changed' >>"$SERIES_FILE"
	setup_tree
	[ "$status" -eq 10 ]
	[[ "$output" == *"uncommitted changes"* ]]
	[[ "$output" == *"git -C $KSRC stash"* ]]
	grep -q 'my edit' "$KSRC/mm/gup.c"
}

@test "a changed series is re-applied on a clean tree" {
	setup_tree
	echo '# changed' >>"$SERIES_FILE"
	setup_tree
	[ "$status" -eq 0 ]
	[[ "$output" == *"applied 2 patches"* ]]
}

@test "commits on top of the sandbox patches are never dropped" {
	setup_tree
	echo '/* mine */' >>"$KSRC/mm/gup.c"
	git -C "$KSRC" commit -q -am mine
	echo '# changed' >>"$SERIES_FILE"
	setup_tree
	[ "$status" -eq 10 ]
	[[ "$output" == *"commits on top"* ]]
	[ "$(git -C "$KSRC" log -1 --format=%s)" = mine ]
}

@test "a patch that does not apply is named and the tree left as it was" {
	setup_tree
	before=$(git -C "$KSRC" rev-parse HEAD)
	cat >"$T/patches/0003-bad.patch" <<-'EOF'
	From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001
	From: t <t@t>
	Subject: [PATCH] mm: change a line that is not there

	---
	 mm/gup.c | 2 +-
	 1 file changed, 1 insertion(+), 1 deletion(-)

	diff --git a/mm/gup.c b/mm/gup.c
	--- a/mm/gup.c
	+++ b/mm/gup.c
	@@ -1,3 +1,3 @@
	-int no_such_line(void)
	+int other(void)
	 {
	 	return 0;
	EOF
	echo 0003-bad.patch >>"$SERIES_FILE"
	setup_tree
	[ "$status" -eq 6 ]
	[[ "$output" == *"does not apply"* ]]
	[[ "$output" == *"change a line that is not there"* ]]
	[ "$(git -C "$KSRC" rev-parse HEAD)" = "$before" ]
	[ ! -d "$KSRC/.git/rebase-apply" ]
	[ -z "$(git -C "$KSRC" status --porcelain)" ]
}

# The series is tried in a throwaway worktree first: a failure touches no
# file (an incremental build stays incremental), a success rewrites only
# the files whose content changes.
@test "a failed series rewrites no file; a changed one only what it changes" {
	setup_tree
	touch -d @1000000000 "$KSRC/mm/gup.c" "$KSRC/lib/devmap-sandbox/Kconfig"
	printf 'garbage\n' >"$T/patches/0003-bad.patch"
	echo 0003-bad.patch >>"$SERIES_FILE"
	setup_tree
	[ "$status" -ne 0 ]
	[ "$(stat -c %Y "$KSRC/mm/gup.c")" = 1000000000 ]
	[ "$(stat -c %Y "$KSRC/lib/devmap-sandbox/Kconfig")" = 1000000000 ]
	[ -z "$(git -C "$KSRC" worktree list | sed 1d)" ]
	# Now a good change of the glue patch only: mm/gup.c is not rewritten.
	sed -i '$d' "$SERIES_FILE"
	make_patch 0003-glue2.patch lib/devmap-sandbox/Kconfig 'config Y'
	echo 0003-glue2.patch >>"$SERIES_FILE"
	setup_tree
	[ "$status" -eq 0 ]
	[ "$(stat -c %Y "$KSRC/mm/gup.c")" = 1000000000 ]
	[ "$(stat -c %Y "$KSRC/lib/devmap-sandbox/Kconfig")" != 1000000000 ]
	grep -q 'config Y' "$KSRC/lib/devmap-sandbox/Kconfig"
}

@test "a series naming a missing patch is a clear error" {
	echo 0009-missing.patch >>"$SERIES_FILE"
	setup_tree
	[ "$status" -eq 2 ]
	[[ "$output" == *"0009-missing.patch, which does not exist"* ]]
}

@test "KSRC that is not a git tree is refused" {
	KSRC=$T/nothing setup_tree
	[ "$status" -eq 10 ]
	[[ "$output" == *"is not a git tree"* ]]
}

@test "a tree between two bases is refused with the tree status and one line" {
	mkdir -p "$T/between"
	printf 'VERSION = 6\nPATCHLEVEL = 19\nSUBLEVEL = 0\n' >"$T/between/Makefile"
	git -C "$T/between" init -q
	KSRC=$T/between setup_tree
	[ "$status" -eq 10 ]
	[[ "$output" == *"is Linux 6.19; the sandbox knows the bases"* ]]
	[ "$(printf '%s\n' "$output" | grep -c error)" -eq 1 ]
}
