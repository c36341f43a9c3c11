#!/bin/sh
# build.sh E2E_DIR OUT_DIR: the boot files of `make bench-policy`, on top
# of tests/e2e/build-initramfs.sh's (run that first):
#   OUT_DIR/polbench        bench/policy/polbench.c, static
#   OUT_DIR/bench-guest.cpio  the e2e guest's initramfs plus /bench-init,
#                           polbench and the zram modules
#   OUT_DIR/bench-dom0.cpio   dom0's e2e initramfs plus the bench guest and
#                           /e2e/bench-policy.sh
# Each is the e2e archive with a second newc archive appended: the kernel
# unpacks both, the second adding to the first.
set -eu

E2E=${1:-build/e2e}
OUT=${2:-build/bench-policy}
HERE=$(cd "$(dirname "$0")" && pwd)
CC=${CC:-cc}

die() { echo "bench-policy build: error: $*" >&2; exit 1; }

for f in kver guest.cpio dom0.cpio; do
	[ -f "$E2E/$f" ] || die "$E2E/$f missing: run tests/e2e/build-initramfs.sh first"
done
KVER=$(cat "$E2E/kver")
MODDIR=$E2E/root/lib/modules/$KVER/kernel
mkdir -p "$OUT"
STAGE=$OUT/stage
rm -rf "$STAGE"
mkdir -p "$STAGE/guest/usr/bin" "$STAGE/guest/lib/modules" "$STAGE/dom0/e2e"

"$CC" -std=gnu11 -O2 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla -static -pthread \
	-o "$OUT/polbench" "$HERE/polbench.c" || die "cannot build polbench statically"

cp "$OUT/polbench" "$STAGE/guest/usr/bin/polbench"
cp "$HERE/guest-init.sh" "$STAGE/guest/bench-init"
chmod 755 "$STAGE/guest/bench-init" "$STAGE/guest/usr/bin/polbench"
cp "$MODDIR/mm/zsmalloc.ko" "$STAGE/guest/lib/modules/zsmalloc.ko" || die "zsmalloc.ko not in $KVER"
cp "$MODDIR/drivers/block/zram/zram.ko" "$STAGE/guest/lib/modules/zram.ko" || die "zram.ko not in $KVER"

# cat_cpio BASE DIR OUT: BASE with DIR's files appended as a second archive.
cat_cpio() {
	(cd "$2" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) > "$3.add"
	cat "$1" "$3.add" > "$3.tmp"
	rm -f "$3.add"
	mv "$3.tmp" "$3"
}

cat_cpio "$E2E/guest.cpio" "$STAGE/guest" "$OUT/bench-guest.cpio"
cp "$OUT/bench-guest.cpio" "$STAGE/dom0/e2e/bench-guest.cpio"
cp "$HERE/dom0-bench.sh" "$STAGE/dom0/e2e/bench-policy.sh"
chmod 755 "$STAGE/dom0/e2e/bench-policy.sh"
cat_cpio "$E2E/dom0.cpio" "$STAGE/dom0" "$OUT/bench-dom0.cpio"
echo "bench-policy build: $OUT/bench-dom0.cpio ($(du -h "$OUT/bench-dom0.cpio" | cut -f1)), kernel $KVER"
