#!/bin/sh
# build-initramfs.sh [E2E_DIR] [BUILD_DIR]: the boot files of the e2e machine.
#
# Needs fetch.sh's E2E_DIR/root and E2E_DIR/kver. Writes:
#   E2E_DIR/xen.elf      Xen 4.17, gunzipped (QEMU's -kernel takes multiboot)
#   E2E_DIR/vmlinuz      the kernel of dom0 (and, decompressed, of the guests:
#   E2E_DIR/vmlinux      its ELF payload)
#   E2E_DIR/dom0.cpio    dom0's initramfs: busybox, the Xen tools and their
#                        libraries, the Xen driver modules, the project's
#                        xenballoon-monitor, and the guest (kernel, initramfs)
#   E2E_DIR/guest.cpio   the guest's initramfs: busybox, xenballoond and its
#                        libraries, xenstore-read/write, memload
#   E2E_DIR/memload      tests/e2e/memload.c, static
# The project's binaries are taken from BUILD_DIR when they exist; a missing
# one is reported (the scenarios then fail saying so), not fatal here.
# Both archives are uncompressed: under TCG unpacking gzip costs seconds.
set -eu

E2E=${1:-build/e2e}
BUILD=${2:-build}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$E2E/root
STAGE=$E2E/stage
CC=${CC:-cc}

say() { echo "initramfs: $*" >&2; }
die() { echo "initramfs: error: $*" >&2; exit 1; }

[ -f "$E2E/kver" ] || die "$E2E/kver missing: run tests/e2e/fetch.sh first"
KVER=$(cat "$E2E/kver")
ROOT=$(cd "$ROOT" && pwd)
MODDIR=$ROOT/lib/modules/$KVER
[ -d "$MODDIR" ] || die "$MODDIR missing: run tests/e2e/fetch.sh first"

# Libraries resolve from the unpacked Xen packages first, then the host
# (libc, libbsd, ... of the binaries built here).
LIBPATH=$ROOT/usr/lib/x86_64-linux-gnu:$ROOT/lib/x86_64-linux-gnu

# copy_file DIR SRC DEST: SRC (symlinks followed) to DIR/DEST.
copy_file() {
	mkdir -p "$1/$(dirname "$3")"
	cp -L "$2" "$1/$3"
}

# copy_libs DIR BIN: the shared libraries BIN needs, at the same paths
# (paths under ROOT lose the ROOT prefix), and the dynamic loader.
copy_libs() {
	out=$(LD_LIBRARY_PATH=$LIBPATH ldd "$2" 2>&1) || {
		case $out in
		*"not a dynamic executable"*|*"statically linked"*) return 0 ;;
		esac
		die "ldd $2: $out"
	}
	if echo "$out" | grep -q 'not found'; then
		die "ldd $2: $(echo "$out" | grep 'not found' | tr '\n' ' ')"
	fi
	echo "$out" | while read -r a b c _; do
		if [ "$b" = "=>" ] && [ -n "$c" ] && [ "${c#/}" != "$c" ]; then
			lib=$c
		elif [ "${a#/}" != "$a" ]; then
			lib=$a
		else
			continue
		fi
		dest=${lib#"$ROOT"}
		[ -f "$1/$dest" ] || copy_file "$1" "$lib" "$dest"
	done
}

# copy_bin DIR SRC DEST: a program and its libraries.
copy_bin() {
	[ -f "$2" ] || die "$2 missing"
	copy_file "$1" "$2" "$3"
	chmod 755 "$1/$3"
	copy_libs "$1" "$2"
}

# busybox DIR: the static busybox and a link for each applet.
busybox_into() {
	bb=$(command -v busybox) || die "busybox missing (apt-get install busybox-static)"
	LD_LIBRARY_PATH='' ldd "$bb" >/dev/null 2>&1 && die "$bb is dynamic: apt-get install busybox-static"
	copy_file "$1" "$bb" bin/busybox
	for a in $("$bb" --list-full); do
		[ -e "$1/$a" ] && continue
		mkdir -p "$1/$(dirname "$a")"
		ln -s /bin/busybox "$1/$a"
	done
}

# xenstore_into DIR: the xenstore multicall program, named by argv[0].
xenstore_into() {
	copy_bin "$1" "$ROOT/usr/bin/xenstore" usr/bin/xenstore
	for n in read write ls list rm chmod exists watch; do
		ln -sf xenstore "$1/usr/bin/xenstore-$n"
	done
}

# skeleton DIR: the directories every init needs, and the loader's paths.
skeleton() {
	mkdir -p "$1/proc" "$1/sys" "$1/dev" "$1/run" "$1/tmp" "$1/etc" "$1/root" \
		"$1/var/log" "$1/var/lib" "$1/lib/x86_64-linux-gnu" "$1/usr/lib/x86_64-linux-gnu"
	printf '/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu\n' > "$1/etc/ld.so.conf"
	echo 'root:x:0:0:root:/root:/bin/sh' > "$1/etc/passwd"
	echo 'root:x:0:' > "$1/etc/group"
}

# cpio_of DIR OUT: a newc archive, owned by root.
cpio_of() {
	ldconfig -r "$1" 2>/dev/null || true
	(cd "$1" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) > "$2.tmp"
	mv "$2.tmp" "$2"
}

# sysv_into DIR: busybox init (rdinit=/sbin/init) with an rc that starts the
# daemon through the project's SysV init script, as a SysV guest's would;
# /init (guest-init.sh) then runs as the test agent. Unused when the guest
# boots with rdinit=/init.
sysv_into() {
	mkdir -p "$1/etc/init.d" "$1/dev"
	cat > "$1/etc/inittab" <<'EOF'
::sysinit:/etc/init.d/rcS
::once:/init
::shutdown:/etc/init.d/xenballoond stop
EOF
	cat > "$1/etc/init.d/rcS" <<'EOF'
#!/bin/sh
/init config /etc/sysconfig/xenballoon.conf
/etc/init.d/xenballoond start
echo "rcS: /etc/init.d/xenballoond start: exit $?"
EOF
	chmod 755 "$1/etc/init.d/rcS"
	[ -e "$1/dev/console" ] || mknod -m 600 "$1/dev/console" c 5 1
	if [ -f "$BUILD/gen/xenballoond.init" ]; then
		cp "$BUILD/gen/xenballoond.init" "$1/etc/init.d/xenballoond"
		chmod 755 "$1/etc/init.d/xenballoond"
	else
		say "guest: $BUILD/gen/xenballoond.init not generated: the SysV guest has no init script"
	fi
}

# guests_into DIR: what dom0 needs for the init-system guests (guests.sh):
# the Debian guest of build-debguest.sh (about 90 MB more to unpack at
# dom0's boot, a few seconds under TCG) and the unit, for its dom0 check.
guests_into() {
	cp "$HERE/guests.sh" "$1/e2e/guests.sh"
	if [ -f "$E2E/debguest.cpio" ]; then
		cp "$E2E/debguest.cpio" "$1/e2e/debguest.cpio"
	else
		say "dom0: $E2E/debguest.cpio not built: the systemd guest cannot run"
	fi
	if [ -f "$BUILD/gen/xenballoond.service" ]; then
		cp "$BUILD/gen/xenballoond.service" "$1/e2e/xenballoond.service"
	fi
}

rm -rf "$STAGE"
mkdir -p "$STAGE"

# --- Xen and the kernel ---------------------------------------------------
gunzip -c "$ROOT/boot/xen-4.17-amd64.gz" > "$E2E/xen.elf.tmp"
mv "$E2E/xen.elf.tmp" "$E2E/xen.elf"
cp "$ROOT/boot/vmlinuz-$KVER" "$E2E/vmlinuz"
# The guests' kernel, decompressed once here: given the bzImage, xl
# create decompresses its XZ payload in dom0 each time, 5 s of CPU
# under TCG on a quiet host and several times that on a busy one, all of
# it inside xl create (whose console wait gives up after 10 s). The
# payload is the ELF kernel, Xen notes included, which libxl loads as it
# is.
xzoff=$(grep -abo "$(printf '\3757zXZ')" "$E2E/vmlinuz" | head -n 1 | cut -d: -f1)
[ -n "$xzoff" ] || die "no XZ payload in $E2E/vmlinuz"
tail -c +$((xzoff + 1)) "$E2E/vmlinuz" | xz -dc --single-stream > "$E2E/vmlinux.tmp" ||
	die "cannot decompress the kernel's XZ payload (xz-utils)"
mv "$E2E/vmlinux.tmp" "$E2E/vmlinux"

# --- memload, diskserve -----------------------------------------------------
"$CC" -std=gnu11 -O2 -Wall -Wextra -Werror -static -o "$E2E/memload" "$HERE/memload.c" ||
	die "cannot build memload statically (is libc6-dev installed?)"
"$CC" -std=gnu11 -O2 -Wall -Wextra -Werror -static -o "$E2E/diskserve" "$HERE/diskserve.c" ||
	die "cannot build diskserve statically"

# --- the guest --------------------------------------------------------------
G=$STAGE/guest
skeleton "$G"
busybox_into "$G"
xenstore_into "$G"
copy_bin "$G" "$E2E/memload" usr/bin/memload
copy_bin "$G" "$E2E/diskserve" usr/bin/diskserve
# A disk dom0 attaches later (the cache scenario): its front end.
mkdir -p "$G/lib/modules"
cp "$(find "$MODDIR/kernel" -name xen-blkfront.ko | head -n 1)" "$G/lib/modules/xen-blkfront.ko" ||
	die "xen-blkfront.ko not found under $MODDIR"
if [ -x "$BUILD/xenballoond" ]; then
	copy_bin "$G" "$BUILD/xenballoond" usr/sbin/xenballoond
	say "guest: $BUILD/xenballoond included"
else
	say "guest: $BUILD/xenballoond not built: the guest runs without the daemon"
fi
copy_file "$G" "$HERE/guest-init.sh" init
chmod 755 "$G/init"
sysv_into "$G"
cpio_of "$G" "$E2E/guest.cpio"

# --- dom0 -------------------------------------------------------------------
D=$STAGE/dom0
skeleton "$D"
busybox_into "$D"
xenstore_into "$D"
XB=$ROOT/usr/lib/xen-4.17/bin
for t in xl xenstored xen-init-dom0 xenconsoled; do
	copy_bin "$D" "$XB/$t" "usr/lib/xen-4.17/bin/$t"
done
# libgcc_s is dlopened by pthread_cancel in xl, so ldd does not list it.
copy_file "$D" "$ROOT/lib/x86_64-linux-gnu/libgcc_s.so.1" lib/x86_64-linux-gnu/libgcc_s.so.1
mkdir -p "$D/etc/xen" "$D/var/lib/xen" "$D/var/log/xen/console" "$D/var/lib/xenstored"
cp "$ROOT/etc/xen/xl.conf" "$D/etc/xen/xl.conf"

# Xen's drivers are modules in Debian's kernel; load order with their
# dependencies first (read from each module's .modinfo). LIST is the
# file of names dom0 loads in order: e2e-modules at boot, e2e-disk-modules
# when a scenario first gives a guest a disk (lib.sh, disk_setup).
mkdir -p "$D/lib/modules"
: > "$D/etc/e2e-modules"
: > "$D/etc/e2e-disk-modules"
add_module() {
	grep -qx "$2" "$D/etc/e2e-modules" "$D/etc/$1" && return 0
	f=$(find "$MODDIR/kernel" -name "$2.ko" | head -n 1)
	[ -n "$f" ] || f=$(find "$MODDIR/kernel" -name "$(echo "$2" | tr _ -).ko" | head -n 1)
	[ -n "$f" ] || die "module $2 not found under $MODDIR"
	for dep in $(tr '\0' '\n' < "$f" | sed -n 's/^depends=//p' | tr , ' '); do
		add_module "$1" "$dep"
	done
	cp "$f" "$D/lib/modules/$2.ko"
	echo "$2" >> "$D/etc/$1"
}
for m in xen-privcmd xenfs xen-evtchn xen-gntdev xen-gntalloc; do
	add_module e2e-modules "$m"
done
# A disk for a guest: a file on dom0's tmpfs, a loop device over it,
# device-mapper's delay target in front (a read costs what it costs on a
# cloud volume), blkback serving it; dmsetup and the hotplug script.
for m in loop dm-mod dm-delay xen-blkback; do
	add_module e2e-disk-modules "$m"
done
copy_bin "$D" "$ROOT/sbin/dmsetup" sbin/dmsetup
mkdir -p "$D/etc/xen/scripts"
cp "$HERE/xen-block.sh" "$D/etc/xen/scripts/block"
chmod 755 "$D/etc/xen/scripts/block"

mkdir -p "$D/e2e"
cp "$E2E/vmlinux" "$D/e2e/vmlinux"
cp "$E2E/guest.cpio" "$D/e2e/guest.cpio"
cp "$HERE/dom0-init.sh" "$D/init"
cp "$HERE/scenarios.sh" "$D/e2e/scenarios.sh"
cp "$HERE/demo.sh" "$D/e2e/demo.sh"
cp "$HERE/lib.sh" "$D/e2e/lib.sh"
chmod 755 "$D/init" "$D/e2e/scenarios.sh" "$D/e2e/demo.sh"
guests_into "$D"
if [ -x "$BUILD/xenballoon-monitor" ]; then
	copy_bin "$D" "$BUILD/xenballoon-monitor" usr/sbin/xenballoon-monitor
	say "dom0: $BUILD/xenballoon-monitor included"
else
	say "dom0: $BUILD/xenballoon-monitor not built: dom0 runs without the monitor"
fi
cp "$HERE/balancer.sh" "$D/e2e/balancer.sh"
if [ -x "$BUILD/xenballoon-balancer" ]; then
	copy_bin "$D" "$BUILD/xenballoon-balancer" usr/sbin/xenballoon-balancer
	say "dom0: $BUILD/xenballoon-balancer included"
else
	say "dom0: $BUILD/xenballoon-balancer not built: the balancer scenarios fail saying so"
fi
cpio_of "$D" "$E2E/dom0.cpio"

say "ready: $(du -h "$E2E/dom0.cpio" | cut -f1) dom0 initramfs, $(du -h "$E2E/guest.cpio" | cut -f1) guest initramfs, kernel $KVER"
