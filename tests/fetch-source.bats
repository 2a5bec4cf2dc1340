#!/usr/bin/env bats
#
# scripts/fetch-source.sh (set-up of a base whose suite the system does not
# list: 7.3 from trixie-backports) with a fake apt-get: the system's
# mirror in a private sources list checked with Debian's keyring, private
# apt state under BUILD/apt, the pinned version and sha256, one line and
# status 12 when the source cannot be had, SOURCE= a local copy. The real
# fetch (170 MB) is not here: run SANDBOX_BASE=7.3 make setup.

setup() {
	TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	T=$BATS_TEST_TMPDIR
	mkdir -p "$T/bin" "$T/pkg/usr/src"
	# A small source package: a .deb holding usr/src/<pkg>.tar.xz.
	mkdir -p "$T/pkg/DEBIAN"
	printf 'Package: linux-source-9.9\nVersion: 9.9.1-1\nArchitecture: all\nMaintainer: t <t@t>\nDescription: t\n' \
		>"$T/pkg/DEBIAN/control"
	mkdir -p "$T/src/linux-source-9.9"
	echo 'VERSION = 9' >"$T/src/linux-source-9.9/Makefile"
	tar -cJf "$T/pkg/usr/src/linux-source-9.9.tar.xz" -C "$T/src" linux-source-9.9
	dpkg-deb -b -Zxz "$T/pkg" "$T/good.deb" >/dev/null
	# apt-get: indextargets lists the system's sources; update and
	# download are logged with their options; download copies the .deb
	# ($T/serve, when it exists) into the current directory.
	cat >"$T/bin/apt-get" <<-EOF
	#!/bin/bash
	echo "apt-get \$*" >>"$T/apt.log"
	for a; do case \$a in
	indextargets) printf 'http://mirror.example/debian-security/ bookworm-security\nhttp://mirror.example/debian/ bookworm\n'; exit 0 ;;
	update) exit 0 ;;
	download) [ -e "$T/serve" ] || { echo "E: Version not found" >&2; exit 100; }
		cp "$T/serve" "linux-source-9.9_9.9.1-1_all.deb"; exit 0 ;;
	esac; done
	EOF
	chmod +x "$T/bin/apt-get"
	export APT_GET=$T/bin/apt-get BUILD=$T/build XDG_CACHE_HOME=$T/cache
	export BASE_PKG=linux-source-9.9 BASE_TARBALL=$T/cache/src/linux-source-9.9.tar.xz \
		BASE_SUITE=trixie-backports BASE_DEB_VERSION=9.9.1-1
	BASE_DEB_SHA256=$(sha256sum <"$T/good.deb" | cut -d' ' -f1)
	export BASE_DEB_SHA256
}

@test "the pinned version from the system's mirror, private state, Debian's keyring" {
	cp "$T/good.deb" "$T/serve"
	run "$TOP/scripts/fetch-source.sh"
	echo "$output"
	[ "$status" -eq 0 ]
	tar -tJf "$BASE_TARBALL" | grep -q 'linux-source-9.9/Makefile'
	grep -qx "deb \[signed-by=/usr/share/keyrings/debian-archive-keyring.gpg\] http://mirror.example/debian/ trixie-backports main" \
		"$BUILD/apt/sources.list"
	grep -q "download linux-source-9.9=9.9.1-1" "$T/apt.log"
	grep -q "Dir::State::Lists=$BUILD/apt/lists" "$T/apt.log"
	grep -q "Dir::Etc::SourceParts=$BUILD/apt/parts" "$T/apt.log"
	! grep -q trusted "$T/apt.log" "$BUILD/apt/sources.list"
	# the .deb is kept outside the clone: the next set-up does not fetch
	[ -f "$T/cache/devmap-sandbox/debs/linux-source-9.9_9.9.1-1_all.deb" ]
	rm "$BASE_TARBALL" "$T/apt.log"
	run "$TOP/scripts/fetch-source.sh"
	[ "$status" -eq 0 ]
	[ ! -e "$T/apt.log" ]
}

@test "a version the suite no longer serves: one line, status 12" {
	run "$TOP/scripts/fetch-source.sh"
	echo "$output"
	[ "$status" -eq 12 ]
	[[ "$output" == *"is not served by trixie-backports any more"*"SOURCE="* ]]
	[ ! -e "$BASE_TARBALL" ]
}

@test "a .deb that is not the pinned one is refused and dropped" {
	cp "$T/good.deb" "$T/serve"
	BASE_DEB_SHA256=0000 run "$TOP/scripts/fetch-source.sh"
	[ "$status" -eq 12 ]
	[[ "$output" == *"sha256"*"bases.py pins 0000"* ]]
	[ ! -e "$T/cache/devmap-sandbox/debs/linux-source-9.9_9.9.1-1_all.deb" ]
}

@test "SOURCE= a local .deb or tarball, without the network" {
	SOURCE=$T/good.deb run "$TOP/scripts/fetch-source.sh"
	[ "$status" -eq 0 ]
	[ ! -e "$T/apt.log" ]
	tar -tJf "$BASE_TARBALL" | grep -q 'linux-source-9.9/Makefile'
	SOURCE=$T/nonexistent.deb run "$TOP/scripts/fetch-source.sh"
	[ "$status" -eq 2 ]
}
