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
		"$TOP/scripts/run-kunit.sh"
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
