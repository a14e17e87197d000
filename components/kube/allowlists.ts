/**
 * Who may reach a member cluster from the internet, computed from what the peers publish: the API
 * server (peers' istiod watch it through their remote secrets) and the east-west gateway (peers'
 * sidecars send cross-network mTLS to it). Pure functions; the stack program feeds them the peers'
 * `meshPeer` outputs and this cluster's config.
 */
import type { MeshPeer } from "../stackOutputs";

/** The CIDR that admits every IPv4 address. */
export const anywhere = "0.0.0.0/0";

/**
 * What the east-west gateway admits while no peer and no `gatewayAllowedCidrs` are known (the first
 * pass of a fresh mesh): one address of TEST-NET-1 (RFC 5737), which is never routed on the
 * internet, so nobody gets through. An empty `loadBalancerSourceRanges` would mean the opposite: both
 * clouds then open the load balancer to the whole internet. The load balancer is still created, so
 * its address is known and published from the first pass on.
 */
export const nobodyRange = "192.0.2.1/32";

/** A /32 for an IPv4 address. */
export function hostCidr(address: string): string {
  return `${address}/32`;
}

/** True when an API allowlist admits everyone: no CIDRs (AKS: no authorized ranges) or 0.0.0.0/0 among them. */
export function isOpen(cidrs: readonly string[]): boolean {
  return cidrs.length === 0 || cidrs.includes(anywhere);
}

/**
 * Every peer's egress CIDRs, each once, sorted (so that the same peers always give the same list
 * and a rerun changes nothing). Fails, naming the peer, when a peer published none: without them it
 * could not reach this cluster, and the fix is to update the peer's stack first.
 */
export function peerEgressCidrs(peers: readonly Pick<MeshPeer, "clusterName" | "egressCidrs">[]): string[] {
  const all = peers.flatMap((peer) => {
    if (!Array.isArray(peer.egressCidrs) || peer.egressCidrs.length === 0) {
      throw new Error(
        `Peer '${peer.clusterName}' published no egressCidrs in its meshPeer output; run 'pulumi up' on its stack first, ` +
          "so that this cluster can admit it.",
      );
    }
    return peer.egressCidrs;
  });
  return [...new Set(all)].sort();
}

/**
 * The API server's allowlist: open stays open (the default, so that `pulumi up` reaches the API
 * from wherever it runs); a restricted list gets every peer's egress CIDRs added, so that the
 * operator lists only their own and their CI's ranges and cross-cluster discovery keeps working.
 */
export function apiAllowlist(operator: readonly string[], peerEgress: readonly string[]): string[] {
  if (isOpen(operator)) return [...operator];
  return [...new Set([...operator, ...peerEgress])];
}

/**
 * The east-west gateway Service's `loadBalancerSourceRanges`: the peers' egress CIDRs and the
 * operator's `gatewayAllowedCidrs`, or {@link nobodyRange} while both are empty.
 */
export function gatewaySourceRanges(peerEgress: readonly string[], gatewayAllowed: readonly string[]): string[] {
  const ranges = [...new Set([...peerEgress, ...gatewayAllowed])];
  return ranges.length > 0 ? ranges : [nobodyRange];
}
