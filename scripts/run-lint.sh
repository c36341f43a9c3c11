#!/bin/sh
# run-lint.sh RESULT_FILE "CFLAGS" SRC...: clang-tidy and cppcheck over the
# C sources, shellcheck over every shell script of the tree (run from the
# top of the tree); any finding fails. Writes "PASSED FAILED" (one per tool).
set -u
out=$1; flags=$2; shift 2
pass=0; fail=0
# The logs go beside the results folder, not into it (one file per suite).
logs=$(dirname "$(dirname "$out")")/lint
mkdir -p "$logs"
# shellcheck disable=SC2086
if clang-tidy --quiet "$@" -- -std=gnu11 $flags > "$logs/clang-tidy.log" 2>&1; then
	pass=$((pass + 1)); echo "lint: clang-tidy clean"
else
	fail=$((fail + 1)); echo "lint: clang-tidy findings:"; cat "$logs/clang-tidy.log"
fi
# cppcheck takes the project's own include folders (-I) from the flags.
incs=
for f in $flags; do
	case $f in -I*) incs="$incs $f" ;; esac
done
# shellcheck disable=SC2086
if cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
	--inline-suppr --std=c11 -D__GNUC__ $incs "$@" > "$logs/cppcheck.log" 2>&1; then
	pass=$((pass + 1)); echo "lint: cppcheck clean"
else
	fail=$((fail + 1)); echo "lint: cppcheck findings:"; cat "$logs/cppcheck.log"
fi
# Shell scripts: *.sh and whatever starts with a #!/bin/sh line (the init
# script's template), outside the build tree.
shells=$(find . \( -path ./build -o -path ./.git \) -prune -o -type f -print | sort |
	while read -r f; do
		case $f in
		*.sh) echo "$f" ;;
		*) head -n 1 "$f" 2>/dev/null | grep -Eq '^#! ?(/usr)?/bin/(env )?(ba|da)?sh' &&
			echo "$f" ;;
		esac
	done)
# shellcheck disable=SC2086 # one argument a script (no blanks in the names)
if [ -n "$shells" ] && shellcheck -x $shells > "$logs/shellcheck.log" 2>&1; then
	pass=$((pass + 1)); echo "lint: shellcheck clean ($(echo "$shells" | wc -l) scripts)"
else
	fail=$((fail + 1)); echo "lint: shellcheck findings (or no script found):"
	cat "$logs/shellcheck.log"
fi
mkdir -p "$(dirname "$out")"
echo "$pass $fail" > "$out"
echo "lint: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
