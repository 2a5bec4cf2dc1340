#!/bin/bash
# Benchmark of the edit → result loop, UML against x86_64 under QEMU, with
# hyperfine (no timing asserts anywhere: this only measures). Same machine,
# same suites, one run. Writes build/results/bench.md.
#
#   cold build   a fresh build directory, then the suites: config + full
#                build + boot + all suites (the tree is already set up)
#   warm loop    touch mm/gup.c (or mm/memremap.c, or a suite), then the
#                main command: incremental build + boot + all suites
#   suites       the suites' run time, boot included ("running" in
#                kunit.py's elapsed line)
#
# UML: scripts/run-kunit.sh (FUSE device memory). QEMU:
# scripts/run-kunit-qemu.sh (KVM when /dev/kvm is usable, TCG otherwise).
# RUNS=3 warm runs each, COLD_RUNS=1 cold builds each (about 3 min each);
# ARCHS="uml x86_64" (either alone gives its columns only).
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"

RUNS=${RUNS:-3}
COLD_RUNS=${COLD_RUNS:-1}
ARCHS=${ARCHS:-uml x86_64}
RES=$BUILD/results
OUT=$RES/bench.md
COLD=$BUILD/bench-cold

declare -A CMD=(
	[uml]="$TOP/scripts/run-kunit.sh"
	[x86_64]="$TOP/scripts/run-kunit-qemu.sh"
)
declare -A LABEL=([uml]=UML [x86_64]="x86_64 QEMU")

# hyperfine over every arch's command; prints "arch min median" lines.
# $1: a name for the JSON file, $2: --prepare command, $3: env prefix.
timed() {
	local name=$1 prepare=$2 env=$3 runs=$4 json a cmds=()

	json=$RES/bench-$name.json
	for a in $ARCHS; do
		cmds+=(-n "$a" "$env ${CMD[$a]} >/dev/null 2>&1")
	done
	hyperfine --runs "$runs" --export-json "$json" --prepare "$prepare" \
		"${cmds[@]}" >&2
	python3 - "$json" <<'PY'
import json, statistics, sys
for r in json.load(open(sys.argv[1]))['results']:
    t = r['times']
    print(r['command'], f'{min(t):.2f}', f'{statistics.median(t):.2f}')
PY
}

# The suites' own run time, from kunit.py's elapsed line; same output.
suites_time() {
	local a i t all

	for a in $ARCHS; do
		all=()
		for ((i = 0; i < RUNS; i++)); do
			# UML: kunit.py run's "... Ns running"; QEMU: the
			# "Elapsed time: Ns" of kunit.py exec, the last one.
			t=$(${CMD[$a]} 2>&1 | sed -n -e 's/.* \([0-9.]*\)s running$/\1/p' \
				-e 's/.*Elapsed time: \([0-9.]*\)s$/\1/p' | tail -n 1)
			[ -n "$t" ] || die "no kunit.py elapsed line from ${CMD[$a]}"
			all+=("$t")
		done
		python3 -c 'import statistics, sys
r = [float(x) for x in sys.argv[2:]]
print(sys.argv[1], f"{min(r):.2f}", f"{statistics.median(r):.2f}")' "$a" "${all[@]}"
	done
}

# One table row from "arch min median" lines: min/median per arch and
# the ratio of the medians.
row() {
	local what=$1 a line cells="" u q
	declare -A med=() mn=()

	while read -r a min median; do
		mn[$a]=$min
		med[$a]=$median
	done
	for a in $ARCHS; do
		cells+=" ${mn[$a]:-?} | ${med[$a]:-?} |"
	done
	line="| $what |$cells"
	if [ -n "${med[uml]:-}" ] && [ -n "${med[x86_64]:-}" ]; then
		u=${med[uml]} q=${med[x86_64]}
		line+=$(python3 -c "print(f' {$u / $q:.2f} |')")
	fi
	echo "$line"
}

header() {
	local a head="| what |" sep="|---|"

	for a in $ARCHS; do
		head+=" ${LABEL[$a]} min | ${LABEL[$a]} median |"
		sep+="---|---|"
	done
	if [[ $ARCHS == *uml* && $ARCHS == *x86_64* ]]; then
		head+=" UML : QEMU (medians) |"
		sep+="---|"
	fi
	echo "$head"
	echo "$sep"
}

machine() {
	local accel

	accel=$(cat "$RES/x86_64-accel.txt" 2>/dev/null || echo '?')
	echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ { print $2 }') GiB," \
		"$(lscpu | sed -n 's/^Model name: *//p' | head -n 1), host kernel $(uname -r);" \
		"QEMU: $accel. $RUNS warm runs, $COLD_RUNS cold build(s) each; seconds." \
		"Cold build: config + full build + boot + suites in a fresh build" \
		"directory (the kernel tree already unpacked and patched)."
}

main() {
	local a

	command -v hyperfine >/dev/null ||
		die "hyperfine is missing: sudo apt-get install hyperfine"
	mkdir -p "$RES"
	for a in $ARCHS; do
		[ -n "${CMD[$a]:-}" ] || die "ARCHS: unknown $a (use uml, x86_64)"
		say "warming up $a"
		${CMD[$a]} >/dev/null 2>&1 ||
			die "${CMD[$a]} does not pass; fix that before benchmarking"
	done
	trap 'rm -rf "$COLD"' EXIT
	{
		machine
		echo
		header
		timed cold "rm -rf $COLD" "KBUILD=$COLD/uml QBUILD=$COLD/x86_64" \
			"$COLD_RUNS" | row "cold build"
		rm -rf "$COLD"
		timed gup "touch $KSRC/mm/gup.c" "" "$RUNS" | row "touch mm/gup.c"
		timed memremap "touch $KSRC/mm/memremap.c" "" "$RUNS" |
			row "touch mm/memremap.c"
		timed suite "touch $TOP/kunit-suites/devmap_gup_kunit.c" "" \
			"$RUNS" | row "edit a suite"
		suites_time | row "suites' run time (boot included)"
	} | tee "$OUT.tmp"
	mv "$OUT.tmp" "$OUT"
	say "written to $OUT"
}

main "$@"
