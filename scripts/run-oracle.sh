#!/bin/bash
# The differential oracle: do the suites say the same on the sandbox UML
# and on x86_64, whose ZONE_DEVICE support is native?
#
#   make oracle → scripts/run-oracle.sh (this)
#     1. scripts/run-kunit.sh       UML, FUSE device memory → uml.json
#     2. scripts/run-kunit-qemu.sh  x86_64 under QEMU       → x86_64.json
#     3. scripts/compare_archs.py   test → UML → x86_64, with skip reasons
#        → build/results/oracle.md
#
# Fails when a test fails on either kernel or runs on one only. Both runs
# happen even when the first fails, so the table is always complete.
# Environment: FILTER, TIMEOUT, ACCEL (see the two run scripts).
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"

RES=$BUILD/results

main() {
	local rc=0 accel

	mkdir -p "$RES"
	rm -f "$RES/uml.json" "$RES/x86_64.json"
	say "1/3: the suites on UML"
	JSON=$RES/uml.json "$TOP/scripts/run-kunit.sh" || rc=1
	say "2/3: the suites on x86_64 under QEMU"
	JSON=$RES/x86_64.json "$TOP/scripts/run-kunit-qemu.sh" || rc=1
	accel=$(cat "$RES/x86_64-accel.txt" 2>/dev/null || echo '?')
	say "3/3: side by side (x86_64 with $accel)"
	"$TOP/scripts/compare_archs.py" "$KSRC" "$RES/oracle.md" \
		"UML=$RES/uml.json,$KBUILD/test.log" \
		"x86_64 ($accel)=$RES/x86_64.json,$QBUILD/test.log" || rc=1
	say "table: $RES/oracle.md"
	return "$rc"
}

main "$@"
