#!/usr/bin/env bats
#
# make kunit under faults, as a user meets them: the device memory daemon
# killed while UML has its memory mapped and a suite is running, and
# Ctrl-C while UML runs the suites. Each ends the run quickly with its own
# message and exit status; the prompt comes back only when UML, the daemon,
# the mount and the run directory are all gone. Needs the sandbox kernel
# built (make kunit).
#
# The suite that keeps UML busy: devmap_devmem with persist=poke writes
# "ready for the device" into device page 0 and then waits (5 s, bounded)
# for a write by the device into page 1, with both pages mapped.

setup() {
	TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	BUILD=${BUILD:-$TOP/build}
	LOG=$BATS_TEST_TMPDIR/run.log
	MiB=$((1024 * 1024))
}

# make kunit (or, with "entry" as $1, scripts/devmap-sandbox kunit, which
# returns the engine's status) in a process group of its own, as a
# terminal runs a command: with SIGINT at its default (a shell starts
# background jobs with it ignored). Returns once UML runs the waiting suite.
start_run() {
	local i file base runner=(make -s -C "$TOP" kunit)

	[ "${1:-}" != entry ] || runner=("$TOP/scripts/devmap-sandbox" kunit)

	# Made here, not by the background job's redirection, which may not
	# have run yet when the loop below first reads the log.
	: >"$LOG"
	setsid python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])' "${runner[@]}" FILTER='devmap_devmem.*' \
		KUNIT_ARGS=--kernel_args=devmap_devmem_kunit.persist=poke \
		PROGRESS=plain >"$LOG" 2>&1 &
	RUN_PID=$!
	for ((i = 0; i < 1200; i++)); do
		file=$(sed -n 's/.*served by devmemd (FUSE) at //p' "$LOG")
		[ -n "$file" ] && break
		sleep 0.1
	done
	[ -n "$file" ] || { echo "no device memory within 120 s" >&2; return 1; }
	DAEMON=$(pgrep -f "devmemd .*$(dirname "$(dirname "$file")")" | head -n 1)
	base=$(($(stat -c %s "$file") - 2 * MiB))
	for ((i = 0; i < 300; i++)); do
		if dd if="$file" bs=4096 skip=$((base / 4096)) count=1 status=none |
			grep -qa 'ready for the device'; then
			pgrep -f "$BUILD/kunit-uml/linux" >/dev/null ||
				{ echo "the suite is ready but no UML runs" >&2; return 1; }
			return 0
		fi
		sleep 0.1
	done
	echo "UML never got to the waiting suite" >&2
	return 1
}

# Wait at most $1 seconds for make to return; sets STATUS and ELAPSED.
wait_run() {
	local i start=$SECONDS

	for ((i = 0; i < $1 * 10; i++)); do
		if ! kill -0 "$RUN_PID" 2>/dev/null; then
			STATUS=0
			wait "$RUN_PID" || STATUS=$?
			ELAPSED=$((SECONDS - start))
			return 0
		fi
		sleep 0.1
	done
	kill -KILL -- "-$RUN_PID" 2>/dev/null
	echo "make did not return within $1 s" >&2
	return 1
}

# Checked at once when make has returned: nothing may linger. Each check
# returns 1 by itself ("! cmd" not last in a function cannot fail a test).
nothing_left() {
	if grep -q " $BUILD/run\." /proc/self/mountinfo; then
		echo "a devmemd mount is left" >&2
		return 1
	fi
	if pgrep -f "$BUILD/kunit-uml/linux" >/dev/null; then
		echo "a UML process is left" >&2
		return 1
	fi
	if pgrep -f "devmemd .*$BUILD/run\." >/dev/null; then
		echo "a devmemd process is left" >&2
		return 1
	fi
	if compgen -G "$BUILD/run.*" >/dev/null; then
		echo "a run directory is left" >&2
		return 1
	fi
}

@test "devmemd killed while UML uses its memory: the run ends within 10 s, clearly" {
	start_run
	kill -KILL "$DAEMON"
	wait_run 10
	cat "$LOG"
	nothing_left
	[ "$STATUS" -ne 0 ]
	grep -q "error (device memory daemon died): the device memory daemon (devmemd) died during the run" "$LOG"
}

@test "Ctrl-C while UML runs the suites: make returns after everything is gone" {
	start_run
	kill -INT -- "-$RUN_PID"
	wait_run 10
	cat "$LOG"
	nothing_left
	[ "$STATUS" -ne 0 ]
	grep -q "interrupted: the kernel and the device memory daemon are stopped" "$LOG"
}

@test "scripts/devmap-sandbox: the daemon's death is status 9" {
	start_run entry
	kill -KILL "$DAEMON"
	wait_run 10
	cat "$LOG"
	nothing_left
	[ "$STATUS" -eq 9 ]
}

@test "Ctrl-C is status 130, through make and through scripts/devmap-sandbox" {
	start_run
	kill -INT -- "-$RUN_PID"
	wait_run 10
	nothing_left
	[ "$STATUS" -eq 130 ]
	start_run entry
	kill -INT -- "-$RUN_PID"
	wait_run 10
	nothing_left
	[ "$STATUS" -eq 130 ]
}
