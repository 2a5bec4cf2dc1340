#!/usr/bin/env bats
#
# The device memory is a device's: what the kernel under test writes through
# a pgmap page reaches the host's devmemd daemon (its persist file and its
# stats), and the next boot finds it again through new struct pages.
# Needs the sandbox kernel built (make kunit); each run boots UML once.

setup() {
	TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	BUILD=${BUILD:-$TOP/build}
	IMG=$BATS_TEST_TMPDIR/devmem.img
	MiB=$((1024 * 1024))
}

boot() {
	run env PERSIST="$IMG" FILTER='devmap_devmem.*' DEVMEM=fuse \
		KUNIT_ARGS="--kernel_args=devmap_devmem_kunit.persist=$1" \
		make -s -C "$TOP" kunit
	echo "$output" | tail -n 15
}

# The bytes of device page $1 of the last 2 MiB of the image.
page_text() {
	local size

	size=$(stat -c %s "$IMG")
	dd if="$IMG" bs=4096 skip=$(((size - 2 * MiB) / 4096 + $1)) count=1 \
		status=none | tr -d '\0' | head -c 64
}

@test "a pattern written by the kernel reaches the host and the next boot" {
	boot write
	[ "$status" -eq 0 ]
	[[ "$output" == *"[PASSED] devmap_devmem_write"* ]]

	# The host's view: the daemon's persisted copy and its stats.
	[ "$(page_text 0)" = "devmap-sandbox device page 0" ]
	[ "$(page_text 511)" = "devmap-sandbox device page 511" ]
	stats=$BUILD/results/devmemd-stats.txt
	[ "$(awk -F= '$1 == "bytes_written" { print $2 }' "$stats")" -gt 0 ]
	[ "$(awk -F= '$1 == "pages_touched" { print $2 }' "$stats")" -ge 512 ]

	boot verify
	[ "$status" -eq 0 ]
	[[ "$output" == *"[PASSED] devmap_devmem_verify"* ]]
}

@test "the next boot notices device memory changed behind its back" {
	boot write
	[ "$status" -eq 0 ]
	# Corrupt page 7 on the host, as a failing device would.
	size=$(stat -c %s "$IMG")
	printf 'X' | dd of="$IMG" bs=1 seek=$((size - 2 * MiB + 7 * 4096)) \
		conv=notrunc status=none
	boot verify
	[ "$status" -ne 0 ]
	[[ "$output" == *"[FAILED] devmap_devmem_verify"* ]]
}

@test "a write by the device while the kernel runs is seen by the kernel" {
	local log=$BATS_TEST_TMPDIR/run.log file ctl base i hex

	# The log exists before the loop below reads it (the background
	# job's redirection may not have run yet).
	: >"$log"
	env FILTER='devmap_devmem.*' DEVMEM=fuse \
		KUNIT_ARGS="--kernel_args=devmap_devmem_kunit.persist=poke" \
		make -s -C "$TOP" kunit >"$log" 2>&1 &
	pid=$!
	for ((i = 0; i < 600; i++)); do
		file=$(sed -n 's/.*served by devmemd (FUSE) at //p' "$log")
		[ -n "$file" ] && break
		sleep 0.1
	done
	[ -n "$file" ]
	ctl=$(dirname "$file")/ctl
	base=$(($(stat -c %s "$file") - 2 * MiB))
	# The host reads the same page cache UML maps: wait for "ready".
	for ((i = 0; i < 600; i++)); do
		dd if="$file" bs=4096 skip=$((base / 4096)) count=1 status=none |
			grep -qa 'ready for the device' && break
		sleep 0.1
	done
	hex=$(printf '%s' 'written by the device' | od -An -tx1 -v | tr -d ' \n')
	printf 'poke %d %s\n' $((base + 4096)) "$hex" >"$ctl"
	status=0
	wait "$pid" || status=$?
	tail -n 12 "$log"
	[ "$status" -eq 0 ]
	grep -q '\[PASSED\] devmap_devmem_device_write' "$log"
}

@test "without the device write the kernel-side check fails (it can fail)" {
	run env FILTER='devmap_devmem.*' DEVMEM=fuse \
		KUNIT_ARGS="--kernel_args=devmap_devmem_kunit.persist=poke" \
		make -s -C "$TOP" kunit
	[ "$status" -ne 0 ]
	[[ "$output" == *"no device write seen within 5 s"* ]]
}
