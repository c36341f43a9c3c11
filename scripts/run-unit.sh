#!/bin/sh
# run-unit.sh RESULT_FILE TEST_BINARY...: run Check test binaries, total
# their counts into RESULT_FILE ("PASSED FAILED"), fail if any failed.
set -u
out=$1; shift
tp=0; tf=0; rc=0
for t in "$@"; do
	log=$(mktemp)
	CK_FORK=yes "$t" > "$log" 2>&1
	trc=$?
	cat "$log"
	# Check prints: "100%: Checks: 12, Failures: 0, Errors: 0"
	line=$(grep -E '^[0-9]+%: Checks: [0-9]+' "$log" | tail -n 1)
	rm -f "$log"
	if [ -z "$line" ]; then
		echo "run-unit: $t printed no Check summary (exit $trc)" >&2
		tf=$((tf + 1)); rc=1; continue
	fi
	n=$(echo "$line" | sed -E 's/.*Checks: ([0-9]+).*/\1/')
	f=$(echo "$line" | sed -E 's/.*Failures: ([0-9]+).*/\1/')
	e=$(echo "$line" | sed -E 's/.*Errors: ([0-9]+).*/\1/')
	tp=$((tp + n - f - e)); tf=$((tf + f + e))
	[ "$trc" -eq 0 ] && [ $((f + e)) -eq 0 ] || rc=1
done
echo "$tp $tf" > "$out"
echo "unit: $tp passed, $tf failed"
exit $rc
