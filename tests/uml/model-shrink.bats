#!/usr/bin/env bats
#
# devmap_model under a planted fault: the model suite alone fails, shrinks
# the sequence to at most 8 operations, and the reproduction line it
# prints, run on its own, fails the same way. Needs the sandbox kernel
# built (make kunit); rebuilds it twice with the mutant applied.

setup() {
	TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	KSRC=${KSRC:-${BUILD:-$TOP/build}/linux}
	MUTANT=$TOP/kernel-patches/mutants/gup-range-ignores-start-offset.patch
	LOG=$BATS_TEST_TMPDIR/run.log
	git -C "$KSRC" apply "$MUTANT"
}

teardown() {
	git -C "$KSRC" apply -R "$MUTANT"
}

@test "a planted fault shrinks to <= 8 ops and its reproduction line fails the same way" {
	local n ops kind again

	run env FILTER='devmap_model.*' "$TOP/scripts/run-kunit.sh"
	echo "$output" >"$LOG"
	[ "$status" -ne 0 ]
	n=$(sed -n 's/.*shrunk to \([0-9]*\) ops.*/\1/p' "$LOG" | head -n 1)
	[ -n "$n" ] && [ "$n" -le 8 ]
	ops=$(sed -n "s/.*reproduce: .*devmap_model_kunit\.ops=\([^' ]*\)'.*/\1/p" "$LOG" | head -n 1)
	[ -n "$ops" ]
	# the mismatch at the failing step of the shrunk sequence
	kind=$(grep -m1 -o 'at step #[0-9]*: .*' "$LOG" | sed 's/^at step #[0-9]*: //')
	[ -n "$kind" ]

	run env FILTER='devmap_model.*' \
		KUNIT_ARGS="--kernel_args=devmap_model_kunit.ops=$ops" \
		"$TOP/scripts/run-kunit.sh"
	[ "$status" -ne 0 ]
	again=$(grep -m1 -o 'replayed sequence of [0-9]* ops fails: .*' <<<"$output" |
		sed 's/^replayed sequence of [0-9]* ops fails: //')
	echo "shrunk: $kind / replayed: $again"
	[ "$again" = "$kind" ]
}
