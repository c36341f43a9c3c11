#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# initscript.sh: the SysV init script, driven against the real daemon in
# a fake root (a guest's /proc/xen/capabilities, /proc/meminfo and sysfs
# balloon files) with its own config and pidfile, and no xenstored:
# start, status, a second start, reload, stop, stale pidfiles, restart,
# the maximum-memory file, bad configurations, domain 0 and guests
# without a balloon driver; under dash (Debian's /bin/sh) and busybox sh.
#
# shellcheck source=tests/install/lib/common.sh
. "${TOP:-.}/tests/install/lib/common.sh"

INIT=$GEN/xenballoond.init
DAEMON=$BUILD/xenballoond
R=$tmp/root
SYSFS=$R/sys/devices/system/xen_memory/xen_memory0
CONF=$tmp/xenballoon.conf
PIDF=$tmp/xenballoond.pid
MAXF=$tmp/maxmem

if [ ! -x "$DAEMON" ] || [ ! -f "$INIT" ]; then
	not_ok "needs $DAEMON and $INIT: run make first"
	exit 1
fi

# A guest with 1000 MB of MemTotal that has committed 293 MB.
make_guest() {
	rm -rf "$R"
	mkdir -p "$R/proc/xen" "$SYSFS/info"
	cat > "$R/proc/meminfo" <<-'END'
	MemTotal:        1024000 kB
	MemFree:          500000 kB
	MemAvailable:     600000 kB
	Committed_AS:     300000 kB
	SwapTotal:             0 kB
	SwapFree:              0 kB
	END
	printf 'pswpin 0\npswpout 0\npgpgin 10\npgpgout 20\n' > "$R/proc/vmstat"
	echo '100.00 90.00' > "$R/proc/uptime"
	: > "$R/proc/xen/capabilities"
	echo 1048576 > "$SYSFS/target_kb"
	echo 1048576 > "$SYSFS/info/current_kb"
}

write_conf() {
	cat > "$CONF" <<-END
	# test configuration
	XENBALLOON_SELF=true
	XENBALLOON_MAXMEMFILE=$MAXF
	XENBALLOON_PRESWAP_SYSFILE=$tmp/no-preswap
	END
}

# The shell that runs the init script: a command, split into words.
SHELL_UNDER_TEST="sh"

# initd ACTION: run the init script (run_init, lib/common.sh).
initd() {
	run_init XENBALLOOND "$DAEMON" "$@"
}

# How many live xenballoond processes use our pidfile.
daemons() {
	pids_using_pidfile | wc -l | tr -d ' '
}

trap stop_ours EXIT

# Wait up to 10 s for a condition.
wait_for() {
	i=0
	while ! "$@"; do
		[ "$i" -ge 100 ] && return 1
		sleep 0.1
		i=$((i + 1))
	done
}

# replaced NEW OLD: a live daemon took over from another one.
replaced() {
	alive "$1" && [ "$1" != "$2" ]
}

nothing_running() {
	[ "$(daemons)" = 0 ] && [ ! -e "$PIDF" ]
}

no_tmp_left() {
	[ -z "$(find "$tmp" -maxdepth 1 -name 'maxmem.tmp*')" ]
}

target_changed() {
	[ "$(head -c 7 "$SYSFS/target_kb")" != 1048576 ]
}

need_busybox
make_guest
write_conf

# --- the ordinary life -----------------------------------------------------
initd status
expect_rc "status before start: stopped" 3

initd start
expect_rc "start" 0
pid=$(pidfile_pid)
check "start: the pidfile names a live daemon ($pid)" alive "$pid"
check "start: the maximum-memory file holds MemTotal" \
	[ "$(cat "$MAXF" 2>/dev/null)" = 1024000 ]
check "start: the daemon selfballoons (target_kb moved)" wait_for target_changed

initd status
expect_rc "status while running: running" 0
check "status names the pid" contains "$out" "$pid"

initd start
expect_rc "a second start succeeds without doing anything" 0
check "a second start says it is already running" contains "$out" "already running"
check "a second start leaves the same daemon in the pidfile" \
	[ "$(pidfile_pid)" = "$pid" ]
check "a second start does not start a second daemon" [ "$(daemons)" = 1 ]

# The daemon itself refuses a second instance on the same pidfile.
dout=$(XENSTORED_PATH="$tmp/no-xenstored" timeout 20 "$DAEMON" -d -f "$CONF" \
	--root "$R" --pidfile "$PIDF" --once 2>&1)
drc=$?
check "the daemon itself refuses a second instance (exit 1)" [ "$drc" -eq 1 ]
check "... naming the running pid" contains "$dout" "$pid"

initd reload
expect_rc "reload" 0
sleep 1
check "reload: the daemon lives on (SIGHUP)" alive "$pid"
check "reload: same pid" [ "$(pidfile_pid)" = "$pid" ]

initd force-reload
expect_rc "force-reload" 0

cp "$CONF" "$tmp/good.conf"
echo 'XENBALLOON_AUTO_DOWNHYSTERESIS=0' >> "$CONF"
initd reload
expect_rc "reload with a bad configuration is refused" 6
check "... naming the file, line and key" \
	contains "$out" "$CONF:5: XENBALLOON_AUTO_DOWNHYSTERESIS"
check "... and the daemon runs on" alive "$pid"
cp "$tmp/good.conf" "$CONF"

initd stop
expect_rc "stop" 0
check "stop: the daemon is gone" dead "$pid"
check "stop: the pidfile is gone" [ ! -e "$PIDF" ]

initd status
expect_rc "status after stop: stopped" 3

initd stop
expect_rc "stop when stopped succeeds" 0

initd reload
expect_rc "reload when stopped: not running" 7

initd try-restart
expect_rc "try-restart when stopped does nothing" 0
check "... and starts nothing" [ "$(daemons)" = 0 ]

# --- stale pidfiles ----------------------------------------------------------
sh -c 'exit 0' &
dead=$!
wait "$dead"
echo "$dead" > "$PIDF"
initd status
expect_rc "status with the pidfile of a dead process: dead" 1

echo "$$" > "$PIDF"
initd status
expect_rc "status with the pidfile naming another program: dead" 1

initd start
expect_rc "start over a stale pidfile" 0
pid=$(pidfile_pid)
check "start over a stale pidfile runs a daemon" alive "$pid"

initd restart
expect_rc "restart" 0
new=$(pidfile_pid)
check "restart: a new daemon ($pid -> $new)" replaced "$new" "$pid"
check "restart: the old one is gone" dead "$pid"
check "restart: exactly one daemon" [ "$(daemons)" = 1 ]

initd try-restart
expect_rc "try-restart when running" 0
pid=$(pidfile_pid)
check "try-restart: a new daemon ($new -> $pid)" replaced "$pid" "$new"

echo 'XENBALLOON_INTERVAL=0' >> "$CONF"
for action in restart try-restart; do
	initd "$action"
	expect_rc "$action with a bad configuration is refused" 6
	check "... and leaves the daemon running" [ "$(pidfile_pid)" = "$pid" ]
	check "... alive" alive "$pid"
done
write_conf

initd stop
expect_rc "stop after restarts" 0
check "no daemon left" [ "$(daemons)" = 0 ]

initd stop
echo 99999999 > "$PIDF"
initd stop
expect_rc "stop with a stale pidfile succeeds" 0
check "... and removes it" [ ! -e "$PIDF" ]

# --- the maximum-memory file ---------------------------------------------------
echo 2000000 > "$MAXF"
initd start
expect_rc "start with a larger recorded maximum" 0
check "the recorded maximum is never lowered" [ "$(cat "$MAXF")" = 2000000 ]
initd stop

echo garbage > "$MAXF"
initd start
expect_rc "start with a garbled maximum-memory file" 0
check "a garbled maximum is replaced by MemTotal" [ "$(cat "$MAXF")" = 1024000 ]
initd stop
check "no temporary maximum-memory file left behind" no_tmp_left

# --- configuration errors ---------------------------------------------------
echo 'XENBALLOON_SELF_INTERVAL=soon' >> "$CONF"
initd start
expect_rc "start with a bad configuration: not configured" 6
check "... names the file, line and key" \
	contains "$out" "$CONF:5: XENBALLOON_SELF_INTERVAL"
check "... and starts nothing" [ "$(daemons)" = 0 ]
write_conf

echo 'OPTIONS="-v"' >> "$CONF"
initd start
expect_rc "start with an unknown key (a Xen 3.4 OPTIONS line)" 0
check "... which is reported" contains "$out" OPTIONS
initd stop
write_conf

echo 'XENBALLOON_SELFINTERVAL=5' >> "$CONF"
initd start
expect_rc "start with a misspelt key: not configured" 6
check "... names the key meant" \
	contains "$out" "unknown key XENBALLOON_SELFINTERVAL, ignored (did you mean XENBALLOON_SELF_INTERVAL?)"
check "... and starts nothing" [ "$(daemons)" = 0 ]
write_conf

out=$(XENBALLOOND_ROOT="$R" XENBALLOOND_BIN="$tmp/no-such-daemon" \
	XENBALLOOND_CONFIG="$CONF" XENBALLOOND_PIDFILE="$PIDF" \
	timeout 60 sh "$INIT" start 2>&1)
rc=$?
expect_rc "start without the daemon installed: not installed" 5

initd frobnicate
expect_rc "an unknown action: usage" 2
check "... printing the usage" contains "$out" "Usage:"

# --- legacy XenLinux balloon ----------------------------------------------------
rm -rf "$R/sys"
cat > "$R/proc/xen/balloon" <<-'END'
Current allocation:  1048576 kB
Requested target:    1048576 kB
Low-mem balloon:           0 kB
High-mem balloon:          0 kB
Driver pages:            128 kB
END
initd start
expect_rc "start with the legacy /proc/xen/balloon" 0
pid=$(pidfile_pid)
check "... runs a daemon" alive "$pid"
initd stop
expect_rc "... and stop" 0
rm -f "$R/proc/xen/balloon"

# --- not for here -------------------------------------------------------------
initd start
expect_rc "start without a balloon driver exits 0" 0
check "... quietly" [ -z "$out" ]
check "... starting nothing" nothing_running
echo 1 > "$MAXF"
initd start
check "... and recording nothing" [ "$(cat "$MAXF")" = 1 ]
initd status
expect_rc "status without a balloon driver: stopped" 3

make_guest
echo "control_d" > "$R/proc/xen/capabilities"
for action in start restart try-restart reload force-reload; do
	initd "$action"
	expect_rc "$action in domain 0 exits 0" 0
	check "... quietly" [ -z "$out" ]
done
check "nothing was started in domain 0" nothing_running
initd status
expect_rc "status in domain 0: stopped" 3

# --- other shells -----------------------------------------------------------
make_guest
for sh in dash "busybox sh"; do
	if ! command -v "${sh%% *}" > /dev/null; then
		not_ok "$sh is not installed"
		continue
	fi
	SHELL_UNDER_TEST=$sh
	initd start
	expect_rc "$sh: start" 0
	initd status
	expect_rc "$sh: status" 0
	initd stop
	expect_rc "$sh: stop" 0
	initd status
	expect_rc "$sh: status after stop" 3
done

finish
