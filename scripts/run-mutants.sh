#!/bin/bash
# Prove that the suites can fail: apply each mutant (a small, plausible
# refcount fault in the kernel) to the sandbox tree, rebuild incrementally,
# run the suites, revert, and report which tests killed it.
#
#   MUTANTS='kernel-patches/mutants/fsdax-*.patch' scripts/run-mutants.sh
#
# A mutant is killed when the run fails: a failing test, a crash, or a hang
# that kunit.py's timeout ends (the log then names the test that did not
# finish). Each mutant names the tests expected to kill it ("Expected
# killers:"); one that did not fail in the full run (say an earlier test
# crashed the kernel first) is rerun alone and must fail then. With the
# whole library, every test that passes on the clean tree must be killed
# by some mutant: a test that cannot fail is a defect.
# The tree must be clean before (we refuse otherwise) and is exactly as
# before afterwards, also after Ctrl-C or a failed build.
# Writes build/results/mutants.md; exits non-zero if any mutant survived,
# an expected killer did not fail, or a test was never killed.
# A mutant with "Profile: debug" in its header is one that only KASAN sees
# (silent otherwise): it runs with DEBUG=1 only.
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"

RESULTS=$BUILD/results
current=

revert_current() {
	[ -n "$current" ] || return 0
	git -C "$KSRC" apply -R "$current" 2>/dev/null ||
		say "warning: could not revert $current; check 'git -C $KSRC status'"
	current=
}

trap 'revert_current' EXIT
trap 'say "interrupted: reverting the current mutant"; exit 130' INT TERM

header() { sed -n "s/^$2: //p" "$1" | head -n 1; }

run_one() {
	local m=$1 name log json rc=0 killers missing k not_killed=

	name=$(basename "$m" .patch)
	log=$RESULTS/mutants/$name.log
	json=$RESULTS/mutants/$name.json
	rm -f "$json"
	if ! git -C "$KSRC" apply --check "$m" 2>"$log"; then
		printf '| %s | does not apply | %s |\n' "$name" "$(head -n 1 "$log")"
		return 2
	fi
	git -C "$KSRC" apply "$m"
	current=$m
	JSON=$json "$TOP/scripts/run-kunit.sh" >"$log" 2>&1 || rc=$?
	revert_current

	if [ "$rc" = 0 ]; then
		printf '| %s | **survived** | %s |\n' "$name" "$(header "$m" Fault)"
		return 1
	fi
	killers=$(failed_tests "$json" "$log" | paste -sd, -)
	missing=$(missing_killers "$m" "$killers")
	if [ -n "$missing" ]; then
		# Rerun each missing one alone, with the mutant in place again.
		git -C "$KSRC" apply "$m"
		current=$m
		for k in $missing; do
			if FILTER="*.$k" JSON=$json "$TOP/scripts/run-kunit.sh" \
				>"$log.$k" 2>&1; then
				not_killed+=" $k"
			else
				killers+=",$k (alone)"
			fi
		done
		revert_current
	fi
	tr , '\n' <<<"$killers" | sed 's/ (.*//' >>"$RESULTS/mutants/killed-tests"
	if [ -n "$not_killed" ]; then
		printf '| %s | **expected killers passed:%s** | %s |\n' \
			"$name" "$not_killed" "$killers"
		return 1
	fi
	[ -n "$killers" ] || killers="run failed: $(grep -m1 -E 'error|ERROR|timed out' "$log" || echo "see $log")"
	printf '| %s | killed | %s |\n' "$name" "$killers"
}

# Test cases (suite-level names dropped) that failed, crashed or hung.
failed_tests() {
	{
		python3 "$TOP/scripts/kunit_results.py" failed "$1" |
			cut -d. -f2
		sed -n 's/.*\[CRASHED\] \([a-z0-9_]\+\).*/\1 (crashed)/p' "$2"
	} | grep -v '^devmap_[a-z]* (crashed)$' | grep -v '^$' | sort -u
}

# The mutant's expected killers that are not among $2.
missing_killers() {
	local k

	for k in $(header "$1" "Expected killers" | tr , ' '); do
		case ",$2," in
		*",$k,"* | *",$k (crashed),"*) ;;
		*) echo "$k" ;;
		esac
	done
}

# The clean tree must pass; remember which tests it ran.
baseline() {
	local json=$RESULTS/mutants/baseline.json

	say "baseline: the suites on the clean tree"
	JSON=$json "$TOP/scripts/run-kunit.sh" >"$RESULTS/mutants/baseline.log" 2>&1 ||
		die "the suites fail without any mutant: see $RESULTS/mutants/baseline.log"
	python3 "$TOP/scripts/kunit_results.py" passed "$json" | cut -d. -f2 |
		sort -u >"$RESULTS/mutants/baseline-tests"
}

main() {
	local m killed=0 survived=0 broken=0 rc pattern table unkilled

	[ -z "$(git -C "$KSRC" status --porcelain --untracked-files=no)" ] ||
		die "$KSRC has uncommitted changes; mutants are applied to a clean tree. Commit or stash first: git -C $KSRC stash"
	mkdir -p "$RESULTS/mutants"
	rm -f "$RESULTS/mutants/killed-tests"
	baseline
	pattern=${MUTANTS:-$TOP/kernel-patches/mutants/*.patch}
	table=$RESULTS/mutants.md
	{
		echo '| mutant | result | killed by |'
		echo '|---|---|---|'
	} >"$table"
	for m in $pattern; do
		[ -f "$m" ] || die "no mutant matches $pattern"
		m=$(realpath "$m")
		# KASAN-only mutants (Profile: debug) are silent without it.
		if [ "$(header "$m" Profile)" = debug ] && [ "${DEBUG:-0}" = 0 ]; then
			say "mutant $(basename "$m" .patch): skipped, KASAN only: run with DEBUG=1"
			continue
		fi
		say "mutant $(basename "$m" .patch): $(header "$m" Fault)"
		rc=0
		# Not in a pipeline: the EXIT trap must see $current.
		run_one "$m" >>"$table" || rc=$?
		tail -n 1 "$table"
		case $rc in
		0) killed=$((killed + 1)) ;;
		1) survived=$((survived + 1)) ;;
		*) broken=$((broken + 1)) ;;
		esac
	done
	echo
	cat "$table"
	echo
	echo "mutants: $killed killed, $survived survived, $broken did not apply (kill score $killed/$((killed + survived + broken)))"
	[ "$survived" = 0 ] && [ "$broken" = 0 ] || return 1
	[ -z "${MUTANTS:-}" ] || return 0
	# With the whole library: is every test killed by some mutant?
	unkilled=$(sort -u "$RESULTS/mutants/killed-tests" |
		   comm -23 "$RESULTS/mutants/baseline-tests" -)
	if [ -n "$unkilled" ]; then
		echo "tests that no mutant made fail (they cannot fail: add a mutant or fix the test):"
		while read -r t; do echo "  $t"; done <<<"$unkilled"
		return 1
	fi
	echo "every test that runs was killed by at least one mutant"
}

main "$@"
