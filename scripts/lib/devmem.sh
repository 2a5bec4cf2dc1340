# shellcheck shell=bash
#
# devmem.sh - run devmemd, the FUSE daemon that serves UML's device memory.
#
# Source it from the run scripts:
#
#	. scripts/lib/devmem.sh
#	devmem_start "$rundir" 64M devmem "$rundir/devmem.img" || exit 1
#	trap devmem_stop EXIT
#	linux ... iomem=devmem,"$DEVMEM_FILE"
#
# API (all functions return 0 on success, 1 on failure, messages on stderr):
#
#   devmem_check_fuse
#	fusermount3 present and /dev/fuse openable read-write by this user?
#	Otherwise says how to fix it.
#   devmem_start RUNDIR SIZE NAME [PERSIST]
#	Start devmemd in the background: mountpoint RUNDIR/mnt, log
#	RUNDIR/devmemd.log, exit stats RUNDIR/stats.txt.  Waits (~5 s) for
#	the mount.  Sets DEVMEM_PID, DEVMEM_MNT, DEVMEM_FILE (the device file,
#	for iomem=NAME,$DEVMEM_FILE) and DEVMEM_LOG.  On failure prints the
#	log tail.  Binary: $DEVMEMD, default build/host/devmemd in the repo.
#   devmem_alive
#	True while the daemon lives and its mount is present.
#	A stale mount left on RUNDIR/mnt by a SIGKILLed daemon is removed.
#   devmem_report_death
#	Says that the daemon died during the run and shows its log's tail.
#   devmem_stop
#	SIGTERM, wait ~5 s, SIGKILL, lazy-unmount if still mounted, remove
#	the mount dir.  Sets DEVMEM_STATUS to the daemon's exit status when
#	it was our child ("" if unknown).  Idempotent; safe in an EXIT trap.

: "${DEVMEM_PID:=}"
: "${DEVMEM_MNT:=}"
: "${DEVMEM_FILE:=}"
: "${DEVMEM_LOG:=}"
: "${DEVMEM_STATUS:=}"

_devmem_top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

_devmem_err() {
	echo "devmem: $*" >&2
}

devmem_check_fuse() {
	local who grp how

	who=$(id -un 2>/dev/null || id -u)
	if ! command -v fusermount3 >/dev/null 2>&1; then
		_devmem_err "fusermount3 not found: install FUSE 3 (sudo apt-get install fuse3)"
		return 1
	fi
	if [ ! -c /dev/fuse ]; then
		_devmem_err "/dev/fuse does not exist: install fuse3 (sudo apt-get install fuse3) and load the module (sudo modprobe fuse)"
		return 1
	fi
	# Really open it: [ -r ] && [ -w ] say yes to root even when it fails.
	if ! (: <>/dev/fuse) 2>/dev/null; then
		grp=$(stat -c %G /dev/fuse 2>/dev/null) || grp=
		if [ -n "$grp" ] && [ "$grp" != root ]; then
			how="or add $who to its group ('sudo usermod -aG $grp $who', log in again; the group needs rw: 'sudo chmod 0660 /dev/fuse')"
		else
			how="or give it a group $who is in ('sudo chgrp GROUP /dev/fuse && sudo chmod 0660 /dev/fuse')"
		fi
		_devmem_err "cannot open /dev/fuse read-write as user $who ($(stat -c '%A %U:%G' /dev/fuse 2>/dev/null)):" \
			"make it accessible, e.g. 'sudo chmod 0666 /dev/fuse', $how"
		return 1
	fi
	return 0
}

# /proc/self/mountinfo escapes space, tab, newline and backslash as octal.
_devmem_mi_escape() {
	local p=$1

	p=${p//\\/\\134}
	p=${p// /\\040}
	p=${p//$'\t'/\\011}
	p=${p//$'\n'/\\012}
	printf '%s' "$p"
}

# Is a devmemd FUSE mount on directory $1?  Reads mountinfo only, so it
# cannot hang on a dead FUSE server the way stat(2) can.
_devmem_mounted() {
	local mnt

	[ -n "$1" ] || return 1
	mnt=$(_devmem_mi_escape "$1")
	awk -v m="$mnt" '
		$5 == m {
			for (i = 7; i < NF; i++)
				if ($i == "-") {
					if ($(i + 1) == "fuse.devmemd")
						found = 1
					break
				}
		}
		END { exit !found }' /proc/self/mountinfo
}

# A devmemd mount whose daemon is gone answers ENOTCONN.  Ask with
# opendir (ls), which always reaches the daemon; stat(1) may be answered
# from cached attributes.  A wedged daemon may hang: bounded by timeout,
# and then it counts as live.
_devmem_stale() {
	local err

	err=$(LC_ALL=C timeout 2 ls -f "$1" 2>&1 >/dev/null) && return 1
	[[ "$err" == *"not connected"* ]]
}

_devmem_pid_alive() {
	[ -n "$1" ] && kill -0 "$1" 2>/dev/null
}

devmem_alive() {
	_devmem_pid_alive "$DEVMEM_PID" && _devmem_mounted "$DEVMEM_MNT"
}

devmem_start() {
	local rundir=$1 size=$2 name=$3 persist=${4:-}
	local bin=${DEVMEMD:-$_devmem_top/build/host/devmemd}
	local mnt log i
	local -a args

	if [ $# -lt 3 ] || [ $# -gt 4 ] || [ -z "$rundir" ] || [ -z "$size" ] || [ -z "$name" ]; then
		_devmem_err "usage: devmem_start RUNDIR SIZE NAME [PERSIST]"
		return 1
	fi
	if _devmem_pid_alive "$DEVMEM_PID"; then
		_devmem_err "devmemd already running (pid $DEVMEM_PID on $DEVMEM_MNT): devmem_stop first"
		return 1
	fi
	if [ ! -x "$bin" ]; then
		_devmem_err "$bin not found or not executable: build it with 'make -C $_devmem_top/fake-devmap/host' (or set DEVMEMD)"
		return 1
	fi
	devmem_check_fuse || return 1
	mkdir -p "$rundir" || return 1
	rundir=$(cd "$rundir" && pwd -P) || return 1
	mnt=$rundir/mnt
	log=$rundir/devmemd.log
	# A daemon killed with SIGKILL leaves its mount behind when we are
	# not root: fusermount3's auto_unmount watcher runs as root, and root
	# may not look into a mount without allow_other (libfuse #586).
	if _devmem_mounted "$mnt"; then
		if ! _devmem_stale "$mnt"; then
			_devmem_err "$mnt is served by a live devmemd: stop it first"
			return 1
		fi
		_devmem_err "removing stale devmemd mount on $mnt (its daemon died)"
		fusermount3 -u -z "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true
	fi
	mkdir -p "$mnt" || return 1

	args=(--size="$size" --name="$name" --log="$log" --stats="$rundir/stats.txt")
	[ -n "$persist" ] && args+=(--persist="$persist")
	# devmemd logs to $log itself; its stderr (usage errors) goes there
	# too.  fd 3 is closed so a daemon left behind cannot hold a caller's
	# pipe open (bats waits for fd 3 to close).
	"$bin" "${args[@]}" "$mnt" </dev/null >>"$log" 2>&1 3>&- &
	DEVMEM_PID=$!
	DEVMEM_MNT=$mnt
	DEVMEM_FILE=$mnt/$name
	DEVMEM_LOG=$log
	DEVMEM_STATUS=

	for ((i = 0; i < 250; i++)); do
		if _devmem_mounted "$mnt"; then
			return 0
		fi
		_devmem_pid_alive "$DEVMEM_PID" || break
		sleep 0.02
	done
	if _devmem_pid_alive "$DEVMEM_PID"; then
		_devmem_err "devmemd (pid $DEVMEM_PID) did not mount $mnt within 5 s; log $log:"
	else
		_devmem_err "devmemd failed to start; log $log:"
	fi
	tail -n 20 "$log" 2>/dev/null | sed 's/^/  | /' >&2
	devmem_stop
	return 1
}

devmem_report_death() {
	_devmem_err "the device memory daemon (devmemd) died during the run; its log ends:"
	tail -n 5 "$DEVMEM_LOG" 2>/dev/null | sed 's/^/  | /' >&2
}

devmem_stop() {
	local pid=$DEVMEM_PID mnt=$DEVMEM_MNT i

	if _devmem_pid_alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null || true
		# It exits within milliseconds: poll finely (every loop pays this).
		for ((i = 0; i < 250; i++)); do
			_devmem_pid_alive "$pid" || break
			sleep 0.02
		done
		if _devmem_pid_alive "$pid"; then
			_devmem_err "devmemd (pid $pid) ignored SIGTERM for 5 s: SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
			for ((i = 0; i < 20; i++)); do
				_devmem_pid_alive "$pid" || break
				sleep 0.1
			done
		fi
	fi
	# Reap it (only works for our own child) and keep its exit status.
	if [ -n "$pid" ]; then
		if wait "$pid" 2>/dev/null; then
			DEVMEM_STATUS=0
		else
			DEVMEM_STATUS=$?
			[ "$DEVMEM_STATUS" = 127 ] && DEVMEM_STATUS=
		fi
	fi
	if [ -n "$mnt" ]; then
		if _devmem_mounted "$mnt"; then
			fusermount3 -u -z "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true
		fi
		if _devmem_mounted "$mnt"; then
			_devmem_err "could not unmount $mnt"
		else
			rmdir "$mnt" 2>/dev/null || true
		fi
	fi
	DEVMEM_PID=
	DEVMEM_MNT=
	DEVMEM_FILE=
	return 0
}
