import * as pulumi from "@pulumi/pulumi";
import type { MeshPeer } from "./mesh/remoteSecret";
import type { CaBundle } from "./trust/sharedCa";

/**
 * The stack-output contract between burstmesh stacks (see README, "Stack outputs"): the names a
 * stack publishes and the readers that other stacks use. Stacks talk through these outputs only.
 */
export const outputNames = {
  /** Trust stack: per member cluster, the four `cacerts` files (secret). */
  cacerts: "cacerts",
  /** Cluster stack: what a peer needs to discover this cluster's services (secret). */
  meshPeer: "meshPeer",
} as const;

/** The fully qualified name of another stack of this project, as a StackReference takes it. */
export function qualifiedStackName(stack: string): string {
  return `${pulumi.getOrganization()}/${pulumi.getProject()}/${stack}`;
}

/**
 * This cluster's CA bundle from the trust stack. Fails with what to do when the trust stack has
 * not been deployed or does not know this cluster, since without it istiod cannot start.
 */
export async function readTrustBundle(trustStack: string, clusterName: string): Promise<pulumi.Output<CaBundle>> {
  const reference = new pulumi.StackReference("trust", { name: qualifiedStackName(trustStack) });
  const published = await reference.getOutputDetails(outputNames.cacerts);
  const bundles = (published.secretValue ?? published.value) as Record<string, CaBundle> | undefined;
  if (!bundles?.[clusterName]) {
    throw new pulumi.RunError(
      `The trust stack '${trustStack}' has no CA bundle for cluster '${clusterName}'. ` +
        `List '${clusterName}' in burstmesh:members and run 'pulumi up' on stack '${trustStack}' before this stack.`,
    );
  }
  return pulumi.secret(reference.requireOutput(outputNames.cacerts).apply((all) => (all as Record<string, CaBundle>)[clusterName]!));
}

/** A peer cluster that has published its mesh outputs. */
export interface PublishedPeer {
  name: string;
  peer: pulumi.Output<MeshPeer>;
}

/**
 * The peers that have published their mesh outputs. A peer that has not been deployed yet is
 * skipped with a log line: this stack deploys without it and picks it up on its next `up`.
 */
export async function readPeers(peers: readonly string[]): Promise<PublishedPeer[]> {
  const published: PublishedPeer[] = [];
  for (const name of peers) {
    const reference = new pulumi.StackReference(`peer-${name}`, { name: qualifiedStackName(name) });
    const details = await reference.getOutputDetails(outputNames.meshPeer);
    if (details.value === undefined && details.secretValue === undefined) {
      await pulumi.log.info(
        `Peer '${name}' has not published '${outputNames.meshPeer}' yet (stack ${qualifiedStackName(name)}); ` +
          `skipping its remote secret until the next 'pulumi up' after '${name}' is deployed.`,
      );
      continue;
    }
    published.push({ name, peer: pulumi.secret(reference.requireOutput(outputNames.meshPeer) as pulumi.Output<MeshPeer>) });
  }
  return published;
}
