#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# lint.sh: the shell scripts pass shellcheck; the init script is plain
# POSIX sh with a complete LSB header and no distribution's function
# library, and parses under dash and busybox sh.
#
# shellcheck source=tests/install/lib/common.sh
. "${TOP:-.}/tests/install/lib/common.sh"

need_pkgs shellcheck dash
need_busybox
INIT=$GEN/xenballoond.init

BINIT=$GEN/xenballoon-balancer.init
for f in "$INIT" "$BINIT" "$TOP"/tests/install/*.sh "$TOP"/tests/install/lib/*.sh; do
	out=$(cd "$TOP" && shellcheck -s sh -x "$f" 2>&1)
	check "shellcheck ${f#"$TOP"/}" [ -z "$out" ] || show "$out"
done

check "init script: #!/bin/sh" [ "$(head -n 1 "$INIT")" = "#!/bin/sh" ]
for sh in dash "busybox sh"; do
	for f in "$INIT" "$BINIT"; do
		# shellcheck disable=SC2086 # a command with arguments
		out=$($sh -n "$f" 2>&1)
		check "$(basename "$f") parses under $sh" [ -z "$out" ] || show "$out"
	done
done

header=$(sed -n '/^### BEGIN INIT INFO$/,/^### END INIT INFO$/p' "$INIT")
check "init script: LSB header present" [ -n "$header" ]
for field in Provides Required-Start Required-Stop Default-Start Default-Stop \
	Short-Description Description; do
	check "init script: LSB $field" contains "$header" "# $field:"
done
check "init script: Provides: xenballoond" contains "$header" "# Provides:          xenballoond"
# sources_only_lsb_hook FILE: no ". file" or "source file" but Debian's
# /lib/lsb/init-functions (which hands the script to systemctl where
# systemd runs), and that only where it exists.
sources_only_lsb_hook() {
	! grep -E '^[[:space:]]*(\.|source)[[:space:]]+[^[:space:]]' "$1" |
		grep -vqx '[[:space:]]*\. /lib/lsb/init-functions' &&
		grep -q '^if \[ -r /lib/lsb/init-functions \]; then$' "$1"
}
# no_distro_helpers FILE: none of the helpers one distribution provides.
no_distro_helpers() {
	! grep -Eqw 'start-stop-daemon|killproc|pidofproc|log_daemon_msg|log_end_msg|status_of_proc' "$1"
}
check "init script: sources no function library (only the LSB hook, if present)" \
	sources_only_lsb_hook "$INIT"
check "init script: no start-stop-daemon, killproc, pidofproc, log_*_msg" \
	no_distro_helpers "$INIT"
usage=$(sh "$INIT" 2>&1)
for a in start stop status restart try-restart reload force-reload; do
	check "init script: usage lists $a" contains "$usage" "$a"
done

bheader=$(sed -n '/^### BEGIN INIT INFO$/,/^### END INIT INFO$/p' "$BINIT")
check "balancer init script: Provides: xenballoon-balancer" \
	contains "$bheader" "# Provides:          xenballoon-balancer"
check "balancer init script: sources no function library (only the LSB hook)" \
	sources_only_lsb_hook "$BINIT"
check "balancer init script: no start-stop-daemon, killproc, pidofproc, log_*_msg" \
	no_distro_helpers "$BINIT"

finish
