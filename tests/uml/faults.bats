#!/usr/bin/env bats
#
# The run wrapper under faults: a dead device memory daemon and Ctrl-C end
# the run quickly with a clear message, and leave no mount, no UML process
# and no run directory behind. Needs the sandbox kernel built (make kunit).

setup() {
	TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	BUILD=${BUILD:-$TOP/build}
	LOG=$BATS_TEST_TMPDIR/run.log
}

# Start the wrapper in the background, as a terminal would run it: with
# SIGINT at its default (a shell starts background jobs with it ignored).
# Wait until the wrapper has its device memory and goes on to kunit.py.
start_run() {
	local i

	setsid python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execv(sys.argv[1], sys.argv[1:])' "$TOP/scripts/run-kunit.sh" >"$LOG" 2>&1 &
	RUN_PID=$!
	for ((i = 0; i < 100; i++)); do
		if grep -q "served by devmemd" "$LOG"; then
			DAEMON=$(pgrep -f "devmemd .*$BUILD/run\." | head -n 1)
			return 0
		fi
		sleep 0.1
	done
	echo "the wrapper never got its device memory" >&2
	return 1
}

# Wait at most $1 seconds for the wrapper; sets STATUS.
wait_run() {
	local i

	for ((i = 0; i < $1 * 10; i++)); do
		if ! kill -0 "$RUN_PID" 2>/dev/null; then
			STATUS=0
			wait "$RUN_PID" || STATUS=$?
			return 0
		fi
		sleep 0.1
	done
	kill -KILL -- "-$RUN_PID" 2>/dev/null
	echo "the wrapper did not end within $1 s" >&2
	return 1
}

# Each check returns 1 by itself: a "! cmd" that is not a function's last
# command cannot fail a bats test (set -e ignores it).
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

@test "a killed device memory daemon ends the run within 10 s, clearly" {
	start_run
	kill -KILL "$DAEMON"
	wait_run 10
	cat "$LOG"
	[ "$STATUS" -ne 0 ]
	grep -q "device memory daemon (devmemd) died" "$LOG"
	nothing_left
}

@test "Ctrl-C stops UML and the daemon and removes the run directory" {
	start_run
	sleep 1
	kill -INT "$RUN_PID"
	STATUS=
	wait_run 10
	cat "$LOG"
	[ "$STATUS" -eq 130 ]
	grep -q "interrupted" "$LOG"
	nothing_left
}
