#!/bin/bash
# The project's own tests, in order of cost:
#   1. host tests (bats, tests/*.bats): devmemd, setup-tree.sh
#   2. the devmap suites in the sandbox UML (make kunit), every other KUnit
#      suite of the tree on the same kernel (make kunit-all), upstream's mm
#      selftests in UML (make selftests), the style check (checkpatch
#      --strict, shellcheck)
#   2b. the differential oracle: the same suites on x86_64 under QEMU,
#      side by side with UML (make oracle)
#   3. tests that boot the sandbox (tests/uml/*.bats): device memory seen
#      by the host and the next boot, the wrapper under faults, the
#      pre-submission series check on its fixture series
#   4. in CI (as root): the main command and the selftests again as an
#      unprivileged user
#   5. the mutant library: every mutant must be killed
# Ends with one line "N passed, N failed" over all of them (bats tests,
# KUnit test cases, the unprivileged run, mutants); exits non-zero if
# anything failed.
set -uo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"

RESULTS=$BUILD/results
passed=0
failed=0

count() { passed=$((passed + $1)); failed=$((failed + $2)); }

step() { printf '\n=== %s ===\n' "$*"; }

# bats --tap: count "ok" / "not ok" lines. $1 names the step.
run_bats() {
	local tap=$RESULTS/bats-$1.tap ok nok

	shift
	step "bats: ${*#"$TOP"/}"
	bats --tap "$@" | tee "$tap"
	ok=$(grep -c '^ok ' "$tap")
	nok=$(grep -c '^not ok ' "$tap")
	count "$ok" "$nok"
}

# make $1 (kunit, kunit-all, selftests: all write kunit.py's JSON) and
# count its test cases. $2 names the step.
run_kunit() {
	local json=$RESULTS/$1.json p f s rc=0

	step "$2"
	rm -f "$json"
	make -s -C "$TOP" "$1" JSON="$json" || rc=$?
	read -r p f s < <(python3 "$TOP/scripts/kunit_results.py" counts "$json")
	# A failed build, boot or crash that no test case shows still counts.
	[ "$rc" = 0 ] || [ "$f" -gt 0 ] || f=1
	echo "$1: $p passed, $f failed, $s skipped"
	count "$p" "$f"
}

# The debug profile (KASAN, DEBUG_VM, lockdep, kmemleak) once, then the
# mutants that only KASAN catches (Profile: debug in their header).
run_debug() {
	local json=$RESULTS/kunit-debug.json table=$RESULTS/mutants.md p f s
	local rc=0 k n mutants

	step "the devmap suites in UML with the debug profile (KASAN, lockdep)"
	rm -f "$json"
	make -s -C "$TOP" kunit DEBUG=1 JSON="$json" || rc=$?
	read -r p f s < <(python3 "$TOP/scripts/kunit_results.py" counts "$json")
	[ "$rc" = 0 ] || [ "$f" -gt 0 ] || f=1
	echo "kunit DEBUG=1: $p passed, $f failed, $s skipped"
	count "$p" "$f"

	mutants=$(grep -l '^Profile: debug$' "$TOP"/kernel-patches/mutants/*.patch |
		  paste -sd' ' -)
	[ -n "$mutants" ] || return 0
	step "KASAN-only mutants: each must make a suite fail with DEBUG=1"
	rm -f "$table"
	rc=0
	make -s -C "$TOP" mutants DEBUG=1 MUTANTS="$mutants" || rc=$?
	k=$(grep -c '| killed |' "$table" 2>/dev/null)
	n=$(grep -c -v -e '| killed |' -e '^| mutant' -e '^|---' "$table" 2>/dev/null)
	[ "$rc" = 0 ] || [ "$n" -gt 0 ] || n=1
	mv "$table" "$RESULTS/mutants-debug.md"
	count "$k" "$n"
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

# No root at run time: what CI (root) proves by running the main command
# as a new ordinary user, in a clone and build directory of its own.
run_unprivileged() {
	local user=devmap-ci home rc=0

	step "make kunit selftests as the unprivileged user $user"
	id "$user" >/dev/null 2>&1 || useradd -m "$user"
	home=$(getent passwd "$user" | cut -d: -f6)
	# What the fuse3 package's udev rule does on an ordinary machine.
	chmod 0666 /dev/fuse
	# Cloned by root: $TOP itself may not be readable by the user.
	rm -rf "$home/devmap-sandbox"
	git clone -q "$TOP" "$home/devmap-sandbox"
	chown -R "$user:" "$home/devmap-sandbox"
	# A clean environment, as a fresh login has: none of our BUILD, KSRC
	# or DEVMEMD, which point into root's build directory.
	runuser -u "$user" -- env -i HOME="$home" PATH="$PATH" LANG=C.UTF-8 \
		make -s -C "$home/devmap-sandbox" kunit selftests || rc=$?
	if [ "$rc" = 0 ]; then count 1 0; else count 0 1; fi
}

# The suites on x86_64 (its test cases count) and the side-by-side
# comparison with UML (one result: no failure, nothing run on one only).
run_oracle() {
	local json=$RESULTS/x86_64.json p f s rc=0

	step "the differential oracle: the suites on x86_64 under QEMU next to UML"
	make -s -C "$TOP" oracle || rc=$?
	read -r p f s < <(python3 "$TOP/scripts/kunit_results.py" counts "$json")
	echo "x86_64: $p passed, $f failed, $s skipped"
	count "$p" "$f"
	if [ "$rc" = 0 ]; then count 1 0; else count 0 1; fi
}

# checkpatch --strict and shellcheck: one result.
run_style() {
	step "style: checkpatch --strict, shellcheck"
	if "$TOP/scripts/check-style.sh"; then count 1 0; else count 0 1; fi
}

main() {
	mkdir -p "$RESULTS"
	run_bats host "$TOP"/tests/*.bats
	run_kunit kunit "the devmap suites in UML"
	run_kunit kunit-all "every KUnit suite of the tree on the sandbox kernel"
	run_kunit selftests "mm selftests in UML (gup_test, gup_longterm, hmm-tests)"
	run_oracle
	run_style
	run_bats uml "$TOP"/tests/uml/*.bats
	if [ "${CI:-}" = true ] && [ "$(id -u)" = 0 ]; then
		run_unprivileged
	fi
	run_mutants
	run_debug
	echo
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
}

main "$@"
