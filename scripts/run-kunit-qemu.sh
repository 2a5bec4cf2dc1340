#!/bin/bash
# The same suites on x86_64 under QEMU: the differential oracle for the
# UML port (native sparsemem-vmemmap, memory hotplug and pte_devmap, SMP).
#
#   make oracle → scripts/run-oracle.sh
#     → scripts/run-kunit-qemu.sh (this)
#         → kunit.py build, then exec, --arch=x86_64 in $KSRC,
#           O=build/kunit-x86_64,
#           with uml-config/base.config + uml-config/x86_64.config
#         → QEMU: KVM when /dev/kvm is usable, software emulation (TCG)
#           otherwise; the kernel command line sets RAM aside as the
#           provider's device memory (memmap=<size>!<start>)
#         → KTAP parsed by kunit.py; exit status = the suites' verdict
#
# Environment (all optional):
#   ACCEL=kvm|tcg        force the accelerator (default: KVM if /dev/kvm is
#                        usable and a probe boot works, see kvm_works)
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

KVM_ARGS="-enable-kvm -cpu host"
TCG_ARGS="-accel tcg"

kvm_accessible() { [ -r /dev/kvm ] && [ -w /dev/kvm ]; }

# kunit.py in its own session, so that cleanup() can stop it and QEMU.
kunit() {
	local rc=0

	setsid flock "$QBUILD.lock" \
		"$KSRC/tools/testing/kunit/kunit.py" "$@" &
	kunit_pid=$!
	wait "$kunit_pid" || rc=$?
	kunit_pid=
	return "$rc"
}

# /dev/kvm can be there and still not run this guest: nested KVM has been
# seen here to abort QEMU (-cpu host) or hang the guest (other models).
# So run one quick test case of the kernel just built under KVM, with
# kunit.py's own QEMU command line, within 30 s. The verdict is kept per
# host kernel and QEMU version.
kvm_works() {
	local cache=$QBUILD/.kvm-probe key verdict=broken

	key="$(uname -r) $(qemu-system-x86_64 --version | head -n 1)"
	if [ -f "$cache" ] && [ "$(sed -n 2p "$cache")" = "$key" ]; then
		[ "$(sed -n 1p "$cache")" = works ]
		return
	fi
	say "probing KVM: one test case under KVM"
	if kunit exec "${common[@]}" "--qemu_args=$KVM_ARGS" --timeout=30 \
		'devmap_lifecycle.devmap_idle_pages' >/dev/null 2>&1; then
		verdict=works
	fi
	printf '%s\n%s\n' "$verdict" "$key" >"$cache"
	[ "$verdict" = works ]
}

# Sets accel_name and accel_args; needs the kernel built.
pick_accel() {
	local accel=${ACCEL:-}

	if [ -z "$accel" ]; then
		accel=tcg
		if kvm_accessible; then
			if kvm_works; then
				accel=kvm
			else
				say "KVM does not run this guest here (nested virtualization?): software emulation"
			fi
		fi
	fi
	case $accel in
	kvm)
		kvm_accessible || die "ACCEL=kvm, but /dev/kvm is not usable by $(id -un)"
		accel_name=KVM
		accel_args=$KVM_ARGS
		;;
	tcg)
		accel_name="software emulation (TCG)"
		accel_args=$TCG_ARGS
		;;
	*)
		die "ACCEL=$accel: use kvm or tcg"
		;;
	esac
}

common=()
accel_name=
accel_args=

main() {
	local json=${JSON:-}

	[ -d "$KSRC/$SANDBOX_DIR" ] ||
		die "$KSRC is not set up: run 'make setup' first"
	command -v qemu-system-x86_64 >/dev/null ||
		die "qemu-system-x86_64 is missing: sudo apt-get install qemu-system-x86"
	# kunit.py runs in the tree: make the JSON path absolute.
	[ -z "$json" ] || json=$(realpath -m "$json")
	common=(--arch=x86_64 "--build_dir=$QBUILD"
		"--kunitconfig=$TOP/uml-config/base.config"
		"--kunitconfig=$TOP/uml-config/x86_64.config")
	# The same debug profile as UML's (KASAN, DEBUG_VM, lockdep, kmemleak).
	[ "${DEBUG:-0}" = 0 ] ||
		common+=("--kunitconfig=$TOP/uml-config/debug.config")
	mkdir -p "$BUILD/results" "$QBUILD"
	trap cleanup EXIT
	trap interrupted INT TERM

	# kunit.py's own split: build, then (once the accelerator is known)
	# exec. Both print their "Elapsed time".
	kunit build "${common[@]}" "--jobs=$(nproc)" || exit 1
	pick_accel
	echo "$accel_name" >"$BUILD/results/x86_64-accel.txt"
	say "x86_64 under QEMU with $accel_name; device memory: memmap=$DEVMEM_SIZE!$DEVMEM_START"
	# kunit.py's KTAP parser loses its place when a line from elsewhere
	# lands inside a nested test: keep the two asynchronous printers seen
	# mid-run here quiet (the TSC recalibration a second after boot, the
	# PS/2 mouse probe). Neither touches the mm.
	local args=("${common[@]}" "--qemu_args=$accel_args -smp 2"
		"--kernel_args=memmap=$DEVMEM_SIZE!$DEVMEM_START"
		--kernel_args=tsc=unstable --kernel_args=i8042.noaux
		"--timeout=$TIMEOUT")
	[ -z "$json" ] || args+=("--json=$json")
	[ -z "${FILTER:-}" ] || args+=("$FILTER")
	kunit exec "${args[@]}"
}

main "$@"
