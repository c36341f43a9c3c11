#!/bin/sh
# /init of dom0 in the e2e machine (Xen 4.17 under QEMU TCG).
#
# Brings up the Xen control plane (driver modules, xenfs, xenstored,
# xen-init-dom0, xenconsoled), runs /e2e/scenarios.sh, guests.sh and
# balancer.sh, or demo.sh, or a bench (dom0 command line:
# e2e_mode=test|demo|bench-policy|bench-host, e2e_only=guests|balancer),
# prints the files the host keeps
# between "E2E-BEGIN name" / "E2E-END name" lines, and powers the machine
# off, which ends QEMU. Every line the host parses starts with "E2E ".
# A watchdog powers off after e2e_watchdog seconds (default 300) whatever
# happens, so a hung step never hangs the host.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:/usr/lib/xen-4.17/bin
export LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu:/lib/x86_64-linux-gnu

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mkdir -p /var && ln -s /run /var/run 2>/dev/null
mkdir -p /run/xen /run/xenstored /var/log/xen/console /var/lib/xen /var/lib/xenstored /tmp/e2e

echo "E2E DOM0-UP $(cut -d' ' -f1 /proc/uptime)"

mode="test"
watchdog=300
only=""
# shellcheck disable=SC2013 # the kernel's command line is words
for tok in $(cat /proc/cmdline); do
	case $tok in
	e2e_mode=*) mode=${tok#e2e_mode=} ;;
	e2e_watchdog=*) watchdog=${tok#e2e_watchdog=} ;;
	e2e_only=*) only=${tok#e2e_only=} ;;
	esac
done

finish() {
	# The files the host keeps, then power off (QEMU exits: -no-reboot).
	for f in /var/log/xen/console/guest-*.log; do
		[ -f "$f" ] || continue
		n=$(basename "$f" .log)
		n=console-${n#guest-}
		[ "$n" = console-e2eguest ] && n=guest-console
		echo "E2E-BEGIN $n"
		tr -d '\r' < "$f"
		echo "E2E-END $n"
	done
	for f in /tmp/e2e/*.log; do
		[ -f "$f" ] || continue
		n=$(basename "$f" .log)
		echo "E2E-BEGIN $n"
		cat "$f"
		echo "E2E-END $n"
	done
	echo "E2E DONE $(cut -d' ' -f1 /proc/uptime)"
	sync
	poweroff -f
}

(
	sleep "$watchdog"
	echo "E2E FAIL watchdog: dom0 still running after ${watchdog} s"
	finish
) &

fatal() {
	echo "E2E FAIL setup: $*"
	finish
}

# shellcheck disable=SC2013 # one module name a word
for m in $(cat /etc/e2e-modules); do
	insmod "/lib/modules/$m.ko" || fatal "insmod $m failed"
done
mount -t xenfs xenfs /proc/xen || fatal "mount -t xenfs failed"
grep -q control_d /proc/xen/capabilities || fatal "not dom0: /proc/xen/capabilities has no control_d"

xenstored --pid-file /run/xenstored.pid || fatal "xenstored failed to start"
i=0
until xenstore-read /local >/dev/null 2>&1 || xenstore-ls / >/dev/null 2>&1; do
	i=$((i + 1))
	[ "$i" -gt 100 ] && fatal "xenstored not answering after 10 s"
	sleep 0.1
done
xen-init-dom0 || fatal "xen-init-dom0 failed"
# The Xen daemons' own messages (xenconsoled's "New domain", errors) go
# to syslog: kept, with times, as syslog.log in the build's e2e directory.
syslogd -O /tmp/e2e/syslog.log -l 8 || echo "e2e: syslogd failed to start"
xenconsoled -v --log=guest --log-dir=/var/log/xen/console || fatal "xenconsoled failed to start"
echo "E2E XEN-UP $(cut -d' ' -f1 /proc/uptime)"

case $mode in
demo) sh /e2e/demo.sh ;;
bench-policy) sh /e2e/bench-policy.sh ;;
bench-host) sh /e2e/bench-host.sh ;;
*)
	case $only in
	guests) sh /e2e/guests.sh ;;
	balancer) sh /e2e/balancer.sh ;;
	*)
		sh /e2e/scenarios.sh
		sh /e2e/guests.sh
		sh /e2e/balancer.sh
		;;
	esac
	;;
esac
finish
