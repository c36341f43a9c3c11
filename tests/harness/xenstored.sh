#!/bin/sh
# xenstored.sh start|stop|kill|status DIR
#
# Runs Debian's unmodified xenstored (Xen 4.17) without a hypervisor, for
# the integration tests and benchmarks: LD_PRELOAD of xsd_shim.so answers
# its hypervisor calls, the libraries come from the extracted packages.
#
#   start DIR   start it listening on DIR/socket (a stale socket is removed
#               first), log DIR/xenstored.log, pid DIR/xenstored.pid; wait
#               (bounded) until a client gets an answer; create
#               /local/domain/0 (a socket client is dom0 and its relative
#               paths resolve there). Already running: nothing to do.
#   stop DIR    SIGTERM, wait, SIGKILL if needed; remove socket and pid file.
#   kill DIR    SIGKILL and nothing else (a crash: the socket file stays).
#   status DIR  prints and exits 0 "running PID", 1 "dead PID" (pid file
#               but no process), 3 "stopped".
#
# Clients connect with XENSTORED_PATH=DIR/socket.
#
# Environment:
#   XB_XEN_ROOT        extracted packages (default build/xen/root of the repo)
#   XB_SHIM            the shim (default build/harness/xsd_shim.so)
#   XSD_TRACE=1        also -T DIR/trace (every request, for counting)
#   XSD_ARGS           more xenstored options, e.g. "-V" or "-Q memory=0"
#   XSD_START_TIMEOUT  seconds to wait for the daemon to answer (default 5)
#   XSD_SHIM_DOMAINS   domids that exist besides dom0: "5,7" or "all"
#   XSD_SHIM_DEBUG=1   the shim logs every call to DIR/xenstored.log
#   PYTHON             python3 for the readiness check (default /usr/bin/python3)
#
# Killed daemons may stay zombies here (nothing reaps them): liveness is
# "exists and is not in state Z", never `kill -0`.
set -eu

me=xenstored.sh
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

die() {
	echo "$me: $*" >&2
	exit 1
}

usage() {
	echo "usage: $me start|stop|kill|status DIR" >&2
	exit 2
}

[ $# -eq 2 ] || usage
action=$1
[ -n "$2" ] || usage
mkdir -p "$2" || die "cannot create directory $2"
dir=$(cd "$2" && pwd)
sock=$dir/socket
pidfile=$dir/xenstored.pid
log=$dir/xenstored.log

# alive PID: the process exists and is not a zombie.
alive() {
	[ -r "/proc/$1/stat" ] || return 1
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# is_ours PID: a live xenstored (guards against a recycled pid).
is_ours() {
	alive "$1" || return 1
	[ "$(cat "/proc/$1/comm" 2>/dev/null)" = xenstored ]
}

# wait_gone PID TENTHS: until PID is gone or a zombie; 1 on time-out.
wait_gone() {
	n=0
	while is_ours "$1"; do
		[ "$n" -ge "$2" ] && return 1
		sleep 0.1
		n=$((n + 1))
	done
	return 0
}

read_pid() {
	pid=""
	[ -f "$pidfile" ] || return 1
	pid=$(head -n1 "$pidfile" 2>/dev/null | tr -cd '0-9')
	[ -n "$pid" ]
}

tenths() {
	# seconds (may be fractional) to tenths, at least 1
	t=$(echo "$1" | awk '{ v = int($1 * 10 + 0.5); if (v < 1) v = 1; print v }')
	echo "${t:-50}"
}

do_status() {
	if read_pid; then
		if is_ours "$pid"; then
			echo "running $pid"
			return 0
		fi
		echo "dead $pid"
		return 1
	fi
	echo "stopped"
	return 3
}

do_stop() {
	if read_pid && is_ours "$pid"; then
		kill -TERM "$pid" 2>/dev/null || true
		if ! wait_gone "$pid" 50; then
			echo "$me: xenstored $pid ignored SIGTERM for 5 s, sending SIGKILL" >&2
			kill -KILL "$pid" 2>/dev/null || true
			wait_gone "$pid" 30 || die "xenstored $pid survives SIGKILL"
		fi
	fi
	rm -f "$sock" "$pidfile"
}

do_kill() {
	if read_pid && is_ours "$pid"; then
		kill -KILL "$pid" 2>/dev/null || true
		wait_gone "$pid" 30 || die "xenstored $pid survives SIGKILL"
	fi
	return 0
}

do_start() {
	if read_pid && is_ours "$pid"; then
		echo "$me: already running (pid $pid) in $dir"
		return 0
	fi
	rm -f "$pidfile"

	xen_root=${XB_XEN_ROOT:-$repo/build/xen/root}
	shim=${XB_SHIM:-$repo/build/harness/xsd_shim.so}
	xsd=$xen_root/usr/lib/xen-4.17/bin/xenstored
	libdir=$xen_root/usr/lib/x86_64-linux-gnu
	[ -x "$xsd" ] || die "no xenstored at $xsd (run 'make harness', or set XB_XEN_ROOT)"
	[ -f "$shim" ] || die "no shim at $shim (run 'make harness', or set XB_SHIM)"
	case $shim in /*) ;; *) shim=$(cd "$(dirname "$shim")" && pwd)/$(basename "$shim") ;; esac
	case $libdir in /*) ;; *) libdir=$(cd "$libdir" && pwd) ;; esac

	py=${PYTHON:-/usr/bin/python3}
	if ! command -v "$py" >/dev/null 2>&1; then
		sh "$repo/scripts/deps.sh" python3 || die "python3 is needed and could not be installed"
		py=/usr/bin/python3
	fi

	# sockaddr_un.sun_path holds 107 characters
	[ "${#sock}" -le 107 ] || die "socket path too long (${#sock} > 107): $sock"

	rm -f "$sock"
	opts="-N"
	if [ "${XSD_TRACE:-0}" = 1 ]; then
		opts="$opts -T $dir/trace"
	fi
	{
		echo "=== $(date '+%F %T') start: xenstored $opts ${XSD_ARGS:-}"
	} >>"$log"

	# The assignments reach only xenstored. The child execs it, so $! is its
	# pid. All of stdin/stdout/stderr are redirected: no pipe of the caller
	# stays open in the daemon.
	# shellcheck disable=SC2086
	XENSTORED_RUNDIR="$dir" XENSTORED_PATH="$sock" \
	LD_PRELOAD="$shim" LD_LIBRARY_PATH="$libdir" \
		"$xsd" $opts ${XSD_ARGS:-} </dev/null >>"$log" 2>&1 &
	pid=$!
	echo "$pid" >"$pidfile"

	timeout=${XSD_START_TIMEOUT:-5}
	# the readiness check itself is bounded by the outer timeout(1) too
	limit=$(( $(tenths "$timeout") / 10 + 5 ))
	if ! timeout -k 1 "$limit" "$py" "$here/xs.py" wait "$sock" "$timeout" "$pid" >>"$log" 2>&1; then
		echo "$me: xenstored did not come up in $dir; end of $log:" >&2
		tail -n 15 "$log" >&2 || true
		if is_ours "$pid"; then
			kill -KILL "$pid" 2>/dev/null || true
			wait_gone "$pid" 20 || true
		fi
		rm -f "$sock" "$pidfile"
		exit 1
	fi
	echo "$me: xenstored running (pid $pid), XENSTORED_PATH=$sock"
}

case $action in
start) do_start ;;
stop) do_stop ;;
kill) do_kill ;;
status)
	rc=0
	do_status || rc=$?
	exit "$rc"
	;;
*) usage ;;
esac
