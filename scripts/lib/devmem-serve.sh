#!/bin/bash
# Serve device memory for one boot: the engine's side of scripts/lib/devmem.sh.
#
#   devmem-serve.sh RUNDIR SIZE NAME [PERSIST]
#
# Starts devmemd (devmem_start), prints "ready <device file>" on stdout and
# then watches it. Ends, always with the daemon stopped and its mount gone:
#   - on SIGTERM/SIGINT (the engine is done): exit 0
#   - when stdin reaches EOF (the engine died, even by SIGKILL): exit 0
#   - when the daemon dies or its mount goes away: "died" on stdout, exit 3
# A start that fails exits 2 with devmem.sh's message on stderr.
set -uo pipefail
# shellcheck source=scripts/lib/devmem.sh
. "$(dirname "$0")/devmem.sh"

[ $# -ge 3 ] || { echo "usage: ${0##*/} RUNDIR SIZE NAME [PERSIST]" >&2; exit 2; }
rundir=$1

finish() {
	# Ignored, not reset: a second signal (Ctrl-C reaches us and the
	# engine, which then terminates us) must not cut the cleanup short.
	trap "" TERM INT
	devmem_stop
	# The daemon's view of the run (bytes and pages the kernel wrote).
	exit "$1"
}

devmem_start "$@" || exit 2
trap 'finish 0' TERM INT
echo "ready $DEVMEM_FILE"
while devmem_alive; do
	# read returns >128 on timeout, 1 on EOF: the engine is gone.
	read -r -t 0.1 _ && continue
	[ $? -gt 128 ] || finish 0
done
[ -s "$rundir/stats.txt" ] || true
echo died
devmem_report_death
finish 3
