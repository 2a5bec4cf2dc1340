#!/bin/bash
# Run the kernel's own mm selftests (gup_test, gup_longterm, hmm-tests)
# inside the sandbox UML, from an initramfs built without root.
#
#   make → scripts/setup-tree.sh (tree + patches)
#        → scripts/run-selftests.sh (this)
#            1. kernel: kunit.py build, O=build/selftests-uml, with
#               uml-config/{base,uml,selftests}.config
#               (DEBUG_FS, GUP_TEST, TEST_HMM=y, BLK_DEV_INITRD, TMPFS, ...)
#            2. x86 uapi headers of the same tree, once, in
#               build/selftests-x86-headers (make headers refuses ARCH=um)
#            3. the programs of uml-config/selftests-plan.txt, static,
#               with tools/testing/selftests/mm's Makefile → build/selftests/bin
#            4. busybox from busybox-static (apt-get download, cached)
#            5. build/selftests/initramfs.cpio with the tree's gen_init_cpio
#               (device nodes come from its list: no root, no mknod)
#            6. devmemd (FUSE) serves 512 MiB of device memory, which UML
#               maps as its first iomem= region, at a fixed physical
#               address (IOMEM_PHYS_START, kernel-patches/0002): test_hmm
#               gets it as device-coherent memory (spm_addr_dev0/1=)
#            7. UML boots it (initrd=); /init (scripts/lib/selftests-init.sh)
#               runs each program under a timeout and prints KTAP
#               (scripts/lib/selftests-ktap.awk); kunit.py parse summarises
#
# A failure listed in uml-config/selftests-expected-skips.txt (THP,
# hugetlb: UML has neither) is reported as a skip; any other failure, a
# hang, a kernel warning or a crash makes the exit status non-zero.
#
# Environment (all optional):
#   FILTER=glob     run only the plan's programs whose name matches
#   TIMEOUT=600     seconds for the whole boot (each program also has its
#                   own timeout in the plan)
#   JSON=path       also write kunit.py's JSON results there
#   DEBUG=1         add uml-config/debug.config (KASAN, DEBUG_VM, lockdep, ...)
#   VERBOSE=1       show the build commands' output
# Every exit path (pass, fail, hang, Ctrl-C, dead daemon) stops UML, its
# helpers and devmemd.
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source=scripts/lib/devmem.sh
. "$TOP/scripts/lib/devmem.sh"

if [ "${DEBUG:-0}" != 0 ]; then
	SBUILD=${SELFTESTS_KBUILD:-$BUILD/selftests-uml-debug}
else
	SBUILD=${SELFTESTS_KBUILD:-$BUILD/selftests-uml}
fi
HDRS=${SELFTESTS_HEADERS:-$BUILD/selftests-x86-headers}
OUT=${SELFTESTS_OUT:-$BUILD/selftests}
PLAN=${PLAN:-$TOP/uml-config/selftests-plan.txt}
SKIPS=${SKIPS:-$TOP/uml-config/selftests-expected-skips.txt}
TIMEOUT=${TIMEOUT:-600}
CONFIGS=("$TOP/uml-config/base.config" "$TOP/uml-config/uml.config"
	"$TOP/uml-config/selftests.config")
# DEBUG=1: the debug profile (KASAN, DEBUG_VM, lockdep, kmemleak) too.
[ "${DEBUG:-0}" = 0 ] || CONFIGS+=("$TOP/uml-config/debug.config")
MM=$KSRC/tools/testing/selftests/mm
# test_hmm's device-coherent memory: two 256 MiB chunks (its
# DEVMEM_CHUNK_SIZE), one per coherent device, in one iomem= region. With
# SPARSEMEM, UML puts the (last, here only) iomem= region at 32 GiB.
COHERENT_NAME=hmm-coherent
COHERENT_SIZE=512M
COHERENT_PHYS=0x800000000
COHERENT_PHYS1=0x810000000

rundir=
uml_pid=

cleanup() {
	local rc=$?

	trap - EXIT INT TERM
	[ -z "$uml_pid" ] || stop_session "$uml_pid"
	devmem_stop || true
	# The daemon's view of the run: the device-coherent tests' pages
	# went through it (tests/uml/oracle.bats checks).
	[ ! -s "$rundir/stats.txt" ] || cp "$rundir/stats.txt" "$OUT/devmemd-stats.txt"
	[ -z "$rundir" ] || rm -rf "$rundir"
	exit "$rc"
}

interrupted() {
	say "interrupted: stopping UML"
	exit 130
}

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
		[[ -z ${FILTER:-} || $name == $FILTER ]] || continue
		printf '%s %s %s%s\n' "$name" "$tmo" "$prog" "${args:+ $args}"
	done <"$PLAN"
}

build_kernel() {
	local kc=() c line opt

	for c in "${CONFIGS[@]}"; do
		kc+=("--kunitconfig=$c")
	done
	say "kernel: $SBUILD (base.config + uml.config + selftests.config)"
	mkdir -p "$SBUILD"
	logged "building the UML kernel" "$OUT/kernel-build.log" \
		"$KSRC/tools/testing/kunit/kunit.py" build --build_dir="$SBUILD" \
		"${kc[@]}" --jobs="$(nproc)"
	# kunit.py checks this too; say it in our words whatever it does.
	for c in "${CONFIGS[@]}"; do
		while read -r line; do
			case $line in
			CONFIG_*=*)
				grep -qxF "$line" "$SBUILD/.config" ||
					die "$line (${c##*/}) is not in $SBUILD/.config: a dependency is missing on UML"
				;;
			'# CONFIG_'*' is not set')
				opt=${line#\# }
				opt=${opt%% *}
				! grep -q "^$opt=" "$SBUILD/.config" ||
					die "$opt (${c##*/}: not set) is set in $SBUILD/.config: something selects it"
				;;
			esac
		done <"$c"
	done
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
	"$gic" "$list" >"$OUT/initramfs.cpio.tmp" ||
		die "gen_init_cpio $list failed"
	mv "$OUT/initramfs.cpio.tmp" "$OUT/initramfs.cpio"
}

# Boot UML on the initramfs; its console (the KTAP) goes to $OUT/console.log
# and, as it comes, through kunit.py parse. Returns kunit.py's verdict.
boot() {
	local log=$OUT/console.log rc=0 prc=0 last args

	rundir=$(mktemp -d "$BUILD/run.XXXXXX")
	rm -f "$OUT/devmemd-stats.txt"
	devmem_start "$rundir" "$COHERENT_SIZE" "$COHERENT_NAME" ||
		die "the device memory daemon did not start"
	args=(mem=1G "initrd=$OUT/initramfs.cpio" "con0=null,fd:1" con=null
		"uml_dir=$rundir" quiet
		"iomem=$COHERENT_NAME,$DEVMEM_FILE"
		"test_hmm.spm_addr_dev0=$COHERENT_PHYS"
		"test_hmm.spm_addr_dev1=$COHERENT_PHYS1")
	say "booting: $SBUILD/linux ${args[*]} (at most $TIMEOUT s)"
	: >"$log"
	# Its own session, so that cleanup() can stop UML and all its helpers.
	setsid timeout -k 5 "$TIMEOUT" "$SBUILD/linux" "${args[@]}" \
		</dev/null >"$log" 2>&1 &
	uml_pid=$!
	# kunit.py stops reading after the last result: tail's SIGPIPE is no
	# failure, kunit.py's status is the verdict.
	if ! tail -n +1 -f --pid="$uml_pid" "$log" |
		"$KSRC/tools/testing/kunit/kunit.py" parse \
			${JSON:+--json="$JSON"}; then
		prc=${PIPESTATUS[1]}
	fi
	wait "$uml_pid" || rc=$?
	uml_pid=
	say "console log: $log"
	if ! devmem_alive; then
		devmem_report_death
		return 1
	fi

	grep -q '^# selftests: done' "$log" && return "$prc"
	last=$(sed -n 's/^# running \([^:]*\):.*/\1/p' "$log" | tail -n 1)
	if [ "$rc" = 124 ]; then
		say "error: UML hung: no result within TIMEOUT=$TIMEOUT s${last:+, while running $last}"
	else
		say "error: UML stopped before the end (exit status $rc)${last:+, while running $last}; the console's last lines:"
		tail -n 20 "$log" >&2
	fi
	return 1
}

main() {
	[ -d "$KSRC/$SANDBOX_DIR" ] ||
		die "$KSRC is not set up: run 'make setup' first"
	[ -f "$PLAN" ] || die "$PLAN is missing"
	[ -f "$SKIPS" ] || die "$SKIPS is missing"
	devmem_check_fuse || die "FUSE is not usable (see above)"
	mkdir -p "$OUT"
	exec 9>"$OUT/.lock"
	flock -n 9 || die "another run-selftests.sh is using $OUT"

	plan_lines >"$OUT/plan"
	[ -s "$OUT/plan" ] || die "no program of $PLAN matches FILTER='${FILTER:-}'"

	trap cleanup EXIT
	trap interrupted INT TERM
	build_kernel
	build_headers
	build_programs
	build_initramfs
	boot
}

main "$@"
