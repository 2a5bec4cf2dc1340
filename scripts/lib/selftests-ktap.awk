# Turn one kselftest program's output into one top-level KTAP test.
# Runs inside UML (busybox awk, from the initramfs /init) and on the host;
# POSIX awk only.
#
#   awk -v num=N -v name=NAME -v rc=EXIT -v timeout=SECS -v hung=0|1 \
#       -v skips=FILE -v kmsg=FILE -f selftests-ktap.awk OUTPUT
#
# The program's own top-level "ok"/"not ok" lines become subtests (named
# after a preceding "# [RUN] ..." line when there is one, as gup_longterm
# prints them), renumbered, with a plan made from what was seen; every
# other line becomes a "#" diagnostic. The program's verdict is "ok" only
# if its exit status, its results and its plan agree and the kernel logged
# no warning (kmsg: the kernel log written while it ran).
#
# skips: "<name> | <subtest or -> | <reason>" lines. A listed subtest that
# fails is reported "# SKIP <reason>"; '-' covers the whole program.

function trim(s) {
	sub(/^[ \t]+/, "", s)
	sub(/[ \t]+$/, "", s)
	return s
}

function out(line) {
	body[++nbody] = line
}

BEGIN {
	whole = ""
	while (skips != "" && (getline line < skips) > 0) {
		if (line ~ /^[ \t]*(#|$)/)
			continue
		nf = split(line, f, "|")
		if (nf < 3 || trim(f[1]) != name)
			continue
		reason = f[3]
		for (i = 4; i <= nf; i++)
			reason = reason "|" f[i]
		reason = trim(reason)
		if (trim(f[2]) == "-")
			whole = reason
		else
			expect[trim(f[2])] = reason
	}
	planned = -1
	nres = 0
	fails = 0
	excused = 0
	runname = ""
	nbody = 0
}

/^TAP version [0-9]+$/ || /^KTAP version [0-9]+$/ {
	next
}

/^1\.\.[0-9]+/ {
	planned = substr($1, 4) + 0
	next
}

/^# \[RUN\] / {
	runname = substr($0, 9)
	out($0)
	next
}

/^(not )?ok [0-9]+/ {
	pass = ($1 == "ok")
	desc = $0
	sub(/^(not )?ok [0-9]+( - | )?/, "", desc)
	directive = ""
	if ((i = index(desc, " # ")) > 0) {
		directive = substr(desc, i + 3)
		desc = substr(desc, 1, i - 1)
	}
	desc = trim(desc)
	if (runname != "") {
		out("# " desc)
		desc = runname
		runname = ""
	}
	gsub(/#/, "", desc)
	nres++
	if (!pass && (desc in expect || whole != "")) {
		r = (desc in expect) ? expect[desc] : whole
		out("# failed (" (directive != "" ? directive : "no reason given") \
		    "), expected on UML")
		out("ok " nres " " desc " # SKIP " r)
		excused++
		next
	}
	if (!pass)
		fails++
	out((pass ? "ok " : "not ok ") nres " " desc \
	    (directive != "" ? " # " directive : ""))
	next
}

{
	line = $0
	# Keep KTAP control words of the program's output from being read
	# as ours: everything else is a diagnostic.
	if (line !~ /^#/ || line ~ /^#[ \t]*Subtest:/)
		line = "# " line
	out(line)
}

END {
	problems = ""
	if (hung)
		problems = problems "; hung: killed after " timeout " s"
	if (rc != 0 && rc != 4 && !hung && !(excused > 0 && fails == 0))
		problems = problems "; exit status " rc \
		    (rc > 128 ? " (signal " rc - 128 ")" : "")
	if (fails > 0)
		problems = problems "; " fails " failed"
	if (planned >= 0 && planned != nres)
		problems = problems "; planned " planned " results, printed " nres
	nwarn = 0
	while (kmsg != "" && (getline line < kmsg) > 0) {
		klog[++nk] = line
		if (line ~ /WARNING:|BUG:|Oops|kernel BUG|refcount_t:|Bad page|list_(add|del) corruption|general protection/)
			nwarn++
	}
	if (nwarn > 0) {
		problems = problems "; the kernel logged " nwarn " warning(s)"
		for (i = 1; i <= nk && i <= 80; i++)
			out("# kernel: " klog[i])
	}

	problems = substr(problems, 3)
	# kunit.py judges a test with subtests by its subtests alone: a
	# failure that no subtest shows (a hang, an exit status, a short plan,
	# a kernel warning) gets a failing subtest of its own.
	if (problems != "" && fails == 0 && whole == "" && nres > 0) {
		out("# " problems)
		out("not ok " ++nres " " name " as a whole")
	}

	ind = "    "
	if (nres > 0) {
		print ind "KTAP version 1"
		print ind "# Subtest: " name
		print ind "1.." nres
	} else {
		print "# " name
	}
	for (i = 1; i <= nbody; i++)
		print (nres > 0 ? ind : "") body[i]
	if (problems == "") {
		if (rc == 4 && nres == 0)
			print "ok " num " " name " # SKIP the program skipped (exit status 4)"
		else
			print "ok " num " " name
	} else if (whole != "") {
		print "# " name ": " problems ", expected on UML"
		print "ok " num " " name " # SKIP " whole
	} else {
		print "# " name ": " problems
		print "not ok " num " " name
	}
}
