#!/usr/bin/env bats
#
# devmap_model under a planted fault: the model suite alone fails, shrinks
# the sequence to at most 8 operations, and the reproduction line it
# prints, run on its own, fails the same way. The fault is applied with
# make try, in the scratch clone: the user's tree is never touched. Needs
# the scratch clone's kernel (make mutants builds it; make test runs this
# after it would also do) or builds it.

setup() {
	TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	MUTANT=$TOP/kernel-patches/mutants/gup-range-ignores-start-offset.patch
	LOG=$BATS_TEST_TMPDIR/run.log
}

@test "a planted fault shrinks to <= 8 ops and its reproduction line fails the same way" {
	local n ops kind again

	run make -s -C "$TOP" try PATCH="$MUTANT" FILTER='devmap_model.*' PROGRESS=off
	echo "$output" >"$LOG"
	[ "$status" -ne 0 ]
	n=$(sed -n 's/.*shrunk to \([0-9]*\) ops.*/\1/p' "$LOG" | head -n 1)
	# (two commands, not one with &&: under bats only the last command of
	# an && list fails the test)
	[ -n "$n" ]
	[ "$n" -le 8 ]
	ops=$(sed -n "s/.*reproduce: .*devmap_model_kunit\.ops=\([^' ]*\)'.*/\1/p" "$LOG" | head -n 1)
	[ -n "$ops" ]
	# the mismatch at the failing step of the shrunk sequence
	kind=$(grep -m1 -o 'at step #[0-9]*: .*' "$LOG" | sed 's/^at step #[0-9]*: //')
	[ -n "$kind" ]

	run make -s -C "$TOP" try PATCH="$MUTANT" FILTER='devmap_model.*' PROGRESS=off \
		KUNIT_ARGS="--kernel_args=devmap_model_kunit.ops=$ops"
	[ "$status" -ne 0 ]
	again=$(grep -m1 -o 'replayed sequence of [0-9]* ops fails: .*' <<<"$output" |
		sed 's/^replayed sequence of [0-9]* ops fails: //')
	echo "shrunk: $kind / replayed: $again"
	[ "$again" = "$kind" ]
}
