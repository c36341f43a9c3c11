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

# Each result is followed by its time: seconds since the previous result
# (or since the guest was up).
T_MARK=$(now)
pass() { echo "E2E PASS $1: $2"; echo "E2E TIME $1 $(since "$T_MARK")"; T_MARK=$(now); }
fail() { echo "E2E FAIL $1: $2"; echo "E2E TIME $1 $(since "$T_MARK")"; T_MARK=$(now); }

TOL_KB=1024
SHRINK_KB=65536    # "the daemon moved the balloon": down by 64 MB at least
CONF=/etc/sysconfig/xenballoon.conf
UNIT=/e2e/xenballoond.service

# The daemon's configuration in these guests: selfballooning with a floor
# the guest's root file system (in memory) fits above, or directed; the
# goal is lib.sh's (the 2009 rule: its steps are what the waits bound).
conf_lines() {
	echo "XENBALLOON_SELF=$1"
	echo "XENBALLOON_INTERVAL=1"
	echo "XENBALLOON_AUTO_DOWNHYSTERESIS=${2:-2}"
	echo "XENBALLOON_SELF_INTERVAL=1"
	echo "XENBALLOON_MINMEM=$FLOORMB"
	echo "XENBALLOON_RESERVE_PERCENT=$RESERVE"
	echo "XENBALLOON_GOAL=$GOAL"
}

# write_conf LINES: the guest's $CONF (echo, line by line: the command
# travels through xenstore-write, which would expand a backslash).
write_conf() {
	# shellcheck disable=SC2016 # expanded in the guest
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

# balloon_moves SECS [FROM_KB]: selfballooning is on; the balloon's target
# comes down by SHRINK_KB from FROM_KB (default: where it is now, before
# the daemon starts selfballooning) and current_kb follows it.
balloon_moves() {
	snap "$GUEST"
	bm_from=${2:-$P_TGT}
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
# guest's own (the daemon publishes once a tick: while the balloon moves,
# the two may be a tick apart; up to 20 s for them to meet). Sets PUB.
published() {
	pb_i=0
	while :; do
		pb_mt=$(gread "$STATS/meminfo" | awk '/^MemTotal:/ { print $2 }')
		pb_st=$(gread "$STATS/selftarget")
		snap "$GUEST"
		PUB="$STATS/meminfo MemTotal=$pb_mt (guest's $P_MT) selftarget=$pb_st"
		[ -n "$pb_mt" ] && near "$pb_mt" "$P_MT" && [ -n "$pb_st" ] && return 0
		pb_i=$((pb_i + 1))
		[ "$pb_i" -ge 40 ] && return 1
		sleep 0.5
	done
}

# sd_state: the service's MainPID and ActiveState in the guest, in SD_PID
# and SD_ACTIVE (one round trip).
sd_state() {
	# shellcheck disable=SC2016 # expanded in the guest
	gcmd 20 'echo $(systemctl show -p MainPID --value xenballoond) $(systemctl is-active xenballoond)'
	# shellcheck disable=SC2086 # two words, split on purpose
	set -- $OUT
	SD_PID=${1:-0} SD_ACTIVE=${2:-}
	case $SD_PID in '' | *[!0-9]*) SD_PID=0 ;; esac
}

# sd_restarted OLD SECS: systemd has a new MainPID, active, within SECS.
sd_restarted() {
	sr_end=$(fcalc "$(now) + $2")
	while :; do
		sd_state
		[ "$SD_PID" != 0 ] && [ "$SD_PID" != "$1" ] && [ "$SD_ACTIVE" = active ] && return 0
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
		destroy_guest "$GUEST"
		return
	fi
	# The agent starts early; the boot is over when systemd says so.
	GCMD_SCALE=3
	gcmd 100 "systemctl is-system-running --wait"
	sysstate="is-system-running exit $RC${OUT:+ $OUT}"
	echo "E2E TIME systemd-boot $(since "$t_g")"
	[ "$RC" = 0 ] || note "systemd guest: $sysstate"

	# The package enabled the unit (dh_installsystemd): it ran from boot,
	# with the shipped configuration. Off, then on again with
	# selfballooning: enable --now. What the root in memory costs the
	# guest: Shmem (the initramfs is a tmpfs).
	t_s=$(now)
	T_MARK=$t_s
	# shellcheck disable=SC2016 # expanded in the guest
	gcmd 20 'echo $(cat /proc/1/comm) $(systemctl is-enabled xenballoond) $(systemctl is-active xenballoond) $(grep -E "^(MemTotal|Shmem):" /proc/meminfo)'
	# shellcheck disable=SC2086 # words, split on purpose
	set -- $OUT
	pid1=${1:-} boot_enabled=${2:-} boot_active=${3:-}
	shift 3 2>/dev/null
	rootmem="$*"
	# shellcheck disable=SC2016 # expanded in the guest
	gcmd 60 'systemctl disable --now xenballoond; echo $? $(systemctl is-active xenballoond)'
	# shellcheck disable=SC2086 # words, split on purpose
	set -- $OUT
	dis_rc=${1:-} dis_active=${2:-}
	write_conf "$(conf_lines true)"
	snap "$GUEST"
	tgt_off=$P_TGT
	# shellcheck disable=SC2016 # expanded in the guest
	gcmd 60 'systemctl enable --now xenballoond; echo $? $(systemctl is-enabled xenballoond) $(systemctl is-active xenballoond)'
	# shellcheck disable=SC2086 # words, split on purpose
	set -- $OUT
	en_rc=${1:-} enabled=${2:-} active=${3:-}
	nums="pid1=$pid1 ($sysstate; $rootmem); at boot: is-enabled=$boot_enabled is-active=$boot_active; disable --now: exit $dis_rc, $dis_active; enable --now: exit $en_rc, is-enabled=$enabled is-active=$active"
	if [ "$pid1" = systemd ] && [ "$boot_enabled" = enabled ] && [ "$boot_active" = active ] &&
		[ "$dis_rc" = 0 ] && [ "$dis_active" = inactive ] &&
		[ "$en_rc" = 0 ] && [ "$enabled" = enabled ] && [ "$active" = active ]; then
		pass systemd-enable "$nums"
	else
		fail systemd-enable "$nums"
	fi

	# the sandboxed daemon moves the balloon and publishes
	why=""
	balloon_moves 90 "$tgt_off" || why="$why $BAL;"
	published || why="$why $PUB;"
	if [ -z "$why" ]; then
		pass systemd-balloon "selfballooning under the unit's sandbox: $BAL; published $PUB"
	else
		fail systemd-balloon "${why%;}"
	fi

	# reload: a good config applies, a bad one is refused and logged
	why=""
	sd_state
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
	sd_state
	bad_active=$SD_ACTIVE
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
	# shellcheck disable=SC2016 # expanded in the guest
	gcmd 20 'systemctl status --no-pager xenballoond > /tmp/st; r=$?; echo $r $(systemctl is-active xenballoond) $(grep -m1 Active: /tmp/st)'
	# shellcheck disable=SC2086 # words, split on purpose
	set -- $OUT
	st_rc=${1:-} st_active=${2:-}
	shift 2 2>/dev/null
	st_line="$*"
	case "$st_rc $st_active $st_line" in
	"0 active Active: active (running)"*) pass systemd-status "systemctl status exit 0, '$st_line'; is-active: $st_active" ;;
	*) fail systemd-status "systemctl status exit $st_rc, '$st_line'; is-active: '$st_active'" ;;
	esac

	# kill -9: Restart=on-failure
	sd_state
	old=$SD_PID
	t0=$(now)
	gcmd 20 "kill -9 $old"
	if [ "$old" = 0 ]; then
		fail systemd-restart "no MainPID to kill"
	elif sd_restarted "$old" 60; then
		pass systemd-restart "kill -9 $old: systemd restarted it as $SD_PID after $(since "$t0") s (RestartSec 5 s)"
	else
		fail systemd-restart "kill -9 $old: no new active MainPID within 60 s (MainPID $SD_PID, $SD_ACTIVE)"
	fi

	# the watchdog: a stopped daemon no longer pings (the test image's
	# drop-in sets WatchdogSec=10s instead of the unit's 30 s)
	# shellcheck disable=SC2016 # expanded in the guest
	gcmd 20 'echo $(systemctl show -p WatchdogUSec --value xenballoond) $(systemctl show -p MainPID --value xenballoond)'
	wd=${OUT%% *}
	old=${OUT##* }
	case $old in '' | *[!0-9]*) old=0 ;; esac
	case $wd in
	'' | 0 | infinity)
		fail systemd-watchdog "the unit sets no WatchdogSec= (WatchdogUSec='$wd')"
		;;
	*)
		t0=$(now)
		gcmd 20 "cut -d' ' -f1 /proc/uptime; kill -STOP $old"
		stop_at=$OUT
		if sd_restarted "$old" 120; then
			secs=$(since "$t0")
			# systemd's own times, on the guest's clock: the timeout, and
			# the new daemon's READY=1 ("Started").
			# shellcheck disable=SC2016 # expanded in the guest
			gcmd 20 'echo $(journalctl -u xenballoond -o short-monotonic --no-pager | grep -e "Watchdog timeout" -e "Started xenballoond" | tail -n 2)'
			jw=$(echo "$OUT" | tr '[' '\n' | awk -v s="$stop_at" '
				/^ *[0-9]+\.[0-9]+\]/ { sub(/\].*/, ""); t[++n] = $1 }
				END { if (n == 2) printf "timeout %.1f s after SIGSTOP, started again %.1f s after that", t[1] - s, t[2] - t[1] }')
			pass systemd-watchdog "kill -STOP $old: restarted as $SD_PID after $secs s as dom0 polls (WatchdogSec $wd, TimeoutAbortSec 10 s, RestartSec 5 s); journal: $jw ('$OUT')"
		else
			fail systemd-watchdog "kill -STOP $old: not restarted within 120 s (WatchdogSec $wd, MainPID $SD_PID)"
		fi
		;;
	esac

	# the journal has the daemon's own lines: one start line per start
	# shellcheck disable=SC2016 # expanded in the guest
	gcmd 20 "journalctl -u xenballoond --no-pager -o cat > /tmp/j; echo \$(grep -c 'started: balloon' /tmp/j) \$(grep -m1 'started: balloon' /tmp/j)"
	starts=${OUT%% *}
	if [ "$starts" -ge 4 ] 2>/dev/null; then
		pass systemd-journal "journalctl -u xenballoond: $starts daemon starts logged (boot, enable, kill -9, watchdog), e.g. '${OUT#* }'"
	else
		fail systemd-journal "journalctl -u xenballoond: '$starts' start lines (expected one per start, 4 or more): '$OUT'"
	fi

	# the sandbox's exposure, as systemd rates it
	gcmd 60 "systemd-analyze security --no-pager xenballoond | tail -n 1"
	expo=$(echo "$OUT" | sed -n 's/.*: \([0-9][0-9]*\.[0-9]\).*/\1/p')
	if [ "$RC" = 0 ] && [ -n "$expo" ] && awk -v e="$expo" 'BEGIN { exit !(e < 3.0) }'; then
		pass systemd-security "exposure $expo: systemd-analyze security xenballoond: '$OUT'"
	else
		fail systemd-security "systemd-analyze security xenballoond: exit $RC, '$OUT' (exposure '$expo', expected below 3.0)"
	fi

	# stop
	sd_state
	old=$SD_PID
	gcmd 30 "systemctl stop xenballoond; r=\$?; a=\$(systemctl is-active xenballoond); echo \$r \$? \$a \$(test -e /proc/$old && echo present || echo gone)"
	# shellcheck disable=SC2086 # words, split on purpose
	set -- $OUT
	if [ "${1:-}" = 0 ] && [ "${2:-}" = 3 ] && [ "${3:-}" = inactive ] && [ "${4:-}" = gone ]; then
		pass systemd-stop "systemctl stop exit 0; is-active exit 3 '$3'; pid $old $4"
	else
		fail systemd-stop "systemctl stop exit ${1:-?}; is-active exit ${2:-?} '${3:-}'; pid $old ${4:-?} ($OUT)"
	fi
	GCMD_SCALE=2
	echo "E2E TIME systemd-scenarios $(since "$t_s")"
	destroy_guest "$GUEST"
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
		destroy_guest "$GUEST"
		return
	fi

	echo "E2E TIME sysv-boot $(since "$t_g")"
	T_MARK=$(now)

	# started at boot by busybox init's rc
	why=""
	gcmd 20 "cat /proc/1/comm"
	pid1=$OUT
	[ "$pid1" = init ] || why="$why PID 1 is '$pid1', not busybox init;"
	initd status
	[ "$RC" = 0 ] || why="$why status exit $RC ($OUT);"
	st=$OUT
	pid=$(echo "$OUT" | sed -n 's/.*(pid \([0-9]*\)).*/\1/p')
	balloon_moves 90 $((MAXMB * 1024)) || why="$why $BAL;"
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
	destroy_guest "$GUEST"
	echo "E2E TIME sysv-guest $(since "$t_g")"
}

dom0_condition
systemd_guest
sysv_guest
exit 0
