#!/usr/bin/env bats
#
# make mutants never writes to the user's tree: SIGKILL in the middle of a
# mutant's build leaves build/linux (or KSRC) with the same HEAD and the
# same uncommitted edit, byte for byte. Run after make mutants (make test
# does), whose scratch clone and its build are then warm.

setup() {
	TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	BUILD=${BUILD:-$TOP/build}
	KSRC=$BUILD/linux
	LOG=$BATS_TEST_TMPDIR/mutants.log
	[ -d "$KSRC/.git" ] || skip "no kernel tree: run make setup"
	EDITED=$KSRC/mm/gup.c
	cp "$EDITED" "$BATS_TEST_TMPDIR/gup.c.orig"
}

teardown() {
	# A failed assertion before the kill must not leave the run going
	# (it would hold the scratch clone for the next test).
	if [ -n "${pid:-}" ]; then
		kill -KILL -- "-$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	cp "$BATS_TEST_TMPDIR/gup.c.orig" "$EDITED"
	touch -r "$BATS_TEST_TMPDIR/gup.c.orig" "$EDITED"
}

@test "SIGKILL during a mutant's build leaves the user's tree and edit as they were" {
	local i head sum porcelain seen

	# The user's uncommitted edit, made before the run.
	printf '/* an edit of the user, not committed */\n' >>"$EDITED"
	head=$(git -C "$KSRC" rev-parse HEAD)
	sum=$(md5sum <"$EDITED")
	porcelain=$(git -C "$KSRC" status --porcelain)
	[ -n "$porcelain" ]

	setsid make -s -C "$TOP" mutants MUTANTS=kernel-patches/mutants/gup-get-adds-two.patch \
		PROGRESS=plain >"$LOG" 2>&1 &
	pid=$!
	# The mutant's build: the step line, then a compiler in the scratch
	# clone. Kill at once when both are seen: one cc1 (mm/gup.c) may be
	# gone a few milliseconds later, so it is not looked for again.
	seen=
	for ((i = 0; i < 3000; i++)); do
		if grep -q '^\[1/1\] mutant gup-get-adds-two' "$LOG" &&
			pgrep -f "cc1 .*$BUILD/scratch/linux" >/dev/null; then
			seen=1
			break
		fi
		sleep 0.1
	done
	kill -KILL -- "-$pid"
	wait "$pid" || true
	pid=
	cat "$LOG"
	[ -n "$seen" ]

	[ "$(git -C "$KSRC" rev-parse HEAD)" = "$head" ]
	[ "$(git -C "$KSRC" status --porcelain)" = "$porcelain" ]
	[ "$(md5sum <"$EDITED")" = "$sum" ]
	# The mutant went to the scratch clone, not here.
	run grep -c 'folio_ref_add(folio, refs + 1)' "$EDITED"
	[ "$output" = 0 ]
	# And the next run cleans up what the killed one left (its mount, its
	# run directory) and resets the scratch clone: a mutant run passes.
	run make -s -C "$TOP" mutants MUTANTS=kernel-patches/mutants/gup-get-adds-two.patch PROGRESS=off
	echo "$output" | tail -n 5
	[ "$status" -eq 0 ]
	[ -z "$(compgen -G "$BUILD/run.*")" ]
}
