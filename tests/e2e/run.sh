#!/bin/sh
# run.sh [test|demo]: boot the e2e machine (Xen 4.17 + Linux dom0 + a PV
# guest, QEMU TCG) and run the scenarios (test) or the demo.
#
# Needs the files of fetch.sh and build-initramfs.sh under $BUILD/e2e.
# Environment: BUILD (default build), E2E_TIMEOUT (seconds for a whole
# boot, default 1500), E2E_BOOT_TIMEOUT (seconds until dom0's userspace,
# default 75; one retry), QEMU (default qemu-system-x86_64), E2E_CPU
# (QEMU's -cpu, default max,-smap,-xsave), E2E_ONLY (guests: only the
# init-system guests of guests.sh; balancer: only balancer.sh's).
# bench-policy and bench-host modes (make bench-policy, make bench-host): E2E_MEM (QEMU's -m, default 2048),
# E2E_DOM0_CPIO (default $BUILD/e2e/dom0.cpio), E2E_DOM0_ARGS (more of
# dom0's command line).
#
# Kept under $BUILD/e2e for reading after a failure:
#   console.log         the serial console (Xen, dom0, the driver's lines)
#   console-attemptN.log each boot attempt's console, as captured
#   guest-console.log   the guest's console (kernel, init, xenballoond -v)
#   create-NAME.log     each xl create's timeline (xl -vvv, free memory,
#                       the domains, the new console's tty, every 0.5 s)
#   syslog.log          dom0's syslog (xenconsoled's own messages)
#   samples.log         dom0's samples of the guest's state during the run
#   monitor.log         xenballoon-monitor's output in the publish scenario
#   timings.txt         boot and scenario timings
#   results.txt         the E2E PASS/FAIL lines
# test mode writes $BUILD/results/e2e ("PASSED FAILED") and exits 1 when
# anything failed or the machine did not finish.
set -u

MODE=${1:-test}
BUILD=${BUILD:-build}
E2E=$BUILD/e2e
RESULTS=$BUILD/results
QEMU=${QEMU:-qemu-system-x86_64}
TIMEOUT=${E2E_TIMEOUT:-1500}
BOOT_TIMEOUT=${E2E_BOOT_TIMEOUT:-75}
SCENARIOS="directed publish selfballoon demand override pressure cache"
# guests.sh: the unit in dom0, the systemd guest, the SysV guest.
GUEST_SCENARIOS="systemd-dom0 sysv-start sysv-reload sysv-stop systemd-enable
systemd-balloon systemd-reload systemd-status systemd-restart systemd-watchdog
systemd-journal systemd-security systemd-stop"
# balancer.sh: xenballoon-balancer in dom0 with three guests.
BALANCER_SCENARIOS="balancer-idle balancer-burst balancer-weights balancer-frozen
balancer-free balancer-restart"
# E2E_ONLY=guests or balancer runs those alone.
case ${E2E_ONLY:-} in
guests) SCENARIOS=$GUEST_SCENARIOS ;;
balancer) SCENARIOS=$BALANCER_SCENARIOS ;;
*) SCENARIOS="$SCENARIOS $GUEST_SCENARIOS $BALANCER_SCENARIOS" ;;
esac
# -cpu max crashes dom0 under TCG (a page fault in Xen's bounce frame):
# no SMAP. With XSAVE (and so AVX) the PV guest's processes crash now and
# then under TCG (segfaults and general protection faults in libc, ld.so,
# busybox: two or more per run in 4 of 4 runs; 0 in 2 runs without XSAVE):
# no XSAVE either.
CPU=${E2E_CPU:-max,-smap,-xsave}

case $MODE in test | demo | bench-policy | bench-host) ;; *) echo "usage: run.sh [test|demo|bench-policy|bench-host]" >&2; exit 2 ;; esac
MEM=${E2E_MEM:-2048}
DOM0_CPIO=${E2E_DOM0_CPIO:-$E2E/dom0.cpio}
for f in xen.elf vmlinuz dom0.cpio; do
	[ -f "$E2E/$f" ] || { echo "e2e: $E2E/$f missing: run tests/e2e/fetch.sh and build-initramfs.sh" >&2; exit 2; }
done
command -v "$QEMU" > /dev/null 2>&1 || { echo "e2e: $QEMU not found (apt-get install qemu-system-x86)" >&2; exit 2; }
case "$E2E" in *,* | *" "*) echo "e2e: the build path '$E2E' may not contain commas or spaces (QEMU -initrd)" >&2; exit 2 ;; esac

mkdir -p "$RESULTS"
rm -f "$E2E/console.log" "$E2E/console-"*.log "$E2E/guest-console.log" "$E2E/samples.log" \
	"$E2E/create-"*.log "$E2E/syslog.log" \
	"$E2E/monitor.log" "$E2E/timings.txt" "$E2E/results.txt"

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
# alive PID: running and not a zombie
alive() { [ -r "/proc/$1/stat" ] && ! awk '{ exit ($3 == "Z") ? 0 : 1 }' "/proc/$1/stat" 2> /dev/null; }
stop() {
	kill "$1" 2> /dev/null
	i=0
	while alive "$1" && [ "$i" -lt 20 ]; do sleep 0.25; i=$((i + 1)); done
	alive "$1" && kill -9 "$1" 2> /dev/null
	wait "$1" 2> /dev/null
}

# dom0's own watchdog ends the run (printing what it has, the guests'
# consoles too) before the host's timeout has to kill QEMU. Its clock starts
# with dom0's userspace (30-60 s after QEMU's under TCG) and the printing
# takes a while at the serial console's pace: two minutes of margin.
wd=$((TIMEOUT - 120))
[ "$wd" -ge 20 ] || wd=20
if [ "$MODE" = demo ]; then
	dom0_args="console=hvc0 rdinit=/init quiet e2e_mode=demo e2e_watchdog=$wd"
else
	dom0_args="console=hvc0 rdinit=/init e2e_mode=$MODE e2e_watchdog=$wd ${E2E_DOM0_ARGS:-}"
	[ -n "${E2E_ONLY:-}" ] && dom0_args="$dom0_args e2e_only=$E2E_ONLY"
fi

T_RUN=$(now)
attempt=0
outcome=""
dom0_up=""
while [ "$attempt" -lt 2 ]; do
	attempt=$((attempt + 1))
	log=$E2E/console-attempt$attempt.log
	echo "e2e: boot attempt $attempt (QEMU TCG, Xen 4.17, timeout ${TIMEOUT} s, dom0 userspace within ${BOOT_TIMEOUT} s)"
	t0=$(now)
	# The file exists before tail follows it (QEMU's redirection is made
	# in the child, which may run after tail has given up on a missing file).
	: > "$log"
	"$QEMU" -accel tcg -cpu "$CPU" -m "$MEM" -smp 2 -nographic -no-reboot \
		-kernel "$E2E/xen.elf" -append "console=com1 dom0_mem=1024M,max:1024M" \
		-initrd "$E2E/vmlinuz $dom0_args,$DOM0_CPIO" \
		> "$log" 2>&1 < /dev/null &
	qpid=$!
	if [ "$MODE" = demo ]; then
		tail -n +1 -f --pid="$qpid" "$log" | tr -d '\r' &
	else
		tail -n +1 -f --pid="$qpid" "$log" | tr -d '\r' |
			grep --line-buffered -E '^E2E (PASS|FAIL|RETRY|TIME|DOM0-UP|XEN-UP|GUEST|BENCH|DONE)|^e2e:' | sed -u 's/^/  /' &
	fi
	tpid=$!
	dom0_up=""
	outcome=""
	while :; do
		if ! alive "$qpid"; then
			wait "$qpid" 2> /dev/null
			outcome=exited
			break
		fi
		el=$(since "$t0")
		if [ -z "$dom0_up" ] && grep -q 'E2E DOM0-UP' "$log"; then
			dom0_up=$el
		fi
		if [ -z "$dom0_up" ] && awk -v e="$el" -v b="$BOOT_TIMEOUT" 'BEGIN { exit !(e > b) }'; then
			outcome=boot-hang
			break
		fi
		if awk -v e="$el" -v b="$TIMEOUT" 'BEGIN { exit !(e > b) }'; then
			outcome=timeout
			break
		fi
		sleep 0.5
	done
	[ "$outcome" = exited ] || stop "$qpid"
	sleep 0.3
	kill "$tpid" 2> /dev/null
	wait "$tpid" 2> /dev/null
	T_BOOT=$(since "$t0")
	if [ "$outcome" = boot-hang ]; then
		echo "e2e: attempt $attempt: dom0 userspace not started after ${BOOT_TIMEOUT} s; the console's last lines:"
		tr -d '\r' < "$log" | tail -n 25 | sed 's/^/  | /'
		continue
	fi
	break
done
tr -d '\r' < "$log" > "$E2E/console.log"
T_TOTAL=$(since "$T_RUN")

# The files dom0 printed between E2E-BEGIN name / E2E-END name.
awk -v dir="$E2E" '
	/^E2E-BEGIN / { name = $2; file = dir "/" name ".log"; printf "" > file; next }
	/^E2E-END / { if (file != "") close(file); file = ""; next }
	file != "" { print > file }
' "$E2E/console.log"

val() { grep -m1 "^E2E $1 " "$E2E/console.log" | awk '{ print $3 }'; }
{
	echo "mode $MODE"
	echo "boot_attempts $attempt"
	echo "outcome $outcome"
	echo "qemu_start_to_dom0_userspace_s ${dom0_up:-never}"
	echo "dom0_uptime_at_userspace_s $(val DOM0-UP)"
	echo "dom0_uptime_at_xen_tools_up_s $(val XEN-UP)"
	grep '^E2E GUEST-CREATED ' "$E2E/console.log" | awk '{ printf "guest_create_s %s %s\n", $3, $4 }'
	echo "guest_create_retries $(grep -c '^E2E RETRY ' "$E2E/console.log")"
	echo "guest_create_to_init_ready_s $(val GUEST-UP)"
	grep '^E2E TIME ' "$E2E/console.log" | awk '{ printf "scenario_%s_s %s\n", $3, $4 }'
	echo "dom0_uptime_at_done_s $(val DONE)"
	echo "last_attempt_wall_s $T_BOOT"
	echo "total_wall_s $T_TOTAL"
} > "$E2E/timings.txt"

if [ "$MODE" != test ]; then
	echo "e2e: $MODE finished ($outcome) in $T_TOTAL s; console in $E2E/console.log"
	[ "$outcome" = exited ] && grep -q '^E2E DONE' "$E2E/console.log"
	exit $?
fi

# A create retried (lib.sh's start_guest) is shown with the results: a
# second line of defence is never silent.
grep -E '^E2E (PASS|FAIL|RETRY) ' "$E2E/console.log" > "$E2E/results.txt"
passed=0 failed=0
for s in $SCENARIOS; do
	if grep -q "^E2E FAIL $s:" "$E2E/results.txt"; then
		failed=$((failed + 1))
	elif grep -q "^E2E PASS $s:" "$E2E/results.txt"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "E2E FAIL $s: no result (machine outcome: $outcome)" >> "$E2E/results.txt"
	fi
done
# Failures outside the scenarios (setup, watchdog) count too.
extra=$(grep -c -E '^E2E FAIL (setup|watchdog):' "$E2E/results.txt")
failed=$((failed + extra))
if [ "$outcome" != exited ] || ! grep -q '^E2E DONE' "$E2E/console.log"; then
	echo "E2E FAIL machine: $outcome after $T_BOOT s (attempt $attempt)" >> "$E2E/results.txt"
	failed=$((failed + 1))
fi
echo "$passed $failed" > "$RESULTS/e2e"
# The failing lines again, for the summary at the very end of `make check`
# (scripts/summary.sh), where a CI log's tail shows them.
grep -E '^E2E (FAIL|RETRY) ' "$E2E/results.txt" > "$RESULTS/e2e.failures" || true
crashes=$(grep -c -E 'segfault at|general protection fault' "$E2E/guest-console.log" 2> /dev/null)
echo "guest_process_crashes ${crashes:-0}" >> "$E2E/timings.txt"

echo "e2e: results:"
sed 's/^/  /' "$E2E/results.txt"
echo "e2e: timings:"
sed 's/^/  /' "$E2E/timings.txt"
if [ "$failed" -gt 0 ]; then
	if [ -s "$E2E/guest-console.log" ]; then
		echo "e2e: the guest's console, last lines ($E2E/guest-console.log):"
		tail -n 40 "$E2E/guest-console.log" | sed 's/^/  | /'
	fi
	echo "e2e: the machine's console, last lines ($E2E/console.log):"
	grep -v -E '^E2E[- ]' "$E2E/console.log" | tail -n 40 | sed 's/^/  | /'
	# A balancer scenario's story is in the balancer's own log (-v: every
	# target it set, with what the guest held, and every state change).
	if grep -q '^E2E FAIL balancer-' "$E2E/results.txt" && [ -s "$E2E/balancer.log" ]; then
		echo "e2e: xenballoon-balancer's log, last lines ($E2E/balancer.log):"
		tail -n 40 "$E2E/balancer.log" | sed 's/^/  | /'
	fi
fi
echo "e2e: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
