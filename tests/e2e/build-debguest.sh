#!/bin/sh
# build-debguest.sh E2E_DIR DEB: the initramfs of the e2e guest that boots
# Debian 12 with systemd as PID 1 and the project's package installed.
#
#   E2E_DIR/debroot.tar   a minimal Debian 12 root (mmdebstrap minbase,
#                         systemd systemd-sysv, what the package and the
#                         guest's test agent need; no docs, man pages or
#                         locales), built once and kept: a second run needs
#                         no network. Remove it to rebuild.
#   E2E_DIR/debguest.cpio that root, with DEB installed by dpkg inside it
#                         (its maintainer scripts run in the chroot, at
#                         image build time), tests/e2e/guest-init.sh as the
#                         test agent (e2e-agent.service), uncompressed.
# The guest's kernel is the e2e one; the root needs none of its modules
# (the Xen front-end drivers a PV guest without devices uses are built in).
set -eu

E2E=${1:-build/e2e}
DEB=${2:-}
HERE=$(cd "$(dirname "$0")" && pwd)
TAR=$E2E/debroot.tar
STAGE=$E2E/stage-debguest

say() { echo "debguest: $*" >&2; }
die() { echo "debguest: error: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (mmdebstrap, chroot, dpkg)"
[ -f "$DEB" ] || die "no package: '$DEB' (make deb builds it)"
command -v mmdebstrap >/dev/null 2>&1 || die "mmdebstrap missing (tests/e2e/fetch.sh installs it)"

# --- the cached root -----------------------------------------------------------
# The package's run-time dependencies (libxenstore4 libbsd0) are in the
# cached root, so that dpkg -i below works offline; a dependency the
# package adds later makes dpkg fail, loudly, until it is listed here.
# xenstore-utils and mawk serve the test agent. mmdebstrap makes /bin, /lib
# and /sbin links into /usr with usrmerge, which brings perl (a third of the
# root); once that is done, usr-is-merged satisfies init-system-helpers and
# usrmerge and perl go.
ROOT_PKGS=systemd,systemd-sysv,libxenstore4,libbsd0,xenstore-utils,mawk,usr-is-merged
PURGE="usrmerge libfile-find-rule-perl libnumber-compare-perl libtext-glob-perl perl libperl5.36 perl-modules-5.36"
if [ ! -f "$TAR" ]; then
	say "building $TAR (mmdebstrap minbase bookworm: $ROOT_PKGS)"
	# shellcheck disable=SC2016 # the hooks' $1 is mmdebstrap's
	mmdebstrap --variant=minbase --include="$ROOT_PKGS" \
		--dpkgopt='path-exclude=/usr/share/doc/*' \
		--dpkgopt='path-include=/usr/share/doc/*/copyright' \
		--dpkgopt='path-exclude=/usr/share/man/*' \
		--dpkgopt='path-exclude=/usr/share/info/*' \
		--dpkgopt='path-exclude=/usr/share/locale/*' \
		--dpkgopt='path-exclude=/usr/share/zoneinfo/*' \
		--customize-hook="chroot \"\$1\" dpkg --purge $PURGE" \
		--customize-hook='rm -rf "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/*' \
		--format=tar bookworm "$TAR.tmp" >&2 || die "mmdebstrap failed"
	mv "$TAR.tmp" "$TAR"
fi

# --- the guest's root ------------------------------------------------------------
rm -rf "$STAGE"
mkdir -p "$STAGE"
tar -xf "$TAR" -C "$STAGE"
R=$STAGE

cp "$DEB" "$R/tmp/pkg.deb"
# No service is started in a chroot (no systemd runs there); the unit is
# enabled or not as the package's maintainer scripts decide.
chroot "$R" dpkg -i /tmp/pkg.deb >&2 || die "dpkg -i $(basename "$DEB") failed in the guest root"
rm -f "$R/tmp/pkg.deb"
# shellcheck disable=SC2016 # dpkg-query's fields
chroot "$R" dpkg-query -W -f='${Package} ${Version} ${Status}\n' xenballoond >&2

# The test agent: publishes the guest's own view of memory and runs dom0's
# commands (see guest-init.sh), started by systemd like any service.
cp "$HERE/guest-init.sh" "$R/usr/local/sbin/e2e-agent"
chmod 755 "$R/usr/local/sbin/e2e-agent"
# SYSTEMCTL_SKIP_SYSV: `systemctl enable|disable` would also run
# update-rc.d (perl) for the package's /etc/init.d script, which reloads
# systemd twice more: two minutes per call in a PV guest under TCG, for rc
# links that systemd never reads.
cat > "$R/etc/systemd/system/e2e-agent.service" <<'EOF'
[Unit]
Description=e2e test agent (commands from dom0 through xenstore)
DefaultDependencies=no
After=local-fs.target

[Service]
ExecStart=/usr/local/sbin/e2e-agent
Environment=SYSTEMCTL_SKIP_SYSV=1
StandardOutput=journal+console
StandardError=journal+console

[Install]
WantedBy=multi-user.target
EOF
ln -sf /etc/systemd/system/e2e-agent.service "$R/etc/systemd/system/multi-user.target.wants/e2e-agent.service"
# The watchdog scenario waits WatchdogSec= for systemd to act: 10 s here
# instead of the unit's 30 s (a drop-in, as an administrator would).
mkdir -p "$R/etc/systemd/system/xenballoond.service.d"
printf '[Service]\nWatchdogSec=10s\n' > "$R/etc/systemd/system/xenballoond.service.d/e2e-watchdog.conf"
# Fewer units and generators to run under TCG (every exec costs seconds in
# a PV guest there; a daemon-reload runs all the generators): nothing logs
# in on the console, no timers, no file systems but the initramfs, no
# logind (no D-Bus), no TPM, no pstore.
for u in getty@tty1.service serial-getty@hvc0.service getty.target \
	apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer \
	systemd-tmpfiles-clean.timer e2scrub_all.timer fstrim.timer \
	e2scrub_reap.service systemd-pstore.service systemd-logind.service \
	systemd-binfmt.service proc-sys-fs-binfmt_misc.automount \
	sys-kernel-debug.mount sys-kernel-tracing.mount sys-kernel-config.mount \
	sys-fs-fuse-connections.mount dev-hugepages.mount dev-mqueue.mount \
	systemd-firstboot.service systemd-repart.service systemd-pcrphase.service \
	systemd-pcrphase-sysinit.service systemd-ask-password-wall.path \
	systemd-ask-password-console.path systemd-update-utmp.service \
	systemd-update-utmp-runlevel.service systemd-user-sessions.service; do
	ln -sf /dev/null "$R/etc/systemd/system/$u"
done
mkdir -p "$R/etc/systemd/system-generators"
for g in "$R"/lib/systemd/system-generators/*; do
	ln -sf /dev/null "$R/etc/systemd/system-generators/$(basename "$g")"
done
echo e2edebian > "$R/etc/hostname"
: > "$R/etc/machine-id"
# The kernel starts /init from an initramfs.
ln -sf /lib/systemd/systemd "$R/init"

(cd "$R" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) > "$E2E/debguest.cpio.tmp"
mv "$E2E/debguest.cpio.tmp" "$E2E/debguest.cpio"
say "ready: $E2E/debguest.cpio $(du -m "$E2E/debguest.cpio" | cut -f1) MB ($(basename "$DEB"))"
