#!/usr/bin/env bash
# Usage: bash scripts/kind-down.sh [--yes] [--help]
#
# Tears down the local mesh of scripts/kind-up.sh: destroys what burstmesh installed in the two kind
# clusters (their stacks), deletes the clusters and stops the cloud-provider-kind kind-up started.
# Asks first on a terminal; elsewhere it needs --yes (-y). The trust stack stays (it may serve other
# members too); destroy it with `npm run mesh -- destroy --stacks trust` when nothing else uses it.
set -euo pipefail

# The comment at the top of this file, without its '#'s.
usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
}

confirmed=false
for argument in "$@"; do
  case $argument in
    -h | --help)
      usage
      exit 0
      ;;
    -y | --yes) confirmed=true ;;
    *)
      echo "kind-down: unknown argument '$argument' (see --help)" >&2
      exit 2
      ;;
  esac
done
cd "$(dirname "${BASH_SOURCE[0]}")/.."

readonly members=(kind-home kind-burst)
readonly pid_file=.kind/cloud-provider-kind.pid
readonly plan="destroy the stacks ${members[0]} and ${members[1]} and delete their kind clusters"

for tool in kind npm; do
  command -v "$tool" >/dev/null || { echo "kind-down: '$tool' is not on PATH" >&2; exit 1; }
done

if [ "$confirmed" != true ]; then
  if [ ! -t 0 ]; then
    echo "kind-down: this would $plan; there is no terminal to ask on, so re-run with --yes to confirm" >&2
    exit 1
  fi
  read -r -p "kind-down: $plan? [y/N] " answer || answer=
  case $answer in
    y | Y | yes | Yes | YES) ;;
    *)
      echo "kind-down: cancelled, nothing changed" >&2
      exit 1
      ;;
  esac
fi

# grep reads to the end (no -q): with pipefail, a grep that quits at the first match can make kind die of SIGPIPE, and the if false.
if kind get clusters 2>/dev/null | grep -x "${members[0]}" >/dev/null; then
  npm run mesh -- destroy --yes --stacks "$(IFS=,; echo "${members[*]}")"
fi
for member in "${members[@]}"; do
  kind delete cluster --name "$member"
done
if [ -f "$pid_file" ]; then
  kill "$(cat "$pid_file")" 2>/dev/null || true
  rm -f "$pid_file"
fi
