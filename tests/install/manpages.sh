#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# manpages.sh: the man pages filled in at build time print no warning
# under `groff -man -Tutf8 -ww`, carry the version, and document
# everything there is: every option the daemon's --help lists, every key
# of the configuration parser, every xenstore key it reads or writes,
# every signal, file and environment variable.
#
# shellcheck source=tests/install/lib/common.sh
. "${TOP:-.}/tests/install/lib/common.sh"

need_pkgs groff bsdextrautils
VERSION=$(sed -n 's/^VERSION[[:space:]]*:=[[:space:]]*//p' "$TOP/Makefile")

# --- lint --------------------------------------------------------------------
n=0
for m in "$GEN"/*.[58]; do
	[ -f "$m" ] || continue
	n=$((n + 1))
	name=$(basename "$m")
	out=$(groff -man -Tutf8 -ww -z "$m" 2>&1)
	if [ -z "$out" ]; then
		ok "$name: groff -man -Tutf8 -ww prints no warning"
	else
		not_ok "$name: groff -man -Tutf8 -ww warns"
		show "$out"
	fi
	check "$name: no placeholder left" no_placeholder "$m"
	check "$name: .TH names version $VERSION" grep -q "^\\.TH .*$VERSION" "$m"
done
check "man pages found in $GEN (xenballoond.8, xenballoon.conf.5)" \
	[ -f "$GEN/xenballoond.8" ] && [ -f "$GEN/xenballoon.conf.5" ]
check "the balancer's man pages are generated (xenballoon-balancer.8, .conf.5)" \
	[ -f "$GEN/xenballoon-balancer.8" ] && [ -f "$GEN/xenballoon-balancer.conf.5" ]
if [ -f "$TOP/man/xenballoon-monitor.8.in" ]; then
	check "xenballoon-monitor.8 is generated too" [ -f "$GEN/xenballoon-monitor.8" ]
fi
echo "# $n man pages linted"

# --- coverage ---------------------------------------------------------------------
# Plain text, one long line per paragraph: nothing is broken or hyphenated.
render() {
	groff -man -Tascii -rLL=2000n "$1" 2>/dev/null | col -bx
}
daemon8=$(render "$GEN/xenballoond.8")
conf5=$(render "$GEN/xenballoon.conf.5")

# documents PAGE-NAME TEXT WORD...
documents() {
	page=$1
	text=$2
	shift 2
	missing=
	for w in "$@"; do
		contains "$text" "$w" || missing="$missing $w"
	done
	if [ -z "$missing" ]; then
		ok "$page documents $*"
	else
		not_ok "$page does not document:$missing"
	fi
}

# Options: those the README names, and whatever --help lists today.
opts="-f --config -d --foreground -n --check-config -v -V --version -h --help
--once --ticks --interval --dry-run --root --pidfile"
if [ -x "$BUILD/xenballoond" ]; then
	help=$("$BUILD/xenballoond" --help 2>&1)
	# The option lines of the help (indented), not the usage line.
	opts="$opts $(printf '%s\n' "$help" | grep '^[[:space:]]' |
		grep -oE -- '(^|[[:space:],])--?[a-zA-Z][a-zA-Z-]*' | sed 's/^[^-]*//')"
	# shellcheck disable=SC2086 # split the word list, one per line
	opts=$(printf '%s\n' $opts | sort -u)
else
	not_ok "no $BUILD/xenballoond to ask for --help"
fi
# shellcheck disable=SC2086 # word lists
documents xenballoond.8 "$daemon8" $opts

keys=$(grep -o '"XENBALLOON_[A-Z][A-Z_]*"' "$TOP/src/daemon/config.c" | tr -d '"' | sort -u)
check "the parser's keys found in src/daemon/config.c" [ -n "$keys" ]
# shellcheck disable=SC2086
documents xenballoon.conf.5 "$conf5" $keys
for k in $keys; do
	check "xenballoon.conf.5 has an entry for $k" grep -qx "\\.B $k" "$GEN/xenballoon.conf.5"
done

read_keys=$(grep -o '"memory/[a-z-]*"' "$TOP/src/daemon/xs.c" | tr -d '"' | sort -u)
written=$(sed -n 's/^[[:space:]]*\[XSS_[A-Z_]*\][[:space:]]*=[[:space:]]*"\([a-z_-]*\)".*$/\1/p' "$TOP/src/common/stats.c")
check "xenstore keys found in src/daemon/xs.c and src/common/stats.c" [ -n "$read_keys" ] && [ -n "$written" ]
# shellcheck disable=SC2086
documents xenballoond.8 "$daemon8" $read_keys $written data/xenballoon
documents xenballoond.8 "$daemon8" SIGTERM SIGINT SIGHUP SIGUSR1
documents xenballoond.8 "$daemon8" XENSTORED_PATH
documents xenballoond.8 "$daemon8" /etc/sysconfig/xenballoon.conf \
	/run/xenballoond.pid /var/run/xenballoon-maxmem \
	/sys/devices/system/xen_memory/xen_memory0/target_kb info/current_kb \
	/proc/xen/balloon /proc/sys/vm/preswap /proc/meminfo /proc/vmstat \
	/proc/uptime /etc/init.d/xenballoond xenballoond.service
documents xenballoond.8 "$daemon8" "EXIT STATUS" "SEE ALSO" "xenballoon.conf(5)" \
	"xenballoon-monitor(8)"
# --- the balancer's pages --------------------------------------------------------
bal8=$(render "$GEN/xenballoon-balancer.8")
balconf5=$(render "$GEN/xenballoon-balancer.conf.5")
bopts="-f --config -d --foreground -n --check-config -v --verbose -V --version -h --help
--dry-run --pidfile --free --timeout"
if [ -x "$BUILD/xenballoon-balancer" ]; then
	bhelp=$("$BUILD/xenballoon-balancer" --help 2>&1)
	bopts="$bopts $(printf '%s\n' "$bhelp" | grep '^[[:space:]]' |
		grep -oE -- '(^|[[:space:],])--?[a-zA-Z][a-zA-Z-]*' | sed 's/^[^-]*//')"
	# shellcheck disable=SC2086 # split the word list, one per line
	bopts=$(printf '%s\n' $bopts | sort -u)
	bkeys=$("$BUILD/xenballoon-balancer" -n -f /dev/null | sed -n 's/^\(XENBALLOON_BALANCER_[A-Z_]*\)=.*$/\1/p')
	bkeys="$bkeys XENBALLOON_BALANCER_GUEST"
else
	not_ok "no $BUILD/xenballoon-balancer to ask for --help and its keys"
	bkeys=
fi
# shellcheck disable=SC2086 # word lists
documents xenballoon-balancer.8 "$bal8" $bopts
# shellcheck disable=SC2086
documents xenballoon-balancer.conf.5 "$balconf5" $bkeys
for k in $bkeys; do
	check "xenballoon-balancer.conf.5 has an entry for $k" \
		grep -qx "\\.B $k" "$GEN/xenballoon-balancer.conf.5"
done
bxs=$(sed -n 's/^[[:space:]]*\[GK_[A-Z_]*\][[:space:]]*=[[:space:]]*"\([a-z/_-]*\)".*$/\1/p' \
	"$TOP/src/balancer/guests.c")
check "the balancer's xenstore keys found in src/balancer/guests.c" [ -n "$bxs" ]
# shellcheck disable=SC2086
documents xenballoon-balancer.8 "$bal8" $bxs data/xenballoon @introduceDomain @releaseDomain \
	/tool/xenballoon-balancer/host /tool/xenballoon-balancer/dom \
	/tool/xenballoon-balancer/request/free
documents xenballoon-balancer.8 "$bal8" SIGTERM SIGINT SIGHUP SIGUSR1 XENSTORED_PATH \
	/etc/sysconfig/xenballoon-balancer.conf /run/xenballoon-balancer.pid \
	/etc/init.d/xenballoon-balancer xenballoon-balancer.service libxl_set_memory_target \
	"EXIT STATUS" "SEE ALSO" "xenballoon-balancer.conf(5)" "xenballoon-monitor(8)"
documents xenballoon-balancer.conf.5 "$balconf5" memory/balancer-weight \
	memory/balancer-min-mb memory/balancer-max-mb memory/static-max "xenballoon-balancer(8)"

documents xenballoon.conf.5 "$conf5" memory/selfballoon memory/interval \
	memory/downhysteresis memory/uphysteresis memory/preswaphysteresis \
	memory/preswapinertia data/xenballoon "xenballoond(8)"

finish
