#!/usr/bin/env bash
# Tears down the local mesh of scripts/kind-up.sh: destroys what burstmesh installed in the two kind
# clusters (their stacks), deletes the clusters and stops the cloud-provider-kind kind-up started.
# The trust stack stays (it may serve other members too); destroy it with
# `npm run mesh -- destroy --stacks trust` when nothing else uses it.
set -euo pipefail
cd "$(dirname "$0")/.."

readonly members=(kind-home kind-burst)
readonly pid_file=.kind/cloud-provider-kind.pid

if kind get clusters 2>/dev/null | grep -qx "${members[0]}"; then
  npm run mesh -- destroy --yes --stacks "$(IFS=,; echo "${members[*]}")"
fi
for member in "${members[@]}"; do
  kind delete cluster --name "$member"
done
if [ -f "$pid_file" ]; then
  kill "$(cat "$pid_file")" 2>/dev/null || true
  rm -f "$pid_file"
fi
