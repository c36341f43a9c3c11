#!/bin/sh
# /bench-init of a `make bench-policy` guest (busybox, started by
# bench/policy/dom0-bench.sh with rdinit=/bench-init).
#
# Kernel command line: bp_policy=NAME bp_run=N bp_period=MS
# bp_trace=anon|disk, and the daemon's configuration as xb_KEY=VALUE
# (written out as XENBALLOON_KEY=VALUE). Policies:
#   static    no daemon: the guest keeps its boot memory
#   static2   the same, named apart: run again after the others, a
#             control of how far two static guests of one run differ
#   cycled    a control, no daemon: the balloon goes down to the floor and
#             back to the boot size before the trace, so the trace's data
#             lands in memory the balloon handed back (as in a
#             selfballooned guest) while the guest keeps 512 MB
#   qubes     polbench's Qubes-like controller (a comparison rule, not
#             xenballoond)
#   anything else: xenballoond -d with the xb_ configuration (nopsi: the
#             guest was booted psi=0, so it has no PSI)
# Traces: anon, polbench's trace (memory of its own); disk, diskserve's
# service over the disk dom0 gave it as xvda (bp_hot_mb, bp_reads);
# host, `polbench host bh_offset 260 240`, one guest of make bench-host's
# three, started when dom0 writes data/bench/go (bench/host/dom0-bench.sh).
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

policy=static run=0 period=250 trace=anon hot_mb=154 reads=32000 offset=0 zram_mb=256
CFG=/etc/xenballoon.conf
: > "$CFG"
# shellcheck disable=SC2013 # the kernel's command line is words
for tok in $(cat /proc/cmdline); do
	case $tok in
	bp_policy=*) policy=${tok#bp_policy=} ;;
	bp_run=*) run=${tok#bp_run=} ;;
	bp_period=*) period=${tok#bp_period=} ;;
	bp_trace=*) trace=${tok#bp_trace=} ;;
	bp_hot_mb=*) hot_mb=${tok#bp_hot_mb=} ;;
	bp_reads=*) reads=${tok#bp_reads=} ;;
	bh_offset=*) offset=${tok#bh_offset=} ;;
	bp_zram_mb=*) zram_mb=${tok#bp_zram_mb=} ;;
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

# Compressed swap (256 MB, or bp_zram_mb), from the kernel's own modules.
if ! { insmod /lib/modules/zsmalloc.ko && insmod /lib/modules/zram.ko &&
	echo "${zram_mb}M" > /sys/block/zram0/disksize && mkswap /dev/zram0 > /dev/null &&
	swapon /dev/zram0; }; then
	finish "error zram swap could not be set up"
fi
if [ "$policy" = nopsi ]; then
	[ -r /proc/pressure/memory ] && finish "error /proc/pressure/memory present: the guest was to boot with psi=0"
else
	[ -r /proc/pressure/memory ] || finish "error /proc/pressure/memory missing (PSI off)"
fi
if [ "$trace" = disk ]; then
	insmod /lib/modules/xen-blkfront.ko || finish "error insmod xen-blkfront failed"
	i=0
	until [ -b /dev/xvda ]; do
		i=$((i + 1))
		[ "$i" -gt 80 ] && finish "error no /dev/xvda 20 s after loading xen-blkfront"
		sleep 0.25
	done
fi
echo "BP-INFO uptime=$(cut -d' ' -f1 /proc/uptime) policy=$policy run=$run trace=$trace $(grep MemTotal /proc/meminfo | tr -s ' ') swap=$(awk '/SwapTotal/ { print $2 }' /proc/meminfo)kB"

# The maxmem high-water mark, as the init script seeds it.
awk '/^MemTotal:/ { print $2 }' /proc/meminfo > /run/xenballoon-maxmem
# xenballoond's floor (XENBALLOON_MINMEM=0) from it, in MB of MemTotal:
# the Qubes-like controller's floor, and the analysis's.
floor_mb=$(awk '{ mb = int($1 / 1024); p = int($1 / 4);
	if (mb < 125) f = 8 + int(p / 512); else if (mb < 500) f = 40 + int(p / 1024);
	else if (mb < 2000) f = 104 + int(p / 2048); else f = 296 + int(p / 8192); print f }' /run/xenballoon-maxmem)
echo "X floor_mb $floor_mb" >> /run/cpu.txt

pid=""
case $policy in
static | static2) ;;
cycled)
	bal=/sys/devices/system/xen_memory/xen_memory0
	boot_kb=$(cat $bal/target_kb)
	cur_kb=$(cat $bal/info/current_kb)
	low_kb=$((floor_mb * 1024 + cur_kb - $(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)))
	# balloon_to KB: set the balloon's target, wait (60 s at most) for it.
	balloon_to() {
		echo "$1" > $bal/target_kb || finish "error cannot write $bal/target_kb"
		i=0
		while c=$(cat $bal/info/current_kb); [ "$c" -gt $(($1 + 1024)) ] || [ "$c" -lt $(($1 - 1024)) ]; do
			i=$((i + 1))
			[ "$i" -gt 240 ] && finish "error the balloon did not reach $1 kB (at $c kB)"
			sleep 0.25
		done
	}
	balloon_to "$low_kb"
	balloon_to "$boot_kb"
	echo "BP-INFO cycled: the balloon went $cur_kb -> $low_kb -> $(cat $bal/info/current_kb) kB"
	;;
qubes)
	# The same floor as xenballoond's heuristic (from the high-water mark).
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
	# Each line of the daemon's log stamped with the guest's uptime (ms,
	# the samples' clock): when it sampled and moved, beside the samples.
	xenballoond -d -v -f "$CFG" --pidfile /run/xenballoond.pid 2>&1 |
		awk '{ getline u < "/proc/uptime"; close("/proc/uptime"); split(u, a, " ");
			printf "%d %s\n", a[1] * 1000, $0; fflush() }' > /run/daemon.log &
	i=0
	while [ ! -s /run/xenballoond.pid ] && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	pid=$(cat /run/xenballoond.pid 2>/dev/null)
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
echo "X trace $trace" >> /run/cpu.txt

polbench sample "$period" > /run/samples.txt &
spid=$!
sleep 1
if [ "$trace" = host ]; then
	# Ready; the three guests start together when dom0 says so.
	xsw data/bench/phase ready
	i=0
	until [ -n "$(xenstore-read data/bench/go 2>/dev/null)" ]; do
		i=$((i + 1))
		[ "$i" -gt 1200 ] && finish "error no go from dom0 within 300 s"
		sleep 0.25
	done
fi
xsw data/bench/phase trace
cpu_mark start
if [ "$trace" = host ]; then
	polbench host "$offset" 260 240 > /run/phases.txt 2> /run/trace.err &
elif [ "$trace" = disk ]; then
	# A service: its hot data (a fifth of static-max) read once, served
	# from the cache with a heap of its own, two lulls of 30 s, then
	# the data left cold for four minutes (the service still runs).
	diskserve /dev/xvda "$hot_mb" "$reads" 64 idle:20 load heap serve:serve1 \
		idle:30:lull1 serve:serve2 idle:30:lull2 serve:serve3 idle:240:cold \
		> /run/phases.txt 2> /run/trace.err &
else
	polbench trace > /run/phases.txt 2> /run/trace.err &
fi
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
# Every grow of the pressure goal with the target it set (the line
# before): what each burst's growth was made of.
[ -f /run/daemon.log ] && grep -B1 'pressure: grow' /run/daemon.log | grep -v '^--$' |
	sed 's/^/X grow /'
# When the pressure goal went to 250 ms samples and back to the tick.
[ -f /run/daemon.log ] && grep -e ': sampling every' -e 'settled: sampling at the tick' /run/daemon.log |
	sed 's/^/X sampling /'
echo "X lines $(cat /run/phases.txt /run/samples.txt | wc -l)"
echo "BP-END $policy $run"
finish "done"
