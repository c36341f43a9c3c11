#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# docs.sh: README.md covers what it must (the two commands, install,
# every configuration key, every xenstore key read and written, the
# monitor, the differences from the original, the licence), and LICENSE
# is the GPL, version 2, in full.
#
# shellcheck source=tests/install/lib/common.sh
. "${TOP:-.}/tests/install/lib/common.sh"

README=$TOP/README.md
readme=$(cat "$README" 2>/dev/null)
check "README.md exists" [ -n "$readme" ]

for s in "make demo" "make check" "make install" "make uninstall" DESTDIR PREFIX \
	SBINDIR SYSCONFDIR MANDIR SYSTEMDUNITDIR "## Xenstore keys" "## The monitor" \
	"## What differs from the original" "## Licence" "GPL-2.0-only" "LGPL-2.1" \
	xenballoon-monitor SIGHUP; do
	check "README mentions $s" contains "$readme" "$s"
done

for k in $(grep -o '"XENBALLOON_[A-Z][A-Z_]*"' "$TOP/src/daemon/config.c" | tr -d '"' | sort -u); do
	check "README's key table has $k" contains "$readme" "| \`$k\`"
done
for k in $(grep -o '"memory/[a-z-]*"' "$TOP/src/daemon/xs.c" | tr -d '"' | sort -u); do
	check "README's xenstore table has $k" contains "$readme" "| \`$k\`"
done
written=$(sed -n 's/^[[:space:]]*\[XSS_[A-Z_]*\][[:space:]]*=[[:space:]]*"\([a-z_-]*\)".*$/\1/p' "$TOP/src/common/stats.c")
for k in $written; do
	check "README's xenstore table has $k" contains "$readme" "| \`$k\`"
done

# The licence text itself, as the FSF published it.
check "LICENSE is the GNU GPL, version 2" \
	contains "$(head -n 2 "$TOP/LICENSE")" "Version 2, June 1991"
if [ -f /usr/share/common-licenses/GPL-2 ]; then
	check "LICENSE is the whole of it" cmp -s /usr/share/common-licenses/GPL-2 "$TOP/LICENSE"
fi

finish
