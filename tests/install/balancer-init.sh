#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# balancer-init.sh: the balancer's SysV init script, driven against the
# real xenballoon-balancer with its own config and pidfile and a fake
# /proc/xen/capabilities, no xenstored (the balancer waits for one):
# quiet outside domain 0; in domain 0 start, status, a second start,
# reload good and bad, stop, a stale pidfile, restart; under dash and
# busybox sh.
#
# shellcheck source=tests/install/lib/common.sh
. "${TOP:-.}/tests/install/lib/common.sh"

INIT=$GEN/xenballoon-balancer.init
BIN=$BUILD/xenballoon-balancer
R=$tmp/root
CONF=$tmp/xenballoon-balancer.conf
PIDF=$tmp/xenballoon-balancer.pid

if [ ! -x "$BIN" ] || [ ! -f "$INIT" ]; then
	not_ok "needs $BIN and $INIT: run make first"
	exit 1
fi

SHELL_UNDER_TEST="sh"

# initd ACTION: run the init script (run_init, lib/common.sh).
initd() {
	run_init XENBALLOON_BALANCER "$BIN" "$@"
}

trap stop_ours EXIT

need_busybox
mkdir -p "$R/proc/xen"
printf 'XENBALLOON_BALANCER_RESERVE_MB=512\n' > "$CONF"

# --- a guest, or a host without Xen: nothing ---------------------------------
: > "$R/proc/xen/capabilities"
for action in start restart try-restart reload force-reload; do
	initd "$action"
	expect_rc "$action outside domain 0 exits 0" 0
	check "... quietly" [ -z "$out" ]
done
check "nothing was started outside domain 0" [ -z "$(pids_using_pidfile)" ]
initd status
expect_rc "status outside domain 0: stopped" 3

# --- domain 0 ------------------------------------------------------------------
echo control_d > "$R/proc/xen/capabilities"
for sh in sh dash "busybox sh"; do
	SHELL_UNDER_TEST=$sh
	initd start
	expect_rc "$sh: start in domain 0" 0
	pid=$(pidfile_pid)
	check "$sh: the pidfile names a live balancer ($pid)" alive "$pid"
	initd status
	expect_rc "$sh: status: running" 0
	initd start
	expect_rc "$sh: a second start does nothing" 0
	check "$sh: ... saying it runs" contains "$out" "already running"
	check "$sh: ... one balancer" [ "$(pids_using_pidfile | wc -w)" -eq 1 ]
	initd stop
	expect_rc "$sh: stop" 0
	check "$sh: the balancer is gone" dead "$pid"
	initd status
	expect_rc "$sh: status after stop: stopped" 3
done
SHELL_UNDER_TEST="sh"

initd start
pid=$(pidfile_pid)
initd reload
expect_rc "reload" 0
check "reload: the same balancer lives on" alive "$pid"
printf 'XENBALLOON_BALANCER_RESERVE_MB=lots\n' > "$CONF"
initd reload
expect_rc "reload with a bad configuration is refused" 6
check "... naming the file, line and key" contains "$out" "$CONF:1: XENBALLOON_BALANCER_RESERVE_MB"
check "... and the balancer runs on" alive "$pid"
initd restart
expect_rc "restart with a bad configuration is refused" 6
check "... leaving the balancer running" alive "$pid"
printf 'XENBALLOON_BALANCER_RESERV_MB=1\n' > "$CONF"
initd restart
expect_rc "restart with a misspelt key is refused" 6
check "... naming the key meant" contains "$out" "did you mean XENBALLOON_BALANCER_RESERVE_MB?"
printf 'XENBALLOON_BALANCER_RESERVE_MB=512\n' > "$CONF"
initd restart
expect_rc "restart" 0
new=$(pidfile_pid)
check "restart: a new balancer ($pid -> $new)" [ "$pid" != "$new" ]
check "restart: the old one is gone" dead "$pid"
initd stop
expect_rc "stop" 0
echo 99999999 > "$PIDF"
initd status
expect_rc "status with a stale pidfile: dead" 1
initd stop
expect_rc "stop with a stale pidfile" 0
check "... removes it" [ ! -e "$PIDF" ]
initd reload
expect_rc "reload when stopped: not running" 7
out=$(XENBALLOON_BALANCER_ROOT="$R" XENBALLOON_BALANCER_BIN="$tmp/none" \
	XENBALLOON_BALANCER_CONFIG="$CONF" XENBALLOON_BALANCER_PIDFILE="$PIDF" \
	timeout 60 sh "$INIT" start 2>&1)
rc=$?
expect_rc "start without the program installed: not installed" 5
initd frobnicate
expect_rc "an unknown action: usage" 2

finish
