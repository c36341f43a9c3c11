#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# systemd-unit.sh: the systemd unit. Installed for real into a scratch prefix
# (so that every path it names exists), `systemd-analyze verify` passes
# on it, man pages included; the shipped unit runs `xenballoond -d`,
# reloads with SIGHUP, restarts on failure, runs only in a guest with a
# balloon driver, and carries the sandbox the daemon needs and no more.
#
# shellcheck source=tests/install/lib/common.sh
. "${TOP:-.}/tests/install/lib/common.sh"

need_pkgs systemd man-db
UNIT=$GEN/xenballoond.service
P=$tmp/prefix

# --- verify, on a real installation into $P ---------------------------------
out=$(submake BUILD="$tmp/build" PREFIX="$P" SYSCONFDIR="$P/etc" \
	SYSTEMDUNITDIR="$P/lib/systemd/system" install 2>&1)
rc=$?
check "make install PREFIX=<scratch> (for verify)" [ "$rc" -eq 0 ] || show "$out"

# verify UNIT: systemd-analyze verify passes on it, silently.
verify() {
	out=$(MANPATH="$P/share/man" systemd-analyze verify "$1" 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ] && [ -z "$out" ]; then
		ok "systemd-analyze verify $(basename "$1") passes, silently"
	else
		not_ok "systemd-analyze verify $(basename "$1") (exit $rc)"
		show "$out"
	fi
}

u=$P/lib/systemd/system/xenballoond.service
verify "$u"
check "the unit runs the installed daemon" \
	grep -qx "ExecStart=$P/sbin/xenballoond -d" "$u"

# verify does look: a misspelt setting is reported.
sed 's/^ProtectSystem=/ProtectSytem=/' "$u" > "$tmp/broken.service"
out=$(MANPATH="$P/share/man" systemd-analyze verify "$tmp/broken.service" 2>&1)
check "systemd-analyze verify reports a misspelt setting (control)" \
	contains "$out" "ProtectSytem"

out=$(systemd-analyze security --offline=true "$u" 2>&1)
level=$(printf '%s\n' "$out" | sed -n 's/^.*Overall exposure level for [^:]*: \([0-9.]*\).*$/\1/p')
echo "# systemd-analyze security: exposure $level"
check "systemd-analyze security: exposure below 2.0 ($level)" \
	awk -v l="$level" 'BEGIN { exit !(l != "" && l + 0 < 2.0) }'

# --- what the shipped unit says ---------------------------------------------------
has() {
	grep -qx -- "$1" "$UNIT"
}
for line in \
	"Type=notify" \
	"WatchdogSec=30s" \
	"TimeoutAbortSec=10s" \
	"ExecStart=/usr/sbin/xenballoond -d" \
	"ExecReload=/bin/sh -c 'kill -HUP \$MAINPID'" \
	"Restart=on-failure" \
	"ConditionPathExists=|/sys/devices/system/xen_memory/xen_memory0/target_kb" \
	"ConditionPathExists=|/proc/xen/balloon" \
	"ProtectSystem=strict" \
	"ReadWritePaths=/run" \
	"ReadWritePaths=-/sys/devices/system/xen_memory/xen_memory0" \
	"ReadWritePaths=-/proc/sys/vm/preswap" \
	"NoNewPrivileges=yes" \
	"ProtectHome=yes" \
	"PrivateTmp=yes" \
	"CapabilityBoundingSet=CAP_SYS_ADMIN" \
	"ProtectKernelTunables=yes" \
	"ProtectKernelModules=yes" \
	"ProtectControlGroups=yes" \
	"RestrictAddressFamilies=AF_UNIX" \
	"DeviceAllow=/dev/xen/xenbus rw" \
	"WantedBy=multi-user.target"; do
	check "unit: $line" has "$line"
done
check "unit: no placeholder left" no_placeholder "$UNIT"
# A fresh /proc (ProtectProc=, ProcSubset=) would hide xenfs on /proc/xen,
# and with it the capabilities file the dom0 check reads.
no_fresh_proc() {
	! grep -Eq '^(ProtectProc|ProcSubset)=' "$UNIT"
}
check "unit: keeps the host's /proc (no ProtectProc=, ProcSubset=)" no_fresh_proc

# The dom0 condition, run on fake capabilities files.
cond=$(sed -n "s|^ExecCondition=/bin/sh -c '\\(.*\\)'\$|\\1|p" "$UNIT")
check "unit: ExecCondition reads /proc/xen/capabilities" \
	contains "$cond" /proc/xen/capabilities
fake_cond() {
	c=$(printf '%s' "$cond" | sed "s|/proc/xen/capabilities|$tmp/capabilities|")
	sh -c "$c"
}
echo control_d > "$tmp/capabilities"
check "ExecCondition skips domain 0 (control_d)" eval '! fake_cond'
: > "$tmp/capabilities"
check "ExecCondition runs in a guest" fake_cond
rm -f "$tmp/capabilities"
check "ExecCondition runs where /proc/xen is not mounted" fake_cond

# --- the balancer's unit (domain 0) ------------------------------------------
verify "$P/lib/systemd/system/xenballoon-balancer.service"
BUNIT=$GEN/xenballoon-balancer.service
for line in "Type=notify" "WatchdogSec=30s" "TimeoutAbortSec=10s" \
	"ExecStart=/usr/sbin/xenballoon-balancer -d" \
	"ExecReload=/bin/sh -c 'kill -HUP \$MAINPID'" "Restart=on-failure" \
	"NoNewPrivileges=yes" "PrivateNetwork=yes" "WantedBy=multi-user.target"; do
	check "balancer unit: $line" grep -qx -- "$line" "$BUNIT"
done
bcond=$(sed -n "s|^ExecCondition=/bin/sh -c '\\(.*\\)'\$|\\1|p" "$BUNIT")
bfake_cond() {
	c=$(printf '%s' "$bcond" | sed "s|/proc/xen/capabilities|$tmp/capabilities|")
	sh -c "$c"
}
echo control_d > "$tmp/capabilities"
check "the balancer's ExecCondition runs in domain 0" bfake_cond
: > "$tmp/capabilities"
check "the balancer's ExecCondition skips a guest" eval '! bfake_cond'
rm -f "$tmp/capabilities"
check "the balancer's ExecCondition skips a host without xenfs" eval '! bfake_cond'

finish
