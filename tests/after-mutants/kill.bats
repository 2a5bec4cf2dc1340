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

# Processes whose working directory is in the scratch clone or its build
# directories: kbuild's makes and compilers (ccache passes the compiler
# relative paths, so the command line does not name the clone), and UML.
scratch_procs() {
	local d p out=

	for d in /proc/[0-9]*; do
		p=$(readlink "$d/cwd" 2>/dev/null) || continue
		case $p in "$BUILD/scratch"/*) out+="${d#/proc/}:$(cat "$d/comm" 2>/dev/null) " ;; esac
	done
	echo "$out"
}

scratch_compiler() { [[ " $(scratch_procs)" == *:cc1\ * ]]; }

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

@test "SIGKILL during a mutant's build leaves the user's tree and edit as they were, and no build behind" {
	local i head sum porcelain seen

	# The user's uncommitted edit, made before the run.
	printf '/* an edit of the user, not committed */\n' >>"$EDITED"
	head=$(git -C "$KSRC" rev-parse HEAD)
	sum=$(md5sum <"$EDITED")
	porcelain=$(git -C "$KSRC" status --porcelain)
	[ -n "$porcelain" ]

	# CCACHE=0: the mutant was compiled by make mutants before, and a hit
	# from the cache would start no compiler to catch.
	setsid make -s -C "$TOP" mutants MUTANTS=kernel-patches/mutants/gup-get-adds-two.patch \
		PROGRESS=plain CCACHE=0 >"$LOG" 2>&1 &
	pid=$!
	# The mutant's build: the step line, then a compiler in the scratch
	# clone. Kill at once when both are seen: one cc1 (mm/gup.c) may be
	# gone a few milliseconds later, so it is not looked for again.
	seen=
	for ((i = 0; i < 3000; i++)); do
		if grep -q '^\[1/1\] mutant gup-get-adds-two' "$LOG" &&
			scratch_compiler; then
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
	# Nothing of the run outlives it: kbuild ran in a session of its own,
	# out of reach of our SIGKILL, and its reaper took it (5 s at most).
	for ((i = 0; i < 50; i++)); do
		[ -z "$(scratch_procs)" ] && break
		sleep 0.1
	done
	echo "left after 5 s: $(scratch_procs)"
	[ -z "$(scratch_procs)" ]

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
