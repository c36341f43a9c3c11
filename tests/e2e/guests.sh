#!/bin/sh
# guests.sh - the init-system scenarios, run in dom0 by /init after
# scenarios.sh (busybox sh). Two more guests, one after the other:
#
#   systemd-*  Debian 12 booted with systemd as PID 1 and the project's
#              Debian package installed (build-debguest.sh): the packaged
#              unit, sandbox and all, run the way an administrator runs it.
#   sysv-*     the busybox guest booted with busybox init, whose rc starts
#              the daemon through the SysV init script /etc/init.d/xenballoond;
#              the script's actions and their LSB exit codes.
#   systemd-dom0  the unit's ExecCondition run against dom0's own
#              /proc/xen/capabilities (the unit must be skipped here).
#
# dom0 drives each guest through its test agent (guest-init.sh): commands
# in data/e2e/cmd, the guest's own view of its memory in data/e2e/probe.
# Each prints "E2E PASS name: numbers" or "E2E FAIL name: reason", and
# "E2E TIME name seconds". Every wait is bounded.
# shellcheck source=tests/e2e/lib.sh
. /e2e/lib.sh

TOL_KB=1024
SHRINK_KB=65536    # "the daemon moved the balloon": down by 64 MB at least
CONF=/etc/sysconfig/xenballoon.conf
UNIT=/e2e/xenballoond.service

# The daemon's configuration in these guests: selfballooning with a floor
# the guest's root file system (in memory) fits above, or directed.
conf_lines() {
	echo "XENBALLOON_SELF=$1"
	echo "XENBALLOON_INTERVAL=1"
	echo "XENBALLOON_AUTO_DOWNHYSTERESIS=${2:-2}"
	echo "XENBALLOON_SELF_INTERVAL=1"
	echo "XENBALLOON_MINMEM=$FLOORMB"
	echo "XENBALLOON_RESERVE_PERCENT=$RESERVE"
}

CMD_ID=0
# gcmd SECS COMMAND: run COMMAND with sh -c in the guest, wait for its
# result; sets RC (its exit status, 999 when no answer) and OUT (the last
# line of its output). COMMAND must not hold glob characters (the agent
# splits the line into words).
gcmd() {
	gc_secs=$1
	shift
	CMD_ID=$((CMD_ID + 1))
	guest_cmd "$CMD_ID sh $*"
	gc_i=0 RC=999 OUT=""
	while [ "$gc_i" -lt $((gc_secs * 4)) ]; do
		gc_r=$(gread data/e2e/result)
		case $gc_r in
		"$CMD_ID rc="*)
			gc_r=${gc_r#"$CMD_ID rc="}
			RC=${gc_r%% *}
			OUT=${gc_r#"$RC"}
			OUT=${OUT# }
			return 0
			;;
		esac
		gc_i=$((gc_i + 1))
		sleep 0.25
	done
	OUT="no answer within $gc_secs s"
	return 1
}

# write_conf LINES: the guest's $CONF (echo, line by line: the command
# travels through xenstore-write, which would expand a backslash).
write_conf() {
	gcmd 20 "$(echo "$1" | awk -v f="$CONF" '{ printf "%secho %s %s %s", (NR > 1 ? "; " : ""), $0, (NR > 1 ? ">>" : ">"), f }')"
}

near() { [ "$(abs $(($1 - $2)))" -le "$TOL_KB" ]; }

# balloon_until SECS COND: wait_until COND; BAL says where the balloon got
# and when.
balloon_until() {
	bu_t0=$(now)
	if wait_until "$1" "$GUEST" "$2"; then
		BAL="target_kb $P_TGT current_kb $P_CUR (memory/target $MT) after $(since "$bu_t0") s"
		return 0
	fi
	BAL="target_kb $P_TGT current_kb $P_CUR (memory/target $MT), not within $1 s"
	return 1
}

# balloon_moves SECS: selfballooning is on; the balloon's target comes down
# by SHRINK_KB from where it is and current_kb follows it.
balloon_moves() {
	snap "$GUEST"
	bm_from=$P_TGT
	# shellcheck disable=SC2016 # evaluated by wait_until
	balloon_until "$1" '[ "$P_TGT" -le $((bm_from - SHRINK_KB)) ] && near "$P_CUR" "$P_TGT"'
	bm_rc=$?
	BAL="down by $SHRINK_KB kB from target_kb $bm_from: $BAL"
	return $bm_rc
}

# back_to_target SECS: directed again, the target is memory/target.
back_to_target() {
	# shellcheck disable=SC2016 # evaluated by wait_until
	balloon_until "$1" 'near "$P_TGT" "$MT" && near "$P_CUR" "$MT"'
}

# published: the guest's stats under data/xenballoon/, its MemTotal the
# guest's own. Sets PUB.
published() {
	pb_mt=$(gread "$STATS/meminfo" | awk '/^MemTotal:/ { print $2 }')
	pb_st=$(gread "$STATS/selftarget")
	snap "$GUEST"
	PUB="$STATS/meminfo MemTotal=$pb_mt (guest's $P_MT) selftarget=$pb_st"
	[ -n "$pb_mt" ] && near "$pb_mt" "$P_MT" && [ -n "$pb_st" ]
}

# sd_main: the service's MainPID in the guest, in SD_PID.
sd_main() {
	gcmd 20 "systemctl show -p MainPID --value xenballoond"
	SD_PID=$OUT
	case $SD_PID in '' | *[!0-9]*) SD_PID=0 ;; esac
}

# sd_restarted OLD SECS: systemd has a new MainPID, active, within SECS.
sd_restarted() {
	sr_end=$(fcalc "$(now) + $2")
	while :; do
		sd_main
		if [ "$SD_PID" != 0 ] && [ "$SD_PID" != "$1" ]; then
			gcmd 20 "systemctl is-active xenballoond"
			[ "$OUT" = active ] && return 0
		fi
		awk -v a="$(now)" -v e="$sr_end" 'BEGIN { exit !(a > e) }' && return 1
		sleep 0.5
	done
}

# --- systemd as PID 1 ------------------------------------------------------------
systemd_guest() {
	t_g=$(now)
	names="systemd-enable systemd-balloon systemd-reload systemd-status systemd-restart systemd-watchdog systemd-journal systemd-security systemd-stop"
	if [ ! -f /e2e/debguest.cpio ]; then
		for s in $names; do fail "$s" "no Debian guest in the dom0 image (make deb, build-debguest.sh)"; done
		return
	fi
	# shellcheck disable=SC2034 # read by start_guest (lib.sh)
	GUEST=e2esystemd GUEST_RAMDISK=/e2e/debguest.cpio GUEST_CREATE_S=180 GUEST_READY_S=240
	if ! start_guest "rdinit=/init xbinit=service systemd.show_status=0"; then
		for s in $names; do fail "$s" "the systemd guest did not start (see console-e2esystemd.log)"; done
		xl destroy "$GUEST" 2>/dev/null
		return
	fi
	echo "E2E TIME systemd-boot $(since "$t_g")"

	# The package enabled the unit (dh_installsystemd): it ran from boot,
	# with the shipped configuration. Off, then on again with
	# selfballooning: enable --now.
	t_s=$(now)
	gcmd 20 "cat /proc/1/comm"
	pid1=$OUT
	gcmd 20 "systemctl is-enabled xenballoond"
	boot_enabled=$OUT
	gcmd 20 "systemctl is-active xenballoond"
	boot_active=$OUT
	gcmd 60 "systemctl disable --now xenballoond"
	dis_rc=$RC
	gcmd 20 "systemctl is-active xenballoond"
	dis_active=$OUT
	write_conf "$(conf_lines true)"
	gcmd 60 "systemctl enable --now xenballoond"
	en_rc=$RC en_out=$OUT
	gcmd 20 "systemctl is-enabled xenballoond"
	enabled=$OUT
	gcmd 20 "systemctl is-active xenballoond"
	active=$OUT
	nums="pid1=$pid1; at boot: is-enabled=$boot_enabled is-active=$boot_active; disable --now: exit $dis_rc, $dis_active; enable --now: exit $en_rc, is-enabled=$enabled is-active=$active"
	if [ "$pid1" = systemd ] && [ "$boot_enabled" = enabled ] && [ "$boot_active" = active ] &&
		[ "$dis_rc" = 0 ] && [ "$dis_active" = inactive ] &&
		[ "$en_rc" = 0 ] && [ "$enabled" = enabled ] && [ "$active" = active ]; then
		pass systemd-enable "$nums"
	else
		fail systemd-enable "$nums ($en_out)"
	fi

	# the sandboxed daemon moves the balloon and publishes
	why=""
	balloon_moves 90 || why="$why $BAL;"
	published || why="$why $PUB;"
	if [ -z "$why" ]; then
		pass systemd-balloon "selfballooning under the unit's sandbox: $BAL; published $PUB"
	else
		fail systemd-balloon "${why%;}"
	fi

	# reload: a good config applies, a bad one is refused and logged
	why=""
	sd_main
	before=$SD_PID
	write_conf "$(conf_lines false)"
	gcmd 30 "systemctl reload xenballoond"
	good_rc=$RC
	[ "$RC" = 0 ] || why="$why reload (good) exit $RC ($OUT);"
	back_to_target 60 || why="$why good config (selfballooning off) not applied: $BAL;"
	good=$BAL
	# line 3 is the bad one
	write_conf "$(conf_lines true 0)"
	gcmd 30 "systemctl reload xenballoond"
	bad_rc=$RC
	sleep 3
	gcmd 20 "systemctl is-active xenballoond"
	bad_active=$OUT
	sd_main
	[ "$bad_active" = active ] || why="$why after a bad reload the service is '$bad_active';"
	[ "$SD_PID" = "$before" ] || why="$why after a bad reload MainPID $before -> $SD_PID;"
	back_to_target 5 || why="$why the bad config (selfballooning on) was applied: $BAL;"
	gcmd 20 "journalctl -u xenballoond --no-pager -o cat | grep -F xenballoon.conf:3: | grep -F XENBALLOON_AUTO_DOWNHYSTERESIS | tail -n 1"
	jline=$OUT
	[ -n "$jline" ] || why="$why no journal line naming $CONF:3 and XENBALLOON_AUTO_DOWNHYSTERESIS;"
	if [ -z "$why" ]; then
		pass systemd-reload "good: reload exit $good_rc, $good; bad: reload exit $bad_rc, still active (MainPID $SD_PID), old settings kept, journal: '$jline'"
	else
		fail systemd-reload "${why%;}"
	fi
	write_conf "$(conf_lines false)"

	# status / is-active
	gcmd 20 "systemctl status --no-pager xenballoond > /tmp/st; rc=\$?; grep -m1 Active: /tmp/st; exit \$rc"
	st_rc=$RC st_line=$OUT
	case "$st_rc $st_line" in
	"0 "*"active (running)"*) pass systemd-status "systemctl status exit 0, '$st_line'; is-active: $bad_active" ;;
	*) fail systemd-status "systemctl status exit $st_rc, '$st_line'" ;;
	esac

	# kill -9: Restart=on-failure
	sd_main
	old=$SD_PID
	t0=$(now)
	gcmd 20 "kill -9 $old"
	if [ "$old" = 0 ]; then
		fail systemd-restart "no MainPID to kill"
	elif sd_restarted "$old" 60; then
		pass systemd-restart "kill -9 $old: systemd restarted it as $SD_PID after $(since "$t0") s"
	else
		fail systemd-restart "kill -9 $old: no new active MainPID within 60 s (MainPID $SD_PID)"
	fi

	# the watchdog: a stopped daemon no longer pings
	gcmd 20 "systemctl show -p WatchdogUSec --value xenballoond"
	wd=$OUT
	sd_main
	old=$SD_PID
	case $wd in
	'' | 0 | infinity)
		fail systemd-watchdog "the unit sets no WatchdogSec= (WatchdogUSec='$wd')"
		;;
	*)
		t0=$(now)
		gcmd 20 "kill -STOP $old"
		if sd_restarted "$old" 120; then
			secs=$(since "$t0")
			gcmd 20 "journalctl -u xenballoond --no-pager -o cat | grep -i -m1 watchdog"
			pass systemd-watchdog "kill -STOP $old: restarted as $SD_PID after $secs s (WatchdogSec $wd); journal: '$OUT'"
		else
			fail systemd-watchdog "kill -STOP $old: not restarted within 120 s (WatchdogSec $wd, MainPID $SD_PID)"
		fi
		;;
	esac

	# the journal has the daemon's own lines
	gcmd 20 "journalctl -u xenballoond --no-pager -o cat | grep -c 'started: balloon'"
	starts=$OUT
	gcmd 20 "journalctl -u xenballoond --no-pager -o cat | grep -m1 'started: balloon'"
	if [ "$starts" -ge 2 ] 2>/dev/null; then
		pass systemd-journal "journalctl -u xenballoond: $starts daemon starts logged, e.g. '$OUT'"
	else
		fail systemd-journal "journalctl -u xenballoond: '$starts' start lines (expected one per start, 2 or more)"
	fi

	# the sandbox's exposure, as systemd rates it
	gcmd 60 "systemd-analyze security --no-pager xenballoond | tail -n 1"
	expo=$(echo "$OUT" | sed -n 's/.*: \([0-9][0-9]*\.[0-9]\).*/\1/p')
	if [ "$RC" = 0 ] && [ -n "$expo" ] && awk -v e="$expo" 'BEGIN { exit !(e < 3.0) }'; then
		pass systemd-security "systemd-analyze security xenballoond: exposure $expo ('$OUT')"
	else
		fail systemd-security "systemd-analyze security xenballoond: exit $RC, '$OUT' (exposure '$expo', expected below 3.0)"
	fi

	# stop
	sd_main
	old=$SD_PID
	gcmd 30 "systemctl stop xenballoond"
	stop_rc=$RC
	gcmd 20 "systemctl is-active xenballoond"
	ia_rc=$RC ia=$OUT
	gcmd 20 "test -e /proc/$old"
	gone=$RC
	if [ "$stop_rc" = 0 ] && [ "$ia" = inactive ] && [ "$ia_rc" = 3 ] && [ "$gone" = 1 ]; then
		pass systemd-stop "systemctl stop exit 0; is-active '$ia' exit 3; pid $old gone"
	else
		fail systemd-stop "systemctl stop exit $stop_rc; is-active '$ia' exit $ia_rc; pid $old gone: $([ "$gone" = 1 ] && echo yes || echo no)"
	fi
	echo "E2E TIME systemd-scenarios $(since "$t_s")"
	xl destroy "$GUEST" 2>/dev/null
	echo "E2E TIME systemd-guest $(since "$t_g")"
}

# --- the unit in dom0 --------------------------------------------------------------
dom0_condition() {
	if [ ! -f "$UNIT" ]; then
		fail systemd-dom0 "no $UNIT in the dom0 image"
		return
	fi
	cond=$(sed -n 's/^ExecCondition=//p' "$UNIT")
	caps=$(cat /proc/xen/capabilities)
	if [ -z "$cond" ]; then
		fail systemd-dom0 "the unit has no ExecCondition="
		return
	fi
	eval "$cond"
	rc=$?
	# systemd skips the unit on 1-254, fails it on 255 or a signal.
	if [ "$rc" -ge 1 ] && [ "$rc" -le 254 ]; then
		pass systemd-dom0 "ExecCondition=$cond exits $rc in dom0 (/proc/xen/capabilities: $caps): systemd skips the unit"
	else
		fail systemd-dom0 "ExecCondition=$cond exits $rc in dom0 (/proc/xen/capabilities: $caps)"
	fi
}

# --- SysV init -------------------------------------------------------------------------
# initd ACTION: /etc/init.d/xenballoond ACTION in the guest, its exit code
# in RC and its last line (stdout and stderr) in OUT.
initd() {
	gcmd 40 "/etc/init.d/xenballoond $1 2>&1"
}

sysv_guest() {
	t_g=$(now)
	# shellcheck disable=SC2034 # read by start_guest (lib.sh)
	GUEST=e2esysv GUEST_RAMDISK=/e2e/guest.cpio GUEST_CREATE_S=60 GUEST_READY_S=90
	if ! start_guest "rdinit=/sbin/init xbinit=service $(daemon_args true)"; then
		for s in sysv-start sysv-reload sysv-stop; do fail "$s" "the SysV guest did not start"; done
		xl destroy "$GUEST" 2>/dev/null
		return
	fi

	# started at boot by busybox init's rc
	why=""
	gcmd 20 "cat /proc/1/comm"
	pid1=$OUT
	[ "$pid1" = init ] || why="$why PID 1 is '$pid1', not busybox init;"
	initd status
	[ "$RC" = 0 ] || why="$why status exit $RC ($OUT);"
	st=$OUT
	pid=$(echo "$OUT" | sed -n 's/.*(pid \([0-9]*\)).*/\1/p')
	balloon_moves 90 || why="$why $BAL;"
	bm=$BAL
	initd start
	again_rc=$RC
	again=$OUT
	case $again in *"already running (pid $pid)"*) ;; *) why="$why a second start: '$again';" ;; esac
	[ "$again_rc" = 0 ] || why="$why a second start exit $again_rc;"
	if [ -z "$why" ]; then
		pass sysv-start "PID 1 $pid1, rc started the daemon: status exit 0 '$st'; $bm; second start exit 0 '$again'"
	else
		fail sysv-start "${why%;}"
	fi

	# reload: good (selfballooning off), then bad (exit 6, running on)
	why=""
	write_conf "$(conf_lines false)"
	initd reload
	good_rc=$RC
	[ "$RC" = 0 ] || why="$why reload (good) exit $RC ($OUT);"
	back_to_target 60 || why="$why good config not applied: $BAL;"
	good=$BAL
	write_conf "$(conf_lines true 0)"
	initd reload
	bad_rc=$RC bad=$OUT
	[ "$RC" = 6 ] || why="$why reload (bad) exit $RC, expected 6 ($OUT);"
	gcmd 40 "/etc/init.d/xenballoond reload 2>&1 | grep -F xenballoon.conf:3: | grep -F XENBALLOON_AUTO_DOWNHYSTERESIS"
	named=$OUT
	[ -n "$named" ] && [ "$RC" = 0 ] || why="$why no message naming $CONF:3 and XENBALLOON_AUTO_DOWNHYSTERESIS;"
	initd status
	[ "$RC" = 0 ] || why="$why status after the bad reload exit $RC;"
	case $OUT in *"(pid $pid)"*) ;; *) why="$why status after the bad reload: '$OUT', not pid $pid;" ;; esac
	back_to_target 5 || why="$why the bad config was applied: $BAL;"
	if [ -z "$why" ]; then
		pass sysv-reload "good: exit $good_rc, $good; bad: exit $bad_rc '$bad', '$named', still running as $pid"
	else
		fail sysv-reload "${why%;}"
	fi
	write_conf "$(conf_lines false)"

	# stop, status 3, start, status 0, kill -9 -> status 1, start, stop twice
	codes=""
	for step in stop status start status kill9 status start stop stop; do
		if [ "$step" = kill9 ]; then
			initd status
			kp=$(echo "$OUT" | sed -n 's/.*(pid \([0-9]*\)).*/\1/p')
			gcmd 20 "kill -9 $kp"
			codes="$codes kill-9:$kp"
			sleep 1
			continue
		fi
		initd "$step"
		codes="$codes $step:$RC"
	done
	codes=${codes# }
	expect="stop:0 status:3 start:0 status:0 kill-9:$kp status:1 start:0 stop:0 stop:0"
	if [ "$codes" = "$expect" ]; then
		pass sysv-stop "exit codes: $codes"
	else
		fail sysv-stop "exit codes: $codes; expected $expect"
	fi
	xl destroy "$GUEST" 2>/dev/null
	echo "E2E TIME sysv-guest $(since "$t_g")"
}

dom0_condition
systemd_guest
sysv_guest
exit 0
