#!/bin/sh
# shellcheck shell=sh
# /init of the selftests initramfs that scripts/build-selftests.sh packs:
# busybox sh, as pid 1 and root inside UML (nothing here runs on the host).
#
# Mounts proc, sysfs, devtmpfs, debugfs and a tmpfs, runs each program of
# /etc/selftests/plan (but those the command line leaves out) in the tmpfs under busybox timeout, prints one
# top-level KTAP test per program (selftests-ktap.awk) and powers off.
# "# running <name>" before each program names the one that hung if UML
# itself stops answering; "# selftests: done" says the run got to the end.

PATH=/bin
export PATH
ETC=/etc/selftests

/bin/busybox mount -t proc proc /proc
/bin/busybox --install -s /bin
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug
# UML's rootfs is a ramfs, without fallocate(): run from a tmpfs.
mount -t tmpfs -o size=512m tmpfs /tmp
mkdir -p /tmp/run /tmp/out
cd /tmp/run || exit 1

# lib/test_hmm.c's /dev/hmm_dmirror0..3: devtmpfs makes them; if it did
# not, make them from the dynamic major in /proc/devices.
if [ ! -c /dev/hmm_dmirror0 ]; then
	major=$(awk '$2 == "HMM_DMIRROR" { print $1 }' /proc/devices)
	if [ -n "$major" ]; then
		for minor in 0 1 2 3; do
			mknod "/dev/hmm_dmirror$minor" c "$major" "$minor"
		done
	fi
fi

# selftests.leave_out=<name>[,<name>...] on the kernel command line: plan
# entries this kernel cannot run at all (make selftests-compare's stock
# UML has no ZONE_DEVICE for hmm-tests), reported as skipped, not run.
leave_out=,
read -r cmdline </proc/cmdline
for word in $cmdline; do
	case $word in
	selftests.leave_out=*) leave_out=,${word#selftests.leave_out=}, ;;
	esac
done

total=$(grep -c . "$ETC/plan")
echo "KTAP version 1"
echo "1..$total"

num=0
set -f
while read -r name tmo prog args; do
	num=$((num + 1))
	case $leave_out in
	*",$name,"*)
		echo "ok $num $name # SKIP left out on this kernel (selftests.leave_out)"
		continue
		;;
	esac
	echo "# running $name: $prog $args"
	dmesg -c >/dev/null 2>&1
	start=$(date +%s)
	# shellcheck disable=SC2086 # the arguments are split on purpose
	timeout -s KILL "$tmo" "/selftests/$prog" $args \
		>/tmp/out/output 2>&1 </dev/null
	rc=$?
	end=$(date +%s)
	hung=0
	[ "$rc" != 137 ] || [ $((end - start)) -lt "$tmo" ] || hung=1
	dmesg -c >/tmp/out/kmsg 2>&1
	awk -v num="$num" -v name="$name" -v rc="$rc" -v timeout="$tmo" \
		-v hung="$hung" -v skips="$ETC/expected-skips" \
		-v kmsg=/tmp/out/kmsg -f "$ETC/ktap.awk" /tmp/out/output
	echo "# $name: $((end - start)) s, exit status $rc"
done <"$ETC/plan"

echo "# selftests: done"
poweroff -f
