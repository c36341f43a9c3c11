#!/bin/sh
# dom0-bench.sh - `make bench-policy` in dom0 (busybox sh), run by /init
# for e2e_mode=bench-policy.
#
# For each trace (bp_traces=anon+disk, default both), each run (bp_runs=N
# on dom0's command line, default 2) and each policy (bp_policies=a+b+...,
# default all; the disk trace adds nopsi, the default booted psi=0,
# right after pressure; cycled and static2, controls, run only when named), one
# fresh PV guest after the other: memory 512 MB, static-max 768 MB (xl
# mem-max right after create: libxl caps a PV guest at memory + 1 MB), one
# vCPU, /bench-init of bench/policy/guest-init.sh. A disk-trace guest gets
# xvda, 192 MB served by blkback through device-mapper's delay target
# (1 ms a read, lib.sh's disk_setup). The guest's console log (its
# samples) is printed between "E2E-BEGIN bp-RUN-POLICY" (anon) or
# "bpd-RUN-POLICY" (disk) and "E2E-END" as soon as the guest is gone
# (run.sh keeps it as bp-RUN-POLICY.log or bpd-RUN-POLICY.log).
# Prints "E2E BENCH trace run policy outcome seconds" per guest.
# shellcheck source=tests/e2e/lib.sh
. /e2e/lib.sh

ALL="static 2009 kernel qubes pressure"
runs=2 policies=$ALL period=250 per_guest=1800 traces="anon disk"
# shellcheck disable=SC2013 # the kernel's command line is words
for tok in $(cat /proc/cmdline); do
	case $tok in
	bp_runs=*) runs=${tok#bp_runs=} ;;
	bp_policies=*) policies=$(echo "${tok#bp_policies=}" | tr + ' ') ;;
	bp_period=*) period=${tok#bp_period=} ;;
	bp_guest_timeout=*) per_guest=${tok#bp_guest_timeout=} ;;
	bp_traces=*) traces=$(echo "${tok#bp_traces=}" | tr + ' ') ;;
	esac
done

# policy_args NAME: the guest's kernel arguments for a policy.
policy_args() {
	case $1 in
	static | static2 | qubes | cycled) echo "" ;;
	2009) echo "xb_SELF=true xb_GOAL=committed" ;;
	kernel) echo "xb_SELF=true xb_SELF_INTERVAL=5 xb_AUTO_DOWNHYSTERESIS=8 xb_RESERVE_PERCENT=10 xb_GOAL=committed" ;;
	pressure) echo "xb_SELF=true" ;;
	nopsi) echo "psi=0 xb_SELF=true" ;;
	nocache) echo "xb_SELF=true xb_CACHE_HOLD=0" ;;
	*) return 1 ;;
	esac
}

mkdir -p /tmp/e2e
echo "e2e: bench-policy: traces='$traces' runs=$runs policies='$policies' sample_ms=$period"
disk_line=""
case " $traces " in
*" disk "*)
	if dev=$(disk_setup bpdisk 192 1); then
		disk_line="disk = [ 'phy:$dev,xvda,r' ]"
	else
		echo "e2e: bench-policy: no disk for the disk trace"
	fi
	;;
esac
# dom0 on the first physical CPU, every bench guest alone on the second
# (Xen's usual advice for dom0: CPUs of its own): dom0's scripts, xl and
# xenconsoled then never take the guest's CPU in the middle of a phase,
# so phase times measure the policy, not what dom0 was doing.
cpus_line=""
ncpu=$(xl info 2>/dev/null | awk '$1 == "nr_cpus" { print $3 }')
if [ "${ncpu:-1}" -ge 2 ] && xl vcpu-pin Domain-0 all 0 > /dev/null 2>&1; then
	cpus_line='cpus = "1"'
	echo "e2e: bench-policy: dom0 pinned to CPU 0, guests to CPU 1 (nr_cpus=$ncpu)"
else
	echo "e2e: bench-policy: not pinning (nr_cpus=${ncpu:-unknown}): dom0 and the guests share CPUs"
fi
for t in $traces; do
r=1
while [ "$r" -le "$runs" ]; do
	plist=$policies
	# The disk trace adds the pressure goal booted psi=0 right after it.
	if [ "$t" = disk ]; then
		plist=$(echo " $policies " | sed 's/ pressure / pressure nopsi /')
	fi
	for p in $plist; do
		name=bp$t$r$p
		if ! args=$(policy_args "$p"); then
			echo "E2E BENCH $t $r $p error unknown-policy 0"
			continue
		fi
		dline=""
		if [ "$t" = disk ]; then
			if [ -z "$disk_line" ]; then
				echo "E2E BENCH $t $r $p error no-disk 0"
				continue
			fi
			dline=$disk_line
		fi
		cat > /tmp/e2e/bp.cfg <<EOF
name = "$name"
type = "pv"
kernel = "/e2e/vmlinux"
ramdisk = "/e2e/bench-guest.cpio"
extra = "console=hvc0 rdinit=/bench-init loglevel=4 bp_policy=$p bp_run=$r bp_period=$period bp_trace=$t $args"
memory = 512
maxmem = 768
vcpus = 1
$cpus_line
$dline
on_poweroff = "destroy"
on_reboot = "destroy"
on_crash = "destroy"
EOF
		t0=$(now)
		outcome=""
		if ! timeout 300 xl create /tmp/e2e/bp.cfg > /tmp/e2e/xl-create.out 2>&1; then
			outcome="error xl-create:$(tr '\n ' '__' < /tmp/e2e/xl-create.out)"
		else
			# shellcheck disable=SC2034 # read by lib.sh's gread
			DOMID=$(xl domid "$name" 2>/dev/null)
			timeout 30 xl mem-max "$name" 768m || outcome="error xl-mem-max-failed"
		fi
		last_phase=""
		while [ -z "$outcome" ]; do
			done_v=$(gread data/bench/done)
			if [ -n "$done_v" ]; then
				outcome=$done_v
				break
			fi
			ph=$(gread data/bench/phase)
			if [ -n "$ph" ] && [ "$ph" != "$last_phase" ]; then
				echo "e2e: bench $t run $r $p: $ph at $(since "$t0") s"
				last_phase=$ph
			fi
			# xl is heavy under TCG and dom0 shares the emulated CPUs
			# with the guest: look for the domain in xenstore instead.
			if [ -z "$(gread name)" ]; then
				outcome="error the guest died"
				break
			fi
			if awk -v e="$(since "$t0")" -v m="$per_guest" 'BEGIN { exit !(e > m) }'; then
				outcome="error no result within $per_guest s"
				break
			fi
			sleep 3
		done
		secs=$(since "$t0")
		xl destroy "$name" 2>/dev/null
		sleep 1
		# Printed now, so a later hang loses nothing of this guest.
		f=/var/log/xen/console/guest-$name.log
		log=bp-$r-$p
		[ "$t" = disk ] && log=bpd-$r-$p
		if [ -f "$f" ]; then
			echo "E2E-BEGIN $log"
			tr -d '\r' < "$f"
			echo "E2E-END $log"
			rm -f "$f"
		fi
		echo "E2E BENCH $t $r $p $(echo "$outcome" | tr ' ' _) $secs"
	done
	r=$((r + 1))
done
done
