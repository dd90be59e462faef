#!/bin/sh
# run_tests.sh BUILD TEST... -- run each test binary (a Check suite) and sum up.
# Each binary prints Check's "NN%: Checks: N, Failures: F, Errors: E"; the
# last line is the plain summary "N passed, N failed" over all checks.
build=$1; shift
pass=0; fail=0; failed=""
QS_BIN="$(cd "$(dirname "$build/qunsim")" && pwd)/qunsim"
QS_TMP=$(mktemp -d "${TMPDIR:-/tmp}/qunsim-tests.XXXXXX")
export QS_BIN QS_TMP
for t in "$@"; do
    name=$(basename "$t")
    if [ -n "$QS_VALGRIND" ]; then
        export CK_FORK=no
        supp=$(dirname "$0")/../tests/valgrind.supp
        out=$(valgrind -q --error-exitcode=99 --leak-check=full --suppressions="$supp" \
              --errors-for-leak-kinds=definite,indirect "$t" 2>&1); rc=$?
    else
        out=$("$t" 2>&1); rc=$?
    fi
    line=$(printf '%s\n' "$out" | grep -E '^[0-9]+%: Checks: ' | tail -n 1)
    if [ -n "$line" ]; then
        echo "$name: $line"
        n=$(echo "$line" | sed -E 's/.*Checks: ([0-9]+).*/\1/')
        f=$(echo "$line" | sed -E 's/.*Failures: ([0-9]+).*/\1/')
        e=$(echo "$line" | sed -E 's/.*Errors: ([0-9]+).*/\1/')
        pass=$((pass + n - f - e)); fail=$((fail + f + e))
        [ $rc -ne 0 ] && [ $((f + e)) -eq 0 ] && fail=$((fail + 1))
    else
        echo "$name: no Check summary (exit $rc)"
        [ $rc -eq 0 ] && pass=$((pass + 1)) || fail=$((fail + 1))
    fi
    if [ $rc -ne 0 ]; then
        failed="$failed $name"
        printf '%s\n' "$out" | grep -v '^[0-9]*%: Checks' | tail -n 40
    fi
done
rm -rf "$QS_TMP"
[ -n "$failed" ] && echo "failed binaries:$failed"
echo "$pass passed, $fail failed"
[ -z "$failed" ]
