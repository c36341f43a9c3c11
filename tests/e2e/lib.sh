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

# start_guest EXTRA_KERNEL_ARGS: create the guest and wait for its init.
# GUEST_RAMDISK (default /e2e/guest.cpio), GUEST_CREATE_S (the bound on
# xl create, default 60) and GUEST_READY_S (the wait for its init, default
# 90) may be set for another kind of guest.
# Sets DOMID. Returns 1 (with a reason on stdout) on failure.
start_guest() {
	cat > /tmp/e2e/guest.cfg <<EOF
name = "$GUEST"
type = "pv"
kernel = "/e2e/vmlinuz"
ramdisk = "${GUEST_RAMDISK:-/e2e/guest.cpio}"
extra = "console=hvc0 rdinit=/init loglevel=4 $1"
memory = $MAXMB
maxmem = $MAXMB
vcpus = 1
on_poweroff = "destroy"
on_reboot = "destroy"
on_crash = "destroy"
EOF
	t0=$(now)
	if ! timeout "${GUEST_CREATE_S:-60}" xl create /tmp/e2e/guest.cfg > /tmp/e2e/xl-create.out 2>&1; then
		note "xl create failed: $(tr '\n' ' ' < /tmp/e2e/xl-create.out)"
		return 1
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
