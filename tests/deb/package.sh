#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# package.sh: the Debian package, as an administrator meets it.
#
# `make deb` in a build tree of its own (no earlier build to lean on)
# leaves the source tree as it was; lintian finds nothing; the package
# holds what it should and depends on the shared libraries it links.
# Then, in a fresh Debian 12 root (mmdebstrap --variant=apt, no build
# tools; cached in ROOT_TAR): `apt-get install ./xenballoond_*.deb` pulls
# its dependencies and runs its maintainer scripts, the daemon runs, every
# program the systemd unit names exists there, `apt-get remove` keeps an
# edited configuration and `apt-get purge` leaves nothing behind.
#
# Set by mk/deb.mk: TOP, ROOT_TAR, VERSION, DEB_ARCH.
#
# The single-quoted scripts given to sh -c and chroot expand their
# variables there, not here:
# shellcheck disable=SC2016
#
# shellcheck source=tests/install/lib/common.sh
. "${TOP:-.}/tests/install/lib/common.sh"

: "${ROOT_TAR:?}" "${VERSION:?}" "${DEB_ARCH:?}"
PKG=xenballoond

# --- build -----------------------------------------------------------------
marker=$tmp/marker
touch "$marker"
sleep 1
out=$(submake BUILD="$tmp/build" deb 2>&1)
rc=$?
deb=$tmp/build/deb/${PKG}_${VERSION}_${DEB_ARCH}.deb
if [ "$rc" -eq 0 ] && [ -f "$deb" ]; then
	ok "make deb in an empty build tree builds $(basename "$deb")"
else
	not_ok "make deb (exit $rc)"
	show "$(printf '%s\n' "$out" | tail -n 30)"
	finish
	exit 1
fi
# Anything written outside build/ while the package was built.
dirt=$(cd "$TOP" && find . -path ./build -prune -o -path ./.git -prune -o \
	-newer "$marker" -print)
check "make deb leaves the source tree unchanged" [ -z "$dirt" ] || show "$dirt"

# --- lintian ---------------------------------------------------------------
changes=$tmp/build/deb/${PKG}_${VERSION}_${DEB_ARCH}.changes
out=$(lintian --pedantic --fail-on error,warning "$changes" 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/# lintian: /'
tags=$(printf '%s\n' "$out" | grep -E '^[EW]: ')
if [ "$rc" -eq 0 ] && [ -z "$tags" ]; then
	ok "lintian --pedantic: no error, no warning"
else
	not_ok "lintian (exit $rc)"
	show "$tags"
fi

# --- contents ---------------------------------------------------------------
files=$(dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|')
for f in /usr/sbin/xenballoond /usr/sbin/xenballoon-monitor \
	/etc/sysconfig/xenballoon.conf /etc/init.d/xenballoond \
	/lib/systemd/system/xenballoond.service \
	/lib/systemd/system/xenballoon-monitor-textfile.service \
	/lib/systemd/system/xenballoon-monitor-textfile.timer \
	/usr/share/man/man8/xenballoond.8.gz \
	/usr/share/man/man8/xenballoon-monitor.8.gz \
	/usr/share/man/man5/xenballoon.conf.5.gz \
	/usr/share/doc/xenballoond/copyright \
	/usr/share/doc/xenballoond/changelog.gz; do
	check "the package holds $f" contains "$files" "$f"
done
depends=$(dpkg-deb -f "$deb" Depends)
echo "# Depends: $depends"
for lib in libxenstore4 libbsd0 libc6; do
	check "Depends names $lib (from shlibs)" contains "$depends" "$lib"
done
conffiles=$(dpkg-deb -I "$deb" conffiles)
check "/etc/sysconfig/xenballoon.conf is a conffile" \
	contains "$conffiles" /etc/sysconfig/xenballoon.conf
check "the guests' package does not pull libxenlight (libxenmisc4.17)" \
	sh -c '! printf "%s\n" "$1" | grep -q libxenmisc' sh "$depends"
check "the guests' package holds no balancer" sh -c '! printf "%s\n" "$1" | grep -q balancer' sh "$files"

# --- domain 0's balancer, a package of its own --------------------------------
BPKG=xenballoon-balancer
bdeb=$tmp/build/deb/${BPKG}_${VERSION}_${DEB_ARCH}.deb
check "make deb also builds $(basename "$bdeb")" [ -f "$bdeb" ]
bfiles=$(dpkg-deb -c "$bdeb" | awk '{ print $6 }' | sed 's|^\./|/|')
for f in /usr/sbin/xenballoon-balancer /etc/sysconfig/xenballoon-balancer.conf \
	/etc/init.d/xenballoon-balancer /lib/systemd/system/xenballoon-balancer.service \
	/usr/share/man/man8/xenballoon-balancer.8.gz \
	/usr/share/man/man5/xenballoon-balancer.conf.5.gz \
	/usr/share/doc/xenballoon-balancer/copyright; do
	check "the balancer's package holds $f" contains "$bfiles" "$f"
done
bdepends=$(dpkg-deb -f "$bdeb" Depends)
echo "# $BPKG Depends: $bdepends"
for lib in libxenmisc4.17 libxenstore4 libbsd0 libc6; do
	check "$BPKG Depends names $lib (from shlibs)" contains "$bdepends" "$lib"
done
check "/etc/sysconfig/xenballoon-balancer.conf is a conffile" \
	contains "$(dpkg-deb -I "$bdeb" conffiles)" /etc/sysconfig/xenballoon-balancer.conf

# --- a fresh Debian 12 root --------------------------------------------------
if [ ! -f "$ROOT_TAR" ]; then
	echo "# building $ROOT_TAR (mmdebstrap --variant=apt bookworm, once)"
	if ! mmdebstrap --variant=apt bookworm "$ROOT_TAR.tmp.tar" > "$tmp/mmdebstrap.log" 2>&1; then
		not_ok "mmdebstrap --variant=apt bookworm"
		show "$(tail -n 20 "$tmp/mmdebstrap.log")"
		finish
		exit 1
	fi
	mv -f "$ROOT_TAR.tmp.tar" "$ROOT_TAR"
fi
R=$tmp/root
mkdir -p "$R"
tar -xf "$ROOT_TAR" -C "$R"
cp /etc/resolv.conf "$R/etc/resolv.conf"
cp "$deb" "$R/tmp/"

# inroot CMD...: run in the root, with /proc and /dev mounted in a mount
# namespace of its own (gone when the command ends).
inroot() {
	unshare --mount --fork sh -c '
		r=$1; shift
		mount --rbind /dev "$r/dev" && mount -t proc proc "$r/proc" &&
			exec chroot "$r" "$@"' sh "$R" \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive "$@"
}

# leftovers FILES NAME: which of FILES (a package's, from dpkg -L), and
# which files named *NAME* under /etc and /var/lib/systemd, the root still
# has.
leftovers() {
	left=""
	for f in $1; do
		{ [ -e "$R$f" ] || [ -L "$R$f" ]; } && left="$left $f"
	done
	left="$left $(cd "$R" && find etc var/lib/systemd -name "*$2*" 2>/dev/null | tr '\n' ' ')"
	printf '%s\n' "$left" | xargs
}

check "the fresh root has no compiler, no debhelper" \
	inroot sh -c '! command -v cc && ! dpkg -s debhelper' > /dev/null 2>&1

out=$(inroot sh -c 'apt-get update -q && apt-get install -y -q ./tmp/*.deb' 2>&1)
rc=$?
check "apt-get install ./$(basename "$deb") in a fresh Debian 12 root" [ "$rc" -eq 0 ] ||
	show "$(printf '%s\n' "$out" | tail -n 30)"
pulled=$(printf '%s\n' "$out" | sed -n '/NEW packages will be installed/,/upgraded/p')
printf '%s\n' "$pulled" | sed 's/^/# apt: /'
check "apt pulled in libxenstore4 and libbsd0" \
	sh -c 'printf "%s\n" "$1" | grep -qw libxenstore4 && printf "%s\n" "$1" | grep -qw libbsd0' \
	sh "$pulled"

out=$(inroot xenballoond -V 2>&1)
rc=$?
echo "# xenballoond -V: $out"
check "xenballoond -V runs in the root and says $VERSION" \
	sh -c '[ "$1" -eq 0 ] && printf "%s\n" "$2" | grep -qF "$3"' sh "$rc" "$out" "$VERSION"
out=$(inroot xenballoond -n 2>&1)
check "xenballoond -n accepts the installed configuration" [ $? -eq 0 ] || show "$out"
out=$(inroot xenballoon-monitor -h 2>&1)
check "xenballoon-monitor runs in the root" [ $? -eq 0 ] || show "$out"

# Every program the unit runs is in the root: systemd-analyze verify looks
# up the Exec lines' programs there (the rest of its complaints are about
# the root having no systemd and no man).
out=$(systemd-analyze verify --man=no --root="$R" xenballoond.service 2>&1)
printf '%s\n' "$out" | sed 's/^/# verify: /'
check "systemd-analyze verify --root: every command the unit runs exists" \
	sh -c '! printf "%s\n" "$1" | grep -q "not executable" && printf "%s\n" "$1" | grep -q "xenballoond.service"' \
	sh "$out"
# (The control: a unit that runs a program the root lacks is reported.)
sed 's|^ExecReload=.*|ExecReload=/bin/kill -HUP $MAINPID|' \
	"$R/lib/systemd/system/xenballoond.service" > "$R/lib/systemd/system/xb-control.service"
out=$(systemd-analyze verify --man=no --root="$R" xb-control.service 2>&1)
check "systemd-analyze verify --root reports /bin/kill missing (control)" \
	contains "$out" "/bin/kill is not executable"
rm -f "$R/lib/systemd/system/xb-control.service"

links=$(cd "$R" && ls etc/rc2.d/S*xenballoond etc/systemd/system/multi-user.target.wants/xenballoond.service 2>&1)
check "postinst enabled the init script and the unit" \
	sh -c '[ -L "$1/etc/systemd/system/multi-user.target.wants/xenballoond.service" ] &&
		ls "$1"/etc/rc2.d/S*xenballoond > /dev/null 2>&1' sh "$R" || show "$links"

check "postinst left dom0's textfile timer disabled (a guest has no use for it)" \
	sh -c '! ls "$1"/etc/systemd/system/*/xenballoon-monitor-textfile.* > /dev/null 2>&1' sh "$R"

listed=$(inroot dpkg -L $PKG)
owned=$(for f in $listed; do [ -d "$R$f" ] || echo "$f"; done)

# --- remove keeps an edited configuration ----------------------------------
echo 'XENBALLOON_SELF=true # edited by the administrator' >> "$R/etc/sysconfig/xenballoon.conf"
out=$(inroot apt-get remove -y -q $PKG 2>&1)
check "apt-get remove" [ $? -eq 0 ] || show "$out"
check "after remove, the edited configuration is kept" \
	grep -q 'edited by the administrator' "$R/etc/sysconfig/xenballoon.conf"
check "after remove, the daemon is gone" [ ! -e "$R/usr/sbin/xenballoond" ]
st=$(inroot dpkg-query -W -f='${db:Status-Abbrev}' $PKG 2>&1)
check "after remove, dpkg says rc (config files remain): '$st'" contains "$st" "rc"

# --- purge removes everything -------------------------------------------------
out=$(inroot apt-get purge -y -q $PKG 2>&1)
check "apt-get purge" [ $? -eq 0 ] || show "$out"
out=$(inroot dpkg -L $PKG 2>&1)
check "after purge, dpkg -L knows nothing of $PKG" \
	sh -c 'printf "%s\n" "$1" | grep -q "is not installed"' sh "$out" || show "$out"
left=$(leftovers "$owned /etc/sysconfig" xenballoon)
check "after purge, none of its files, links or state is left" [ -z "$left" ] || show "$left"

# --- the balancer's package in the same fresh root -----------------------------
cp "$bdeb" "$R/tmp/"
out=$(inroot sh -c "apt-get install -y -q ./tmp/${BPKG}_*.deb" 2>&1)
rc=$?
check "apt-get install ./$(basename "$bdeb")" [ "$rc" -eq 0 ] ||
	show "$(printf '%s\n' "$out" | tail -n 30)"
bpulled=$(printf '%s\n' "$out" | sed -n '/NEW packages will be installed/,/upgraded/p')
printf '%s\n' "$bpulled" | sed 's/^/# apt: /'
check "apt pulled in libxenmisc4.17 (libxenlight) for it" \
	sh -c 'printf "%s\n" "$1" | grep -qw libxenmisc4.17' sh "$bpulled"
out=$(inroot xenballoon-balancer -V 2>&1)
check "xenballoon-balancer -V runs in the root and says $VERSION" contains "$out" "$VERSION"
out=$(inroot xenballoon-balancer -n 2>&1)
check "xenballoon-balancer -n accepts the installed configuration" [ $? -eq 0 ] || show "$out"
out=$(systemd-analyze verify --man=no --root="$R" xenballoon-balancer.service 2>&1)
printf '%s\n' "$out" | sed 's/^/# verify: /'
check "systemd-analyze verify --root: every command the balancer's unit runs exists" \
	sh -c '! printf "%s\n" "$1" | grep -q "not executable" && printf "%s\n" "$1" | grep -q "xenballoon-balancer.service"' \
	sh "$out"
check "postinst enabled the balancer's init script and unit" \
	sh -c '[ -L "$1/etc/systemd/system/multi-user.target.wants/xenballoon-balancer.service" ] &&
		ls "$1"/etc/rc2.d/S*xenballoon-balancer > /dev/null 2>&1' sh "$R"
blisted=$(inroot dpkg -L $BPKG)
bowned=$(for f in $blisted; do [ -d "$R$f" ] || echo "$f"; done)
echo 'XENBALLOON_BALANCER_RESERVE_MB=1024 # edited by the administrator' >> \
	"$R/etc/sysconfig/xenballoon-balancer.conf"
out=$(inroot apt-get remove -y -q $BPKG 2>&1)
check "apt-get remove $BPKG" [ $? -eq 0 ] || show "$out"
check "after remove, the balancer's edited configuration is kept" \
	grep -q 'edited by the administrator' "$R/etc/sysconfig/xenballoon-balancer.conf"
out=$(inroot apt-get purge -y -q $BPKG 2>&1)
check "apt-get purge $BPKG" [ $? -eq 0 ] || show "$out"
left=$(leftovers "$bowned" xenballoon-balancer)
check "after purge, none of the balancer's files, links or state is left" [ -z "$left" ] || show "$left"

finish
