#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# run.sh RESULT_FILE TEST...: run the install tests, each a sh script that
# prints one "ok - ..." or "not ok - ..." line per check. Writes
# "PASSED FAILED" to RESULT_FILE, prints "install: N passed, M failed",
# and fails when any check failed. A script that exits non-zero without
# reporting a failure (it crashed, or ran out of time) counts as one.
set -u
out=$1
shift
tp=0
tf=0
for t in "$@"; do
	echo "== $t"
	log=$(mktemp)
	# Generous: the init test waits on a running daemon a few times.
	timeout 900 sh "$t" > "$log" 2>&1
	rc=$?
	cat "$log"
	p=$(grep -c '^ok ' "$log")
	f=$(grep -c '^not ok ' "$log")
	rm -f "$log"
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $t exited with status $rc"
		f=1
	fi
	tp=$((tp + p))
	tf=$((tf + f))
done
echo "$tp $tf" > "$out"
echo "$(basename "$out"): $tp passed, $tf failed"
[ "$tf" -eq 0 ]
