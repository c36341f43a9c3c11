# shellcheck shell=sh
# SPDX-License-Identifier: GPL-2.0-only
# common.sh - sourced by every tests/install/*.sh.
#
# The runner (lib/run.sh, from `make check-install`) sets TOP (the source
# tree), BUILD and GEN (absolute paths of the build tree and of the files
# filled in from templates) and XB_MAKE_BUILD (BUILD as make knows it).
# Run by hand from the top of the tree, the defaults below do the same.

TOP=${TOP:-$(pwd)}
BUILD=${BUILD:-$TOP/build}
GEN=${GEN:-$BUILD/gen}
XB_MAKE_BUILD=${XB_MAKE_BUILD:-build}
export TOP BUILD GEN XB_MAKE_BUILD

n_fail=0

ok() {
	echo "ok - $*"
}

not_ok() {
	echo "not ok - $*"
	n_fail=$((n_fail + 1))
}

# check DESCRIPTION COMMAND...: one result line from a command's status,
# which it returns (so that `check ... || show "$out"` explains a failure).
check() {
	desc=$1
	shift
	if "$@"; then
		ok "$desc"
	else
		not_ok "$desc"
		return 1
	fi
}

# contains TEXT STRING: TEXT has STRING in it (a fixed string).
contains() {
	printf '%s\n' "$1" | grep -qF -- "$2"
}

# no_placeholder FILE: every @NAME@ of the template was filled in.
no_placeholder() {
	! grep -q '@[A-Z][A-Z_]*@' "$1"
}

# Show a captured output under a failure, indented, for the log.
show() {
	printf '%s\n' "$*" | sed 's/^/#   /'
}

# A scratch directory, removed on exit.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/xb-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT PIPE TERM

# make in the source tree, as a fresh invocation: not the jobserver or the
# command-line variables of the make that runs the tests.
submake() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
		make -s -C "$TOP" BUILD="$XB_MAKE_BUILD" "$@"
}

# Install the Debian packages a test needs.
need_pkgs() {
	sh "$TOP/scripts/deps.sh" "$@" > /dev/null
}

# busybox sh, from busybox-static: the package the end-to-end test puts
# in its guest's initramfs. Never "busybox": the two conflict, and
# installing one removes the other.
need_busybox() {
	command -v busybox > /dev/null || need_pkgs busybox-static
}

# --- for the init script tests (initscript.sh, balancer-init.sh) ----------
# They set PIDF, the pidfile of the program under test, and leave an
# init script's output and exit status in $out and $rc.

# The pid in $PIDF ("" when none).
pidfile_pid() {
	p=
	if [ -r "$PIDF" ]; then
		read -r p < "$PIDF"
	fi
	echo "$p"
}

# Alive and not a zombie (a daemon's orphan may wait here for a parent
# that never reaps it).
alive() {
	[ -n "$1" ] && [ -r "/proc/$1/stat" ] &&
		[ "$(sed -n 's/^.*) \(.\).*$/\1/p' "/proc/$1/stat")" != Z ]
}

dead() {
	! alive "$1"
}

# The live processes started with "--pidfile $PIDF": the test's own.
pids_using_pidfile() {
	for d in /proc/[0-9]*; do
		[ -r "$d/cmdline" ] || continue
		if tr '\0' ' ' < "$d/cmdline" 2>/dev/null | grep -q -- "--pidfile $PIDF"; then
			alive "${d#/proc/}" && echo "${d#/proc/}"
		fi
	done
}

# On the way out, however the test leaves: stop its daemons (by process
# id), then remove the scratch tree.
stop_ours() {
	for p in $(pids_using_pidfile); do
		kill -TERM "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}

# run_init PREFIX PROGRAM ACTION...: the init script $INIT under
# $SHELL_UNDER_TEST ("sh", "dash", "busybox sh"), pointed at the test's
# files by its environment (PREFIX_ROOT=$R, PREFIX_BIN=PROGRAM,
# PREFIX_CONFIG=$CONF, PREFIX_PIDFILE=$PIDF), no xenstored; sets $out
# (stdout and stderr) and $rc.
# shellcheck disable=SC2086 # SHELL_UNDER_TEST is a command with arguments
run_init() {
	pfx=$1
	prog=$2
	shift 2
	out=$(env "${pfx}_ROOT=$R" "${pfx}_BIN=$prog" "${pfx}_CONFIG=$CONF" \
		"${pfx}_PIDFILE=$PIDF" XENSTORED_PATH="$tmp/no-xenstored" \
		timeout 120 ${SHELL_UNDER_TEST:-sh} "$INIT" "$@" 2>&1 < /dev/null)
	rc=$?
}

# expect_rc DESCRIPTION WANTED_RC: one result from the last init script run.
# shellcheck disable=SC2154 # rc and out: set by the caller's initd
expect_rc() {
	if [ "$rc" -eq "$2" ]; then
		ok "$1 (exit $rc)"
	else
		not_ok "$1: exit $rc, wanted $2"
		show "$out"
	fi
}

# Exit status for the end of a test script.
finish() {
	[ "$n_fail" -eq 0 ]
}
