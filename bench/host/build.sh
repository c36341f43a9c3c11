#!/bin/sh
# build.sh POLICY_DIR OUT_DIR: the boot files of `make bench-host`,
# on top of bench/policy/build.sh's (run that first: its bench guest and
# dom0 archives):
#   OUT_DIR/hostbench            bench/host/hostbench.c (libxl, libxenstore:
#                                dom0 has them, for xl)
#   OUT_DIR/bench-host-dom0.cpio bench-policy's dom0 archive plus hostbench,
#                                /e2e/bench-host.sh and the balancer's
#                                shipped configuration
set -eu

BP=${1:-build/bench-policy}
OUT=${2:-build/bench-host}
HERE=$(cd "$(dirname "$0")" && pwd)
CC=${CC:-cc}

die() { echo "bench-host build: error: $*" >&2; exit 1; }

[ -f "$BP/bench-dom0.cpio" ] || die "$BP/bench-dom0.cpio missing: run bench/policy/build.sh first"
mkdir -p "$OUT"
STAGE=$OUT/stage
rm -rf "$STAGE"
mkdir -p "$STAGE/usr/bin" "$STAGE/e2e"
# shellcheck disable=SC2046 # pkg-config's flags, one word each
"$CC" -std=gnu11 -O2 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla \
	$(pkg-config --cflags xenlight xenstore xentoollog) -o "$OUT/hostbench" "$HERE/hostbench.c" \
	$(pkg-config --libs xenlight xenstore xentoollog) || die "cannot build hostbench (libxen-dev)"
cp "$OUT/hostbench" "$STAGE/usr/bin/hostbench"
cp "$HERE/dom0-bench.sh" "$STAGE/e2e/bench-host.sh"
mkdir -p "$STAGE/etc/sysconfig"
cp "$HERE/../../conf/xenballoon-balancer.conf" "$STAGE/etc/sysconfig/xenballoon-balancer.conf"
chmod 755 "$STAGE/usr/bin/hostbench" "$STAGE/e2e/bench-host.sh"
(cd "$STAGE" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) > "$OUT/add.cpio"
cat "$BP/bench-dom0.cpio" "$OUT/add.cpio" > "$OUT/bench-host-dom0.cpio.tmp"
rm -f "$OUT/add.cpio"
mv "$OUT/bench-host-dom0.cpio.tmp" "$OUT/bench-host-dom0.cpio"
echo "bench-host build: $OUT/bench-host-dom0.cpio ($(du -h "$OUT/bench-host-dom0.cpio" | cut -f1))"
