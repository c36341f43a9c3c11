#!/bin/sh
# run-lint.sh RESULT_FILE "CFLAGS" SRC...: clang-tidy and cppcheck over the
# sources; any finding fails. Writes "PASSED FAILED" (one per tool).
set -u
out=$1; flags=$2; shift 2
pass=0; fail=0
# shellcheck disable=SC2086
if clang-tidy --quiet "$@" -- -std=gnu11 $flags > "$out.tidy.log" 2>&1; then
	pass=$((pass + 1)); echo "lint: clang-tidy clean"
else
	fail=$((fail + 1)); echo "lint: clang-tidy findings:"; cat "$out.tidy.log"
fi
# shellcheck disable=SC2086
if cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
	--inline-suppr --std=c11 -D__GNUC__ -Iinclude "$@" > "$out.cppcheck.log" 2>&1; then
	pass=$((pass + 1)); echo "lint: cppcheck clean"
else
	fail=$((fail + 1)); echo "lint: cppcheck findings:"; cat "$out.cppcheck.log"
fi
mkdir -p "$(dirname "$out")"
echo "$pass $fail" > "$out"
echo "lint: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
