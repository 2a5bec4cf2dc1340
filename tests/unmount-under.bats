#!/usr/bin/env bats
# unmount_under (scripts/lib/common.sh): CI re-clones the unprivileged
# user's tree as root, and a run killed there may have left a mount in it.

setup() {
	[ "$(id -u)" = 0 ] || skip "mounts need root"
	# shellcheck source=scripts/lib/common.sh
	. "$BATS_TEST_DIRNAME/../scripts/lib/common.sh"
	d=$(mktemp -d)
}

teardown() {
	[ -n "${d:-}" ] || return 0
	unmount_under "$d" >/dev/null
	rm -rf "$d"
}

@test "a tree with mounts left in it, nested too, can be deleted after unmount_under" {
	mkdir -p "$d/clone/build/run.x/mnt" "$d/clone2"
	mount -t tmpfs none "$d/clone/build/run.x/mnt"
	mkdir "$d/clone/build/run.x/mnt/inner"
	mount -t tmpfs none "$d/clone/build/run.x/mnt/inner"
	mount -t tmpfs none "$d/clone2"
	run rm -rf "$d/clone"
	[ "$status" -ne 0 ]
	run unmount_under "$d/clone"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	rm -rf "$d/clone"
	[ ! -e "$d/clone" ]
	# Only what is below the tree: a sibling whose name starts the same stays.
	grep -q " $d/clone2 " /proc/self/mountinfo
}
