#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# layout.sh: `make install DESTDIR=...` lays down exactly the expected
# tree with the expected modes, the installed files name each other's
# real paths, a second install keeps a changed configuration, and
# `make uninstall` takes everything away again (a changed configuration
# excepted).
#
# shellcheck source=tests/install/lib/common.sh
. "${TOP:-.}/tests/install/lib/common.sh"

D=$tmp/root
VERSION=$(sed -n 's/^VERSION[[:space:]]*:=[[:space:]]*//p' "$TOP/Makefile")

out=$(submake install DESTDIR="$D" 2>&1)
rc=$?
check "make install DESTDIR=... succeeds" [ "$rc" -eq 0 ] || show "$out"

# The expected tree: path and mode.
{
	echo "/usr/sbin/xenballoond 755"
	if [ -x "$BUILD/xenballoon-monitor" ]; then
		echo "/usr/sbin/xenballoon-monitor 755"
	fi
	echo "/usr/sbin/xenballoon-balancer 755"
	echo "/etc/sysconfig/xenballoon.conf 644"
	echo "/etc/sysconfig/xenballoon-balancer.conf 644"
	echo "/etc/init.d/xenballoond 755"
	echo "/etc/init.d/xenballoon-balancer 755"
	echo "/lib/systemd/system/xenballoon-balancer.service 644"
	echo "/usr/share/man/man8/xenballoon-balancer.8 644"
	echo "/usr/share/man/man5/xenballoon-balancer.conf.5 644"
	echo "/lib/systemd/system/xenballoond.service 644"
	echo "/lib/systemd/system/xenballoon-monitor-textfile.service 644"
	echo "/lib/systemd/system/xenballoon-monitor-textfile.timer 644"
	echo "/usr/share/man/man8/xenballoond.8 644"
	echo "/usr/share/man/man5/xenballoon.conf.5 644"
	if [ -f "$TOP/man/xenballoon-monitor.8.in" ]; then
		echo "/usr/share/man/man8/xenballoon-monitor.8 644"
	fi
} > "$tmp/expected"

while read -r f mode; do
	check "installs $f, mode $mode" [ "$(stat -c %a "$D$f" 2>/dev/null)" = "$mode" ]
done < "$tmp/expected"
got=$(cd "$D" && find . -type f | sed 's/^\.//' | sort)
want=$(cut -d' ' -f1 "$tmp/expected" | sort)
if [ "$got" = "$want" ]; then
	ok "installs nothing else"
else
	not_ok "the installed tree differs from the expected one"
	show "$(printf '%s\n' "$got" | diff "$tmp/expected" - 2>&1)"
fi

check "the daemon installed is the one built" cmp -s "$BUILD/xenballoond" "$D/usr/sbin/xenballoond"
check "the configuration installed is conf/xenballoon.conf" \
	cmp -s "$TOP/conf/xenballoon.conf" "$D/etc/sysconfig/xenballoon.conf"
check "the balancer installed is the one built" \
	cmp -s "$BUILD/xenballoon-balancer" "$D/usr/sbin/xenballoon-balancer"
check "the balancer's configuration installed is conf/xenballoon-balancer.conf" \
	cmp -s "$TOP/conf/xenballoon-balancer.conf" "$D/etc/sysconfig/xenballoon-balancer.conf"
# The balancer's init script and unit: the installed program, domain 0 only.
binit=$D/etc/init.d/xenballoon-balancer
bunit=$D/lib/systemd/system/xenballoon-balancer.service
check "balancer init script runs /usr/sbin/xenballoon-balancer" \
	grep -qF 'XENBALLOON_BALANCER_BIN:-/usr/sbin/xenballoon-balancer}' "$binit"
check "balancer init script reads /etc/sysconfig/xenballoon-balancer.conf" \
	grep -qF 'XENBALLOON_BALANCER_CONFIG:-/etc/sysconfig/xenballoon-balancer.conf}' "$binit"
check "balancer init script's pidfile is /run/xenballoon-balancer.pid" \
	grep -qF 'XENBALLOON_BALANCER_PIDFILE:-/run/xenballoon-balancer.pid}' "$binit"
check "the balancer's unit runs /usr/sbin/xenballoon-balancer -d" \
	grep -qx 'ExecStart=/usr/sbin/xenballoon-balancer -d' "$bunit"
check "the balancer's unit runs only in domain 0" \
	grep -qx "ExecCondition=/bin/sh -c 'grep -qs control_d /proc/xen/capabilities'" "$bunit"
for f in "$binit" "$bunit" "$D/usr/share/man/man8/xenballoon-balancer.8" \
	"$D/usr/share/man/man5/xenballoon-balancer.conf.5"; do
	check "${f#"$D"}: every placeholder filled in" no_placeholder "$f"
done
bhelp=$("$D/usr/sbin/xenballoon-balancer" --help 2>&1)
check "the balancer's default config is /etc/sysconfig/xenballoon-balancer.conf" \
	contains "$bhelp" /etc/sysconfig/xenballoon-balancer.conf
check "the balancer's default pidfile is /run/xenballoon-balancer.pid" \
	contains "$bhelp" /run/xenballoon-balancer.pid
for f in /etc/init.d/xenballoond /lib/systemd/system/xenballoond.service \
	/usr/share/man/man8/xenballoond.8 /usr/share/man/man5/xenballoon.conf.5; do
	check "$f: every placeholder filled in" no_placeholder "$D$f"
done

# The installed files agree on where things are.
init=$D/etc/init.d/xenballoond
check "init script runs /usr/sbin/xenballoond" grep -qF 'XENBALLOOND_BIN:-/usr/sbin/xenballoond}' "$init"
check "init script reads /etc/sysconfig/xenballoon.conf" \
	grep -qF 'XENBALLOOND_CONFIG:-/etc/sysconfig/xenballoon.conf}' "$init"
check "init script's pidfile is /run/xenballoond.pid" \
	grep -qF 'XENBALLOOND_PIDFILE:-/run/xenballoond.pid}' "$init"
check "the unit runs /usr/sbin/xenballoond -d" \
	grep -qx 'ExecStart=/usr/sbin/xenballoond -d' "$D/lib/systemd/system/xenballoond.service"
# dom0's textfile units: the installed monitor, node_exporter's directory.
tu=$D/lib/systemd/system/xenballoon-monitor-textfile
check "the textfile service runs the installed monitor into node_exporter's directory" \
	grep -qx 'ExecStart=/usr/sbin/xenballoon-monitor --textfile /var/lib/prometheus/node-exporter' \
	"$tu.service"
check "the textfile service may write only there" \
	grep -qx 'ReadWritePaths=/var/lib/prometheus/node-exporter' "$tu.service"
check "the textfile service runs only in domain 0" \
	grep -qx "ExecCondition=/bin/sh -c 'grep -qs control_d /proc/xen/capabilities'" "$tu.service"
check "the textfile timer runs every 15 s" grep -qx 'OnUnitActiveSec=15s' "$tu.timer"
for f in "$tu.service" "$tu.timer"; do
	check "$(basename "$f"): every placeholder filled in" no_placeholder "$f"
	out=$(MANPATH="$D/usr/share/man" systemd-analyze verify --man=no "$f" 2>&1 |
		grep -v -e 'xenballoon-monitor is not executable' -e 'ExecCondition=.*not executable')
	check "systemd-analyze verify $(basename "$f")" [ -z "$out" ] || show "$out"
done

check "xenballoond.8 names /etc/sysconfig/xenballoon.conf" \
	grep -qF '/etc/sysconfig/xenballoon.conf' "$D/usr/share/man/man8/xenballoond.8"
check "xenballoond.8 is version $VERSION" \
	grep -q "^\\.TH .*\"xenballoond $VERSION\"" "$D/usr/share/man/man8/xenballoond.8"
help=$("$D/usr/sbin/xenballoond" --help 2>&1)
check "the daemon's default config is /etc/sysconfig/xenballoon.conf" \
	contains "$help" /etc/sysconfig/xenballoon.conf
check "the daemon's default pidfile is /run/xenballoond.pid" \
	contains "$help" /run/xenballoond.pid
check "the daemon is version $VERSION" \
	contains "$("$D/usr/sbin/xenballoond" -V 2>&1)" "$VERSION"

# --- a second install keeps the administrator's configuration ----------------
echo "XENBALLOON_SELF=true # mine" >> "$D/etc/sysconfig/xenballoon.conf"
cp "$D/etc/sysconfig/xenballoon.conf" "$tmp/mine.conf"
echo "XENBALLOON_BALANCER_RESERVE_MB=1024 # mine" >> "$D/etc/sysconfig/xenballoon-balancer.conf"
cp "$D/etc/sysconfig/xenballoon-balancer.conf" "$tmp/mine-balancer.conf"
rm -f "$D/usr/share/man/man8/xenballoond.8"
out=$(submake install DESTDIR="$D" 2>&1)
rc=$?
check "a second make install succeeds" [ "$rc" -eq 0 ] || show "$out"
check "... keeps a changed configuration" cmp -s "$tmp/mine.conf" "$D/etc/sysconfig/xenballoon.conf"
check "... and a changed balancer configuration" \
	cmp -s "$tmp/mine-balancer.conf" "$D/etc/sysconfig/xenballoon-balancer.conf"
check "... and says so" contains "$out" "keeping the existing"
check "... and puts back the rest" [ -f "$D/usr/share/man/man8/xenballoond.8" ]

# --- uninstall ---------------------------------------------------------------
out=$(submake uninstall DESTDIR="$D" 2>&1)
rc=$?
check "make uninstall succeeds" [ "$rc" -eq 0 ] || show "$out"
left=$(cd "$D" && find . -type f | sed 's/^\.//')
check "make uninstall removes all but the changed configurations" \
	[ "$(printf '%s\n' "$left" | sort | tr '\n' ' ')" = \
	"/etc/sysconfig/xenballoon-balancer.conf /etc/sysconfig/xenballoon.conf " ] || show "$left"
check "... and says it kept them" contains "$out" "keeping"

cp "$TOP/conf/xenballoon.conf" "$D/etc/sysconfig/xenballoon.conf"
cp "$TOP/conf/xenballoon-balancer.conf" "$D/etc/sysconfig/xenballoon-balancer.conf"
out=$(submake uninstall DESTDIR="$D" 2>&1)
rc=$?
check "make uninstall again succeeds" [ "$rc" -eq 0 ] || show "$out"
check "unchanged configurations are removed" \
	[ -z "$(cd "$D" && find . -type f)" ]

# --- install over a plain make ------------------------------------------------------
out=$(submake install DESTDIR="$D" 2>&1)
check "make install after uninstall reinstalls" \
	[ "$(cd "$D" && find . -type f | wc -l)" -eq "$(wc -l < "$tmp/expected")" ] || show "$out"

finish
