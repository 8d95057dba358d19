# lib.sh -- shared helpers of the end-to-end tests (sourced).
# Usage in a test: . "$(dirname "$0")/lib.sh" "$@"
set -u
INDEXER=$1
SEARCHER=$2
SRC=$3
HOLD_LOCK=${4:-}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/depeche-e2e.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
# ./depeche test --valgrind: every run of the two programs goes through
# valgrind, and a memory error or a definite leak makes it exit 99 -- which
# no check expects, so the test fails.
if [ -n "${DEPECHE_VALGRIND:-}" ]; then
    for prog in INDEXER SEARCHER; do
        real=${!prog}
        cat >"$TMP/valgrind-$prog" <<EOF2
#!/bin/sh
exec valgrind -q --error-exitcode=99 --leak-check=full \\
    --errors-for-leak-kinds=definite --show-leak-kinds=definite "$real" "\$@"
EOF2
        chmod +x "$TMP/valgrind-$prog"
        printf -v "$prog" '%s' "$TMP/valgrind-$prog"
    done
fi
export NO_COLOR=1
unset DEPECHE_INDEX
failures=0
checks=0

ok()   { checks=$((checks + 1)); printf 'ok %d - %s\n' "$checks" "$1"; }
fail() { checks=$((checks + 1)); failures=$((failures + 1));
         printf 'not ok %d - %s\n' "$checks" "$1"; [ $# -gt 1 ] && printf '#   %s\n' "$2"; }

# expect_status WANT DESC CMD...: run CMD, compare its exit status.
expect_status() {
    local want=$1 desc=$2 got; shift 2
    "$@" >"$TMP/out" 2>"$TMP/err"; got=$?
    if [ "$got" -eq "$want" ]; then ok "$desc"
    else fail "$desc" "exit $got, wanted $want; stderr: $(head -c 500 "$TMP/err")"; fi
}

# expect_grep PATTERN FILE DESC: FILE has a line matching PATTERN (ERE).
expect_grep() {
    if grep -Eq -- "$1" "$2"; then ok "$3"
    else fail "$3" "no line matches /$1/ in: $(head -c 800 "$2")"; fi
}

expect_no_grep() {
    if ! grep -Eq -- "$1" "$2"; then ok "$3"
    else fail "$3" "unexpected /$1/: $(grep -E -- "$1" "$2" | head -3)"; fi
}

# expect_eq GOT WANT DESC
expect_eq() {
    if [ "$1" = "$2" ]; then ok "$3"; else fail "$3" "got '$1', wanted '$2'"; fi
}

finish() {
    printf '%d passed, %d failed\n' "$((checks - failures))" "$failures"
    [ "$failures" -eq 0 ]
}
