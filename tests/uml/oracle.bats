#!/usr/bin/env bats
#
# The differential oracle's pieces: the side-by-side comparison fails on
# what it must fail on, Ctrl-C leaves no QEMU behind, and the selftests'
# device-coherent tests really ran. Needs the kernel tree (make setup) for
# kunit.py's KTAP parser; the last two need make oracle and make selftests
# to have run (make test runs them first).

setup() {
	TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	BUILD=${BUILD:-$TOP/build}
	KSRC=${KSRC:-$BUILD/linux}
	T=$BATS_TEST_TMPDIR
}

# A kunit.py JSON with one suite of two cases, the statuses given.
json() {
	cat <<EOF
{"name": "KUnit Test Group", "sub_groups": [{"name": "s", "sub_groups": [],
 "test_cases": [{"name": "a", "status": "$1"}, {"name": "b", "status": "$2"}]}],
 "test_cases": []}
EOF
}

# The matching KTAP, case b skipped with a reason.
ktap() {
	printf '%s\n' 'KTAP version 1' '1..1' '    KTAP version 1' \
		'    # Subtest: s' '    1..2' '    ok 1 a' \
		'    ok 2 b # SKIP needs a thing' 'ok 1 s'
}

compare() {
	run "$TOP/scripts/compare_archs.py" "$KSRC" "$T/out.md" \
		"one=$T/1.json,$T/1.log" "two=$T/2.json,$T/2.log"
	echo "$output"
}

@test "compare_archs: the same results on both sides pass, with skip reasons" {
	json PASS SKIP >"$T/1.json"
	json PASS SKIP >"$T/2.json"
	ktap >"$T/1.log"
	ktap >"$T/2.log"
	compare
	[ "$status" -eq 0 ]
	grep -qxF '| s.a | PASS | PASS |' "$T/out.md"
	grep -qxF '| s.b | SKIP: needs a thing | SKIP: needs a thing |' "$T/out.md"
	[[ $output == *"2 test cases: 2 with the same result"* ]]
}

@test "compare_archs: a failure on one side fails the comparison" {
	json PASS SKIP >"$T/1.json"
	json FAIL SKIP >"$T/2.json"
	compare
	[ "$status" -eq 1 ]
	grep -qxF '| s.a | PASS | FAIL |' "$T/out.md"
	[[ $output == *"1 failing or missing"* ]]
}

@test "compare_archs: a test that runs on one side only fails the comparison" {
	json PASS SKIP >"$T/1.json"
	json PASS SKIP | sed 's/"name": "b"/"name": "c"/' >"$T/2.json"
	compare
	[ "$status" -eq 1 ]
	grep -qxF '| s.b | SKIP | not run |' "$T/out.md"
}

@test "compare_archs: a missing result file (a crashed run) fails" {
	json PASS PASS >"$T/1.json"
	compare
	[ "$status" -eq 1 ]
}

@test "Ctrl-C during the x86_64 run leaves no QEMU behind" {
	local i pid

	[ -f "$BUILD/kunit-x86_64/arch/x86/boot/bzImage" ] ||
		skip "make oracle has not built the x86_64 kernel"
	setsid python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execv(sys.argv[1], sys.argv[1:])' "$TOP/scripts/run-kunit-qemu.sh" \
		>"$T/run.log" 2>&1 &
	pid=$!
	for ((i = 0; i < 300; i++)); do
		pgrep -f "qemu-system-x86_64 .*$BUILD/kunit-x86_64/" >/dev/null && break
		sleep 0.1
	done
	pgrep -f "qemu-system-x86_64 .*$BUILD/kunit-x86_64/" >/dev/null
	kill -INT "$pid"
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	run wait "$pid"
	cat "$T/run.log"
	[ "$status" -eq 130 ]
	grep -q "interrupted: stopping QEMU" "$T/run.log"
	run pgrep -f "qemu-system-x86_64 .*$BUILD/kunit-x86_64/"
	[ "$status" -eq 1 ]
}

@test "hmm-tests' device-coherent tests ran on devmemd's memory and passed (skips: hugetlb, THP only)" {
	local log=$BUILD/selftests/console.log

	[ -f "$log" ] || skip "make selftests has not run"
	run grep -E '^ *(not )?ok [0-9]+ hmm\.hmm_device_coherent\.' "$log"
	echo "$output"
	[ "${#lines[@]}" -gt 20 ]
	[ -z "$(grep -E '^ *not ok' <<<"$output")" ]
	[ -z "$(grep SKIP <<<"$output" | grep -v -e 'Huge page size' -e 'THP:')" ]
	# Their pages were devmemd's (the iomem= region at 32 GiB), not host
	# memory that UML's hotplug backs any other address with.
	grep -Eq '^pages_touched=[1-9]' "$BUILD/selftests/devmemd-stats.txt"
}
