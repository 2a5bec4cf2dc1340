#!/bin/bash
# Regenerate the devmap_model suite's picture and rule tables from
# devmap_model_rules.h, the tables the suite executes:
#   kunit-suites/devmap-model.dot / .svg   the state machine per pgmap type
#   kunit-suites/MODEL.md                  between the GENERATED markers
# Needs a C compiler and graphviz (dot). `make model-graph` runs it;
# `CHECK=1` only checks that the committed files are up to date.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cc -Wall -Werror -o "$tmp/model-graph" "$here/model-graph.c"
"$tmp/model-graph" dot all >"$tmp/devmap-model.dot"
dot -Tsvg "$tmp/devmap-model.dot" >"$tmp/devmap-model.svg"
"$tmp/model-graph" md >"$tmp/rules.md"
# MODEL.md: replace what is between the markers with the generated tables.
awk -v gen="$tmp/rules.md" '
	/<!-- BEGIN GENERATED -->/ { print; while ((getline l < gen) > 0) print l; skip = 1; next }
	/<!-- END GENERATED -->/ { skip = 0 }
	!skip' "$here/MODEL.md" >"$tmp/MODEL.md"

if [ "${CHECK:-0}" = 1 ]; then
	rc=0
	for f in devmap-model.dot MODEL.md; do
		cmp -s "$tmp/$f" "$here/$f" || { echo "$f is stale: run kunit-suites/gen-model-graph.sh" >&2; rc=1; }
	done
	exit "$rc"
fi
cp "$tmp/devmap-model.dot" "$tmp/devmap-model.svg" "$tmp/MODEL.md" "$here/"
echo "wrote $here/devmap-model.dot, devmap-model.svg, MODEL.md"
