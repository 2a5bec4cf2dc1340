#!/bin/bash
# The project's own tests, in order of cost:
#   1. host tests (bats): devmemd, setup-tree.sh, the run wrapper's faults
#   2. every KUnit suite in the sandbox UML (make kunit)
#   3. the mutant library: every mutant must be killed
# Ends with one line "N passed, N failed" over all three (bats tests,
# KUnit test cases, mutants) and exits non-zero if anything failed.
set -uo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"

RESULTS=$BUILD/results
passed=0
failed=0

count() { passed=$((passed + $1)); failed=$((failed + $2)); }

step() { printf '\n=== %s ===\n' "$*"; }

# bats --tap: count "ok" / "not ok" lines.
run_bats() {
	local tap=$RESULTS/bats.tap ok nok

	step "host tests (bats ${*##*/})"
	bats --tap "$@" | tee "$tap"
	ok=$(grep -c '^ok ' "$tap")
	nok=$(grep -c '^not ok ' "$tap")
	count "$ok" "$nok"
}

run_kunit() {
	local json=$RESULTS/kunit.json p f s rc=0

	step "KUnit suites in UML"
	rm -f "$json"
	make -s -C "$TOP" kunit JSON="$json" || rc=$?
	read -r p f s < <(python3 "$TOP/scripts/kunit_results.py" counts "$json")
	# A failed build, boot or crash that no test case shows still counts.
	[ "$rc" = 0 ] || [ "$f" -gt 0 ] || f=1
	echo "kunit: $p passed, $f failed, $s skipped"
	count "$p" "$f"
}

run_mutants() {
	local table=$RESULTS/mutants.md k s rc=0

	step "mutants: each must make a suite fail"
	rm -f "$table"
	make -s -C "$TOP" mutants || rc=$?
	k=$(grep -c '| killed |' "$table" 2>/dev/null)
	s=$(grep -c -v -e '| killed |' -e '^| mutant' -e '^|---' "$table" 2>/dev/null)
	[ "$rc" = 0 ] || [ "$s" -gt 0 ] || s=1
	count "$k" "$s"
}

main() {
	mkdir -p "$RESULTS"
	run_bats "$TOP"/tests/*.bats
	run_kunit
	run_mutants
	echo
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
}

main "$@"
