#!/bin/bash
# Runs the test plan (scripts/sandbox/plan.py; `make test-plan` prints it):
#
#   make test                       the ci tier: host and unit tests, the
#                                   style check, and per base make kunit,
#                                   the tests that boot UML, the mutant
#                                   library and tests/after-mutants, one
#                                   debug (KASAN) run
#   make test-full                  every step (kunit-all, selftests, the
#                                   oracle, selftests-compare, test-compare,
#                                   soak, on every base)
#   make test TIER=full SHARD=2/4   one shard: whole groups, balanced
#
# Each step is one command; its output goes to build/results/<step>.out
# and the engine counts it (plan.count). Lists each step's wall time and
# ends with one line "N passed, N failed" over all of them (bats tests,
# KUnit test cases, mutants); exits non-zero if anything failed.
# In CI (as root, the ci tier): the steps that need root (the host tests),
# then the whole tier again as a new unprivileged user: only the package
# install needs root.
set -uo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"

RESULTS=$BUILD/results
TIER=${TIER:-ci}
SHARD=${SHARD:-}
passed=0
failed=0
step_times=()

engine() { /usr/bin/python3 "$TOP/scripts/devmap_sandbox.py" "$@"; }

count() { passed=$((passed + $1)); failed=$((failed + $2)); }

# run_step NAME COMMAND: run it from the top of the repo, its output
# shown and kept; then counted by the engine.
run_step() {
	local name=$1 cmd=$2 out=$RESULTS/$1.out start=$SECONDS rc p f note

	printf '\n=== %s: %s ===\n' "$name" "$cmd"
	engine plan-reset "$name"
	(cd "$TOP" && bash -c "$cmd") 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	IFS=$'\t' read -r p f note < <(engine plan-count "$name" "$rc" "$out")
	echo "$name: exit $rc, $p passed, $f failed${note:+, $note}"
	count "$p" "$f"
	step_times+=("$(printf '%5ss  %s' "$((SECONDS - start))" "$name")")
}

# The selected steps, "name<TAB>command" a line.
run_plan() {
	local name cmd

	while IFS=$'\t' read -r name cmd; do
		run_step "$name" "$cmd" </dev/null
	done < <(engine test-plan --run --tier "$TIER" ${SHARD:+--shard "$SHARD"} "$@")
}

# No root at run time: in CI (root), once make has installed the packages
# (the one step that needs root) and the steps that need root have run,
# the tier runs again as a new ordinary user, in a clone and build
# directory of its own; its "N passed, N failed" adds to ours.
run_unprivileged() {
	local user=devmap-ci home out=$RESULTS/unprivileged.out p f rc=0 start=$SECONDS

	printf '\n=== the %s tier as the unprivileged user %s ===\n' "$TIER" "$user"
	id "$user" >/dev/null 2>&1 || useradd -m "$user"
	home=$(getent passwd "$user" | cut -d: -f6)
	# What the fuse3 package's udev rule does on an ordinary machine, and
	# the group a KVM user is in.
	chmod 0666 /dev/fuse
	if [ -e /dev/kvm ] && getent group kvm >/dev/null; then
		usermod -a -G kvm "$user"
	fi
	# Cloned by root: $TOP itself may not be readable by the user. A run
	# killed in the old clone (SIGKILL, a machine stopped) may have left
	# a devmemd mount there; the next run in that clone would sweep it,
	# but root cannot even stat another user's FUSE mount to delete it.
	unmount_under "$home/devmap-sandbox"
	if ! rm -rf "$home/devmap-sandbox" || ! git clone -q "$TOP" "$home/devmap-sandbox" ||
		! chown -R "$user:" "$home/devmap-sandbox"; then
		echo "error: could not make a fresh clone in $home/devmap-sandbox for $user" >&2
		count 0 1
		return
	fi
	# A clean environment, as a fresh login has: none of our BUILD, KSRC
	# or DEVMEMD, which would point into root's build directory. CCACHE_DIR
	# is passed on: a CI that keeps its cache between runs says where.
	runuser -u "$user" -- env -i HOME="$home" PATH="$PATH" LANG=C.UTF-8 CI=true \
		${CCACHE_DIR:+CCACHE_DIR="$CCACHE_DIR"} ${CCACHE:+CCACHE="$CCACHE"} \
		make -s -C "$home/devmap-sandbox" test TIER="$TIER" ${SHARD:+SHARD="$SHARD"} 2>&1 |
		tee "$out"
	rc=${PIPESTATUS[0]}
	read -r p f < <(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$out" | tail -n 1)
	[ "$rc" = 0 ] || [ "${f:-0}" -gt 0 ] || f=1
	count "${p:-0}" "${f:-1}"
	step_times+=("$(printf '%5ss  %s' "$((SECONDS - start))" "as $user")")
}

finish() {
	printf '\ntime per step (%ss in all):\n' "$SECONDS"
	printf '%s\n' "${step_times[@]}"
	echo
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
}

main() {
	mkdir -p "$RESULTS"
	if [ "${CI:-}" = true ] && [ "$(id -u)" = 0 ]; then
		run_plan --as-root
		run_unprivileged
	else
		run_plan
	fi
	finish
}

main "$@"
