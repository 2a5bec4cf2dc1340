#!/usr/bin/env bats
#
# make check-series (scripts/sandbox/check_series.py, run through the
# engine's CLI) on the series in tests/fixtures/series/ (real git
# format-patch output against the sandbox branch; make-fixtures.sh makes
# them). Most cases build the UML kernel in the scratch clone's build dir
# (build/scratch/kunit-uml): the first run ever is a cold build (several
# minutes on 2 cores), later ones rebuild only what the patches touch.
#
# After every run: the user's tree (KSRC) has the same HEAD, branch, index,
# status, stash and worktrees as before; the series went into the scratch
# clone (build/scratch/linux) instead.
#
# The fixture (the test tree, the scratch clone, the checks after every
# run): check-series.bash.

load check-series

@test "bad input is a clear error (status 2): no series, empty or broken mbox" {
	check_series
	[ "$status" -eq 2 ]
	[[ "$output" == *"SERIES=<dir of git format-patch files | mbox>"* ]]

	: >"$T/empty.mbox"
	check_series SERIES="$T/empty.mbox"
	[ "$status" -eq 2 ]
	[[ "$output" == *"empty.mbox is empty"* ]]

	printf 'not a mail\n' >"$T/junk.mbox"
	check_series SERIES="$T/junk.mbox"
	[ "$status" -eq 2 ]
	[[ "$output" == *"junk.mbox is not an mbox"* ]]

	# A reply in the thread, not a patch.
	printf 'From x Mon Sep 17 00:00:00 2001\nFrom: a <a@example.org>\nSubject: Re: [PATCH 1/3] mm: x\n\nLooks good.\n' >"$T/reply.mbox"
	check_series SERIES="$T/reply.mbox"
	[ "$status" -eq 2 ]
	[[ "$output" == *'message 1 ("Re: [PATCH 1/3] mm: x") contains no patch'* ]]

	check_series RANGE=devmap-sandbox..devmap-sandbox
	[ "$status" -eq 2 ]
	[[ "$output" == *"has no commits"* ]]
	untouched
}

@test "a patch that does not apply is named with its hunk; nothing is built" {
	check_series SERIES="$FIX/apply-fails"
	[ "$status" -eq 1 ]
	[[ "$(row 1)" == *"| yes | — | 0/0/0 |"* ]]
	[[ "$(row 2)" == *"mm/gup: close the quotation"*"| **no** |"*"error: patch failed: mm/gup.c:"* ]]
	[[ "$(row 3)" == *"| not tried |"* ]]
	# The hunk git am could not find.
	[[ "$output" == *"error: while searching for:"*"FOLL_PIN or FOLL_GET behavior"* ]]
	[[ "$output" == *"first patch that does not apply: #2"* ]]
	[[ "$output" == *"nothing was built"* ]]
	[ "$(json '.first.apply.index')" = 2 ]
	[ "$(json '.rows[0].builds')" = "not tried" ]
	# git am ran in the scratch clone: it stopped after #1 there.
	[ "$(scratch_subject)" = "mm/memremap: use a local pgmap in free_zone_device_folio()" ]
	untouched
}

@test "a clean series: every patch applies, builds, is checkpatch-clean and passes" {
	check_series SERIES="$FIX/clean"
	[ "$status" -eq 0 ]
	# SELFTESTS=1 on the same series: tests/compare/ (make test-compare).
	[[ "$output" != *"SELFTESTS=1"* ]]
	[[ "$(row 0)" == *"| yes | — | "[0-9]*"/0 |"* ]]
	for i in 1 2 3; do
		[[ "$(row $i)" =~ \|\ yes\ \|\ yes\ \|\ 0/0/0\ \|\ [0-9]+/0\ \|\ +\|$ ]]
	done
	[[ "$output" == *"Result: PASS"* ]]
	[ "$(json '.result')" = pass ]
	[ "$(json '.first_bad_patch')" = null ]
	[ -s "$RESULTS/check-series.md" ]
	grep -q '<testsuite name="check-series" tests="4" failures="0"' "$RESULTS/check-series.xml"
	[ "$(scratch_subject)" = "mm/memremap: document __put_devmap_managed_folio_refs()" ]
	untouched
}

@test "a build break at patch 2 is named with the compiler error; #3 builds again" {
	check_series SERIES="$FIX/build-break"
	[ "$status" -eq 1 ]
	[[ "$(row 1)" == *"| yes | yes | 0/0/0 |"* ]]
	[[ "$(row 2)" == *"| yes | **no** | 0/0/0 | — |"*"error: too few arguments to function"* ]]
	[[ "$(row 3)" == *"| yes | yes | 0/0/0 |"* ]]
	[[ "$output" == *"first patch that does not build: #2 mm/memremap: factor out"* ]]
	[[ "$output" == *"not bisectable: #2 does not build, #3 is fine again"* ]]
	[ "$(json '.first_bad_patch.index')" = 2 ]
	untouched
}

@test "a refcount test broken at patch 3 is named" {
	check_series SERIES="$FIX/test-break"
	[ "$status" -eq 1 ]
	[[ "$(row 2)" =~ \|\ yes\ \|\ yes\ \|\ 0/0/0\ \|\ [0-9]+/0\ \| ]]
	[[ "$(row 3)" == *"| yes | yes | 0/0/0 | **"*"devmap_fsdax_put_to_one"* ]]
	[[ "$output" == *"first patch that breaks the suites: #3 mm/memremap: wake fsdax waiters"* ]]
	[ "$(json '.first_bad_patch.index')" = 3 ]
	json '.rows[3].failing_tests[]' | grep -qx devmap_fsdax_put_to_one
	untouched
}

@test "the real case: a b4 mbox whose patch 2 of 3 is a refcount mutant" {
	check_series SERIES="$FIX/mutant-at-2.mbox"
	[ "$status" -eq 1 ]
	[[ "$output" == *"cover letter: [PATCH v2 0/3]"*"(skipped)"* ]]
	[[ "$(row 1)" =~ \|\ yes\ \|\ yes\ \|\ 0/0/0\ \|\ [0-9]+/0\ \| ]]
	[[ "$(row 2)" == *"take one reference per pin"*"| **"*"devmap_gup_pin_unpin_one"* ]]
	[[ "$(row 3)" == *"same as #2 |" ]]
	[[ "$output" == *"first patch that breaks the suites: #2 mm/gup: take one reference per pin on small folios — breaks "*"devmap_gup_pin_unpin_one"* ]]
	[ "$(json '.first_bad_patch.index')" = 2 ]
	[ "$(json '.rows[1].failing_tests | length')" = 0 ]
	untouched
}

@test "a patch that crashes UML is reported and the check goes on" {
	check_series SERIES="$FIX/oops"
	[ "$status" -eq 1 ]
	[[ "$(row 1)" == *"| **crashed ("*"UML crashed"*"Kernel panic"* ]]
	[[ "$(row 2)" == *"| **crashed ("*"same as #1 |" ]]
	[[ "$output" == *"first patch that crashes or hangs UML: #1"* ]]
	[[ "$output" == *"the check went on after the first failure"* ]]
	[ "$(json '.rows[1].crash_kind')" = crashed ]
	untouched
}

# A user's own tree with a stash entry, an uncommitted edit and the clean
# series as commits on a branch.
@test "RANGE= in a dirty user tree with a stash: checked, and all left as it was" {
	local k=$T/linux f parent tree msg

	git clone -q --shared --no-checkout -b devmap-sandbox "$KSRC" "$k"
	git -C "$k" reset -q
	git -C "$k" checkout -q -- mm/gup.c
	echo '/* stashed */' >>"$k/mm/gup.c"
	git -C "$k" -c user.name=t -c user.email=t@t stash push -q -- mm/gup.c
	echo '/* uncommitted */' >>"$k/mm/gup.c"
	# The clean series as commits, without touching the work tree.
	parent=$(git -C "$k" rev-parse HEAD)
	export GIT_INDEX_FILE=$T/index
	git -C "$k" read-tree "$parent"
	for f in "$FIX"/clean/*.patch; do
		git -C "$k" mailinfo "$T/msg" "$T/patch" <"$f" >"$T/info"
		git -C "$k" apply --cached "$T/patch"
		tree=$(git -C "$k" write-tree)
		msg=$(sed -n 's/^Subject: //p' "$T/info"; echo; cat "$T/msg")
		parent=$(GIT_AUTHOR_NAME=$(sed -n 's/^Author: //p' "$T/info") \
			GIT_AUTHOR_EMAIL=$(sed -n 's/^Email: //p' "$T/info") \
			GIT_AUTHOR_DATE=$(sed -n 's/^Date: //p' "$T/info") \
			GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@t \
			git -C "$k" commit-tree -p "$parent" -m "$msg" "$tree")
	done
	unset GIT_INDEX_FILE
	git -C "$k" branch my-series "$parent"
	before=$(snapshot "$k")

	KSRC=$k check_series RANGE=devmap-sandbox..my-series QUICK=1
	[ "$status" -eq 0 ]
	[[ "$output" == *"uncommitted changes; they are not part of the check"* ]]
	[[ "$output" == *"RANGE=devmap-sandbox..my-series in $k: 3 patches"* ]]
	[[ "$(row 3)" == *"mm/memremap: document __put_devmap_managed_folio_refs() | yes |"* ]]
	untouched "$k"
	grep -q uncommitted "$k/mm/gup.c"
	git -C "$k" stash show -p | grep -q stashed

	# A range whose start has the sandbox glue is checked on that start.
	KSRC=$k check_series RANGE=my-series~1..my-series QUICK=1
	[ "$status" -eq 0 ]
	[[ "$output" == *"1 patch on "*"(my-series~1)"* ]]
	untouched "$k"
}

@test "Ctrl-C during a build: status 130, the tree as it was, no UML left" {
	# A terminal's Ctrl-C: SIGINT to the whole process group.
	env -u RANGE -u QUICK -u BASE -u SELFTESTS KSRC="$KSRC" SERIES="$FIX/clean" python3 -c '
import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.setsid()
os.execvp(sys.argv[1], sys.argv[1:])' python3 "$TOP/scripts/devmap_sandbox.py" check-series \
		>"$T/log" 2>&1 3>&- &
	local pid=$! i rc=0
	# The base's build comes first: a long one when the base changed.
	for ((i = 0; i < 9000; i++)); do
		grep -q '^\[1/3\] build' "$T/log" && break
		sleep 0.2
	done
	if ! grep -q '^\[1/3\] build' "$T/log"; then
		kill -TERM -- "-$pid"
		wait "$pid" || true
		cat "$T/log"
		false
	fi
	sleep 2
	kill -INT -- "-$pid"
	wait "$pid" || rc=$?
	cat "$T/log"
	[ "$rc" -eq 130 ]
	grep -q "check-series: interrupted: $KSRC is as it was" "$T/log"
	grep -q 'devmap-sandbox: interrupted' "$T/log"
	untouched
	# Nothing of the run is left: no make, no UML, no mount.
	run pgrep -f "O=$B/scratch/kunit-uml|$B/scratch/kunit-uml/linux"
	[ "$status" -eq 1 ]
	run grep -q " $B/run\." /proc/self/mountinfo
	[ "$status" -eq 1 ]
}
