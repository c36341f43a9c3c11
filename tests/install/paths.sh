#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# paths.sh: every directory variable is honoured (PREFIX, SBINDIR,
# SYSCONFDIR, MANDIR, RUNSTATEDIR, SYSTEMDUNITDIR, INITDIR), and the
# installed files, the daemon's compiled-in defaults included, all name
# the paths chosen; changing one value rebuilds what depends on it.
# Built in a scratch build tree, so the project's build/ is left alone.
#
# shellcheck source=tests/install/lib/common.sh
. "${TOP:-.}/tests/install/lib/common.sh"

B=$tmp/build
D=$tmp/root

# mk ARGS...: make in the scratch build tree with the custom directories.
mk() {
	submake BUILD="$B" PREFIX=/opt/xb SYSCONFDIR=/opt/xb/etc \
		MANDIR=/opt/xb/man RUNSTATEDIR=/var/run/xb \
		SYSTEMDUNITDIR=/opt/xb/systemd INITDIR=/opt/xb/rc.d "$@"
}

out=$(mk install DESTDIR="$D" 2>&1)
rc=$?
check "make install with every directory variable set" [ "$rc" -eq 0 ] || show "$out"

for f in /opt/xb/sbin/xenballoond /opt/xb/etc/sysconfig/xenballoon.conf \
	/opt/xb/rc.d/xenballoond /opt/xb/systemd/xenballoond.service \
	/opt/xb/man/man8/xenballoond.8 /opt/xb/man/man5/xenballoon.conf.5; do
	check "installs $f" [ -f "$D$f" ]
done

init=$D/opt/xb/rc.d/xenballoond
unit=$D/opt/xb/systemd/xenballoond.service
check "init script: daemon /opt/xb/sbin/xenballoond" \
	grep -qF 'XENBALLOOND_BIN:-/opt/xb/sbin/xenballoond}' "$init"
check "init script: config /opt/xb/etc/sysconfig/xenballoon.conf" \
	grep -qF 'XENBALLOOND_CONFIG:-/opt/xb/etc/sysconfig/xenballoon.conf}' "$init"
check "init script: pidfile /var/run/xb/xenballoond.pid" \
	grep -qF 'XENBALLOOND_PIDFILE:-/var/run/xb/xenballoond.pid}' "$init"
check "unit: ExecStart=/opt/xb/sbin/xenballoond -d" \
	grep -qx 'ExecStart=/opt/xb/sbin/xenballoond -d' "$unit"
check "unit: the run-state directory is writable" grep -qx 'ReadWritePaths=/var/run/xb' "$unit"
check "xenballoond.8: config /opt/xb/etc/sysconfig/xenballoon.conf" \
	grep -qF /opt/xb/etc/sysconfig/xenballoon.conf "$D/opt/xb/man/man8/xenballoond.8"
check "xenballoond.8: pidfile /var/run/xb/xenballoond.pid" \
	grep -qF /var/run/xb/xenballoond.pid "$D/opt/xb/man/man8/xenballoond.8"
check "xenballoond.8: the init script where installed" \
	grep -qF /opt/xb/rc.d/xenballoond "$D/opt/xb/man/man8/xenballoond.8"
check "xenballoond.8: the unit where installed" \
	grep -qF /opt/xb/systemd/xenballoond.service "$D/opt/xb/man/man8/xenballoond.8"
check "xenballoon.conf.5: its own path" \
	grep -qF /opt/xb/etc/sysconfig/xenballoon.conf "$D/opt/xb/man/man5/xenballoon.conf.5"

check "balancer init script: /opt/xb/sbin/xenballoon-balancer" \
	grep -qF 'XENBALLOON_BALANCER_BIN:-/opt/xb/sbin/xenballoon-balancer}' "$D/opt/xb/rc.d/xenballoon-balancer"
check "balancer unit: ExecStart=/opt/xb/sbin/xenballoon-balancer -d" \
	grep -qx 'ExecStart=/opt/xb/sbin/xenballoon-balancer -d' "$D/opt/xb/systemd/xenballoon-balancer.service"
bhelp=$("$D/opt/xb/sbin/xenballoon-balancer" --help 2>&1)
check "the balancer's default config follows SYSCONFDIR" \
	contains "$bhelp" /opt/xb/etc/sysconfig/xenballoon-balancer.conf
check "the balancer's default pidfile follows RUNSTATEDIR" \
	contains "$bhelp" /var/run/xb/xenballoon-balancer.pid

help=$("$D/opt/xb/sbin/xenballoond" --help 2>&1)
check "the daemon's default config is /opt/xb/etc/sysconfig/xenballoon.conf" \
	contains "$help" /opt/xb/etc/sysconfig/xenballoon.conf || show "$help"
check "the daemon's default pidfile is /var/run/xb/xenballoond.pid" \
	contains "$help" /var/run/xb/xenballoond.pid

# Change one value: the generated files and the daemon follow.
out=$(mk SYSCONFDIR=/srv/xb install DESTDIR="$tmp/root2" 2>&1)
rc=$?
check "make install with SYSCONFDIR changed" [ "$rc" -eq 0 ] || show "$out"
help=$("$tmp/root2/opt/xb/sbin/xenballoond" --help 2>&1)
check "the daemon was rebuilt with the new SYSCONFDIR" \
	contains "$help" /srv/xb/sysconfig/xenballoon.conf || show "$help"
check "the init script was filled in again" \
	grep -qF 'XENBALLOOND_CONFIG:-/srv/xb/sysconfig/xenballoon.conf}' "$tmp/root2/opt/xb/rc.d/xenballoond"
check "the configuration went to the new SYSCONFDIR" \
	[ -f "$tmp/root2/srv/xb/sysconfig/xenballoon.conf" ]

# Nothing changed: nothing is rebuilt.
before=$(stat -c %Y "$B/gen/xenballoond.init" "$B/xenballoond" "$B/gen/vars")
sleep 1
out=$(mk SYSCONFDIR=/srv/xb "$B/gen/xenballoond.init" "$B/xenballoond" 2>&1)
after=$(stat -c %Y "$B/gen/xenballoond.init" "$B/xenballoond" "$B/gen/vars")
check "with the same values nothing is rebuilt" [ "$before" = "$after" ] || show "$out"

finish
