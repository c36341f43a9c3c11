#!/bin/sh
# demo.sh - `make demo`, run in dom0 by /init (busybox sh).
#
# Starts a 512 MB guest running xenballoond with selfballooning on and shows
# `xenballoon-monitor --watch 1` while the guest balloons down, takes a
# memory load (memload: 60% of its maximum), balloons up, and balloons
# down again once the load is gone. About a minute; then /init powers off.
FLOORMB=${FLOORMB:-160}
GOAL=${GOAL:-pressure}       # the default goal
# shellcheck source=tests/e2e/lib.sh
. /e2e/lib.sh
mkdir -p /tmp/e2e
: > "$SAMPLES"

# say TEXT: a line of narration. The monitor redraws the whole screen every
# second, so it is paused for two seconds while the line is on screen.
mon_pid=""
say() {
	[ -n "$mon_pid" ] && kill -STOP "$mon_pid" 2> /dev/null
	echo
	echo ">>> demo: $*"
	echo
	if [ -n "$mon_pid" ]; then
		sleep 2
		kill -CONT "$mon_pid" 2> /dev/null
	fi
}

say "starting guest '$GUEST' ($MAXMB MB) with xenballoond, selfballooning on (goal: $GOAL), floor $FLOORMB MB"
if ! start_guest "$(daemon_args true)"; then
	say "the guest did not start; see the console log"
	exit 0
fi
case $(gread data/e2e/daemon) in
running*) ;;
*) say "xenballoond is not running in the guest: $(gread data/e2e/daemon)" ;;
esac

if command -v xenballoon-monitor > /dev/null 2>&1; then
	xenballoon-monitor --watch 1 &
	mon_pid=$!
else
	say "xenballoon-monitor is not built; showing the guest's keys instead"
	(
		while :; do
			snap demo
			echo "guest $DOMID: MemTotal $P_MT kB  selftarget $ST kB  Committed_AS $P_CA kB  MemAvailable $P_MA kB"
			sleep 1
		done
	) &
	mon_pid=$!
fi

# Down: until the guest has been near its floor for a few seconds (<= 35 s).
i=0
while [ "$i" -lt 35 ]; do
	snap demo
	[ "$P_MT" -gt 0 ] && [ "$P_MT" -le $((FLOORMB * 1024 + FLOORMB * 1024 / 20)) ] && break
	sleep 1
	i=$((i + 1))
done
sleep 3
LOADMB=$((MAXMB * 60 / 100))
say "the guest is at MemTotal $P_MT kB; now it allocates $LOADMB MB and touches it"
guest_cmd 1 memload -m "$LOADMB" -c 16 -s 20 -p 100 -H 5
i=0
result=""
while [ "$i" -lt 90 ]; do
	result=$(gread data/e2e/result)
	case $result in "1 "*) break ;; esac
	sleep 1
	i=$((i + 1))
done
say "the guest's load finished: ${result#1 }"
say "the load is gone; the guest balloons down again"
sleep 15
snap demo
say "done: MemTotal $P_MT kB, selftarget $ST kB; powering off"
[ -n "$mon_pid" ] && kill "$mon_pid" 2>/dev/null
mon_pid=""
wait 2>/dev/null
destroy_guest "$GUEST"
exit 0
