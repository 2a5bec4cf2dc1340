#!/bin/bash
# Pre-submission check of a patch series: does each patch apply, build,
# pass checkpatch --strict and keep the suites green? One table, printed
# and written to build/results/check-series.{md,json}, for a maintainer.
#
#   SERIES=dir-of-format-patch-files scripts/check-series.sh
#   SERIES=series.mbx scripts/check-series.sh       (an mbox, b4 style)
#   RANGE=devmap-sandbox..my-series scripts/check-series.sh   (commits in KSRC)
#
# The series goes on top of the sandbox branch (BASE=, default
# devmap-sandbox; for RANGE=a..b, a itself when it already has the sandbox
# glue) in a throwaway, detached `git worktree` build/check-series/wt. The
# user's branch, work tree, index and stash are never touched, so a dirty
# KSRC is not refused: only committed objects are read, and its uncommitted
# changes are simply not part of the check (a note says so).
# The worktree is removed at the end, also after a failure or Ctrl-C
# (git worktree remove --force + prune); its files are kept aside in
# build/check-series/files and reset to the next base, because deleting
# and re-creating 86,000 files takes minutes on a slow disk.
#
# Steps: (1) git am every patch, stopping at the first that does not apply
# (the failing hunk is shown); (2) checkpatch.pl --strict on every patch;
# (3) the base, then each patch in turn: incremental build in its own
# build dir (build/check-series-uml) and the suites (scripts/run-kunit.sh).
#
# Strategy: the suites run after EVERY patch, not only after the last one
# with a bisect on failure. Each patch has to be built anyway (to name the
# first patch that breaks the build), and a boot plus all suites costs
# about a second on top of that build; a bisect would have to check out
# and rebuild ~log2(n) earlier states again (5-10 s each, minutes when a
# header changes). So per-patch runs name the first bad patch sooner, and
# also catch a patch whose breakage a later patch hides.
#
# The check goes on after a patch that fails to build, fails tests,
# crashes UML or hangs it (kunit.py's --timeout, TIMEOUT=120), so that the
# table shows every patch; KEEP_GOING=0 stops at the first bad patch.
#
# SELFTESTS=1 adds upstream's mm selftests (make selftests: gup_test,
# gup_longterm, hmm-tests) once, on the whole series, when every patch is
# fine: a UML kernel of their own (build/check-series-selftests-uml), about
# 2 min the first time, 40 s after that.
#
# Environment: SERIES= | RANGE=, KSRC, BASE, QUICK=1 (apply + checkpatch
# only), SELFTESTS=1, KEEP_GOING, TIMEOUT, FILTER, DEVMEM, DEBUG, AM_ARGS (e.g. -3),
# KEEP_WORKTREE=1 (leave build/check-series/wt to look at).
# Exit status: 0 all good, 1 the series has a problem (see the table),
# 2 nothing could be checked (bad input, the base does not build), 130 Ctrl-C.
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# Bad input is status 2: 1 means "the series has a problem".
die() { say "error: $*"; exit 2; }

WORK=$BUILD/check-series
WT=$WORK/wt
FILES=$WORK/files
CHECK_KBUILD=${CHECK_KBUILD:-$BUILD/check-series-uml}
# What the objects in CHECK_KBUILD were built from: one `git ls-tree -r`
# listing per source tree (named by its tree id). Listings, not commit ids,
# so that they stay usable when the commits are gone or KSRC is another
# repository.
BUILT=$CHECK_KBUILD/.check-series-trees
RESULTS=$BUILD/results
OUT=$RESULTS/check-series
TIMEOUT=${TIMEOUT:-120}
KEEP_GOING=${KEEP_GOING:-1}
QUICK=${QUICK:-0}
# Sources are dated 2000-01-01 so that objects built from the same content
# in an earlier worktree count as up to date (see age_sources).
OLD=946684800

export GIT_COMMITTER_NAME=${GIT_COMMITTER_NAME:-check-series}
export GIT_COMMITTER_EMAIL=${GIT_COMMITTER_EMAIL:-check-series@localhost}
export GIT_OPTIONAL_LOCKS=0

made_worktree=
ticker=
started=$SECONDS

kgit() { git -C "$KSRC" -c core.hooksPath=/dev/null -c gc.auto=0 "$@"; }
wgit() { git -C "$WT" -c core.hooksPath=/dev/null -c gc.auto=0 "$@"; }

# Row data for the report: $OUT/rows/<n>/<key>, read by render().
put() {
	mkdir -p "$OUT/rows/$1"
	printf '%s\n' "$3" >"$OUT/rows/$1/$2"
}
get() { cat "$OUT/rows/$1/$2" 2>/dev/null || true; }

# move_entries FROM TO: the top-level entries but .git, one rename each.
move_entries() {
	local e

	mkdir -p "$2"
	for e in "$1"/* "$1"/.[!.]* "$1"/..?*; do
		[ -e "$e" ] || [ -L "$e" ] || continue
		[ "${e##*/}" != .git ] || continue
		if [ -e "$2/${e##*/}" ] || [ -L "$2/${e##*/}" ]; then
			rm -rf "$e"
		else
			mv "$e" "$2/"
		fi
	done
}

# Before the worktree is removed (git worktree remove --force + prune),
# its files are moved aside into $FILES for the next check: deleting and
# re-creating 86,000 files costs minutes on a slow disk, moving them back
# and resetting them to the next base takes seconds.
remove_worktree() {
	[ ! -d "$WT" ] || move_entries "$WT" "$FILES"
	kgit worktree remove -f -f "$WT" >/dev/null 2>&1 || rm -rf "$WT"
	kgit worktree prune || true
}

stop_ticker() {
	[ -n "$ticker" ] || return 0
	kill "$ticker" 2>/dev/null || true
	wait "$ticker" 2>/dev/null || true
	ticker=
}

cleanup() {
	local rc=$?

	trap '' INT TERM
	trap - EXIT
	stop_ticker
	if [ -n "$made_worktree" ]; then
		if [ "${KEEP_WORKTREE:-0}" = 1 ]; then
			say "worktree kept at $WT (KEEP_WORKTREE=1); the next run removes it"
		else
			remove_worktree
		fi
	fi
	exit "$rc"
}

interrupted() {
	say "interrupted: removing the worktree; $KSRC is as it was"
	exit 130
}

usage() {
	die "say what to check:
    SERIES=<dir of git format-patch files | mbox> $0
    RANGE=<a..b> $0                 (commits in KSRC=$KSRC)"
}

# ---- the patches ---------------------------------------------------------

npatch=0
patch_file=()
patch_origin=()
source_desc=

# add_mails SRC ORIGIN [-b]: split SRC into single mails under $WORK/mails.
add_mails() {
	local src=$1 origin=$2 n err

	[ -s "$src" ] || die "$origin is empty: no messages, no patches"
	err=$(mktemp)
	if ! n=$(git mailsplit ${3:+"$3"} -d4 -f"$npatch" -o"$WORK/mails" "$src" 2>"$err"); then
		say "error: $origin is not an mbox (git mailsplit: $(tr '\n' ' ' <"$err" | sed 's/ *$//'))"
		rm -f "$err"
		exit 2
	fi
	rm -f "$err"
	[ "$n" -gt 0 ] || die "$origin is an empty mbox"
	local i
	for ((i = npatch + 1; i <= npatch + n; i++)); do
		patch_origin[i]=$origin
	done
	npatch=$((npatch + n))
}

prepare_patches() {
	local f files=() a b

	rm -rf "$WORK/mails" "$WORK/patches"
	mkdir -p "$WORK/mails" "$WORK/patches"
	if [ -n "${RANGE:-}" ]; then
		[[ $RANGE == *..* && $RANGE != *...* ]] ||
			die "RANGE=$RANGE: use a..b (the commits after a up to b)"
		a=${RANGE%%..*}
		b=${RANGE#*..}
		[ -n "$a" ] || die "RANGE=$RANGE: the start (a in a..b) is missing"
		b=${b:-HEAD}
		kgit rev-parse -q --verify "$a^{commit}" >/dev/null ||
			die "RANGE=$RANGE: $a is not a commit in $KSRC"
		kgit rev-parse -q --verify "$b^{commit}" >/dev/null ||
			die "RANGE=$RANGE: $b is not a commit in $KSRC"
		[ "$(kgit rev-list --count --no-merges "$a..$b")" -gt 0 ] ||
			die "RANGE=$RANGE has no commits (nothing after $a up to $b)"
		[ "$(kgit rev-list --count --merges "$a..$b")" = 0 ] ||
			say "warning: RANGE=$RANGE contains merges; they are left out"
		kgit format-patch -q --no-signature -o "$WORK/patches" "$a..$b" >/dev/null
		for f in "$WORK/patches"/*.patch; do
			add_mails "$f" "$(kgit log -1 --format=%h "$(head -n 1 "$f" | cut -d' ' -f2)")"
		done
		source_desc="RANGE=$RANGE in $KSRC"
	elif [ -d "$SERIES" ]; then
		for f in "$SERIES"/*.patch; do
			[ -f "$f" ] || continue
			case ${f##*/} in 0000-cover-letter.patch) continue ;; esac
			files+=("$f")
		done
		[ ${#files[@]} -gt 0 ] || die "SERIES=$SERIES has no *.patch files"
		for f in "${files[@]}"; do
			add_mails "$f" "${f##*/}" -b
		done
		source_desc="SERIES=$SERIES"
	elif [ -f "$SERIES" ]; then
		add_mails "$SERIES" "$SERIES"
		source_desc="SERIES=$SERIES (mbox)"
	else
		die "SERIES=$SERIES: no such file or directory"
	fi

	# Keep the messages with a diff; skip a cover letter ([PATCH 0/n]).
	local i k=0 subj raw patch cover_re='\[[^]]*[[:space:]]0+/[0-9]+\]'
	patch=$WORK/mails/.patch
	local origins=("${patch_origin[@]}")
	patch_origin=()
	for ((i = 1; i <= npatch; i++)); do
		f=$WORK/mails/$(printf %04d "$i")
		raw=$(kgit mailinfo -k /dev/null "$patch" <"$f" | sed -n 's/^Subject: //p')
		if [ ! -s "$patch" ]; then
			if [[ $raw =~ $cover_re ]]; then
				say "cover letter: $raw (skipped)"
				continue
			fi
			die "${origins[i - 1]}: message $i (\"${raw:-no subject}\") contains no patch"
		fi
		k=$((k + 1))
		mv "$f" "$WORK/patches/$(printf %04d "$k").mail"
		patch_file[k]=$WORK/patches/$(printf %04d "$k").mail
		patch_origin[k]=${origins[i - 1]}
		subj=$(kgit mailinfo /dev/null /dev/null <"${patch_file[k]}" | sed -n 's/^Subject: //p')
		put "$k" subject "${subj:-$raw}"
		put "$k" file "${patch_origin[k]}"
	done
	rm -f "$patch"
	npatch=$k
	[ "$npatch" -gt 0 ] || die "${SERIES:-$RANGE} contains no patches"
	source_desc+=": $npatch patch$([ "$npatch" = 1 ] || echo es)"
}

# ---- base and worktree ---------------------------------------------------

base=
base_ref=
base_desc=

pick_base() {
	local ref=${BASE:-} a

	if [ -z "$ref" ]; then
		ref=refs/heads/$SANDBOX_BRANCH
		if [ -n "${RANGE:-}" ]; then
			a=${RANGE%%..*}
			if kgit cat-file -e "$a:$SANDBOX_DIR/Kconfig" 2>/dev/null; then
				ref=$a
			fi
		fi
	fi
	base=$(kgit rev-parse -q --verify "$ref^{commit}") ||
		die "$KSRC has no ${ref#refs/heads/} to apply the series to: run 'make setup' first"
	kgit cat-file -e "$base:$SANDBOX_DIR/Kconfig" 2>/dev/null ||
		die "base ${ref#refs/heads/} has no $SANDBOX_DIR/ (the sandbox glue): use BASE=$SANDBOX_BRANCH"
	base_ref=$ref
	base_desc="$(kgit log -1 --format='%h %s' "$base") (${ref#refs/heads/})"
}

make_worktree() {
	remove_worktree
	made_worktree=1
	say "worktree $WT at $(kgit log -1 --format=%h "$base") (detached; $KSRC is not touched)"
	if [ -d "$FILES" ]; then
		kgit worktree add -q --no-checkout --detach "$WT" "$base"
		move_entries "$FILES" "$WT"
		rm -rf "$FILES"
		# Only the files that differ from the base are rewritten.
		wgit read-tree "$base"
		wgit update-index -q --refresh >/dev/null || true
		wgit reset -q --hard "$base"
		wgit clean -q -ffdx
	else
		kgit worktree add -q --detach "$WT" "$base"
	fi
	ln -sfn "$TOP/fake-devmap/kernel" "$WT/$SANDBOX_DIR/fake-devmap"
	ln -sfn "$TOP/kunit-suites" "$WT/$SANDBOX_DIR/kunit"
}

# A new worktree's files are all newer than the objects in CHECK_KBUILD,
# which would make every run a full build. Date all sources back to 2000,
# then date those that differ from any tree the objects may come from
# (every listing in $BUILT) to now: make rebuilds exactly what changed.
# Without a listing the fresh dates stay and the build is a full one.
age_sources() {
	if ! compgen -G "$BUILT/*[0-9a-f]" >/dev/null; then
		say "no earlier build to reuse in $CHECK_KBUILD: full build (about 3 minutes on 2 cores)"
		return 0
	fi
	local n

	wgit ls-tree -r -z --full-tree HEAD >"$WORK/tree.now"
	n=$(python3 - "$WT" "$OLD" "$WORK/tree.now" "$BUILT"/*[0-9a-f] <<'PY'
import os, sys

def listing(path):
    with open(path, 'rb') as f:
        recs = f.read().split(b'\0')
    return dict((r.split(b'\t', 1)[1], r.split(b'\t', 1)[0]) for r in recs if r)

def stamp(path, times):
    try:
        os.utime(os.path.join(wt, path), times, follow_symlinks=False)
    except FileNotFoundError:
        pass

wt, old = os.fsencode(sys.argv[1]), int(sys.argv[2])
now = listing(sys.argv[3])
for path in now:
    stamp(path, (old, old))
changed = set()
for built in sys.argv[4:]:
    was = listing(built)
    changed.update(p for p, meta in now.items() if was.get(p) != meta)
for path in changed:
    stamp(path, None)
print(len(changed))
PY
)
	rm -f "$WORK/tree.now"
	say "incremental build in $CHECK_KBUILD: $n files differ from what it was built from"
}

# ---- steps ---------------------------------------------------------------

applied=0

apply_all() {
	local i log

	for ((i = 1; i <= npatch; i++)); do
		log=$OUT/$(printf %02d "$i")-am.log
		# shellcheck disable=SC2086 # AM_ARGS is split on purpose
		if wgit am -q ${AM_ARGS:-} "${patch_file[i]}" >"$log" 2>&1; then
			put "$i" applies yes
			put "$i" commit "$(wgit rev-parse HEAD)"
			applied=$i
			say "[$i/$npatch] applies: $(get "$i" subject)"
			continue
		fi
		put "$i" applies no
		{
			grep -E '^(error|fatal):' "$log" || true
			# git apply -v shows the lines a hunk searched for.
			wgit am --show-current-patch=diff 2>/dev/null |
				wgit apply -v --check 2>&1 |
				sed -n '/^error: while searching for:/,/^error: patch failed/p' |
				sed '/^error: patch failed/d; ${/^$/d}'
		} | head -n 30 >"$OUT/rows/$i/apply_error"
		wgit am --abort >/dev/null 2>&1 || true
		say "[$i/$npatch] DOES NOT APPLY: $(get "$i" subject)"
		sed 's/^/    /' "$OUT/rows/$i/apply_error" >&2
		local j
		for ((j = i + 1; j <= npatch; j++)); do
			put "$j" applies "not tried"
		done
		return 1
	done
}

checkpatch_all() {
	local i log total e w c

	for ((i = 1; i <= npatch; i++)); do
		log=$OUT/$(printf %02d "$i")-checkpatch.txt
		(cd "$WT" && perl scripts/checkpatch.pl --strict --color=never \
			"${patch_file[i]}") >"$log" 2>&1 || true
		# "total: 0 errors, 1 warnings, 2 checks, 40 lines checked"
		total=$(sed -n 's/^total: \([0-9]*\) errors*, \([0-9]*\) warnings*, \([0-9]*\) checks*,.*/\1 \2 \3/p' "$log" | tail -n 1)
		put "$i" checkpatch "${total:-? ? ?}"
		grep -E '^(ERROR|WARNING|CHECK):' "$log" | head -n 5 >"$OUT/rows/$i/checkpatch_msgs" || true
		read -r e w c <<<"${total:-? ? ?}"
		say "[$i/$npatch] checkpatch --strict: $e errors, $w warnings, $c checks"
	done
}

fmt_s() { printf '%.1f' "${1:-0}" 2>/dev/null || echo "?"; }

suites_ran() { grep -q 'Starting KUnit Kernel' "$1"; }

# The test that was running when UML crashed or hung: kunit.py reports it
# as missing its result or having run nothing; suites are skipped.
crash_site() {
	local log=$1 suites

	suites=$(sed -n 's/.*=\+ \([a-z0-9_]\+\) ([0-9]\+ subtests) =\+$/\1/p' "$log")
	{
		sed -n 's/.*\[ERROR\] Test: \([a-z0-9_]\+\): \(missing subtest result line\|0 tests run\)!.*/\1/p' "$log"
		sed -n 's/.*\[CRASHED\] \([a-z0-9_]\+\).*/\1/p' "$log"
	} | grep -vxF -e "${suites:-/}" | head -n 1 || true
}

# run_row N COMMIT LABEL: check out, build incrementally, boot, run suites.
run_row() {
	local n=$1 commit=$2 label=$3 log json rc=0 t0 p f s el tree

	log=$OUT/$(printf %02d "$n")-kunit.log
	json=$OUT/$(printf %02d "$n").json
	rm -f "$json"
	[ "$n" = 0 ] || wgit checkout -q --detach "$commit"
	tree=$(wgit rev-parse "$commit^{tree}")
	mkdir -p "$BUILT"
	[ -s "$BUILT/$tree" ] ||
		wgit ls-tree -r -z --full-tree "$tree" >"$BUILT/$tree"
	say "$label build + suites ($(wgit log -1 --format='%h %s'))"
	t0=$SECONDS
	# Progress every 20 s; short sleeps so that none outlives the ticker.
	( exec 9>&-
	while sleep 1; do
		[ $(((SECONDS - t0) % 20)) = 0 ] || continue
		if suites_ran "$log" 2>/dev/null; then
			say "$label running the suites ($((SECONDS - t0)) s)"
		else
			say "$label building ($((SECONDS - t0)) s)"
		fi
	done ) &
	ticker=$!
	KSRC=$WT KBUILD=$CHECK_KBUILD JSON=$json TIMEOUT=$TIMEOUT \
		"$TOP/scripts/run-kunit.sh" >"$log" 2>&1 9>&- || rc=$?
	stop_ticker
	put "$n" seconds $((SECONDS - t0))
	el=$(sed -n 's/.*Elapsed time: .*, \([0-9.]*\)s building, \([0-9.]*\)s running/\1 \2/p' "$log")
	put "$n" elapsed "$el"

	if ! grep -q 'Configuring KUnit Kernel' "$log"; then
		say "error: the run did not get to kunit.py (not the patch's fault):"
		tail -n 5 "$log" >&2
		exit 2
	fi
	if ! suites_ran "$log"; then
		put "$n" builds no
		grep -E -A3 ': (fatal )?error:|undefined reference|Error [0-9]+|^ERROR:|Missing:' "$log" |
			grep -v -e '^--$' -e 'Waiting for unfinished jobs' |
			sed "s|$WT/||g; s|$CHECK_KBUILD/||g; s|^ERROR:root:||" |
			awk '!/^make.*\*\*\*/ || !seen++' |
			head -n 20 >"$OUT/rows/$n/build_error" || true
		[ -s "$OUT/rows/$n/build_error" ] || tail -n 10 "$log" >"$OUT/rows/$n/build_error"
		say "$label DOES NOT BUILD:"
		sed 's/^/    /' "$OUT/rows/$n/build_error" | head -n 8 >&2
		return 1
	fi
	put "$n" builds yes
	find "$BUILT" -type f ! -name "$tree" -delete

	read -r p f s < <(python3 "$TOP/scripts/kunit_results.py" counts "$json" 2>/dev/null ||
		echo 0 0 0)
	put "$n" counts "$p $f $s"
	python3 "$TOP/scripts/kunit_results.py" failed "$json" >"$OUT/rows/$n/failing_cases" 2>/dev/null || true
	sed 's/^[^.]*\.//' "$OUT/rows/$n/failing_cases" | cut -d. -f1 |
		awk '!seen[$0]++' >"$OUT/rows/$n/failing"
	if grep -q 'timed out after' "$log"; then
		put "$n" crash_kind hung
		put "$n" crash "no result within TIMEOUT=$TIMEOUT s"
		put "$n" crash_test "$(crash_site "$log")"
	elif grep -q 'The kernel seems to have crashed' "$log"; then
		put "$n" crash_kind crashed
		put "$n" crash "$(grep -h -m1 -E 'Kernel panic|BUG:|Oops|general protection|Segfault|Unable to handle' \
			"$log" "$CHECK_KBUILD/test.log" 2>/dev/null | head -n 1 |
			sed 's/^\[[0-9:]*\] //' || true)"
		[ -n "$(get "$n" crash)" ] || put "$n" crash "crashed"
		put "$n" crash_test "$(crash_site "$log")"
	fi
	if [ "$rc" != 0 ] && [ ! -s "$OUT/rows/$n/failing" ] && [ -z "$(get "$n" crash)" ]; then
		put "$n" crash_kind "run failed"
		put "$n" crash "$(grep -m1 -iE 'error|timed out' "$log" || echo "see $log")"
	fi
	put "$n" rc "$rc"
	if [ -n "$(get "$n" crash)" ]; then
		say "$label UML $(get "$n" crash_kind): $(get "$n" crash) ${f:+($p passed, $f failed)}"
	else
		say "$label suites $p passed, $f failed, $s skipped (build $(fmt_s "${el% *}") s, suites $(fmt_s "${el#* }") s)"
	fi
	[ "$rc" = 0 ]
}

# ---- report --------------------------------------------------------------

render() {
	python3 - "$OUT/rows" "$npatch" "$RESULTS/check-series.md" \
		"$RESULTS/check-series.json" <<'PY'
import json, os, sys

rows_dir, npatch, md_path, json_path = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
meta = {k: os.environ.get('CS_' + k.upper(), '') for k in
	('source', 'base', 'base_short', 'base_commit', 'filter', 'timeout', 'keep_going',
	 'quick', 'seconds', 'stopped', 'selftests')}

def rd(n, key):
	try:
		with open(os.path.join(rows_dir, str(n), key)) as f:
			return f.read().rstrip('\n')
	except OSError:
		return ''

def lines(n, key):
	return [l for l in rd(n, key).split('\n') if l]

rows = []
for n in range(npatch + 1):
	counts = rd(n, 'counts').split()
	cp = rd(n, 'checkpatch').split()
	el = rd(n, 'elapsed').split()
	r = {
		'index': n,
		'subject': rd(n, 'subject'),
		'file': rd(n, 'file') or None,
		'commit': rd(n, 'commit') or None,
		'applies': rd(n, 'applies') or ('yes' if n == 0 else 'not tried'),
		'apply_error': lines(n, 'apply_error'),
		'checkpatch': None,
		'checkpatch_messages': lines(n, 'checkpatch_msgs'),
		'builds': rd(n, 'builds') or 'not tried',
		'build_errors': lines(n, 'build_error'),
		'build_seconds': float(el[0]) if el else None,
		'run_seconds': float(el[1]) if len(el) > 1 else None,
		'wall_seconds': int(rd(n, 'seconds')) if rd(n, 'seconds') else None,
		'suites': None,
		'failing_tests': lines(n, 'failing'),
	'failing_cases': lines(n, 'failing_cases'),
		'crash': rd(n, 'crash') or None,
	'crash_kind': rd(n, 'crash_kind') or None,
		'crash_test': rd(n, 'crash_test') or None,
	}
	if len(cp) == 3:
		ok = cp != ['?'] * 3
		r['checkpatch'] = {'errors': int(cp[0]) if ok else None,
				   'warnings': int(cp[1]) if ok else None,
				   'checks': int(cp[2]) if ok else None,
				   'clean': cp == ['0', '0', '0']}
	if counts:
		r['suites'] = {'passed': int(counts[0]), 'failed': int(counts[1]),
			       'skipped': int(counts[2]),
			       'ok': rd(n, 'rc') == '0'}
	rows.append(r)

def crash_text(r):
	where = ' in %s' % r['crash_test'] if r['crash_test'] else ''
	if r['crash_kind'] == 'hung':
		return 'UML hung%s (%s)' % (where, r['crash'])
	if r['crash_kind'] == 'crashed':
		return 'UML crashed%s: %s' % (where, r['crash'])
	return 'run failed: %s' % r['crash']

base_fail = set(rows[0]['failing_tests'])
problems = {}

def first(kind, n, why):
	problems.setdefault(kind, (n, why))

for r in rows:
	n = r['index']
	r['new_failing_tests'] = [t for t in r['failing_tests'] if t not in base_fail] if n else []
	bad = []
	if r['applies'] == 'no':
		bad.append('does not apply')
		first('apply', n, 'does not apply')
	if r['checkpatch'] and not r['checkpatch']['clean']:
		c = r['checkpatch']
		bad.append('checkpatch')
		first('checkpatch', n, 'checkpatch --strict: %s errors, %s warnings, %s checks'
		      % (c['errors'], c['warnings'], c['checks']))
	if r['builds'] == 'no':
		bad.append('does not build')
		first('build', n, next((l.strip() for l in r['build_errors'] if 'error' in l), 'does not build'))
	if r['crash']:
		bad.append('crash')
		first('crash', n, crash_text(r))
	elif n and r['new_failing_tests']:
		bad.append('tests')
		first('tests', n, 'breaks ' + ', '.join(r['new_failing_tests']))
	elif n == 0 and r['failing_tests']:
		bad.append('tests')
	elif r['suites'] and not r['suites']['ok']:
		bad.append('suites')
		first('tests', n, 'the suites fail')
	r['problems'] = bad

def same_as(i, key):
	for j in range(1, i):
		if key(rows[j]) and key(rows[j]) == key(rows[i]):
			return 'same as #%d' % j
	return None

def cell_tests(i):
	r = rows[i]
	if r['crash']:
		return (i and same_as(i, lambda x: x['crash'] and crash_text(x))) or crash_text(r)
	if r['builds'] == 'no' and r['build_errors']:
		return 'build: ' + next((l for l in r['build_errors'] if 'error' in l), r['build_errors'][0]).strip()[:90]
	if r['applies'] == 'no':
		return next((l for l in r['apply_error'] if l.startswith('error: patch failed')), 'does not apply')
	ts = r['new_failing_tests'] if i else r['failing_tests']
	if not ts:
		return ''
	same = i and same_as(i, lambda x: not x['crash'] and x['new_failing_tests'])
	if same:
		return same
	more = ' (+%d more)' % (len(ts) - 3) if len(ts) > 3 else ''
	return ', '.join(ts[:3]) + more

def strong(s, bad):
	return '**%s**' % s if bad else s

out = []
out.append('### check-series: %s' % meta['source'])
out.append('')
out.append('Base: %s. Suites after every patch%s.' % (
	meta['base'], ' (FILTER=%s)' % meta['filter'] if meta['filter'] else ''))
out.append('')
out.append('| # | patch | applies | builds | checkpatch E/W/C | suites passed/failed | first failing tests |')
out.append('|---|---|---|---|---|---|---|')
for i, r in enumerate(rows):
	subj = (('base: ' + meta['base_short']) if i == 0 else r['subject']).replace('|', '\\|')
	ap = '—' if i == 0 else strong(r['applies'], r['applies'] == 'no')
	bd = '—' if r['builds'] == 'not tried' else strong(r['builds'], r['builds'] == 'no')
	if r['checkpatch']:
		c = r['checkpatch']
		cp = strong('%s/%s/%s' % (c['errors'], c['warnings'], c['checks']) if c['errors'] is not None else '?',
			    not c['clean'])
	else:
		cp = '—'
	if r['suites']:
		s = r['suites']
		st = '%d/%d' % (s['passed'], s['failed'])
		if r['crash']:
			st = r['crash_kind']
			st += ' (%d/%d)' % (s['passed'], s['failed'])
		st = strong(st, bool(r['problems']) and ('tests' in r['problems'] or 'crash' in r['problems'] or 'suites' in r['problems']))
	else:
		st = '—'
	out.append('| %s | %s | %s | %s | %s | %s | %s |' % (
		i, subj, ap, bd, cp, st, cell_tests(i).replace('|', '\\|')))
out.append('')

bad_rows = [r for r in rows if r['problems']]
first_bad = next((r for r in rows[1:] if r['problems']), None)
if meta['selftests']:
	out.append("Upstream's mm selftests on the whole series (SELFTESTS=1): %s" % meta['selftests'])
	out.append('')
selftests_bad = meta['selftests'].startswith('FAIL')
if selftests_bad and not bad_rows:
	out.append('**Result: FAIL**')
	out.append('')
	out.append("- upstream's mm selftests fail on the whole series (see above)")
elif not bad_rows and meta['quick'] != '1':
	out.append('**Result: PASS** — every patch applies, builds, is checkpatch-clean and keeps the suites passing.')
elif not bad_rows:
	out.append('**Result: PASS** (QUICK=1: applied and checkpatch only; not built, suites not run).')
else:
	out.append('**Result: FAIL**')
	out.append('')
	if base_fail or rows[0]['crash']:
		out.append('- the base already fails: %s (not counted against the patches)' %
			   (rows[0]['crash'] or ', '.join(sorted(base_fail))))
	labels = {'apply': 'first patch that does not apply', 'build': 'first patch that does not build',
		  'tests': 'first patch that breaks the suites', 'crash': 'first patch that crashes or hangs UML',
		  'checkpatch': 'first patch with checkpatch findings'}
	for kind in ('apply', 'build', 'crash', 'tests', 'checkpatch'):
		if kind in problems:
			n, why = problems[kind]
			out.append('- %s: #%d %s — %s' % (labels[kind], n, rows[n]['subject'], why))
	for kind in ('build', 'tests', 'crash'):
		if kind not in problems:
			continue
		k = problems[kind][0]
		def fine(r):
			if kind == 'build':
				return r['builds'] == 'yes'
			return r['suites'] is not None and not r['crash'] and not r['new_failing_tests']
		later = next((r['index'] for r in rows[k + 1:] if fine(r)), None)
		if later:
			out.append('- not bisectable: #%d %s, #%d is fine again (fold the fix into #%d)'
				   % (k, {'build': 'does not build', 'tests': 'breaks tests',
					  'crash': 'crashes UML'}[kind], later, k))
	if meta['stopped']:
		out.append('- %s' % meta['stopped'])
	elif any(r['crash'] or r['builds'] == 'no' or r['new_failing_tests'] for r in rows[1:npatch]):
		out.append('- the check went on after the first failure: every patch has its row (KEEP_GOING=0 stops there)')
details = []
for r in rows:
	head = '#%d %s' % (r['index'], r['subject'] or 'base')
	if r['apply_error']:
		details.append('%s: git am fails:\n\n```\n%s\n```' % (head, '\n'.join(r['apply_error'])))
	if r['build_errors']:
		details.append('%s: build errors:\n\n```\n%s\n```' % (head, '\n'.join(r['build_errors'][:12])))
	if r['checkpatch_messages']:
		details.append('%s: checkpatch:\n\n```\n%s\n```' % (head, '\n'.join(r['checkpatch_messages'])))
	if (len(r['failing_tests']) > 3 or r['crash'] and r['failing_tests']) and not (r['index'] and same_as(r['index'], lambda x: x['failing_tests'])):
		details.append('%s: failing tests: %s' % (head, ', '.join(r['failing_tests'])))
if details:
	out.append('')
	out.append('Details:')
	out.append('')
	out.extend(d + '\n' for d in details)
out.append('')
out.append('(%s s; logs in build/results/check-series/)' % meta['seconds'])
md = '\n'.join(out).rstrip('\n') + '\n'
with open(md_path, 'w') as f:
	f.write(md)
report = {
	'source': meta['source'], 'base': meta['base'], 'base_commit': meta['base_commit'],
	'strategy': 'suites after every patch', 'quick': meta['quick'] == '1',
	'filter': meta['filter'] or None, 'timeout': int(meta['timeout']),
	'keep_going': meta['keep_going'] != '0', 'stopped': meta['stopped'] or None,
	'result': 'fail' if bad_rows else 'pass',
	'first_bad_patch': ({'index': first_bad['index'], 'subject': first_bad['subject'],
			     'problems': first_bad['problems']} if first_bad else None),
	'first': {k: {'index': v[0], 'subject': rows[v[0]]['subject'], 'why': v[1]}
		  for k, v in problems.items()},
	'rows': rows, 'seconds': int(meta['seconds']),
}
with open(json_path, 'w') as f:
	json.dump(report, f, indent=1)
	f.write('\n')
sys.stdout.write(md)
sys.exit(1 if bad_rows else 0)
PY
}

# Upstream's mm selftests on the worktree at the last patch; sets
# $selftests to "PASS: ..." or "FAIL: ...".
selftests=
run_selftests() {
	local log=$OUT/selftests.log json=$OUT/selftests.json rc=0 p f s

	say "upstream's mm selftests on the whole series (SELFTESTS=1)"
	wgit checkout -q --detach "$(get "$npatch" commit)"
	KSRC=$WT SELFTESTS_KBUILD=$BUILD/check-series-selftests-uml \
		SELFTESTS_OUT=$BUILD/check-series-selftests JSON=$json \
		"$TOP/scripts/run-selftests.sh" >"$log" 2>&1 9>&- || rc=$?
	read -r p f s < <(python3 "$TOP/scripts/kunit_results.py" counts "$json")
	if [ "$rc" = 0 ]; then
		selftests="PASS: $p passed, $s skipped"
	else
		[ "$f" -gt 0 ] || f="a build or boot"
		selftests="FAIL: $p passed, $f failed, $s skipped (log: ${log#"$TOP"/})"
	fi
	say "mm selftests: $selftests"
}

main() {
	local i rc=0 stopped='' bad_row=''

	if [ -n "${SERIES:-}" ] && [ -n "${RANGE:-}" ]; then
		die "give SERIES= or RANGE=, not both"
	fi
	[ -n "${SERIES:-}" ] || [ -n "${RANGE:-}" ] || usage
	[ -e "$KSRC/.git" ] || die "KSRC=$KSRC is not a git tree: run 'make setup' first"
	if [ -n "${SERIES:-}" ] && [ -e "$SERIES" ]; then
		SERIES=$(realpath "$SERIES")
	fi

	mkdir -p "$WORK" "$RESULTS"
	exec 9>"$WORK/lock"
	flock -n 9 || die "another check-series is running (lock $WORK/lock)"
	trap cleanup EXIT
	trap interrupted INT TERM

	rm -rf "$OUT" "$RESULTS/check-series.md" "$RESULTS/check-series.json"
	mkdir -p "$OUT/rows/0"
	prepare_patches
	pick_base
	put 0 subject "$base_desc"
	say "checking $source_desc on $base_desc"
	[ -z "$(git -C "$KSRC" status --porcelain --untracked-files=no 2>/dev/null)" ] ||
		say "note: $KSRC has uncommitted changes; they are not part of the check"

	make_worktree
	apply_all ||
		stopped="#$((applied + 1)) does not apply: the patches after it were not tried, nothing was built"
	checkpatch_all
	if [ -z "$stopped" ] && [ "$QUICK" != 1 ]; then
		wgit checkout -q --detach "$base"
		age_sources
		run_row 0 "$base" "[base]" || true
		if [ "$(get 0 builds)" != yes ]; then
			stopped="the base does not build: nothing to compare the patches with"
			rc=2
		fi
		for ((i = 1; i <= npatch && rc == 0; i++)); do
			if [ -n "$bad_row" ] && [ "$KEEP_GOING" = 0 ]; then
				stopped="stopped after #$bad_row (KEEP_GOING=0): later patches were not built"
				break
			fi
			run_row "$i" "$(get "$i" commit)" "[$i/$npatch]" || bad_row=${bad_row:-$i}
		done
	elif [ "$QUICK" = 1 ] && [ -z "$stopped" ]; then
		stopped="QUICK=1: applied and checkpatch only"
	fi
	if [ "${SELFTESTS:-0}" = 1 ] && [ "$QUICK" != 1 ] && [ "$rc" = 0 ]; then
		if [ -z "$stopped" ] && [ -z "$bad_row" ]; then
			run_selftests
		else
			selftests="not run: a patch already has a problem"
		fi
	fi

	echo
	CS_SOURCE=$source_desc CS_BASE=$base_desc CS_BASE_COMMIT=$base \
	CS_BASE_SHORT="$(kgit log -1 --format=%h "$base") (${base_ref#refs/heads/})" \
	CS_FILTER=${FILTER:-} CS_TIMEOUT=$TIMEOUT CS_KEEP_GOING=$KEEP_GOING \
	CS_QUICK=$QUICK CS_SECONDS=$((SECONDS - started)) CS_STOPPED=$stopped \
	CS_SELFTESTS=$selftests \
		render || { [ "$rc" != 0 ] || rc=1; }
	case $selftests in FAIL*) [ "$rc" != 0 ] || rc=1 ;; esac
	say "report: $RESULTS/check-series.md, $RESULTS/check-series.json"
	return "$rc"
}

main "$@"
