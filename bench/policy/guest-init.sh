#!/bin/sh
# /bench-init of a `make bench-policy` guest (busybox, started by
# bench/policy/dom0-bench.sh with rdinit=/bench-init).
#
# Kernel command line: bp_policy=NAME bp_run=N bp_period=MS, and the
# daemon's configuration as xb_KEY=VALUE (written out as
# XENBALLOON_KEY=VALUE). Policies:
#   static    no daemon: the guest keeps its boot memory
#   qubes     polbench's Qubes-like controller (a comparison rule, not
#             xenballoond)
#   anything else: xenballoond -d with the xb_ configuration
# The guest sets up 256 MB of zram swap, starts the policy, samples its
# memory state while polbench runs the workload trace, then prints
# everything on its console between "BP-BEGIN" and "BP-END" and writes
# data/bench/done; dom0 keeps the console log.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu:/lib/x86_64-linux-gnu

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mkdir -p /var && ln -s /run /var/run 2>/dev/null
dmesg -n 7

xsw() { xenstore-write "$@" 2>/dev/null; }

policy=static run=0 period=250
CFG=/etc/xenballoon.conf
: > "$CFG"
# shellcheck disable=SC2013 # the kernel's command line is words
for tok in $(cat /proc/cmdline); do
	case $tok in
	bp_policy=*) policy=${tok#bp_policy=} ;;
	bp_run=*) run=${tok#bp_run=} ;;
	bp_period=*) period=${tok#bp_period=} ;;
	xb_*=*)
		k=${tok%%=*}
		echo "XENBALLOON_${k#xb_}=${tok#*=}" >> "$CFG"
		;;
	esac
done

# One line for dom0 and the host, then the end of this guest's work.
finish() {
	echo "BP-RESULT $policy $run $1"
	xsw data/bench/done "$1"
	while :; do sleep 60; done
}

# 256 MB of compressed swap, from the kernel's own modules.
if ! { insmod /lib/modules/zsmalloc.ko && insmod /lib/modules/zram.ko &&
	echo 256M > /sys/block/zram0/disksize && mkswap /dev/zram0 > /dev/null &&
	swapon /dev/zram0; }; then
	finish "error zram swap could not be set up"
fi
[ -r /proc/pressure/memory ] || finish "error /proc/pressure/memory missing (PSI off)"
echo "BP-INFO uptime=$(cut -d' ' -f1 /proc/uptime) policy=$policy run=$run $(grep MemTotal /proc/meminfo | tr -s ' ') swap=$(awk '/SwapTotal/ { print $2 }' /proc/meminfo)kB"

# The maxmem high-water mark, as the init script seeds it.
awk '/^MemTotal:/ { print $2 }' /proc/meminfo > /run/xenballoon-maxmem

pid=""
case $policy in
static) ;;
qubes)
	# The same floor as xenballoond's heuristic (from the high-water mark).
	floor_mb=$(awk '{ mb = int($1 / 1024); p = int($1 / 4);
		if (mb < 125) f = 8 + int(p / 512); else if (mb < 500) f = 40 + int(p / 1024);
		else if (mb < 2000) f = 104 + int(p / 2048); else f = 296 + int(p / 8192); print f }' /run/xenballoon-maxmem)
	smax=$(xenstore-read memory/static-max 2>/dev/null)
	polbench qubes "$floor_mb" "${smax:-786432}" &
	pid=$!
	echo "BP-INFO qubes-like controller floor_mb=$floor_mb static_max_kb=$smax"
	;;
*)
	echo "BP-INFO config: $(tr '\n' ' ' < "$CFG")"
	if ! out=$(xenballoond -n -f "$CFG" 2>&1); then
		finish "unavailable xenballoond refuses this configuration: $(echo "$out" | tail -n 1)"
	fi
	xenballoond -d -v -f "$CFG" --pidfile /run/xenballoond.pid > /run/daemon.log 2>&1 &
	pid=$!
	;;
esac

# CPU time, ticks of USER_HZ, before and after the trace: the guest's
# (/proc/stat: user nice system idle iowait irq softirq steal) and every
# task's, kernel threads included (the analysis finds the policy's
# process by its pid and the balloon driver's xen-balloon thread there).
cpu_mark() {
	{
		echo "X cpu_$1 $(head -n 1 /proc/stat | cut -d' ' -f3-10)"
		echo "X tasks_$1 $(awk '{ printf "%s:%s:%d ", $1, $2, $14 + $15 }' /proc/[0-9]*/stat 2>/dev/null)"
	} >> /run/cpu.txt
}
echo "X policy_pid ${pid:--}" >> /run/cpu.txt

polbench sample "$period" > /run/samples.txt &
spid=$!
sleep 1
xsw data/bench/phase trace
cpu_mark start
polbench trace > /run/phases.txt 2> /run/trace.err &
tpid=$!
# The trace's progress for dom0 (the last phase done), every 30 s: each
# look costs a few processes, which a 1-vCPU guest under TCG feels.
(
	while :; do
		sleep 30
		xsw data/bench/phase "$(tail -n 1 /run/phases.txt | cut -d' ' -f2) done at $(cut -d' ' -f1 /proc/uptime)"
	done
) &
progress=$!
wait "$tpid"
trc=$?
kill "$progress" 2>/dev/null
cpu_mark end
sleep 1
kill "$spid"
wait "$spid"
[ -n "$pid" ] && kill "$pid"

oom_lines=$(dmesg | grep -c -i -e 'out of memory' -e 'oom-kill' -e 'killed process')
echo "BP-BEGIN $policy $run"
cat /run/phases.txt /run/samples.txt
echo "X trace_rc $trc"
echo "X oom_lines $oom_lines"
cat /run/cpu.txt
sed 's/^/X trace_err /' /run/trace.err
[ -f /run/daemon.log ] && tail -n 20 /run/daemon.log | sed 's/^/X daemon /'
echo "X lines $(cat /run/phases.txt /run/samples.txt | wc -l)"
echo "BP-END $policy $run"
finish "done"
