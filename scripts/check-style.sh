#!/bin/bash
# The kernel's conventions, checked with the kernel's own tools:
# checkpatch.pl --strict on our kernel C and on our patches (not on the
# mutants: they are faults on purpose), the shell scripts through
# ShellCheck and the engine's Python through flake8 (the kernel's own
# tools/testing/kunit is checked the same way upstream). Exits non-zero on
# any finding.
set -uo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"

CHECKPATCH=$KSRC/scripts/checkpatch.pl
[ -x "$CHECKPATCH" ] || die "$CHECKPATCH is missing: run make setup first"
# FILE_PATH_CHANGES asks whether MAINTAINERS needs an update for a new
# file: arch/um/ is covered by the UML entry, and lib/devmap-sandbox/ is
# sandbox glue, not meant for upstream.
CP=(perl "$CHECKPATCH" --strict --no-tree -q --ignore FILE_PATH_CHANGES)
rc=0

# Every base's series (kernel-patches/series, kernel-patches/<base>/series).
while read -r series; do
	while read -r p; do
		"${CP[@]}" "$p" || rc=1
	done < <(SERIES_FILE=$series series_patches | grep "^$TOP/kernel-patches/")
done < <(find "$TOP/kernel-patches" -name series -type f | sort)

"${CP[@]}" -f "$TOP"/fake-devmap/kernel/*.[ch] "$TOP"/kunit-suites/*.[ch] || rc=1

mapfile -t scripts < <(grep -l '^#!.*bash' "$TOP"/scripts/*.sh "$TOP"/.ci/run \
	"$TOP"/tests/fixtures/*/*.sh)
shellcheck -x "${scripts[@]}" "$TOP"/scripts/lib/*.sh "$TOP"/scripts/devmap-sandbox \
	"$TOP"/scripts/lib/ccache-view/gcc || rc=1

# The engine, its CLI and its tests.
/usr/bin/python3 -m flake8 --max-line-length=120 "$TOP"/scripts/sandbox "$TOP"/scripts/*.py \
	"$TOP"/tests/unit || rc=1

[ "$rc" = 0 ] && say "checkpatch --strict, shellcheck and flake8: clean"
exit "$rc"
