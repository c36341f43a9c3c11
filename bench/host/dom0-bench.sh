#!/bin/sh
# dom0-bench.sh - `make bench-host` in dom0 (busybox sh), run by /init for
# e2e_mode=bench-host.
#
# For each run (bh_runs=N on dom0's command line, default 2) and each row
# (bh_rows=a+b+..., default static+self+qubes+balancer), three fresh PV
# guests at once, each booted with bh_mem MB (default 470: the host's
# free memory shared in three, the static partition) and a static-max of
# 768 MB (together far more than the host has), one vCPU, the bench
# guest's /bench-init (bench/policy/guest-init.sh, trace "host"). When
# all three are up, dom0 starts them together (data/bench/go) and each
# runs `polbench host OFFSET 260 240`: a 260 MB working set from
# 5 s + OFFSET, a 240 MB burst at 40 s + OFFSET, everything given back
# at 160 s, quiet until 200 s; the offsets are 0, 40 and 80 s, so the
# third burst comes while all three hold their working sets: the guests
# then want nearly all the host has, far more than a third each. 512 MB
# of zram swap each, so a static guest (470 MB) holds its peak by
# swapping rather than by an OOM kill.
#
# The rows:
#   static    no daemon: each guest keeps its bh_mem MB
#   self      each guest selfballooning (xenballoond, the pressure goal),
#             nothing in dom0: uncoordinated
#   qubes     each guest's xenballoond directed (publishing its use), and
#             in dom0 `hostbench qubes`, a Qubes-like controller
#   balancer  each guest's xenballoond directed, and in dom0
#             xenballoon-balancer with its shipped configuration, but
#             a reserve of 64 MB for this small host (the Qubes-like
#             row keeps 50)
# dom0 samples the host every 250 ms (`hostbench sample`: free memory,
# each guest's allocation and target). Printed as they end, between
# "E2E-BEGIN bh-RUN-ROW-I" (guest I's console) or "bhhost-RUN-ROW"
# (dom0's samples) and "E2E-END"; "E2E BENCH run row outcome seconds".
# shellcheck source=tests/e2e/lib.sh
. /e2e/lib.sh

runs=2 rows="static self qubes balancer" mem=470 period=250 per_row=900
# shellcheck disable=SC2013 # the kernel's command line is words
for tok in $(cat /proc/cmdline); do
	case $tok in
	bh_runs=*) runs=${tok#bh_runs=} ;;
	bh_rows=*) rows=$(echo "${tok#bh_rows=}" | tr + ' ') ;;
	bh_mem=*) mem=${tok#bh_mem=} ;;
	bh_period=*) period=${tok#bh_period=} ;;
	bh_row_timeout=*) per_row=${tok#bh_row_timeout=} ;;
	esac
done

# guest_policy ROW: the guest side's policy (bench/policy/guest-init.sh).
guest_policy() {
	case $1 in
	static) echo static ;;
	self) echo "selfballoon xb_SELF=true" ;;
	qubes | balancer) echo directed ;;
	*) return 1 ;;
	esac
}

mkdir -p /tmp/e2e
echo "e2e: bench-host: runs=$runs rows='$rows' mem=$mem MB sample_ms=$period"
xl vcpu-pin Domain-0 all 0 > /dev/null 2>&1 &&
	echo "e2e: bench-host: dom0 pinned to CPU 0 (the guests share both)"
r=1
while [ "$r" -le "$runs" ]; do
	for row in $rows; do
		t0=$(now)
		if ! gp=$(guest_policy "$row"); then
			echo "E2E BENCH $r $row error unknown-row 0"
			continue
		fi
		pol=${gp%% *} args=""
		[ "$pol" = "$gp" ] || args=${gp#* }
		ids=""
		outcome=""
		for i in 0 1 2; do
			name=bh$r$row$i
			cat > /tmp/e2e/bh.cfg <<EOF
name = "$name"
type = "pv"
kernel = "/e2e/vmlinux"
ramdisk = "/e2e/bench-guest.cpio"
extra = "console=hvc0 rdinit=/bench-init loglevel=4 bp_policy=$pol bp_run=$r bp_period=$period bp_trace=host bh_offset=$((i * 40)) bp_zram_mb=512 $args"
memory = $mem
maxmem = 768
vcpus = 1
on_poweroff = "destroy"
on_reboot = "destroy"
on_crash = "destroy"
EOF
			if ! timeout 300 xl create /tmp/e2e/bh.cfg > /tmp/e2e/xl-create.out 2>&1; then
				outcome="error xl-create:$(tr '\n ' '__' < /tmp/e2e/xl-create.out)"
				break
			fi
			id=$(xl domid "$name" 2>/dev/null)
			ids="$ids $id"
			# static-max is the guest's maxmem; libxl caps the
			# hypervisor's at memory + 1 MB until told otherwise
			# (the controllers' xl mem-set raises it as it goes).
			[ "$row" = self ] && timeout 30 xl mem-max "$name" 768m
		done
		# All up (their policy started), then go together.
		if [ -z "$outcome" ]; then
			for id in $ids; do
				DOMID=$id
				i=0
				until [ -n "$(gread data/bench/phase)" ]; do
					i=$((i + 1))
					if [ "$i" -gt 480 ]; then
						outcome="error guest $id not ready within 120 s"
						break
					fi
					sleep 0.25
				done
			done
		fi
		hostbench sample "$period" > /tmp/e2e/bhhost.txt 2> /tmp/e2e/bhhost.err &
		spid=$!
		cpid=""
		case $row in
		qubes)
			hostbench qubes 50 > /tmp/e2e/bhctl.log 2>&1 &
			cpid=$!
			;;
		balancer)
			# The shipped configuration, with a reserve for this small
			# host as the Qubes-like row keeps (its 50 MB).
			sed 's/^XENBALLOON_BALANCER_RESERVE_MB=.*/XENBALLOON_BALANCER_RESERVE_MB=64/' \
				/etc/sysconfig/xenballoon-balancer.conf > /tmp/e2e/bh-balancer.conf
			xenballoon-balancer -d -v -f /tmp/e2e/bh-balancer.conf > /tmp/e2e/bhctl.log 2>&1 &
			cpid=$!
			;;
		esac
		sleep 2
		if [ -z "$outcome" ]; then
			echo "G $(cut -d' ' -f1 /proc/uptime)" >> /tmp/e2e/bhhost.txt
			for id in $ids; do
				xenstore-write "/local/domain/$id/data/bench/go" 1
			done
			while :; do
				left=0
				for id in $ids; do
					DOMID=$id
					[ -n "$(gread data/bench/done)" ] || left=$((left + 1))
				done
				[ "$left" = 0 ] && { outcome="done"; break; }
				if awk -v e="$(since "$t0")" -v m="$per_row" 'BEGIN { exit !(e > m) }'; then
					outcome="error $left guests not done within $per_row s"
					break
				fi
				sleep 3
			done
		fi
		[ -n "$cpid" ] && kill "$cpid" 2>/dev/null
		kill "$spid" 2>/dev/null
		wait "$spid" 2>/dev/null
		[ -n "$cpid" ] && wait "$cpid" 2>/dev/null
		for i in 0 1 2; do
			destroy_guest "bh$r$row$i"
		done
		for i in 0 1 2; do
			f=/var/log/xen/console/guest-bh$r$row$i.log
			if [ -f "$f" ]; then
				echo "E2E-BEGIN bh-$r-$row-$i"
				tr -d '\r' < "$f"
				echo "E2E-END bh-$r-$row-$i"
				rm -f "$f"
			fi
		done
		echo "E2E-BEGIN bhhost-$r-$row"
		cat /tmp/e2e/bhhost.txt
		sed 's/^/X err /' /tmp/e2e/bhhost.err
		[ -f /tmp/e2e/bhctl.log ] && tail -n 40 /tmp/e2e/bhctl.log | sed 's/^/X ctl /'
		echo "E2E-END bhhost-$r-$row"
		rm -f /tmp/e2e/bhhost.txt /tmp/e2e/bhctl.log
		echo "E2E BENCH $r $row $(echo "$outcome" | tr ' ' _) $(since "$t0")"
	done
	r=$((r + 1))
done
