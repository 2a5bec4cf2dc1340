#!/usr/bin/env bats
#
# devmemd, the FUSE daemon serving UML's device memory, tested on the host.
# Needs fuse3 and a /dev/fuse this user can open (see devmem_check_fuse).
# Each test gets its own temp dir; teardown stops the daemon and unmounts.

MiB=$((1024 * 1024))

setup_file() {
	local top

	top=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	# make is a no-op when the binaries are up to date.
	make -s -C "$top/fake-devmap/host" O="${DEVMEM_BUILD:-$top/build/host}" >&2
}

setup() {
	TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	BUILD=${DEVMEM_BUILD:-$TOP/build/host}
	DEVMEMD=$BUILD/devmemd
	MMAP=$BUILD/devmem-mmap
	export DEVMEMD
	T=$(mktemp -d "${TMPDIR:-/tmp}/devmemd-test.XXXXXX")
	T=$(cd "$T" && pwd -P)
	# shellcheck source-path=SCRIPTDIR source=../scripts/lib/devmem.sh
	. "$TOP/scripts/lib/devmem.sh"
}

teardown() {
	local m

	devmem_stop
	if [ -n "${PID2:-}" ]; then
		kill -KILL "$PID2" 2>/dev/null || true
		wait "$PID2" 2>/dev/null || true
	fi
	# Never let rm recurse into a live FUSE mount.
	while read -r m; do
		fusermount3 -u -z "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done < <(awk -v t="$T/" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo)
	rm -rf --one-file-system "$T"
}

# ------------------------------------------------------------- helpers

refute() {
	if "$@"; then
		echo "unexpectedly succeeded: $*" >&2
		return 1
	fi
}

# Value of key $1 in the daemon's live stats file.
stat_of() {
	awk -F= -v k="$1" '$1 == k { print $2 }' "$DEVMEM_MNT/stats"
}

# $2 bytes of file $3 (default: the device) at offset $1, as hex, via read().
hex_at() {
	od -An -tx1 -v -j "$1" -N "$2" "${3:-$DEVMEM_FILE}" | tr -d ' \n'
}

str_hex() {
	printf '%s' "$1" | od -An -tx1 -v | tr -d ' \n'
}

# Write string $2 at offset $1 of the device with write(2), no truncation.
put() {
	printf '%s' "$2" | dd of="$DEVMEM_FILE" bs=64K oflag=seek_bytes seek="$1" conv=notrunc status=none
}

wait_unmounted() {
	local i

	for ((i = 0; i < 50; i++)); do
		_devmem_mounted "$1" || return 0
		sleep 0.1
	done
	return 1
}

# ------------------------------------------------------------- mounting

@test "mount: device file, stats and ctl listed with the right sizes" {
	devmem_start "$T/run" 4M mem
	run ls "$DEVMEM_MNT"
	[ "$status" -eq 0 ]
	[ "${lines[*]}" = "ctl mem stats" ]
	[ "$(stat -c %s "$DEVMEM_FILE")" -eq $((4 * MiB)) ]
	[ "$(stat -c %a "$DEVMEM_FILE")" = 600 ]
	[ "$(stat -c %a "$DEVMEM_MNT/ctl")" = 200 ]
	[ "$(stat -c %a "$DEVMEM_MNT/stats")" = 444 ]
	[ "$(stat_of size)" -eq $((4 * MiB)) ]
	[ "$(stat_of pages_touched)" -eq 0 ]
	# fuse.devmemd, fsname devmemd, never allow_other
	run grep " $DEVMEM_MNT " /proc/self/mountinfo
	[[ "$output" == *" - fuse.devmemd devmemd "* ]]
	[[ "$output" != *allow_other* ]]
}

@test "read/write: round trip through the device file" {
	devmem_start "$T/run" 2M mem
	[ "$(hex_at 4096 8)" = 0000000000000000 ]
	put 4096 "round-trip"
	[ "$(hex_at 4096 10)" = "$(str_hex round-trip)" ]
	# last bytes of the device, and reading at/after the end gives nothing
	put $((2 * MiB - 3)) "end"
	[ "$(hex_at $((2 * MiB - 3)) 3)" = "$(str_hex end)" ]
	[ "$(dd if="$DEVMEM_FILE" bs=4K skip=512 status=none | wc -c)" -eq 0 ]
	[ "$(dd if="$DEVMEM_FILE" bs=8K iflag=skip_bytes skip=$((2 * MiB - 4096)) status=none | wc -c)" -eq 4096 ]
	[ "$(stat_of bytes_written)" -eq 13 ]
	[ "$(stat_of pages_touched)" -eq 2 ]
	[ "$(stat_of writes)" -eq 2 ]
	[ "$(stat_of reads)" -ge 1 ]
}

# ---------------------------------------------------------------- mmap

@test "mmap: msync'ed stores through MAP_SHARED reach the daemon" {
	devmem_start "$T/run" 4M mem
	[ "$(stat_of pages_touched)" -eq 0 ]
	"$MMAP" "$DEVMEM_FILE" $((3 * 4096 + 16)) write 0123456789abcdef
	[ "$(stat_of pages_touched)" -eq 1 ]
	[ "$(stat_of bytes_written)" -ge 8 ]
	[ "$(stat_of writes)" -ge 1 ]
	[ "$(hex_at $((3 * 4096 + 16)) 8)" = 0123456789abcdef ]
	run "$MMAP" "$DEVMEM_FILE" $((3 * 4096 + 16)) read 8
	[ "$output" = 0123456789abcdef ]
	# a second page, via a fresh mapping
	"$MMAP" "$DEVMEM_FILE" 0x200000 write ff
	[ "$(stat_of pages_touched)" -eq 2 ]
}

@test "mmap: ctl poke shows up in an existing mapping without remapping" {
	local off=$((5 * 4096 + 8)) i

	devmem_start "$T/run" 4M mem
	"$MMAP" "$DEVMEM_FILE" "$off" watch cafef00d 10 >"$T/watch.out" 3>&- &
	PID2=$!
	for ((i = 0; i < 50; i++)); do
		grep -q '^mapped' "$T/watch.out" && break
		sleep 0.1
	done
	[ "$(head -n 1 "$T/watch.out")" = "mapped 00000000" ]
	echo "poke $off cafef00d" >"$DEVMEM_MNT/ctl"
	wait "$PID2"
	PID2=
	[ "$(tail -n 1 "$T/watch.out")" = "match cafef00d" ]
	# the same bytes through read(), and 0x offsets, several lines at once
	[ "$(hex_at "$off" 4)" = cafef00d ]
	printf 'poke 0x10 0102\npoke 32 AbCd\n' >"$T/cmd"
	dd if="$T/cmd" of="$DEVMEM_MNT/ctl" bs=64K status=none
	[ "$(hex_at 16 2)$(hex_at 32 2)" = 0102abcd ]
	[ "$(stat_of pokes)" -eq 3 ]
}

@test "ctl: invalid commands fail with EINVAL and change nothing" {
	local bad

	devmem_start "$T/run" 2M mem
	for bad in "bogus" "poke" "poke 0" "poke 0 abc" "poke 0 zz" "poke x 00" \
		   "poke 0 00 extra" "poke $((2 * MiB)) 00" "poke $((2 * MiB - 1)) 0000" \
		   "peek 0 00"; do
		run bash -c 'printf "%s\n" "$1" >"$2"' _ "$bad" "$DEVMEM_MNT/ctl"
		[ "$status" -ne 0 ]
		[[ "$output" == *"Invalid argument"* ]]
	done
	# one bad line spoils the whole write (dd: one write(2) for both lines)
	printf 'poke 0 11\nbogus\n' >"$T/cmd"
	run dd if="$T/cmd" of="$DEVMEM_MNT/ctl" bs=64K
	[ "$status" -ne 0 ]
	[ "$(hex_at 0 1)" = 00 ]
	[ "$(stat_of pokes)" -eq 0 ]
	# ctl is write-only, stats read-only
	run cat "$DEVMEM_MNT/ctl"
	[ "$status" -ne 0 ]
	run bash -c 'echo x >>"$1"' _ "$DEVMEM_MNT/stats"
	[ "$status" -ne 0 ]
}

# --------------------------------------------------------------- limits

@test "limits: write past end is ENOSPC, partial write stops at end, truncate fails" {
	devmem_start "$T/run" 2M mem
	run dd if=/dev/zero of="$DEVMEM_FILE" bs=4K count=1 seek=512 conv=notrunc
	[ "$status" -ne 0 ]
	[[ "$output" == *"No space left on device"* ]]
	# 8 KiB at end-4 KiB: the first 4 KiB land, then ENOSPC
	run dd if=/dev/zero of="$DEVMEM_FILE" bs=8K count=1 oflag=seek_bytes \
		seek=$((2 * MiB - 4096)) conv=notrunc
	[ "$status" -ne 0 ]
	[[ "$output" == *"4096 bytes"* ]]
	[[ "$output" == *"No space left on device"* ]]
	[ "$(stat -c %s "$DEVMEM_FILE")" -eq $((2 * MiB)) ]
	run truncate -s 1M "$DEVMEM_FILE"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Invalid argument"* ]]
	run truncate -s 4M "$DEVMEM_FILE"
	[ "$status" -ne 0 ]
	run bash -c 'echo x >"$1"' _ "$DEVMEM_FILE"	# O_TRUNC
	[ "$status" -ne 0 ]
	truncate -s 2M "$DEVMEM_FILE"			# same size: fine
	touch "$DEVMEM_FILE"
	chmod 0640 "$DEVMEM_FILE"
	[ "$(stat -c %a "$DEVMEM_FILE")" = 640 ]
	sync "$DEVMEM_FILE"
	[ "$(stat -c %s "$DEVMEM_FILE")" -eq $((2 * MiB)) ]
}

# ------------------------------------------------------------ arguments

@test "args: missing --size exits 2 with a clear message" {
	mkdir "$T/mnt"
	run "$DEVMEMD" --name=mem "$T/mnt"
	[ "$status" -eq 2 ]
	[ "${lines[0]}" = "devmemd: missing --size=SIZE" ]
	[[ "$output" == *"usage: devmemd"* ]]
}

@test "args: size not a multiple of 2 MiB, too big or junk exits 2" {
	mkdir "$T/mnt"
	run "$DEVMEMD" --size=3M --name=mem "$T/mnt"
	[ "$status" -eq 2 ]
	[[ "${lines[0]}" == *"multiple of 2 MiB"* ]]
	run "$DEVMEMD" --size=0 --name=mem "$T/mnt"
	[ "$status" -eq 2 ]
	[[ "${lines[0]}" == *"positive multiple of 2 MiB"* ]]
	run "$DEVMEMD" --size=2G --name=mem "$T/mnt"
	[ "$status" -eq 2 ]
	[[ "${lines[0]}" == *"at most 1 GiB"* ]]
	run "$DEVMEMD" --size=4Q --name=mem "$T/mnt"
	[ "$status" -eq 2 ]
	[[ "${lines[0]}" == *"bad --size"* ]]
}

@test "args: missing mountpoint, bad name, unknown option exit 2; --help exits 0" {
	mkdir "$T/mnt"
	run "$DEVMEMD" --size=4M --name=mem
	[ "$status" -eq 2 ]
	[ "${lines[0]}" = "devmemd: missing MOUNTPOINT" ]
	run "$DEVMEMD" --size=4M --name=mem "$T/nonexistent"
	[ "$status" -eq 2 ]
	[[ "${lines[0]}" == *"not a directory"* ]]
	run "$DEVMEMD" --size=4M "$T/mnt"
	[ "$status" -eq 2 ]
	[ "${lines[0]}" = "devmemd: missing --name=NAME" ]
	run "$DEVMEMD" --size=4M --name=a/b "$T/mnt"
	[ "$status" -eq 2 ]
	[[ "${lines[0]}" == *"plain file name"* ]]
	run "$DEVMEMD" --size=4M --name=stats "$T/mnt"
	[ "$status" -eq 2 ]
	run "$DEVMEMD" --size=4M --name=mem -o allow_other "$T/mnt"
	[ "$status" -eq 2 ]
	[[ "${lines[0]}" == *"unknown option 'allow_other'"* ]]
	run "$DEVMEMD" --size=4M --name=mem "$T/mnt" "$T/mnt"
	[ "$status" -eq 2 ]
	[[ "${lines[0]}" == *"extra argument"* ]]
	run "$DEVMEMD" --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"usage: devmemd --size=SIZE --name=NAME"* ]]
}

# ---------------------------------------------------------- persistence

@test "persist: contents survive SIGTERM and a restart" {
	devmem_start "$T/run" 4M mem "$T/dev.img"
	put $((1 * MiB)) "persist-me"
	"$MMAP" "$DEVMEM_FILE" $((3 * MiB)) write 5a5a5a5a
	devmem_stop
	[ "$DEVMEM_STATUS" = 0 ]
	[ "$(stat -c %s "$T/dev.img")" -eq $((4 * MiB)) ]
	[ ! -e "$T/dev.img.tmp" ]
	[ "$(hex_at $((1 * MiB)) 10 "$T/dev.img")" = "$(str_hex persist-me)" ]

	devmem_start "$T/run" 4M mem "$T/dev.img"
	[ "$(hex_at $((1 * MiB)) 10)" = "$(str_hex persist-me)" ]
	[ "$(hex_at $((3 * MiB)) 4)" = 5a5a5a5a ]
	grep -q "loaded $((4 * MiB)) bytes from $T/dev.img" "$T/run/devmemd.log"
}

@test "persist: fsync saves while running" {
	devmem_start "$T/run" 2M mem "$T/dev.img"
	[ ! -e "$T/dev.img" ]
	printf 'synced' | dd of="$DEVMEM_FILE" bs=1K oflag=seek_bytes seek=100 \
		conv=notrunc,fsync status=none
	devmem_alive
	[ "$(hex_at 100 6 "$T/dev.img")" = "$(str_hex synced)" ]
}

@test "persist: a file of the wrong size is refused with a clear error" {
	mkdir "$T/mnt"
	head -c $((1 * MiB)) /dev/zero >"$T/bad.img"
	run "$DEVMEMD" --size=4M --name=mem --persist="$T/bad.img" "$T/mnt"
	[ "$status" -eq 1 ]
	[[ "$output" == *"persist file $T/bad.img is 1048576 bytes but --size is 4194304"* ]]
	[[ "$output" == *"must be exactly SIZE bytes"* ]]
	refute _devmem_mounted "$T/mnt"
	[ "$(stat -c %s "$T/bad.img")" -eq $((1 * MiB)) ]
}

# -------------------------------------------------------------- signals

@test "SIGTERM: exit 0, mount gone, stats written" {
	local rc=0 mnt

	devmem_start "$T/run" 2M mem
	put 0 "x"
	mnt=$DEVMEM_MNT
	kill -TERM "$DEVMEM_PID"
	wait "$DEVMEM_PID" || rc=$?
	[ "$rc" -eq 0 ]
	refute _devmem_mounted "$mnt"
	refute grep -q " $mnt " /proc/self/mountinfo
	grep -q '^size=2097152$' "$T/run/stats.txt"
	grep -q '^bytes_written=1$' "$T/run/stats.txt"
	grep -q 'caught signal 15' "$T/run/devmemd.log"
	grep -q 'exit 0' "$T/run/devmemd.log"
}

@test "SIGINT: exit 0 even when started in the background (SIGINT ignored)" {
	local rc=0 mnt

	devmem_start "$T/run" 2M mem
	mnt=$DEVMEM_MNT
	kill -INT "$DEVMEM_PID"
	wait "$DEVMEM_PID" || rc=$?
	[ "$rc" -eq 0 ]
	refute _devmem_mounted "$mnt"
}

@test "kill -9: auto_unmount removes the mount within a few seconds" {
	local mnt

	devmem_start "$T/run" 2M mem
	mnt=$DEVMEM_MNT
	kill -KILL "$DEVMEM_PID"
	wait "$DEVMEM_PID" || true
	if [ "$(id -u)" -ne 0 ] && ! wait_unmounted "$mnt"; then
		# fuse3 <= 3.16: fusermount3's watcher runs as root and root
		# may not open a mount without allow_other (libfuse #586), so
		# for a plain user the mount stays, stale.  devmem_stop
		# must clean it up instead.
		_devmem_stale "$mnt"
		devmem_stop
	fi
	wait_unmounted "$mnt"
	refute grep -q " $mnt " /proc/self/mountinfo
}

@test "devmem.sh: devmem_start takes over a stale mount of a killed daemon" {
	local mnt

	devmem_start "$T/run" 2M mem
	mnt=$DEVMEM_MNT
	put 0 "old"
	# A stale mount whatever our uid: without its auto_unmount watcher
	# (which, as root, would unmount it first and leave nothing to take
	# over), the killed daemon's mount stays.
	pkill -KILL -f "fusermount3.*$mnt" || true
	kill -KILL "$DEVMEM_PID"
	wait "$DEVMEM_PID" || true
	_devmem_mounted "$mnt"
	_devmem_stale "$mnt"
	devmem_start "$T/run" 2M mem
	devmem_alive
	[ "$DEVMEM_MNT" = "$mnt" ]
	[ "$(hex_at 0 3)" = 000000 ]
	[ "$(grep -c " $mnt " /proc/self/mountinfo)" -eq 1 ]
	devmem_stop
	refute grep -q " $mnt " /proc/self/mountinfo
}

# ------------------------------------------------------------ devmem.sh

@test "devmem.sh: start, alive, stop round trip; stop is idempotent" {
	local mnt

	devmem_start "$T/run" 2M dev
	[ -n "$DEVMEM_PID" ]
	[ "$DEVMEM_MNT" = "$T/run/mnt" ]
	[ "$DEVMEM_FILE" = "$T/run/mnt/dev" ]
	[ "$DEVMEM_LOG" = "$T/run/devmemd.log" ]
	devmem_alive
	[ "$(stat -c %s "$DEVMEM_FILE")" -eq $((2 * MiB)) ]
	grep -q "mounted $T/run/mnt/dev" "$T/run/devmemd.log"
	# a second start while running is refused
	run devmem_start "$T/run2" 2M dev
	[ "$status" -eq 1 ]
	[[ "$output" == *"already running"* ]]

	mnt=$DEVMEM_MNT
	devmem_stop
	[ "$DEVMEM_STATUS" = 0 ]
	[ -z "$DEVMEM_PID" ] && [ -z "$DEVMEM_MNT" ] && [ -z "$DEVMEM_FILE" ]
	refute devmem_alive
	refute _devmem_mounted "$mnt"
	[ ! -e "$mnt" ]
	grep -q '^size=2097152$' "$T/run/stats.txt"
	devmem_stop
	devmem_stop
}

@test "devmem.sh: a failed start reports the log tail and leaves nothing behind" {
	run devmem_start "$T/run" 3M dev
	[ "$status" -eq 1 ]
	[[ "$output" == *"devmemd failed to start"* ]]
	[[ "$output" == *"multiple of 2 MiB"* ]]
	[ ! -e "$T/run/mnt" ]
	# shellcheck disable=SC2016 # expanded by the inner bash
	run env DEVMEMD="$T/nope" bash -c '. "$1"; devmem_start "$2" 2M dev' _ \
		"$TOP/scripts/lib/devmem.sh" "$T/run"
	[ "$status" -eq 1 ]
	[[ "$output" == *"make -C"* ]]
	run devmem_start "$T/run"
	[ "$status" -eq 1 ]
	[[ "$output" == *"usage: devmem_start"* ]]
}

@test "no /dev/fuse access: devmemd and devmem_check_fuse say how to fix it" {
	local as_nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)

	[ "$(id -u)" -eq 0 ] || skip "needs root to act as an unprivileged user"
	command -v setpriv >/dev/null || skip "setpriv not installed"
	if "${as_nobody[@]}" sh -c ': <>/dev/fuse' 2>/dev/null; then
		skip "/dev/fuse is accessible to everybody here"
	fi
	chmod 0755 "$T"
	mkdir "$T/mnt"
	run "${as_nobody[@]}" "$DEVMEMD" --size=2M --name=mem "$T/mnt"
	[ "$status" -eq 1 ]
	[[ "$output" == *"devmemd: cannot open /dev/fuse (Permission denied): install fuse3 and make /dev/fuse accessible"* ]]
	[[ "$output" == *"sudo chmod 0666 /dev/fuse"* ]]
	# shellcheck disable=SC2016 # expanded by the inner bash
	run "${as_nobody[@]}" bash -c '. "$1"; devmem_check_fuse' _ "$TOP/scripts/lib/devmem.sh"
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot open /dev/fuse read-write"* ]]
	[[ "$output" == *"sudo chmod 0666 /dev/fuse"* ]]
}
