#!/bin/bash
# Prove that the suites can fail: apply each mutant (a small, plausible
# refcount fault in the kernel) to the sandbox tree, rebuild incrementally,
# run the suites, revert, and report which tests killed it.
#
#   MUTANTS='kernel-patches/mutants/fsdax-*.patch' scripts/run-mutants.sh
#
# A mutant is killed when the run fails: a failing test, a crash, or a hang
# that kunit.py's timeout ends (the JSON then names the test that did not
# finish). The tree must be clean before (we refuse otherwise) and is
# exactly as before afterwards, also after Ctrl-C or a failed build.
# Writes build/results/mutants.md; exits non-zero if any mutant survived.
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
	local m=$1 name log json rc=0 killers

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
	# Failing tests from the JSON, crashed or hung ones from the log.
	killers=$({
		python3 "$TOP/scripts/kunit_results.py" failed "$json" |
			sed 's/^[^.]*\.//' | cut -d. -f1
		sed -n 's/.*\[CRASHED\] \([a-z0-9_]\+\).*/\1 (crashed)/p' "$log"
	} | sort -u | paste -sd, -)
	[ -n "$killers" ] || killers="run failed: $(grep -m1 -E 'error|ERROR|timed out' "$log" || echo "see $log")"
	printf '| %s | killed | %s |\n' "$name" "$killers"
}

main() {
	local m killed=0 survived=0 broken=0 rc pattern table

	[ -z "$(git -C "$KSRC" status --porcelain --untracked-files=no)" ] ||
		die "$KSRC has uncommitted changes; mutants are applied to a clean tree. Commit or stash first: git -C $KSRC stash"
	mkdir -p "$RESULTS/mutants"
	pattern=${MUTANTS:-$TOP/kernel-patches/mutants/*.patch}
	table=$RESULTS/mutants.md
	{
		echo '| mutant | result | killed by |'
		echo '|---|---|---|'
	} >"$table"
	for m in $pattern; do
		[ -f "$m" ] || die "no mutant matches $pattern"
		m=$(realpath "$m")
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
	[ "$survived" = 0 ] && [ "$broken" = 0 ]
}

main "$@"
