#!/usr/bin/env bash
# Usage: bash scripts/kind-up.sh [--help]
#
# A local mesh for trying burstmesh on one machine: two kind clusters, `kind-home` and `kind-burst`,
# joined as existing members (burstmesh:cloud existing), with cloud-provider-kind giving their
# east-west gateways LoadBalancer addresses on kind's Docker network. Writes their stack files, adds
# them to the trust stack's members and stores each admin kubeconfig as a secret. Then:
#
#   npm run mesh -- up --stacks trust,kind-home,kind-burst
#
# Needs docker, kind, kubectl, cloud-provider-kind and the Pulumi CLI (logged in to a backend), and
# PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) set. Safe to run again: existing
# clusters are kept, stack files are not rewritten, the kubeconfigs and API server URLs are renewed.
# Remove everything with scripts/kind-down.sh.
set -euo pipefail

# The comment at the top of this file, without its '#'s.
usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
}

for argument in "$@"; do
  case $argument in
    -h | --help)
      usage
      exit 0
      ;;
    *)
      echo "kind-up: unknown argument '$argument' (see --help)" >&2
      exit 2
      ;;
  esac
done
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# The Kubernetes of the kind nodes: the default node image of kind v0.32.0, pinned by digest.
readonly node_image="kindest/node:v1.36.1@sha256:3489c7674813ba5d8b1a9977baea8a6e553784dab7b84759d1014dbd78f7ebd5"
readonly home=kind-home
readonly burst=kind-burst
readonly state_dir=.kind

# The stack files and member list of the local mesh (scripts/localMesh.ts).
local_mesh() {
  npx ts-node --transpile-only scripts/localMesh.ts "$@"
}

fail() {
  echo "kind-up: $*" >&2
  exit 1
}

for tool in docker kind kubectl cloud-provider-kind pulumi npx; do
  command -v "$tool" >/dev/null || fail "'$tool' is not on PATH (see README, \"Try it locally\")"
done
[ -n "${PULUMI_CONFIG_PASSPHRASE:-}${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ] ||
  fail "set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE): every stack of the mesh uses the same passphrase"
pulumi whoami >/dev/null 2>&1 || fail "the Pulumi CLI is not logged in to a backend (for example: pulumi login --local)"
mkdir -p "$state_dir"

# Istio takes a workload's locality from its node's region and zone labels. cloud-provider-kind sends
# load-balancer traffic to nodes without node.kubernetes.io/exclude-from-external-load-balancers,
# which kubeadm puts on the control-plane node, the only node of these clusters.
create_cluster() {
  local name=$1
  # grep reads to the end (no -q): with pipefail, a grep that quits at the first match can make kind die of SIGPIPE, and the if true.
  if ! kind get clusters | grep -x "$name" >/dev/null; then
    kind create cluster --name "$name" --image "$node_image" --wait 180s
  fi
  kubectl --context "kind-$name" label node --all --overwrite \
    "topology.kubernetes.io/region=$name" "topology.kubernetes.io/zone=$name-a" \
    node.kubernetes.io/exclude-from-external-load-balancers-
}

# The API server as the other cluster's istiod reaches it: the control-plane container's address on
# kind's network (the kubeconfig's 127.0.0.1 port exists on this machine only). kubeadm puts that
# address in the API server certificate.
api_server_url() {
  local address
  address=$(docker inspect -f '{{with index .NetworkSettings.Networks "kind"}}{{.IPAddress}}{{end}}' "$1-control-plane")
  [ -n "$address" ] || fail "the node container $1-control-plane has no address on the 'kind' network"
  echo "https://$address:6443"
}

# Where a kind cluster's traffic to the other comes from: its node's address on kind's network. Each
# cluster's east-west gateway admits the other's (loadBalancerSourceRanges), so both get the network.
kind_network_cidr() {
  local cidr
  cidr=$(docker network inspect kind -f '{{range .IPAM.Config}}{{.Subnet}} {{end}}' | tr ' ' '\n' | grep -m1 -E '^[0-9.]+/[0-9]+$')
  [ -n "$cidr" ] || fail "the Docker network 'kind' has no IPv4 subnet"
  echo "$cidr"
}

write_stack() {
  local member=$1 peer=$2 file="Pulumi.$1.yaml"
  if [ ! -f "$file" ]; then
    local_mesh stack-file "$member" "$peer" >"$file"
  fi
  pulumi stack select --create "$member" >/dev/null
  pulumi config set --stack "$member" burstmesh:apiServerUrl "$(api_server_url "$member")"
  pulumi config set --stack "$member" --path "burstmesh:egressCidrs[0]" "$(kind_network_cidr)"
  kind get kubeconfig --name "$member" | pulumi config set --stack "$member" --secret burstmesh:kubeconfig
}

create_cluster "$home"
create_cluster "$burst"

if ! pgrep -f "^cloud-provider-kind" >/dev/null; then
  nohup cloud-provider-kind >"$state_dir/cloud-provider-kind.log" 2>&1 &
  echo $! >"$state_dir/cloud-provider-kind.pid"
fi

write_stack "$home" "$burst"
write_stack "$burst" "$home"

# The trust stack issues an intermediate CA to every member: the project's and the two kind members.
pulumi stack select --create trust >/dev/null
index=0
while read -r member; do
  pulumi config set --stack trust --path "burstmesh:members[$index]" "$member"
  index=$((index + 1))
done < <(local_mesh members)

cat <<DONE
kind-up: the clusters $home and $burst are members; next:
  npm run mesh -- up --stacks trust,$home,$burst
  pulumi config set --stack $home --path burstmesh:drill.enabled true && npm run mesh -- up --stacks $home
  kubectl --context kind-$home -n podinfo wait --for=condition=complete job/overflow-drill --timeout=20m
  kubectl --context kind-$home -n podinfo logs job/overflow-drill -c report
DONE
