#!/usr/bin/env bats
#
# make selftests-compare can fail: a deliberately broken hunk of our
# arch/um series (kernel-patches/port-mutants/: pte_modify() loses
# _PAGE_SPECIAL, so an mprotect()ed zero-page PTE turns into a "normal"
# page) makes the side-by-side comparison report a regression of the
# sandbox UML against stock UML. The mutant goes into the scratch clone
# (PATCH=): the user's tree is untouched. The stock and x86_64 columns are
# those of the last make selftests-compare (make test-compare runs it
# first); only the sandbox kernel is rebuilt. Not part of make test: the
# header change rebuilds most of the scratch clone's selftests kernel (and,
# after the reset, of every other scratch build), minutes CI has not got.

setup() {
	TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	B=${BUILD:-$TOP/build}
	KSRC=${KSRC:-$B/linux}
	MUTANT=$TOP/kernel-patches/port-mutants/pte-modify-drops-special.patch
}

@test "a broken hunk of our port makes selftests-compare report a regression" {
	local before md=$B/results/selftests-compare.md

	before=$(git -C "$KSRC" status --porcelain; git -C "$KSRC" rev-parse HEAD)
	run make -s -C "$TOP" selftests-compare PATCH="$MUTANT" PROGRESS=off
	echo "$output" | tail -n 40
	# make exits 2 when the engine exits 1
	[ "$status" -ne 0 ]
	[[ "$output" == *"REGRESSION: "* ]]
	grep -q '^Regressions of the sandbox UML against stock UML: \*\*[1-9]' "$md"
	grep -q '| regression |$' "$md"
	[ "$(git -C "$KSRC" status --porcelain; git -C "$KSRC" rev-parse HEAD)" = "$before" ]
	git -C "$B/scratch/linux" diff --quiet HEAD
}
