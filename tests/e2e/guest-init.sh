#!/bin/sh
# /init of the e2e guest (a PV domain started by dom0's scenario driver).
#
# The guest kernel's command line (xl `extra=`) carries the daemon's
# configuration as xb_KEY=VALUE tokens (written out as XENBALLOON_KEY=VALUE)
# and xbopt=ARGS for extra daemon options (commas for spaces).
#
# The guest then:
#   - starts xenballoond in the foreground mode (-d -v), its log on the
#     console (dom0's xenconsoled keeps it);
#   - every 0.5 s publishes under data/e2e/ (the guest may write data/):
#       probe  "SEQ TARGET_KB CURRENT_KB MEMTOTAL MEMAVAIL COMMITTED MIN_MEMTOTAL"
#              read from the balloon's sysfs files and /proc/meminfo, the
#              guest's own view, independent of what the daemon publishes;
#       daemon "running PID" | "exited RC" | "missing"
#   - runs commands dom0 writes to data/e2e/cmd: "ID memload ARGS" (result
#     in data/e2e/result: "ID rc=N oom=N <memload's last line>") or
#     "ID sh COMMAND" (result: "ID rc=N <last line of output>").
#
# With xbinit=service on the command line the guest's own init system
# (systemd, or busybox init running /etc/init.d/xenballoond from its rc)
# runs the daemon: this script is then only the agent above, started by
# that init, and reports the daemon from its pidfile. `guest-init.sh
# config FILE` writes the xb_ configuration to FILE and exits (for an rc).
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu:/lib/x86_64-linux-gnu

# What an init system has mounted already stays as it is (a second tmpfs
# on /run would hide the daemon's pidfile). Busybox has no mountpoint.
mounted() { grep -qs "^[^ ]* $1 " /proc/mounts; }
mounted /proc || mount -t proc proc /proc
mounted /sys || mount -t sysfs sysfs /sys
mounted /dev || mount -t devtmpfs devtmpfs /dev
mounted /run || mount -t tmpfs tmpfs /run
mounted /tmp || mount -t tmpfs tmpfs /tmp
mkdir -p /var
[ -e /var/run ] || ln -s /run /var/run

# write_config FILE: the xb_KEY=VALUE tokens of the command line, as
# XENBALLOON_KEY=VALUE lines.
write_config() {
	: > "$1"
	# shellcheck disable=SC2013 # the kernel's command line is words
	for tok in $(cat /proc/cmdline); do
		case $tok in
		xb_*=*)
			k=${tok%%=*}
			echo "XENBALLOON_${k#xb_}=${tok#*=}" >> "$1"
			;;
		esac
	done
}
if [ "${1:-}" = config ]; then
	mkdir -p "$(dirname "$2")"
	write_config "$2"
	exit 0
fi
by_init=0
grep -qw xbinit=service /proc/cmdline && by_init=1

# Boot messages stay quiet (loglevel=4); from here on the kernel's info
# lines (a process killed by a signal, the OOM killer) reach the console.
dmesg -n 7
echo "guest: init at $(cut -d' ' -f1 /proc/uptime) s, $(grep MemTotal /proc/meminfo)"

B=/sys/devices/system/xen_memory/xen_memory0
CFG=/etc/xenballoon.conf
[ "$by_init" = 1 ] && CFG=/etc/sysconfig/xenballoon.conf
[ "$by_init" = 1 ] || write_config "$CFG"
opts=""
# shellcheck disable=SC2013 # the kernel's command line is words
for tok in $(cat /proc/cmdline); do
	case $tok in
	xbopt=*)
		opts=$(echo "${tok#xbopt=}" | tr , ' ')
		;;
	esac
done
echo "guest: $CFG:"
grep -v -e '^#' -e '^$' "$CFG" | sed 's/^/guest:   /'

# The init script's job: seed the maxmem high-water mark.
if [ "$by_init" = 0 ]; then
	MAXMEMFILE=$(sed -n 's/^XENBALLOON_MAXMEMFILE=//p' "$CFG")
	[ -n "$MAXMEMFILE" ] || MAXMEMFILE=/var/run/xenballoon-maxmem
	awk '/^MemTotal:/{print $2}' /proc/meminfo > "$MAXMEMFILE"
fi

xsw() { xenstore-write "$@" 2>/dev/null; }

dpid=""
if [ "$by_init" = 1 ]; then
	echo "guest: xenballoond is the init system's to start"
elif [ -x /usr/sbin/xenballoond ]; then
	# shellcheck disable=SC2086
	xenballoond -d -v -f "$CFG" --pidfile /run/xenballoond.pid $opts &
	dpid=$!
	echo "guest: xenballoond started, pid $dpid, options: -d -v -f $CFG $opts"
else
	echo "guest: /usr/sbin/xenballoond is not in this image"
fi

# live PID: the process exists and is not a zombie (read by the shell
# itself: the loop below runs every 0.5 s, and every program it starts
# costs the guest's one vCPU a good part of that under TCG).
live() {
	lv_st=Z
	# shellcheck disable=SC2034 # the fields before the state
	[ -r "/proc/$1/stat" ] && read -r lv_pid lv_comm lv_st lv_rest < "/proc/$1/stat" 2>/dev/null
	[ "$lv_st" != Z ]
}

# daemon_state: sets state to "running PID", "exited RC" or "missing". A dead
# child may stay a zombie until the shell reaps it: look at its state, not
# only at its existence. Runs in this shell (not in $(...)) so wait works.
daemon_state() {
	if [ "$by_init" = 1 ]; then
		p=""
		[ -r /run/xenballoond.pid ] && read -r p < /run/xenballoond.pid
		if [ -n "$p" ] && live "$p"; then
			state="running $p"
		else
			state=stopped
		fi
	elif [ -z "$dpid" ]; then
		[ -n "${drc:-}" ] && state="exited $drc" || state=missing
	elif live "$dpid"; then
		state="running $dpid"
	else
		wait "$dpid" 2>/dev/null
		drc=$?
		dpid=""
		state="exited $drc"
	fi
}

run_cmd() {
	id=$1
	shift
	case $1 in
	memload)
		shift
		echo "guest: cmd $id: memload $*"
		before=$(dmesg | grep -ci -e 'out of memory' -e 'oom-kill' -e 'killed process')
		memload "$@" > /tmp/memload.out 2>&1
		rc=$?
		sed 's/^/guest: /' /tmp/memload.out
		after=$(dmesg | grep -ci -e 'out of memory' -e 'oom-kill' -e 'killed process')
		last=$(grep '^memload: ' /tmp/memload.out | tail -n 1)
		xsw data/e2e/result "$id rc=$rc oom=$((after - before)) $last"
		echo "guest: cmd $id done rc=$rc oom=$((after - before))"
		;;
	sh)
		# dom0 is trusted: a shell command, for experiments and debugging.
		shift
		echo "guest: cmd $id: sh -c '$*'"
		sh -c "$*" > /tmp/cmd.out 2>&1
		rc=$?
		sed 's/^/guest: /' /tmp/cmd.out
		xsw data/e2e/result "$id rc=$rc $(tail -n 1 /tmp/cmd.out)"
		;;
	*)
		xsw data/e2e/result "$id rc=127 unknown command"
		;;
	esac
}

daemon_state
xsw data/e2e/daemon "$state"
xsw data/e2e/ready 1
echo "guest: ready, daemon $state"

seq=0
minmt=""
lastcmd=""
laststate=$state
while :; do
	seq=$((seq + 1))
	read -r tgt < $B/target_kb
	read -r cur < $B/info/current_kb
	mt=0 ma=0 ca=0
	while read -r k v rest; do
		case $k in
		MemTotal:) mt=$v ;;
		MemAvailable:) ma=$v ;;
		Committed_AS:) ca=$v ;;
		esac
	done < /proc/meminfo
	if [ -z "$minmt" ] || [ "$mt" -lt "$minmt" ]; then minmt=$mt; fi
	daemon_state
	if [ "$state" != "$laststate" ]; then
		echo "guest: daemon $laststate -> $state"
		laststate=$state
	fi
	xsw data/e2e/probe "$seq $tgt $cur $mt $ma $ca $minmt" data/e2e/daemon "$state"
	cmd=$(xenstore-read data/e2e/cmd 2>/dev/null)
	if [ -n "$cmd" ] && [ "$cmd" != "$lastcmd" ]; then
		lastcmd=$cmd
		# shellcheck disable=SC2086
		run_cmd $cmd &
	fi
	sleep 0.5
done
