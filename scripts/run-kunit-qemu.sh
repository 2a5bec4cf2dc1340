#!/bin/bash
# The same suites on x86_64 under QEMU: the differential oracle for the
# UML port (native sparsemem-vmemmap, memory hotplug and pte_devmap, SMP).
#
#   make oracle → scripts/run-oracle.sh
#     → scripts/run-kunit-qemu.sh (this)
#         → kunit.py run --arch=x86_64 in $KSRC, O=build/kunit-x86_64,
#           with uml-config/base.config + uml-config/x86_64.config
#         → QEMU: KVM when /dev/kvm is usable, software emulation (TCG)
#           otherwise; the kernel command line sets RAM aside as the
#           provider's device memory (memmap=<size>!<start>)
#         → KTAP parsed by kunit.py; exit status = the suites' verdict
#
# Environment (all optional):
#   ACCEL=kvm|tcg        force the accelerator (default: kvm if usable)
#   DEVMEM_SIZE=256M     the device memory, at DEVMEM_START (768M) of the
#                        guest's 1 GiB (kunit.py's QEMU default)
#   FILTER=glob          kunit.py filter_glob
#   TIMEOUT=300          seconds before kunit.py gives up on QEMU
#   JSON=path            also write kunit.py's JSON results there
# Writes $BUILD/results/x86_64-accel.txt (which accelerator ran). Every
# exit path stops QEMU.
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"

QBUILD=${QBUILD:-$BUILD/kunit-x86_64}
DEVMEM_SIZE=${DEVMEM_SIZE:-256M}
DEVMEM_START=${DEVMEM_START:-768M}
TIMEOUT=${TIMEOUT:-300}

kunit_pid=

cleanup() {
	local rc=$?

	trap - EXIT INT TERM
	[ -z "$kunit_pid" ] || stop_session "$kunit_pid"
	exit "$rc"
}

interrupted() {
	say "interrupted: stopping QEMU"
	exit 130
}

kvm_usable() { [ -r /dev/kvm ] && [ -w /dev/kvm ]; }

# The accelerator's QEMU arguments; its name on stdout's first line.
pick_accel() {
	local accel=${ACCEL:-}

	if [ -z "$accel" ]; then
		accel=tcg
		kvm_usable && accel=kvm
	fi
	case $accel in
	kvm)
		kvm_usable || die "ACCEL=kvm, but /dev/kvm is not usable by $(id -un)"
		printf '%s\n' "KVM" "--qemu_args=-enable-kvm -cpu host -smp 2"
		;;
	tcg)
		printf '%s\n' "software emulation (TCG)" "--qemu_args=-accel tcg -smp 2"
		;;
	*)
		die "ACCEL=$accel: use kvm or tcg"
		;;
	esac
}

main() {
	local args accel

	[ -d "$KSRC/$SANDBOX_DIR" ] ||
		die "$KSRC is not set up: run 'make setup' first"
	command -v qemu-system-x86_64 >/dev/null ||
		die "qemu-system-x86_64 is missing: sudo apt-get install qemu-system-x86"
	mapfile -t args < <(pick_accel)
	accel=${args[0]}
	args=("${args[@]:1}"
		--arch=x86_64 "--build_dir=$QBUILD"
		"--kunitconfig=$TOP/uml-config/base.config"
		"--kunitconfig=$TOP/uml-config/x86_64.config"
		"--kernel_args=memmap=$DEVMEM_SIZE!$DEVMEM_START"
		"--timeout=$TIMEOUT" "--jobs=$(nproc)")
	[ -z "${JSON:-}" ] || args+=("--json=$JSON")
	[ -z "${FILTER:-}" ] || args+=("$FILTER")

	mkdir -p "$BUILD/results" "$QBUILD"
	echo "$accel" >"$BUILD/results/x86_64-accel.txt"
	say "x86_64 under QEMU with $accel; device memory: memmap=$DEVMEM_SIZE!$DEVMEM_START"

	trap cleanup EXIT
	trap interrupted INT TERM
	# Its own session, so that cleanup() can stop QEMU with kunit.py.
	setsid flock "$QBUILD.lock" \
		"$KSRC/tools/testing/kunit/kunit.py" run "${args[@]}" &
	kunit_pid=$!
	local rc=0
	wait "$kunit_pid" || rc=$?
	kunit_pid=
	return "$rc"
}

main "$@"
