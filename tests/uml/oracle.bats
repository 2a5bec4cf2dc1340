#!/usr/bin/env bats
#
# The x86_64 oracle and the selftests, as a user runs them: Ctrl-C during
# the QEMU run leaves no QEMU behind, and hmm-tests' device-coherent tests
# really run on devmemd's memory. (The comparison's verdicts are unit
# tests: tests/unit/test_verdicts.py.) Needs the x86_64 kernel (make
# oracle) and the selftests kernel (make selftests) built; make test builds
# them first.

setup() {
	TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	BUILD=${BUILD:-$TOP/build}
	T=$BATS_TEST_TMPDIR
}

@test "Ctrl-C during the x86_64 run leaves no QEMU behind" {
	local i pid

	[ -f "$BUILD/kunit-x86_64/arch/x86/boot/bzImage" ] ||
		skip "make oracle has not built the x86_64 kernel"
	setsid python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])' make -s -C "$TOP" oracle ACCEL=tcg \
		>"$T/run.log" 2>&1 &
	pid=$!
	for ((i = 0; i < 1200; i++)); do
		pgrep -f "qemu-system-x86_64 .*$BUILD/kunit-x86_64/" >/dev/null && break
		sleep 0.1
	done
	pgrep -f "qemu-system-x86_64 .*$BUILD/kunit-x86_64/" >/dev/null
	kill -INT -- "-$pid"
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	run wait "$pid"
	cat "$T/run.log"
	[ "$status" -ne 0 ]
	grep -q "interrupted: the kernel and the device memory daemon are stopped" "$T/run.log"
	run pgrep -f "qemu-system-x86_64 .*$BUILD/kunit-x86_64/"
	[ "$status" -eq 1 ]
}

# Runs hmm-tests itself (a warm selftests kernel: about 25 s), so that it
# never reads an earlier run's files.
@test "hmm-tests' device-coherent tests ran on devmemd's memory and passed (skips: hugetlb, THP only)" {
	local log=$BUILD/selftests/console.log why

	why=$(python3 "$TOP/scripts/devmap_sandbox.py" uml-user-space) || skip "$why"
	rm -f "$log" "$BUILD/selftests/devmemd-stats.txt"
	run make -s -C "$TOP" selftests FILTER=hmm-tests
	[ "$status" -eq 0 ]
	run grep -E '^ *(not )?ok [0-9]+ hmm\.hmm_device_coherent\.' "$log"
	echo "$output"
	[ "${#lines[@]}" -gt 20 ]
	[ -z "$(grep -E '^ *not ok' <<<"$output")" ]
	[ -z "$(grep SKIP <<<"$output" | grep -v -e 'Huge page size' -e 'THP:')" ]
	# Their pages were devmemd's (the iomem= region at 32 GiB), not host
	# memory that UML's hotplug backs any other address with.
	grep -Eq '^pages_touched=[1-9]' "$BUILD/selftests/devmemd-stats.txt"
}
