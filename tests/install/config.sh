#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# config.sh: the shipped conf/xenballoon.conf and
# conf/xenballoon-balancer.conf. Each program accepts its file
# without a warning and it changes nothing (every value is the default);
# it assigns every key of the parser once, each under a "## Type:" and
# "## Default:" that say what the parser does; the documented ranges are
# the parser's; the xenstore overrides are named; and a file written for
# the Xen 3.4 scripts gives the same settings.
#
# shellcheck source=tests/install/lib/common.sh
. "${TOP:-.}/tests/install/lib/common.sh"

CONF=$TOP/conf/xenballoon.conf
D=$BUILD/xenballoond
if [ ! -x "$D" ]; then
	not_ok "needs $D: run make first"
	exit 1
fi

# settings FILE: the program's ($D) effective settings; stderr to $tmp/err.
settings() {
	"$D" -n -f "$1" 2> "$tmp/err"
}

accepts() {
	settings "$1" > /dev/null
}

# walk NAME CONF PREFIX: CONF, the shipped file of program $D, is accepted
# without a warning, is the defaults, and assigns each key (the PREFIX*
# lines of -n) once under a "## Type:", a "## Default:" that is the
# program's, words, and for integers a "## Range:" whose bounds are the
# parser's.
walk() {
	name=$1
	CONF=$2
	prefix=$3
	defaults=$(settings /dev/null)
	printf '%s\n' "$defaults" > "$tmp/defaults"
	shipped=$(settings "$CONF")
	rc=$?
	check "$name -n accepts the shipped file" [ "$rc" -eq 0 ]
	check "... without a warning" [ ! -s "$tmp/err" ] || show "$(cat "$tmp/err")"
	if [ "$shipped" = "$defaults" ]; then
		ok "the shipped $(basename "$CONF")'s settings are the defaults"
	else
		not_ok "the shipped $(basename "$CONF")'s settings differ from the defaults"
		show "$(printf '%s\n' "$shipped" | diff - "$tmp/defaults" 2>&1)"
	fi

	keys=$(printf '%s\n' "$defaults" | sed -n "s/^\\(${prefix}[A-Z_]*\\)=.*\$/\\1/p")
	check "$name prints its keys" [ -n "$keys" ]

	for k in $keys; do
		n=$(grep -c "^$k=" "$CONF")
		if [ "$n" -ne 1 ]; then
			not_ok "$k is assigned $n times in the shipped file, not once"
			continue
		fi
		block=$(awk -v k="$k" '
			/^$/ { block = ""; next }
			{ block = block $0 "\n" }
			index($0, k "=") == 1 { printf "%s", block; exit }' "$CONF")
		type=$(printf '%s\n' "$block" | sed -n 's/^## Type:[[:space:]]*//p')
		def=$(printf '%s\n' "$block" | sed -n 's/^## Default:[[:space:]]*//p' | tr -d '"')
		range=$(printf '%s\n' "$block" | sed -n 's/^## Range:[[:space:]]*//p')
		eff=$(printf '%s\n' "$defaults" | sed -n "s/^$k=//p")
		check "$k: documented type ($type)" [ -n "$type" ]
		check "$k: documented default ($def) is the program's ($eff)" [ "$def" = "$eff" ]
		words=$(printf '%s\n' "$block" | grep -c '^# ')
		check "$k: explained in words ($words lines)" [ "$words" -ge 1 ]
		case $type in
		integer*)
			lo=${range%..*}
			hi=${range#*..}
			if [ -z "$range" ]; then
				not_ok "$k: no documented range"
				continue
			fi
			for v in "$lo" "$hi"; do
				printf '%s=%s\n' "$k" "$v" > "$tmp/c"
				check "$k=$v (documented bound) is accepted" accepts "$tmp/c"
			done
			for v in $((lo - 1)) $((hi + 1)); do
				[ "$v" -ge 0 ] || continue
				printf '%s=%s\n' "$k" "$v" > "$tmp/c"
				if settings "$tmp/c" > /dev/null; then
					not_ok "$k=$v (out of the documented range) is accepted"
				else
					check "$k=$v is refused, naming file:line: key" \
						grep -qF "$tmp/c:1: $k:" "$tmp/err"
				fi
			done
			;;
		esac
	done
}

walk xenballoond "$TOP/conf/xenballoon.conf" XENBALLOON_
CONF=$TOP/conf/xenballoon.conf
defaults=$(settings /dev/null)

# Each override dom0 can set is named in the file.
for x in $(grep -o '"memory/[a-z]*hysteresis"\|"memory/[a-z]*inertia"\|"memory/interval"\|"memory/selfballoon"' \
	"$TOP/src/daemon/xs.c" | tr -d '"'); do
	check "the shipped file names the xenstore override $x" grep -q "xenstore $x" "$CONF"
done

# A file as the Xen 3.4 scripts shipped it (their keys and values).
cat > "$tmp/xen34.conf" <<'END'
## Path: System/xen
## Description: xen domain start/stop on boot
## Type: string
## Default:

XENBALLOON_SELF=false
XENBALLOON_SELF_INTERVAL=1
XENBALLOON_INTERVAL=1
XENBALLOON_AUTO_DOWNHYSTERESIS=10
XENBALLOON_AUTO_UPHYSTERESIS=1
XENBALLOON_MINMEM=0
XENBALLOON_MAXMEMFILE=/var/run/xenballoon-maxmem
XENBALLOON_SEND_MEMINFO=1
XENBALLOON_SEND_VMSTAT=1
XENBALLOON_SEND_UPTIME=1
XENBALLOON_PRESWAP_SHRINK=false
XENBALLOON_PRESWAP_SYSFILE=/proc/sys/vm/preswap
XENBALLOON_PRESWAP_HYSTERESIS=20
XENBALLOON_PRESWAP_INERTIA=10
XENBALLOON_SEND_PRESWAP=1
END
check "a Xen 3.4 file gives the defaults" [ "$(settings "$tmp/xen34.conf")" = "$defaults" ]

# What the scripts got wrong: 0 meant "send" there.
printf 'XENBALLOON_SEND_VMSTAT=0\n' > "$tmp/c"
check "XENBALLOON_SEND_VMSTAT=0 turns it off" \
	contains "$(settings "$tmp/c")" XENBALLOON_SEND_VMSTAT=0

# --- the balancer's file -----------------------------------------------------
B=$BUILD/xenballoon-balancer
if [ -x "$B" ]; then
	D=$B
	walk xenballoon-balancer "$TOP/conf/xenballoon-balancer.conf" XENBALLOON_BALANCER_
	check "the shipped balancer file shows a XENBALLOON_BALANCER_GUEST line, commented out" \
		grep -q '^#XENBALLOON_BALANCER_GUEST=' "$TOP/conf/xenballoon-balancer.conf"
	printf '%s\n' "$(grep '^#XENBALLOON_BALANCER_GUEST=' "$TOP/conf/xenballoon-balancer.conf" |
		cut -c2-)" > "$tmp/c"
	check "... which the balancer accepts" accepts "$tmp/c"
else
	not_ok "needs $B: run make first"
fi

finish

