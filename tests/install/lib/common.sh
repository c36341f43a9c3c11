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

# Exit status for the end of a test script.
finish() {
	[ "$n_fail" -eq 0 ]
}
