#!/usr/bin/env bats
#
# scripts/ensure-packages.sh (make kunit and make test run it first) with
# fake dpkg-query, apt-get and sudo: every missing package at once, never
# one at a time, and nothing built before they are there.

setup() {
	TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	T=$BATS_TEST_TMPDIR
	mkdir -p "$T/bin"
	printf 'fuse3\nlibfuse3-dev\n# a comment\nbats\nlinux-source-6.12\n' >"$T/packages"
	# dpkg-query -W -f=FORMAT PKG...: "name ii" for the names in
	# $T/installed, "name un" for the others.
	cat >"$T/bin/dpkg-query" <<-EOF
	#!/bin/sh
	shift 2
	for p; do
		grep -qx "\$p" "$T/installed" && echo "\$p ii " || echo "\$p un "
	done
	EOF
	cat >"$T/bin/apt-get" <<-EOF
	#!/bin/sh
	echo "apt-get \$*" >>"$T/apt.log"
	EOF
	printf '#!/bin/sh\necho "sudo $*" >>"%s/apt.log"\n' "$T" >"$T/bin/sudo"
	chmod +x "$T/bin/"*
	printf 'fuse3\nbats\n' >"$T/installed"
	: >"$T/status"
	export PACKAGES_FILE=$T/packages DPKG_QUERY=$T/bin/dpkg-query APT_GET=$T/bin/apt-get
	# dpkg's database and the stamp that stands for a check that found
	# everything (in a build directory of the test's own).
	export DPKG_STATUS=$T/status BUILD=$T/build
}

as_user() {
	# An ordinary user: id -u is not 0 (a fake id on PATH).
	printf '#!/bin/sh\n[ "$1" = -u ] && echo 1000 || /usr/bin/id "$@"\n' >"$T/bin/id"
	chmod +x "$T/bin/id"
	PATH="$T/bin:$PATH" "$@"
}

@test "nothing missing: silent, status 0, nothing installed" {
	printf 'fuse3\nlibfuse3-dev\nbats\nlinux-source-6.12\n' >"$T/installed"
	run as_user "$TOP/scripts/ensure-packages.sh"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ ! -e "$T/apt.log" ]
}

@test "a user without sudo gets one line naming every missing package, status 3" {
	run as_user env SUDO=/nonexistent "$TOP/scripts/ensure-packages.sh"
	echo "$output"
	[ "$status" -eq 3 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"sudo apt-get install -y --no-install-recommends libfuse3-dev linux-source-6.12"* ]]
	[ ! -e "$T/apt.log" ]
}

@test "a user with sudo runs the one sudo apt-get line" {
	run as_user env SUDO="$T/bin/sudo" "$TOP/scripts/ensure-packages.sh" </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	grep -qx "sudo $T/bin/apt-get install -y --no-install-recommends libfuse3-dev linux-source-6.12" "$T/apt.log"
}

@test "root installs them: apt-get update once, then one install" {
	[ "$(id -u)" = 0 ] || skip "needs root (CI runs as root)"
	run "$TOP/scripts/ensure-packages.sh"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"installing 2 missing packages: libfuse3-dev linux-source-6.12"* ]]
	[ "$(grep -c 'apt-get update' "$T/apt.log")" -eq 1 ]
	[ "$(grep -c 'apt-get install' "$T/apt.log")" -eq 1 ]
}

@test "make kunit stops before building anything when packages are missing" {
	run as_user env SUDO=/nonexistent PACKAGES_FILE="$PACKAGES_FILE" \
		DPKG_QUERY="$DPKG_QUERY" BUILD="$T/build" make -s -C "$TOP" kunit
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"missing packages (2)"* ]]
	[ ! -e "$T/build" ]
}

@test "once all is there, the check is a stamp until dpkg's database or the list changes" {
	printf 'fuse3\nlibfuse3-dev\nbats\nlinux-source-6.12\n' >"$T/installed"
	touch -d '-1 min' "$T/status" "$T/packages"
	run as_user "$TOP/scripts/ensure-packages.sh"
	[ "$status" -eq 0 ]
	[ -e "$T/build/.packages-ok" ]
	# From now on a dpkg-query that is called says so.
	printf '#!/bin/sh\necho called >>"%s/dpkg.log"\nexit 1\n' "$T" >"$T/bin/dpkg-query"
	run as_user "$TOP/scripts/ensure-packages.sh"
	[ "$status" -eq 0 ]
	[ ! -e "$T/dpkg.log" ]
	# A package installed or removed since: dpkg rewrote its database.
	touch -d '+1 min' "$T/status"
	run as_user env SUDO=/nonexistent "$TOP/scripts/ensure-packages.sh"
	echo "$output"
	[ -e "$T/dpkg.log" ]
	[ "$status" -ne 0 ]
	[[ "$output" == *"missing packages (4)"* ]]
}
