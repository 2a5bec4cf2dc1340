#!/bin/bash
# Fetch a base's kernel source package as an ordinary user, for a base whose
# Debian suite the system does not list (bases.py: suite, e.g. 7.3 from
# trixie-backports), and leave its tarball where set-up looks for it.
#
#   - the mirror is the one the system already uses (apt-get indextargets:
#     deb822 and one-line sources alike); no host name is written anywhere
#     of ours;
#   - a private sources list naming that mirror and the base's suite,
#     checked against Debian's archive keyring (never trusted=yes), with
#     private lists and cache folders under BUILD/apt: /etc/apt and the
#     system's apt state are only read;
#   - the pinned version only, its sha256 checked; the .deb is kept outside
#     the clone (~/.cache/devmap-sandbox/debs), so a new clone does not
#     fetch it again.
# SOURCE=/path/to/linux-source-X.deb or a tarball: use that instead (a
# machine without the network, or a version the mirror no longer serves).
# Exit 12 when the source cannot be had, with one line saying why.
set -euo pipefail
case $0 in */*) here=${0%/*} ;; *) here=. ;; esac
# shellcheck source=scripts/lib/common.sh
. "$here/lib/common.sh"

ST_SOURCE=12
KEYRING=${KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}
APT_GET=${APT_GET:-apt-get}
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/devmap-sandbox
DEBS=$CACHE/debs
deb=$DEBS/${BASE_PKG}_${BASE_DEB_VERSION}_all.deb

# The tarball out of a .deb, to $BASE_TARBALL (atomically).
extract() {
	local member=./usr/src/$BASE_PKG.tar.xz

	mkdir -p "${BASE_TARBALL%/*}"
	say "extracting $member from ${1##*/}"
	dpkg-deb --fsys-tarfile "$1" | tar -xO "$member" >"$BASE_TARBALL.tmp" ||
		fail "$ST_SOURCE" "${1##*/} has no $member"
	mv "$BASE_TARBALL.tmp" "$BASE_TARBALL"
}

if [ -n "${SOURCE:-}" ]; then
	[ -r "$SOURCE" ] || fail "$ST_BAD_INPUT" "SOURCE=$SOURCE: no such file"
	case $SOURCE in
	*.deb) extract "$SOURCE" ;;
	*.tar.*) mkdir -p "${BASE_TARBALL%/*}"; cp "$SOURCE" "$BASE_TARBALL" ;;
	*) fail "$ST_BAD_INPUT" "SOURCE=$SOURCE: a .deb or a tarball, please" ;;
	esac
	exit 0
fi

# The pinned .deb from the base's suite on the system's Debian mirror (the
# first that serves a suite of the main archive, not -security, which is
# another archive), into $DEBS.
fetch() {
	local mirror state=$BUILD/apt apt_opts

	# shellcheck disable=SC2016 # apt-get's format, not ours
	mirror=$("$APT_GET" indextargets --format '$(REPO_URI) $(RELEASE)' 2>/dev/null |
		awk '$2 !~ /-security$/ && $1 ~ /\/debian\/?$/ { print $1; exit }') || true
	[ -n "$mirror" ] || fail "$ST_SOURCE" "no Debian mirror in the system's apt sources to fetch $BASE_PKG from; pass SOURCE=<.deb or tarball>"
	[ -r "$KEYRING" ] || fail "$ST_PACKAGES" "$KEYRING is missing: install debian-archive-keyring"
	mkdir -p "$state/lists/partial" "$state/cache/archives/partial" "$state/parts" "$DEBS"
	echo "deb [signed-by=$KEYRING] $mirror $BASE_SUITE main" >"$state/sources.list"
	apt_opts=(-o "Dir::Etc::SourceList=$state/sources.list" -o "Dir::Etc::SourceParts=$state/parts"
		-o "Dir::State::Lists=$state/lists" -o "Dir::Cache=$state/cache"
		-o Debug::NoLocking=1 -o "APT::Sandbox::User=$(id -un)")

	say "reading $BASE_SUITE's package list (the system's mirror, Debian's keyring)"
	"$APT_GET" "${apt_opts[@]}" -q update >"$state/update.log" 2>&1 ||
		fail "$ST_SOURCE" "apt-get update of $BASE_SUITE failed: $(grep -m1 -E '^(E|W):' "$state/update.log" || tail -n 1 "$state/update.log")"
	say "fetching $BASE_PKG $BASE_DEB_VERSION (about 170 MB)"
	(cd "$DEBS" && with_progress "fetching $BASE_PKG" \
		"$APT_GET" "${apt_opts[@]}" -q download "$BASE_PKG=$BASE_DEB_VERSION" >"$state/download.log" 2>&1) ||
		fail "$ST_SOURCE" "$BASE_PKG $BASE_DEB_VERSION is not served by $BASE_SUITE any more (bases.py pins it): pass SOURCE=<.deb or tarball>, or pin the version the suite has"
	[ -r "$deb" ] || fail "$ST_SOURCE" "apt-get download left no ${deb##*/}"
}

[ -r "$deb" ] || fetch
sum=$(sha256sum <"$deb")
if [ "${sum%% *}" != "$BASE_DEB_SHA256" ]; then
	rm -f "$deb"
	fail "$ST_SOURCE" "${deb##*/}: sha256 ${sum%% *}, bases.py pins $BASE_DEB_SHA256"
fi
extract "$deb"
