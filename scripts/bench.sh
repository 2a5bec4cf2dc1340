#!/bin/bash
# Benchmark of the edit → result loop, with hyperfine (no timing asserts
# anywhere: this only measures). Writes build/results/bench.md.
#
#   warm loop   touch mm/gup.c (or mm/memremap.c, or a suite), then the main
#               command: incremental build + boot + all suites
#   suites      UML run time of all suites, as kunit.py reports it
#
# RUNS=5 by default. Needs a built tree (make kunit first).
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"

RUNS=${RUNS:-5}
OUT=$BUILD/results/bench.md
command -v hyperfine >/dev/null ||
	die "hyperfine is missing: sudo apt-get install hyperfine"
mkdir -p "$BUILD/results"

# One hyperfine row: a name, the file to touch, the command.
bench() {
	local name=$1 touched=$2 json

	json=$BUILD/results/bench-$(tr -c 'a-z0-9\n' - <<<"$name").json
	hyperfine --runs "$RUNS" --warmup 1 --export-json "$json" \
		--prepare "touch $touched" \
		"$TOP/scripts/run-kunit.sh >/dev/null 2>&1" >&2
	python3 - "$json" "$name" <<'PY'
import json, statistics, sys
r = json.load(open(sys.argv[1]))['results'][0]['times']
print(f"| {sys.argv[2]} | {min(r):.2f} | {statistics.median(r):.2f} | {max(r):.2f} |")
PY
}

# The suites' own UML run time ("running" in kunit.py's elapsed line).
suites_time() {
	local i t all=()

	for ((i = 0; i < RUNS; i++)); do
		t=$("$TOP/scripts/run-kunit.sh" 2>&1 |
		    sed -n 's/.* \([0-9.]*\)s running$/\1/p')
		all+=("$t")
	done
	python3 -c 'import statistics, sys
r = [float(x) for x in sys.argv[1:]]
print(f"| suites only (UML run time, boot included) | {min(r):.2f} | {statistics.median(r):.2f} | {max(r):.2f} |")' "${all[@]}"
}

main() {
	"$TOP/scripts/run-kunit.sh" >/dev/null 2>&1 ||
		die "make kunit does not pass; fix that before benchmarking"
	{
		echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ { print $2 }') GiB, $(uname -r) host kernel; $RUNS runs each; seconds."
		echo
		echo '| what | min | median | max |'
		echo '|---|---|---|---|'
		bench "touch mm/gup.c" "$KSRC/mm/gup.c"
		bench "touch mm/memremap.c" "$KSRC/mm/memremap.c"
		bench "touch a suite" "$TOP/kunit-suites/devmap_gup_kunit.c"
		suites_time
	} | tee "$OUT.tmp"
	mv "$OUT.tmp" "$OUT"
	say "written to $OUT"
}

main "$@"
