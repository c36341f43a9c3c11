#!/bin/sh
# fetch-xen.sh OUTDIR
#
# Gets Debian 12's xenstored (Xen 4.17) and the libraries it loads without
# installing anything: `apt-get download` into OUTDIR/debs (a cache: a
# package already there is not fetched again), then `dpkg -x` of each into
# OUTDIR/root. The packages' maintainer scripts never run and nothing
# outside OUTDIR changes (except `apt-get update`, once, when a download
# fails because the package lists are stale or empty).
#
# Result: OUTDIR/root/usr/lib/xen-4.17/bin/xenstored and its libraries in
# OUTDIR/root/usr/lib/x86_64-linux-gnu. Exits non-zero, saying what is
# missing, when a package cannot be fetched or unpacked.
#
# XEN_EXTRA_PKGS adds packages (e.g. "libxenhypfs1 xenstore-utils"; the
# xenstored of 4.17 does not need libxenhypfs1).
set -eu

me=fetch-xen.sh
die() {
	echo "$me: error: $*" >&2
	exit 1
}

if [ $# -ne 1 ] || [ -z "$1" ]; then
	echo "usage: $me OUTDIR" >&2
	exit 2
fi

PKGS="xen-utils-4.17 libxenstore4 libxenevtchn1 libxengnttab1 libxenmisc4.17
libxentoollog1 libxencall1 libxenforeignmemory1 libxendevicemodel1
libxentoolcore1 libyajl2 ${XEN_EXTRA_PKGS:-}"
XENSTORED=usr/lib/xen-4.17/bin/xenstored

for tool in apt-get dpkg-deb; do
	command -v "$tool" >/dev/null 2>&1 || die "$tool not found (a Debian system is needed)"
done

mkdir -p "$1" || die "cannot create $1"
out=$(cd "$1" && pwd)
debs=$out/debs
root=$out/root
mkdir -p "$debs"

# cached PKG: print the cached .deb of PKG (exactly one valid file)
cached() {
	n=0
	f=""
	for d in "$debs/${1}"_*.deb; do
		[ -f "$d" ] || continue
		n=$((n + 1))
		f=$d
	done
	[ "$n" -eq 1 ] || return 1
	echo "$f"
}

missing=""
for p in $PKGS; do
	if ! cached "$p" >/dev/null; then
		rm -f "$debs/${p}"_*.deb
		missing="$missing $p"
	fi
done

# download PKG...: into a scratch directory, then into the cache once the
# archive checks out (an interrupted run leaves no half file in the cache)
download() {
	tmp=$debs/.tmp
	rm -rf "$tmp"
	mkdir -p "$tmp"
	# shellcheck disable=SC2086
	(cd "$tmp" && apt-get download -q "$@") >"$out/apt-download.log" 2>&1 || return 1
	for f in "$tmp"/*.deb; do
		[ -f "$f" ] || return 1
		dpkg-deb --info "$f" >/dev/null 2>&1 || { echo "$me: corrupt download $(basename "$f")" >&2; return 1; }
	done
	mv "$tmp"/*.deb "$debs"/
	rm -rf "$tmp"
}

if [ -n "$missing" ]; then
	echo "$me: downloading$missing" >&2
	# shellcheck disable=SC2086
	if ! download $missing; then
		echo "$me: download failed; running apt-get update once" >&2
		if ! apt-get update -q >"$out/apt-update.log" 2>&1; then
			echo "$me: apt-get update failed (root is needed), see $out/apt-update.log:" >&2
			tail -n 5 "$out/apt-update.log" >&2
		fi
		# shellcheck disable=SC2086
		if ! download $missing; then
			rm -rf "$debs/.tmp"
			sed -n 's/^E: /  /p' "$out/apt-download.log" >&2
			die "cannot download:$missing (see $out/apt-download.log)"
		fi
	fi
fi

# every package must now be in the cache
list=""
for p in $PKGS; do
	f=$(cached "$p") || die "package $p is not in $debs after the download"
	list="$list $(basename "$f")"
done

# unpack, unless the same set of archives was unpacked already
stamp=$root/.fetch-xen-debs
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$list" ] && [ -x "$root/$XENSTORED" ]; then
	exit 0
fi
echo "$me: unpacking into $root" >&2
rm -rf "$root.tmp"
mkdir -p "$root.tmp"
for f in $list; do
	dpkg-deb -x "$debs/$f" "$root.tmp" || { rm -rf "$root.tmp"; die "cannot unpack $f"; }
done
[ -x "$root.tmp/$XENSTORED" ] || { rm -rf "$root.tmp"; die "no $XENSTORED in the packages"; }
echo "$list" >"$root.tmp/.fetch-xen-debs"
rm -rf "$root"
mv "$root.tmp" "$root"
echo "$me: xenstored is $root/$XENSTORED" >&2
