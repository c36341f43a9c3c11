#!/bin/sh
# summary.sh RESULTS_DIR [MAKE_STATUS]: total the per-suite results of
# `make check`, whatever happened. Each file in RESULTS_DIR holds one line
# "PASSED FAILED" (two integers). MAKE_STATUS is the exit status of the
# make that ran the suites (with -k, so every suite ran): a suite that
# stopped before writing its result (a build error, a crash) shows only
# there. The last line is always "check: N passed, M failed", with the
# failing suites named (and above it any NAME.failures lines a suite left);
# the exit status is 0 only when nothing failed.
set -eu
dir=$1
status=${2:-0}
tp=0; tf=0; bad=""
for f in "$dir"/*; do
	# Result files are named for their suite; anything else is not ours.
	case "$(basename "$f")" in *.*) continue ;; esac
	[ -f "$f" ] || continue
	if ! read -r p fl < "$f"; then
		echo "summary: unreadable result file $f" >&2
		p=0 fl=1
	fi
	printf '  %-20s %4d passed, %d failed\n' "$(basename "$f")" "$p" "$fl"
	tp=$((tp + p)); tf=$((tf + fl))
	[ "$fl" -eq 0 ] || bad="$bad, $(basename "$f")"
done
if [ "$status" -ne 0 ] && [ -z "$bad" ]; then
	# make failed, yet no suite recorded a failure: one stopped early.
	tf=$((tf + 1))
	bad=", a suite stopped without a result: make exit $status, see above"
fi
if [ "$tp" -eq 0 ] && [ -z "$bad" ]; then
	tf=$((tf + 1))
	bad=", no suite ran"
fi
if [ -n "$bad" ]; then
	# A suite may leave its failing lines in NAME.failures: shown last, so
	# the tail of a long log names what failed.
	for f in "$dir"/*.failures; do
		[ -s "$f" ] || continue
		echo "  $(basename "$f" .failures), what failed:"
		cut -c1-600 "$f" | sed 's/^/    /'
	done
	echo "check: $tp passed, $tf failed (${bad#, })"
	exit 1
fi
echo "check: $tp passed, 0 failed"
