#!/bin/bash
# Build what the mm selftests need inside UML, for the engine's selftests
# client (scripts/sandbox/selftests.py), which builds the kernel and boots:
#   1. x86 uapi headers of the tree, once, in SELFTESTS_OUT/x86-headers
#      (make headers refuses ARCH=um)
#   2. the programs of the plan, static, with tools/testing/selftests/mm's
#      Makefile → SELFTESTS_OUT/bin
#   3. busybox from busybox-static (installed, or apt-get download, cached)
#   4. SELFTESTS_OUT/initramfs.cpio with the tree's gen_init_cpio (device
#      nodes come from its list: no root, no mknod)
#
#   build-selftests.sh KSRC KBUILD OUT PLAN SKIPS [FILTER]
# Writes OUT/plan (the plan's lines that FILTER keeps). Plain plumbing.
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"

[ $# -ge 5 ] || die "usage: ${0##*/} KSRC KBUILD OUT PLAN SKIPS [FILTER]"
KSRC=$1 SBUILD=$2 OUT=$3 PLAN=$4 SKIPS=$5 FILTER=${6:-}
HDRS=$OUT/x86-headers
MM=$KSRC/tools/testing/selftests/mm

# Run a build step quietly into a log; on failure show the log's tail.
logged() {
	local what=$1 log=$2
	shift 2

	if [ "${VERBOSE:-0}" != 0 ]; then
		"$@" 2>&1 | tee "$log" || die "$what failed (full log: $log)"
		return
	fi
	if ! "$@" >"$log" 2>&1; then
		tail -n 40 "$log" >&2
		die "$what failed (full log: $log)"
	fi
}

# The plan without comments, FILTER applied: "name timeout program args".
plan_lines() {
	local name tmo prog args

	while read -r name tmo prog args; do
		case $name in '' | '#'*) continue ;; esac
		[[ $tmo =~ ^[0-9]+$ && -n $prog ]] ||
			die "$PLAN: bad line for $name (want: name timeout program [args])"
		# shellcheck disable=SC2053 # FILTER is a glob on purpose
		[[ -z $FILTER || $name == $FILTER ]] || continue
		printf '%s %s %s%s\n' "$name" "$tmo" "$prog" "${args:+ $args}"
	done <"$PLAN"
}

build_headers() {
	[ -f "$HDRS/usr/include/linux/fs.h" ] && return
	say "x86 uapi headers (once): $HDRS"
	mkdir -p "$HDRS"
	logged "make ARCH=x86 headers" "$OUT/headers.log" \
		make -C "$KSRC" ARCH=x86 O="$HDRS" -j"$(nproc)" headers
}

build_programs() {
	local progs p targets=()

	mapfile -t progs < <(awk '{ print $3 }' "$OUT/plan" | sort -u)
	for p in "${progs[@]}"; do
		[ -f "$MM/$p.c" ] || die "$PLAN names $p, but $MM/$p.c does not exist"
		targets+=("$OUT/bin/$p")
	done
	say "selftests: ${progs[*]} (static) in $OUT/bin"
	mkdir -p "$OUT/bin"
	# The selftests' Makefile takes full-path targets only.
	logged "building the selftests" "$OUT/selftests-build.log" \
		make -C "$MM" -j"$(nproc)" OUTPUT="$OUT/bin" LDFLAGS=-static \
		KHDR_INCLUDES="-isystem $HDRS/usr/include" "${targets[@]}"
}

is_static() { ! readelf -l "$1" 2>/dev/null | grep -q 'program interpreter'; }

# A static busybox: the busybox-static package's, extracted without root.
busybox_path() {
	local dir=$OUT/busybox debs=$OUT/debs deb

	if [ -x "$dir/bin/busybox" ]; then
		echo "$dir/bin/busybox"
		return
	fi
	if [ -x /bin/busybox ] && is_static /bin/busybox; then
		echo /bin/busybox
		return
	fi
	mkdir -p "$debs"
	deb=$(find "$debs" -name 'busybox-static_*.deb' | head -n 1)
	if [ -z "$deb" ]; then
		say "downloading busybox-static (apt-get download) into $debs"
		(cd "$debs" && apt-get download busybox-static >/dev/null 2>&1) ||
			die "apt-get download busybox-static failed: run 'apt-get update' or
    sudo apt-get install busybox-static"
		deb=$(find "$debs" -name 'busybox-static_*.deb' | head -n 1)
	fi
	rm -rf "$dir.tmp"
	dpkg-deb -x "$deb" "$dir.tmp" || die "dpkg-deb -x $deb failed"
	is_static "$dir.tmp/bin/busybox" || die "$deb has no static busybox"
	rm -rf "$dir"
	mv "$dir.tmp" "$dir"
	echo "$dir/bin/busybox"
}

gen_init_cpio() {
	local g=$SBUILD/usr/gen_init_cpio

	if [ ! -x "$g" ]; then
		g=$OUT/gen_init_cpio
		[ "$g" -nt "$KSRC/usr/gen_init_cpio.c" ] ||
			cc -O2 -o "$g" "$KSRC/usr/gen_init_cpio.c" ||
			die "cannot build $g"
	fi
	echo "$g"
}

# The initramfs: a list for gen_init_cpio, which writes the device nodes
# and owners into the archive itself.
build_initramfs() {
	local bb gic list=$OUT/initramfs.list p d

	bb=$(busybox_path)
	gic=$(gen_init_cpio)
	for p in "$TOP" "$OUT" "$bb"; do
		[[ $p != *[[:space:]]* ]] || die "gen_init_cpio cannot take a path with blanks: $p"
	done
	{
		for d in /dev /bin /proc /sys /tmp /root /etc /etc/selftests /selftests; do
			echo "dir $d 0755 0 0"
		done
		echo "nod /dev/console 0600 0 0 c 5 1"
		echo "nod /dev/null 0666 0 0 c 1 3"
		echo "file /bin/busybox $bb 0755 0 0"
		echo "slink /bin/sh busybox 0777 0 0"
		echo "file /init $TOP/scripts/lib/selftests-init.sh 0755 0 0"
		echo "file /etc/selftests/plan $OUT/plan 0644 0 0"
		echo "file /etc/selftests/expected-skips $SKIPS 0644 0 0"
		echo "file /etc/selftests/ktap.awk $TOP/scripts/lib/selftests-ktap.awk 0644 0 0"
		awk -v bin="$OUT/bin" \
			'!seen[$3]++ { print "file /selftests/" $3 " " bin "/" $3 " 0755 0 0" }' \
			"$OUT/plan"
	} >"$list"
	# -t: every file's mtime the same, so the same files make the same
	# archive (make selftests-compare keeps a column's results by it).
	"$gic" -t 0 "$list" >"$OUT/initramfs.cpio.tmp" ||
		die "gen_init_cpio $list failed"
	mv "$OUT/initramfs.cpio.tmp" "$OUT/initramfs.cpio"
}

main() {
	[ -f "$PLAN" ] || die "$PLAN is missing"
	[ -f "$SKIPS" ] || die "$SKIPS is missing"
	mkdir -p "$OUT"
	plan_lines >"$OUT/plan"
	[ -s "$OUT/plan" ] || die "no program of $PLAN matches FILTER='$FILTER'"
	say "[1/4] x86 uapi headers"
	build_headers
	say "[2/4] the selftest programs"
	build_programs
	say "[3/4] busybox, [4/4] the initramfs"
	build_initramfs
}

main "$@"
