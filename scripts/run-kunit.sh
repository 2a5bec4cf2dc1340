#!/bin/bash
# Boot the sandbox UML kernel and run the KUnit suites with kunit.py.
#
#   make → scripts/setup-tree.sh (tree + patches)
#        → scripts/run-kunit.sh  (this: device memory, kunit.py run)
#            → devmemd (FUSE) serves the device memory file
#            → kunit.py config/build/run in $KSRC, O=$KBUILD, with
#              iomem=fake-devmap,<file> on the UML command line
#            → KTAP parsed by kunit.py; exit status = the suites' verdict
#
# Environment (all optional):
#   DEVMEM=fuse|file|hotplug  device memory backing (default fuse):
#                             fuse    a file served by the devmemd daemon
#                             file    a plain file in the run directory
#                             hotplug no iomem=, UML backs it on demand
#   DEVMEM_SIZE=64M           size of the device memory file
#   PERSIST=path              keep the device contents there across runs
#   DEBUG=1                   add uml-config/debug.config (KASAN, DEBUG_VM, lockdep, ...)
#   FILTER=glob               kunit.py filter_glob (e.g. 'devmap_gup*')
#   TIMEOUT=120               seconds before kunit.py gives up on UML
#   JSON=path                 also write kunit.py's JSON results there
#   KUNIT_ARGS=...            extra kunit.py arguments
# Every exit path (pass, fail, crash, Ctrl-C, dead daemon) stops UML and
# the daemon and removes the run directory.
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source=scripts/lib/devmem.sh
. "$TOP/scripts/lib/devmem.sh"

DEVMEM=${DEVMEM:-fuse}
DEVMEM_SIZE=${DEVMEM_SIZE:-64M}
TIMEOUT=${TIMEOUT:-120}
IOMEM_NAME=fake-devmap

rundir=
kunit_pid=

cleanup() {
	local rc=$?

	trap - EXIT INT TERM
	[ -z "$kunit_pid" ] || stop_session "$kunit_pid"
	if [ "$DEVMEM" = fuse ]; then
		devmem_stop || true
		# The daemon's view of the run (bytes and pages the kernel
		# wrote), kept for the host-side checks.
		mkdir -p "$BUILD/results"
		[ ! -s "$rundir/stats.txt" ] ||
			cp "$rundir/stats.txt" "$BUILD/results/devmemd-stats.txt"
		[ ! -s "$rundir/devmemd.log" ] ||
			cp "$rundir/devmemd.log" "$BUILD/results/devmemd.log"
	fi
	[ -z "$rundir" ] || rm -rf "$rundir"
	exit "$rc"
}

interrupted() {
	say "interrupted: stopping UML and the device memory daemon"
	exit 130
}

# Checks that need nothing built: make runs this first (--preflight).
preflight() {
	[ "$DEVMEM" != fuse ] || devmem_check_fuse ||
		die "FUSE is not usable (see above); or run with DEVMEM=file"
}

kunit_args() {
	local cfg=("--kunitconfig=$TOP/uml-config/base.config"
		"--kunitconfig=$TOP/uml-config/uml.config")

	[ "${DEBUG:-0}" = 0 ] ||
		cfg+=("--kunitconfig=$TOP/uml-config/debug.config")
	printf '%s\n' "${cfg[@]}" "--build_dir=$KBUILD" "--timeout=$TIMEOUT" \
		"--jobs=$(nproc)"
	[ -z "${JSON:-}" ] || printf '%s\n' "--json=$JSON"
	[ -z "${FILTER:-}" ] || printf '%s\n' "$FILTER"
}

# Set up the device memory; $karg becomes the kernel argument naming it.
# Not in a subshell: the daemon must stay our child for devmem_stop.
karg=
start_devmem() {
	case $DEVMEM in
	fuse)
		devmem_start "$rundir" "$DEVMEM_SIZE" "$IOMEM_NAME" \
			${PERSIST:+"$PERSIST"} || die "the device memory daemon did not start"
		say "device memory: $DEVMEM_SIZE served by devmemd (FUSE) at $DEVMEM_FILE"
		karg="iomem=$IOMEM_NAME,$DEVMEM_FILE"
		;;
	file)
		local f=${PERSIST:-$rundir/devmem.img}

		truncate -s "$DEVMEM_SIZE" "$f"
		say "device memory: $DEVMEM_SIZE in the plain file $f"
		karg="iomem=$IOMEM_NAME,$f"
		;;
	hotplug)
		say "device memory: host memory that UML backs on demand (no iomem=)"
		;;
	*)
		die "DEVMEM=$DEVMEM: use fuse, file or hotplug"
		;;
	esac
}

main() {
	local args=() rc

	[ -d "$KSRC/$SANDBOX_DIR" ] ||
		die "$KSRC is not set up: run 'make setup' (or make kunit) first"
	preflight

	trap cleanup EXIT
	trap interrupted INT TERM
	mkdir -p "$BUILD" "$(dirname "$KBUILD")"
	rundir=$(mktemp -d "$BUILD/run.XXXXXX")

	start_devmem
	mapfile -t args < <(kunit_args)
	[ -z "$karg" ] || args+=("--kernel_args=$karg")
	# shellcheck disable=SC2206 # KUNIT_ARGS is split on purpose
	args+=(${KUNIT_ARGS:-})

	# Its own session, so that cleanup() can stop UML and all its helpers.
	# Two runs at once each have their own device memory and run
	# directory, but share the build directory: flock takes turns there.
	setsid flock "$KBUILD.lock" \
		"$KSRC/tools/testing/kunit/kunit.py" run "${args[@]}" &
	kunit_pid=$!
	while kill -0 "$kunit_pid" 2>/dev/null; do
		if [ "$DEVMEM" = fuse ] && ! devmem_alive; then
			devmem_report_death
			exit 1
		fi
		sleep 0.2
	done
	rc=0
	wait "$kunit_pid" || rc=$?
	kunit_pid=
	return "$rc"
}

if [ "${1:-}" = --preflight ]; then
	preflight
	exit 0
fi
main "$@"
