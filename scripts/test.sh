#!/usr/bin/env bash
# Usage: npm test (bash scripts/test.sh [--help])
#
# The strict type-check and the lint (scripts/check.ts: what tsc --noEmit and eslint . report, from
# one program), the formatting check and the mocha suite, side by side (none needs another's output:
# the tests run transpile-only). The checks' findings are printed after the test report, which ends
# with the reasons tests were skipped. To run one test file:
#
#   npx mocha --no-config --require ts-node/register/transpile-only --extension ts tests/<file>.test.ts
set -uo pipefail

# The comment at the top of this file, without its '#'s.
usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
}

case "${1:-}" in
  "") ;;
  -h | --help)
    usage
    exit 0
    ;;
  *)
    echo "test.sh: takes no arguments, got '$*' (see --help)" >&2
    exit 2
    ;;
esac
check_log=$(mktemp)
format_log=$(mktemp)
trap 'rm -f "$check_log" "$format_log"' EXIT

ts-node --transpile-only scripts/check.ts >"$check_log" 2>&1 &
check=$!
prettier --check . >"$format_log" 2>&1 &
format=$!
mocha
tests=$?
wait "$check"
checks=$?
wait "$format"
formatting=$?

# check.ts names what failed: the type-check, the lint or both.
cat "$check_log"
[ "$formatting" -eq 0 ] || { cat "$format_log"; echo "formatting check failed: run 'npm run format' (prettier)" >&2; }
exit $((tests != 0 || checks != 0 || formatting != 0))
