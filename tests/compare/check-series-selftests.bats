#!/usr/bin/env bats
#
# make check-series SELFTESTS=1: upstream's mm selftests once more, on the
# whole series, in the scratch clone. Here, not in tests/uml/ (make test,
# CI): the scratch clone's selftests kernel is a cold build of several
# minutes that only this case needs; make test-compare runs it.

load ../uml/check-series

@test "SELFTESTS=1 on a clean series: the mm selftests pass on the whole series" {
	local why

	check_series SERIES="$FIX/clean" SELFTESTS=1
	[ "$status" -eq 0 ]
	# On a host where the base's UML cannot run user space the selftests
	# are "not run", with the reason, and the series still passes.
	if why=$(python3 "$TOP/scripts/devmap_sandbox.py" uml-user-space); then
		[[ "$output" == *"mm selftests on the whole series (SELFTESTS=1): PASS: "[1-9]*" passed"* ]]
	else
		[[ "$output" == *"mm selftests on the whole series (SELFTESTS=1): not run: ${why:0:40}"* ]]
	fi
	[[ "$output" == *"Result: PASS"* ]]
	[ "$(json '.selftests')" != null ]
	[ "$(scratch_subject)" = "mm/memremap: document __put_devmap_managed_folio_refs()" ]
	untouched
}
