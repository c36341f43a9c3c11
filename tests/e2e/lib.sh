# shellcheck shell=sh
# lib.sh - shared by scenarios.sh and demo.sh, sourced in dom0 (busybox sh).
#
# Guest parameters (the daemon's configuration, passed on the guest's
# kernel command line as xb_KEY=VALUE; guest-init.sh writes the file).
GUEST=e2eguest
MAXMB=${MAXMB:-512}          # memory= and maxmem= of the guest, MB
FLOORMB=${FLOORMB:-192}      # XENBALLOON_MINMEM
DOWN=${DOWN:-4}              # XENBALLOON_AUTO_DOWNHYSTERESIS
UP=${UP:-1}                  # XENBALLOON_AUTO_UPHYSTERESIS
INTERVAL=${INTERVAL:-1}      # XENBALLOON_INTERVAL and _SELF_INTERVAL, s
RESERVE=${RESERVE:-10}       # XENBALLOON_RESERVE_PERCENT
GOAL=${GOAL:-committed}      # XENBALLOON_GOAL: the scenarios check the 2009
                             # rule's steps first, then switch (pressure)
STATS=data/xenballoon        # where a guest denied memory/* publishes
SAMPLES=/tmp/e2e/samples.log
DOMID=""

now() { cut -d' ' -f1 /proc/uptime; }
# since T0: seconds elapsed, one decimal
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
# fcalc EXPR: awk arithmetic, printed with %g (use printf in EXPR for more)
fcalc() { awk "BEGIN { print $1 }"; }
abs() { [ "$1" -lt 0 ] && echo $((-$1)) || echo "$1"; }

pass() { echo "E2E PASS $1: $2"; }
fail() { echo "E2E FAIL $1: $2"; }
note() { echo "e2e: $*"; }

# gread KEY: a key under the guest's home, raw; empty when absent.
gread() { xenstore-read -R "/local/domain/$DOMID/$1" 2>/dev/null; }

# snap [PHASE]: the guest's state now, from one round of reads:
#   P_SEQ P_TGT P_CUR P_MT P_MA P_CA P_MINMT  the guest's probe (its own view)
#   ST    the daemon's published selftarget (-1 when absent)
#   MT    memory/target (dom0's directed target, kB)
# and a line in the samples log.
snap() {
	sn_phase=${1:--}
	# shellcheck disable=SC2046 # the probe's numbers, split on purpose
	set -- $(gread data/e2e/probe)
	# shellcheck disable=SC2034 # P_* are read by the callers
	P_SEQ=${1:-0} P_TGT=${2:-0} P_CUR=${3:-0} P_MT=${4:-0} P_MA=${5:-0} P_CA=${6:-0} P_MINMT=${7:-0}
	ST=$(gread "$STATS/selftarget")
	case $ST in '' | *[!0-9]*) ST=-1 ;; esac
	MT=$(gread memory/target)
	case $MT in '' | *[!0-9]*) MT=-1 ;; esac
	echo "$(now) $sn_phase seq=$P_SEQ target_kb=$P_TGT current_kb=$P_CUR memtotal=$P_MT memavail=$P_MA committed=$P_CA selftarget=$ST memory/target=$MT" >> "$SAMPLES"
}

# wait_until SECS PHASE COND: snap every 0.25 s until COND (a shell
# expression over the snap variables) holds; 1 on timeout.
wait_until() {
	wu_end=$(awk -v a="$(now)" -v s="$1" 'BEGIN { printf "%.2f", a + s }')
	while :; do
		snap "$2"
		eval "$3" && return 0
		awk -v a="$(now)" -v e="$wu_end" 'BEGIN { exit !(a > e) }' && return 1
		sleep 0.25
	done
}

# ticks_bound GAP_KB HYST TOL_KB: ticks the policy needs to come within
# TOL of a target GAP away, moving 1/HYST of the gap per tick (the daemon's
# integer arithmetic), plus two: the tick that notices the change, and one
# of jitter. (Busybox awk has no log().)
ticks_bound() {
	tb_g=$1 tb_n=0
	while [ "$tb_g" -gt "$3" ] && [ "$tb_n" -lt 1000 ]; do
		tb_s=$((tb_g / $2))
		[ "$tb_s" -gt 0 ] || break
		tb_g=$((tb_g - tb_s))
		tb_n=$((tb_n + 1))
	done
	echo $((tb_n + 2))
}

# dom0_key KEY VALUE: dom0 writes a key under the guest's home that the
# guest may read but not write (dom0 owns it: n0, guest: r).
dom0_key() {
	xenstore-write "/local/domain/$DOMID/$1" "$2" &&
		xenstore-chmod "/local/domain/$DOMID/$1" n0 "r$DOMID"
}

# create_logged NAME: xl create /tmp/e2e/guest.cfg, bounded by
# GUEST_CREATE_S (default 60), with its timeline appended to
# /tmp/e2e/create-NAME.log (kept as create-NAME.log in the build's e2e
# directory): libxl's own progress (xl -vvv), each line stamped with
# dom0's uptime, and every second the domains xenstore knows and the
# newest one's console tty, read from xenstore only (each xl run costs
# dom0 a second of CPU under TCG, which the create itself needs).
# Returns 1 with the reason in CREATE_WHY.
create_logged() {
	cl_log=/tmp/e2e/create-$1.log
	cl_t0=$(now)
	{
		echo "$(now) create $1"
		xl list 2>&1
		xl info 2>/dev/null | grep -E '^(free_memory|total_memory)'
	} >> "$cl_log"
	(
		while :; do
			cl_id=$(xenstore-list /local/domain 2>/dev/null | sort -n | tail -n 1)
			echo "$(now) domains=$(xenstore-list /local/domain 2>/dev/null | tr '\n' ,) dom$cl_id console/tty='$(xenstore-read "/local/domain/$cl_id/console/tty" 2>&1)'"
			sleep 1
		done
	) >> "$cl_log" 2>&1 &
	cl_mon=$!
	timeout "${GUEST_CREATE_S:-60}" xl -vvv create /tmp/e2e/guest.cfg 2>&1 |
		while IFS= read -r l; do echo "$(now) $l"; done > /tmp/e2e/xl-create.out
	kill "$cl_mon" 2>/dev/null
	wait "$cl_mon" 2>/dev/null
	cat /tmp/e2e/xl-create.out >> "$cl_log"
	CREATE_WHY=""
	if grep -q 'libxl: error' /tmp/e2e/xl-create.out; then
		CREATE_WHY=$(grep 'libxl: error' /tmp/e2e/xl-create.out | cut -d' ' -f2- | tr '\n' ' ')
	elif ! xl domid "$1" > /dev/null 2>&1; then
		CREATE_WHY="no domain $1 after xl create: $(grep -v -e 'libxl: debug' -e 'detail:' /tmp/e2e/xl-create.out | tail -n 3 | cut -d' ' -f2- | tr '\n' ' ')"
	fi
	echo "$(now) create took $(since "$cl_t0") s${CREATE_WHY:+: $CREATE_WHY}" >> "$cl_log"
	[ -z "$CREATE_WHY" ]
}

# destroy_guest NAME: xl destroy, then wait (bounded, 30 s) until the
# domain is gone from the hypervisor and from xenstore, so the next
# guest's create does not overlap its teardown.
destroy_guest() {
	dg_id=$(xl domid "$1" 2>/dev/null)
	xl destroy "$1" 2>/dev/null
	[ -n "$dg_id" ] || return 0
	dg_i=0
	while [ "$dg_i" -lt 120 ]; do
		if ! xenstore-exists "/local/domain/$dg_id" 2>/dev/null &&
			! xl list 2>/dev/null | awk -v id="$dg_id" '$2 == id { found = 1 } END { exit !found }'; then
			return 0
		fi
		dg_i=$((dg_i + 1))
		sleep 0.25
	done
	note "domain $dg_id ($1) still present 30 s after xl destroy"
}

# start_guest EXTRA_KERNEL_ARGS: create the guest and wait for its init.
# GUEST_MEM (its memory at boot, default MAXMB, its maximum),
# GUEST_RAMDISK (default /e2e/guest.cpio), GUEST_CREATE_S (the bound on
# xl create, default 60) and GUEST_READY_S (the wait for its init, default
# 90) may be set for another kind of guest.
# Sets DOMID. Returns 1 (with a reason on stdout) on failure.
start_guest() {
	cat > /tmp/e2e/guest.cfg <<EOF
name = "$GUEST"
type = "pv"
kernel = "/e2e/vmlinux"
ramdisk = "${GUEST_RAMDISK:-/e2e/guest.cpio}"
extra = "console=hvc0 rdinit=/init loglevel=4 $1"
memory = ${GUEST_MEM:-$MAXMB}
maxmem = $MAXMB
vcpus = 1
on_poweroff = "destroy"
on_reboot = "destroy"
on_crash = "destroy"
EOF
	t0=$(now)
	if ! create_logged "$GUEST"; then
		# A second line of defence, never silent: the first failure
		# is a result line of its own (run.sh prints it).
		echo "E2E RETRY $GUEST: xl create failed after $(since "$t0") s: $CREATE_WHY"
		destroy_guest "$GUEST"
		if ! create_logged "$GUEST"; then
			note "xl create failed twice: $CREATE_WHY"
			return 1
		fi
	fi
	DOMID=$(xl domid "$GUEST" 2>/dev/null)
	case $DOMID in '' | *[!0-9]*) note "xl domid $GUEST: no domain"; return 1 ;; esac
	echo "E2E GUEST-CREATED $(since "$t0") domid=$DOMID"
	i=0
	until [ "$(gread data/e2e/ready)" = 1 ]; do
		i=$((i + 1))
		if [ "$i" -gt $((${GUEST_READY_S:-90} * 4)) ]; then
			note "guest init did not report ready within ${GUEST_READY_S:-90} s"
			return 1
		fi
		sleep 0.25
	done
	echo "E2E GUEST-UP $(since "$t0") daemon=$(gread data/e2e/daemon | tr ' ' _)"
	return 0
}

# guest_cmd ID CMD...: ask the guest to run a command (see guest-init.sh).
guest_cmd() {
	xenstore-write "/local/domain/$DOMID/data/e2e/cmd" "$*"
}

CMD_ID=${CMD_ID:-0}
# gcmd SECS COMMAND: run COMMAND with sh -c in the guest, wait for its
# result; sets RC (its exit status, 999 when no answer) and OUT (the last
# line of its output). COMMAND must not hold glob characters (the agent
# splits the line into words).
# GCMD_SCALE multiplies every bound: 2 by default (TCG on a loaded host;
# guests.sh sets 3 in the systemd guest).
gcmd() {
	gc_secs=$(($1 * ${GCMD_SCALE:-2}))
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

daemon_args() {
	echo "xb_SELF=$1 xb_SELF_INTERVAL=$INTERVAL xb_INTERVAL=$INTERVAL" \
		"xb_AUTO_DOWNHYSTERESIS=$DOWN xb_AUTO_UPHYSTERESIS=$UP xb_MINMEM=$FLOORMB" \
		"xb_RESERVE_PERCENT=$RESERVE xb_MAXMEMFILE=/run/xenballoon-maxmem xb_GOAL=$GOAL"
}

# disk_setup NAME SIZE_MB DELAY_MS: a disk for a guest, as a cloud volume
# behaves: a sparse file on dom0's tmpfs (reads of it cost dom0 no
# memory), a loop device over it and device-mapper's delay target in
# front, every read DELAY_MS late. Prints /dev/mapper/NAME (for a guest's
# "phy:" disk); 1 with a reason on stderr on failure. The modules are
# loaded the first time (e2e-disk-modules, build-initramfs.sh).
disk_setup() {
	if [ ! -e /sys/module/dm_delay ]; then
		# shellcheck disable=SC2013 # one module name a line
		for m in $(cat /etc/e2e-disk-modules); do
			insmod "/lib/modules/$m.ko" 2>/dev/null || [ -e "/sys/module/$(echo "$m" | tr - _)" ] ||
				{ echo "disk_setup: insmod $m failed" >&2; return 1; }
		done
	fi
	ds_img=/tmp/e2e/$1.img
	rm -f "$ds_img"
	truncate -s "$2M" "$ds_img" || { echo "disk_setup: truncate $ds_img failed" >&2; return 1; }
	if ! ds_loop=$(losetup -f) || ! losetup "$ds_loop" "$ds_img"; then
		echo "disk_setup: losetup $ds_img failed" >&2
		return 1
	fi
	echo "$ds_loop" > "/tmp/e2e/$1.loop"
	# 512-byte sectors; the delay target: device offset read-delay-ms
	DM_DISABLE_UDEV=1 dmsetup create --noudevsync "$1" \
		--table "0 $(($2 * 2048)) delay $ds_loop 0 $3" >&2 ||
		{ echo "disk_setup: dmsetup create $1 failed" >&2; return 1; }
	echo "/dev/mapper/$1"
}

# disk_teardown NAME: undo disk_setup (the guest using it is gone).
disk_teardown() {
	DM_DISABLE_UDEV=1 dmsetup remove --noudevsync "$1" 2>/dev/null
	[ -f "/tmp/e2e/$1.loop" ] && losetup -d "$(cat "/tmp/e2e/$1.loop")" 2>/dev/null
	rm -f "/tmp/e2e/$1.img" "/tmp/e2e/$1.loop"
}
