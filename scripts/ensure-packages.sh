#!/bin/bash
# Check every Debian package the project needs (.ci/packages, one list),
# before anything else runs, and get the missing ones in one go:
#   as root          apt-get update once, then apt-get install, saying what
#   with sudo        the one `sudo apt-get install ...` line (may prompt)
#   otherwise        print that line, naming every missing package; exit 3
# Plain shell: on a fresh machine python3 may be among the missing.
# DPKG_QUERY, APT_GET and SUDO name the tools (the bats tests fake them).
set -euo pipefail

top=$(cd "${0%/*}/.." && pwd)
list=${PACKAGES_FILE:-$top/.ci/packages}
# Every make target runs this first: once all is there, a stamp newer
# than dpkg's database (which any install or removal rewrites) and than
# the list stands for the check, with no dpkg-query (0.03 s a run).
# DPKG_STATUS names the database (the bats tests fake it too).
stamp=${BUILD:-$top/build}/.packages-ok
status_db=${DPKG_STATUS:-/var/lib/dpkg/status}
if [ "$stamp" -nt "$status_db" ] && [ "$stamp" -nt "$list" ]; then
	exit 0
fi
DPKG_QUERY=${DPKG_QUERY:-dpkg-query}
APT_GET=${APT_GET:-apt-get}
SUDO=${SUDO:-sudo}

say() { printf 'ensure-packages: %s\n' "$*" >&2; }

wanted=()
while read -r pkg _; do
	case $pkg in '' | '#'*) continue ;; esac
	wanted+=("$pkg")
done <"$list"

# One dpkg-query for all of them: "name status" for each installed or
# known package; a package it does not know is missing too.
declare -A have=()
# shellcheck disable=SC2016 # dpkg-query's format, not ours
while read -r pkg status; do
	[ "${status:0:2}" = ii ] && have[$pkg]=1
done < <("$DPKG_QUERY" -W -f='${Package} ${db:Status-Abbrev}\n' "${wanted[@]}" 2>/dev/null || true)
missing=()
for pkg in "${wanted[@]}"; do
	[ -n "${have[$pkg]:-}" ] || missing+=("$pkg")
done

all_there() {
	# A build directory we cannot write only costs the next run the check.
	if mkdir -p "${stamp%/*}" 2>/dev/null; then
		: >"$stamp" 2>/dev/null || true
	fi
	exit 0
}

[ ${#missing[@]} -gt 0 ] || all_there
line="apt-get install -y --no-install-recommends ${missing[*]}"

if [ "$(id -u)" = 0 ]; then
	say "installing ${#missing[@]} missing packages: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	"$APT_GET" update -q >/dev/null || { say "error: apt-get update failed"; exit 3; }
	"$APT_GET" install -y -q --no-install-recommends "${missing[@]}" >/dev/null ||
		{ say "error: apt-get install failed: $line"; exit 3; }
	all_there
fi
if command -v "$SUDO" >/dev/null 2>&1 && { [ -t 0 ] || "$SUDO" -n true 2>/dev/null; }; then
	say "missing packages; running: sudo $line"
	"$SUDO" "$APT_GET" install -y --no-install-recommends "${missing[@]}" && all_there
	say "error: sudo apt-get install failed"
fi
say "error: missing packages (${#missing[@]}); install them with: sudo $line"
exit 3
