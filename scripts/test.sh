#!/bin/bash
# The project's own tests, in order of cost:
#   1. host tests (bats, tests/*.bats): devmemd, setup-tree.sh, the package
#      check; the engine's unit tests (tests/unit, canned logs, seconds)
#   2. the devmap suites in the sandbox UML (make kunit), every other KUnit
#      suite of the tree on the same kernel (make kunit-all), upstream's mm
#      selftests in UML (make selftests), the style check (checkpatch
#      --strict, shellcheck)
#   2b. the differential oracle: the same suites on x86_64 under QEMU,
#      side by side with UML (make oracle); upstream's mm selftests on
#      stock UML, the sandbox UML and x86_64 side by side (make
#      selftests-compare: no regression of our port). Not here: make
#      test-compare (the comparison's port mutant, check-series
#      SELFTESTS=1), cold builds of a patched selftests kernel that CI's
#      hour has no room for
#   3. tests that boot the sandbox (tests/uml/*.bats): device memory seen
#      by the host and the next boot, the wrapper under faults, the
#      pre-submission series check on its fixture series
#   4. the mutant library: every mutant must be killed (in the scratch
#      clone); then tests/after-mutants/: SIGKILL in the middle of a
#      mutant's build leaves the user's tree as it was, a planted fault
#      shrinks
# In CI (as root): the host tests (some need root), then all of it again as
# a new unprivileged user: only the package install needs root. Ends with one line "N passed, N failed" over
# all of them (bats tests, KUnit test cases, mutants); exits non-zero if
# anything failed.
set -uo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"

RESULTS=$BUILD/results
passed=0
failed=0

count() { passed=$((passed + $1)); failed=$((failed + $2)); }

# Each step's wall time, listed before the last line: CI has an hour.
step_name=
step_start=0
step_times=()

end_step() {
	[ -n "$step_name" ] || return 0
	step_times+=("$(printf '%5ss  %s' "$((SECONDS - step_start))" "$step_name")")
	step_name=
}

step() {
	end_step
	step_name=$*
	step_start=$SECONDS
	printf '\n=== %s ===\n' "$*"
}

# bats --tap: count "ok" / "not ok" lines. $1 names the step.
run_bats() {
	local tap=$RESULTS/bats-$1.tap ok nok

	shift
	step "bats: ${*#"$TOP"/}"
	bats --tap --timing "$@" | tee "$tap"
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
	if [ "$1" = selftests ] && ! runs_user_space "$1"; then
		return 0
	fi
	make -s -C "$TOP" "$1" JSON="$json" || rc=$?
	read -r p f s < <(engine counts "$json")
	# A failed build, boot or crash that no test case shows still counts.
	[ "$rc" = 0 ] || [ "$f" -gt 0 ] || f=1
	echo "$1: $p passed, $f failed, $s skipped"
	count "$p" "$f"
}

# The selftests need UML user space, which the base's UML cannot run on
# some hosts (bases.py says why): not run there, not a failure. $1 names
# the step.
runs_user_space() {
	local why

	why=$(engine uml-user-space) && return 0
	echo "$1: not run on this host: $why"
	return 1
}

# The engine's results files, counted by the engine: "passed failed skipped".
engine() { python3 "$TOP/scripts/devmap_sandbox.py" "$@"; }

run_mutants() {
	local json=$RESULTS/mutants.json k s _ rc=0

	step "mutants: each must make a suite fail (in the scratch clone)"
	rm -f "$json"
	make -s -C "$TOP" mutants || rc=$?
	read -r k s _ < <(engine counts "$json")
	[ "$rc" = 0 ] || [ "$s" -gt 0 ] || s=1
	count "$k" "$s"
}

# The debug profile (KASAN, DEBUG_VM, lockdep, kmemleak) once: the
# baseline of the KASAN-only mutants (Profile: debug) is every suite under
# it, in the scratch clone; then each of those mutants must be caught.
run_debug() {
	local json=$RESULTS/mutants-debug.json p f s k n _ rc=0

	grep -q '^Profile: debug$' "$TOP"/kernel-patches/mutants/*.patch || return 0
	step "the suites with the debug profile (KASAN), and the KASAN-only mutants"
	rm -f "$json"
	make -s -C "$TOP" mutants DEBUG=1 || rc=$?
	read -r p f s < <(engine counts "$RESULTS/mutants-debug/baseline.json")
	echo "suites with DEBUG=1: $p passed, $f failed, $s skipped"
	count "$p" "$f"
	read -r k n _ < <(engine counts "$json")
	[ "$rc" = 0 ] || [ "$n" -gt 0 ] || n=1
	count "$k" "$n"
}

# The engine's logic on canned logs and a fake kernel; needs the tree's
# kunit.py (make setup).
run_unit() {
	local out=$RESULTS/unit.txt p f s

	step "the engine's unit tests (tests/unit)"
	make -s -C "$TOP" setup >/dev/null
	python3 "$TOP/tests/unit/run.py" 2>&1 | tee "$out"
	read -r p f s < <(sed -n 's/^unit: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p' "$out")
	count "${p:-0}" "${f:-1}"
}

# No root at run time: in CI (root), once make has installed the packages
# (the one step that needs root) and the host tests that need root have
# run, everything runs again as a new ordinary user, in a clone and build
# directory of its own; its "N passed, N failed" adds to ours.
run_unprivileged() {
	local user=devmap-ci home out=$RESULTS/unprivileged.txt p f rc=0

	step "everything else as the unprivileged user $user (make test)"
	id "$user" >/dev/null 2>&1 || useradd -m "$user"
	home=$(getent passwd "$user" | cut -d: -f6)
	# What the fuse3 package's udev rule does on an ordinary machine, and
	# the group a KVM user is in.
	chmod 0666 /dev/fuse
	if [ -e /dev/kvm ] && getent group kvm >/dev/null; then
		usermod -a -G kvm "$user"
	fi
	# Cloned by root: $TOP itself may not be readable by the user.
	rm -rf "$home/devmap-sandbox"
	git clone -q "$TOP" "$home/devmap-sandbox"
	chown -R "$user:" "$home/devmap-sandbox"
	# A clean environment, as a fresh login has: none of our BUILD, KSRC
	# or DEVMEMD, which would point into root's build directory.
	runuser -u "$user" -- env -i HOME="$home" PATH="$PATH" LANG=C.UTF-8 CI=true \
		make -s -C "$home/devmap-sandbox" test 2>&1 | tee "$out" || rc=$?
	read -r p f < <(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$out" | tail -n 1)
	[ "$rc" = 0 ] || [ "${f:-0}" -gt 0 ] || f=1
	count "${p:-0}" "${f:-1}"
}

# The suites on x86_64 (its test cases count) and the side-by-side
# comparison with UML (one result: no failure, nothing run on one only).
run_oracle() {
	local json=$RESULTS/x86_64.json p f s rc=0

	step "the differential oracle: the suites on x86_64 under QEMU next to UML"
	make -s -C "$TOP" oracle || rc=$?
	read -r p f s < <(engine counts "$json")
	echo "x86_64: $p passed, $f failed, $s skipped"
	count "$p" "$f"
	if [ "$rc" = 0 ]; then count 1 0; else count 0 1; fi
}

# Upstream's mm selftests on stock UML, the sandbox UML and x86_64: one
# result (no regression, every UML limitation listed and only those).
# Reuses make selftests' sandbox kernel and make oracle's x86_64 kernel;
# builds the stock UML one.
run_selftests_compare() {
	step "upstream's mm selftests on stock UML, the sandbox UML and x86_64 (make selftests-compare)"
	runs_user_space selftests-compare || return 0
	if make -s -C "$TOP" selftests-compare; then count 1 0; else count 0 1; fi
}

# checkpatch --strict and shellcheck: one result.
run_style() {
	step "style: checkpatch --strict, shellcheck"
	if "$TOP/scripts/check-style.sh"; then count 1 0; else count 0 1; fi
}

finish() {
	end_step
	printf '\ntime per step (%ss in all):\n' "$SECONDS"
	printf '%s\n' "${step_times[@]}"
	echo
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
}

main() {
	mkdir -p "$RESULTS"
	run_bats host "$TOP"/tests/*.bats
	if [ "${CI:-}" = true ] && [ "$(id -u)" = 0 ]; then
		run_unprivileged
		finish
		return
	fi
	run_unit
	run_kunit kunit "the devmap suites in UML"
	run_kunit kunit-all "every KUnit suite of the tree on the sandbox kernel"
	run_kunit selftests "mm selftests in UML (gup_test, gup_longterm, hmm-tests)"
	run_oracle
	run_selftests_compare
	run_style
	run_bats uml "$TOP"/tests/uml/*.bats
	run_mutants
	run_debug
	run_bats after-mutants "$TOP"/tests/after-mutants/*.bats
	finish
}

main "$@"
