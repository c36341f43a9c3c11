#!/bin/sh
# summary.sh RESULTS_DIR: total the per-suite results of `make check`.
# Each file in RESULTS_DIR holds one line "PASSED FAILED" (two integers).
set -eu
dir=$1
tp=0; tf=0
for f in "$dir"/*; do
	# Result files are named for their suite; anything else is not ours.
	case "$(basename "$f")" in *.*) continue ;; esac
	[ -f "$f" ] || continue
	read -r p fl < "$f" || { echo "summary: unreadable result file $f" >&2; exit 1; }
	printf '  %-16s %4d passed, %d failed\n' "$(basename "$f")" "$p" "$fl"
	tp=$((tp + p)); tf=$((tf + fl))
done
echo "check: $tp passed, $tf failed"
[ "$tf" -eq 0 ] && [ "$tp" -gt 0 ]
