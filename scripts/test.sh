#!/usr/bin/env bash
# `npm test`: the strict type-check, lint, and the mocha suite. The type-check needs nothing from the
# tests (they run transpile-only), so it runs beside them: each keeps one core busy.
set -uo pipefail
tsc --noEmit &
typecheck=$!
eslint . && mocha
tests=$?
wait "$typecheck"
types=$?
[ "$types" -eq 0 ] || echo "type-check failed (tsc --noEmit)" >&2
exit $((tests != 0 || types != 0))
