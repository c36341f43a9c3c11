#!/bin/sh
# fetch.sh [E2E_DIR]: the pieces of the end-to-end machine, from Debian 12.
#
#   E2E_DIR/debs/   apt-get download cache (kept across runs)
#   E2E_DIR/root/   every .deb unpacked with dpkg -x (no maintainer scripts)
#   E2E_DIR/kver    the guest/dom0 kernel's release, e.g. 6.1.0-56-amd64
#
# On the host it installs what QEMU needs to run the machine when missing:
# qemu-system-x86 busybox-static cpio mmdebstrap (as root, through apt-get).
# Idempotent: a second run with everything present touches no network.
set -eu

E2E=${1:-build/e2e}
DEBS=$E2E/debs
ROOT=$E2E/root
mkdir -p "$DEBS" "$ROOT"

say() { echo "fetch: $*" >&2; }
die() { echo "fetch: error: $*" >&2; exit 1; }

updated=0
apt_update_once() {
	[ "$updated" -eq 1 ] && return 0
	say "apt-get update"
	apt-get update -q >&2 || die "apt-get update failed"
	updated=1
}

# --- host tools ----------------------------------------------------------
host_pkgs=""
command -v qemu-system-x86_64 >/dev/null 2>&1 || host_pkgs="$host_pkgs qemu-system-x86"
# The initramfs needs a static busybox: a dynamic one would need its libc.
if ! dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'install ok installed'; then
	host_pkgs="$host_pkgs busybox-static"
fi
command -v cpio >/dev/null 2>&1 || host_pkgs="$host_pkgs cpio"
# The guests' kernel is decompressed on the host (build-initramfs.sh).
command -v xz >/dev/null 2>&1 || host_pkgs="$host_pkgs xz-utils"
# The systemd guest's Debian root (build-debguest.sh).
command -v mmdebstrap >/dev/null 2>&1 || host_pkgs="$host_pkgs mmdebstrap"
if [ -n "$host_pkgs" ]; then
	[ "$(id -u)" -eq 0 ] || die "missing host packages:$host_pkgs (run apt-get install$host_pkgs as root)"
	say "installing on the host:$host_pkgs"
	export DEBIAN_FRONTEND=noninteractive
	# shellcheck disable=SC2086
	if ! apt-get install -y -q --no-install-recommends $host_pkgs >&2; then
		apt_update_once
		# shellcheck disable=SC2086
		apt-get install -y -q --no-install-recommends $host_pkgs >&2 ||
			die "apt-get install$host_pkgs failed"
	fi
fi

# --- the kernel ------------------------------------------------------------
# The release the linux-image-amd64 metapackage points at, unsigned flavour
# (the same image, no signature wrapper). A cached kernel .deb wins, so a
# second run needs no package lists at all.
cached_kernel() {
	for f in "$DEBS"/linux-image-6.1.0-*-amd64-unsigned_*.deb; do
		[ -f "$f" ] || continue
		basename "$f" | sed 's/^linux-image-\(6\.1\.0-[0-9]*-amd64\)-unsigned_.*/\1/'
	done | sort -t- -k2,2n | tail -n 1
}
pick_kernel() {
	k=$(apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: linux-image-\(6\.1\.0-[0-9]*-amd64\)$/\1/p' | head -n 1)
	if [ -z "$k" ]; then
		k=$(apt-cache pkgnames linux-image-6.1.0- 2>/dev/null |
			sed -n 's/^linux-image-\(6\.1\.0-[0-9]*-amd64\)-unsigned$/\1/p' |
			sort -t- -k2,2n | tail -n 1)
	fi
	echo "$k"
}
kver=$(cached_kernel)
if [ -z "$kver" ]; then
	kver=$(pick_kernel)
	if [ -z "$kver" ]; then
		apt_update_once
		kver=$(pick_kernel)
	fi
fi
[ -n "$kver" ] || die "no linux-image-6.1.0-NN-amd64-unsigned in the package lists"

# --- the Xen machine's packages ---------------------------------------------
# The Xen tools' libraries, and what `ldd xl` adds to them (libuuid, zlib,
# liblzma, libzstd; libgcc_s for pthread_cancel); dmsetup and its
# libraries, for a guest's disk with a read delay (lib.sh, disk_setup). libc itself comes from the
# host at initramfs time: the host's ld.so must load the libc it ships with.
PKGS="xen-hypervisor-4.17-amd64 xen-utils-4.17 xen-utils-common xenstore-utils
libxenstore4 libxenevtchn1 libxengnttab1 libxenmisc4.17 libxentoollog1
libxencall1 libxenforeignmemory1 libxendevicemodel1 libxentoolcore1 libyajl2
libxenhypfs1 libuuid1 zlib1g liblzma5 libzstd1 libgcc-s1
dmsetup libdevmapper1.02.1 libselinux1 libudev1 libpcre2-8-0
linux-image-$kver-unsigned"

missing=""
for p in $PKGS; do
	set -- "$DEBS/${p}_"*.deb
	[ -f "$1" ] || missing="$missing $p"
done
if [ -n "$missing" ]; then
	say "downloading:$missing"
	# shellcheck disable=SC2086
	if ! (cd "$DEBS" && apt-get download $missing >&2); then
		apt_update_once
		# shellcheck disable=SC2086
		(cd "$DEBS" && apt-get download $missing >&2) || die "apt-get download$missing failed"
	fi
fi

# --- unpack ------------------------------------------------------------------
for p in $PKGS; do
	set -- "$DEBS/${p}_"*.deb
	[ -f "$1" ] || die "no .deb for $p in $DEBS"
	# More than one version cached: the newest (sort -V on the name).
	# shellcheck disable=SC2012 # Debian package file names are plain
	deb=$(ls "$DEBS/${p}_"*.deb | sort -V | tail -n 1)
	stamp=$ROOT/.unpacked/$(basename "$deb")
	[ -f "$stamp" ] && continue
	dpkg -x "$deb" "$ROOT" || die "dpkg -x $deb failed"
	mkdir -p "$ROOT/.unpacked"
	: > "$stamp"
done

[ -f "$ROOT/boot/vmlinuz-$kver" ] || die "kernel $ROOT/boot/vmlinuz-$kver missing after unpack"
[ -f "$ROOT/boot/xen-4.17-amd64.gz" ] || die "Xen $ROOT/boot/xen-4.17-amd64.gz missing after unpack"
echo "$kver" > "$E2E/kver"
say "ready: Xen 4.17, kernel $kver, $(du -sh "$DEBS" | cut -f1) of packages in $DEBS"
