#!/usr/bin/env bash
# `npm test`: the strict type-check, the lint, the formatting check and the mocha suite, side by side
# (none needs another's output: the tests run transpile-only). The checks' findings are printed after
# the test report.
set -uo pipefail
typecheck_log=$(mktemp)
lint_log=$(mktemp)
format_log=$(mktemp)
trap 'rm -f "$typecheck_log" "$lint_log" "$format_log"' EXIT

tsc --noEmit >"$typecheck_log" 2>&1 &
typecheck=$!
eslint . >"$lint_log" 2>&1 &
lint=$!
prettier --check . >"$format_log" 2>&1 &
format=$!
mocha
tests=$?
wait "$typecheck"
types=$?
wait "$lint"
style=$?
wait "$format"
formatting=$?

cat "$typecheck_log" "$lint_log"
[ "$types" -eq 0 ] || echo "type-check failed (tsc --noEmit)" >&2
[ "$style" -eq 0 ] || echo "lint failed (eslint .)" >&2
[ "$formatting" -eq 0 ] || { cat "$format_log"; echo "formatting check failed: run 'npm run format' (prettier)" >&2; }
exit $((tests != 0 || types != 0 || style != 0 || formatting != 0))
