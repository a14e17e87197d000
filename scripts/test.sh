#!/usr/bin/env bash
# `npm test`: the strict type-check, the lint and the mocha suite, side by side (none needs another's
# output: the tests run transpile-only). The checks' findings are printed after the test report.
set -uo pipefail
typecheck_log=$(mktemp)
lint_log=$(mktemp)
trap 'rm -f "$typecheck_log" "$lint_log"' EXIT

tsc --noEmit >"$typecheck_log" 2>&1 &
typecheck=$!
eslint . >"$lint_log" 2>&1 &
lint=$!
mocha
tests=$?
wait "$typecheck"
types=$?
wait "$lint"
style=$?

cat "$typecheck_log" "$lint_log"
[ "$types" -eq 0 ] || echo "type-check failed (tsc --noEmit)" >&2
[ "$style" -eq 0 ] || echo "lint failed (eslint .)" >&2
exit $((tests != 0 || types != 0 || style != 0))
