import * as pulumi from "@pulumi/pulumi";
import type { Cloud } from "../config/schema";
import type { ServiceCapacity, ServiceMode } from "../config/services";
import type { TrustGenerations } from "../model/trust";
import type { IstioInstall } from "../model/istioRevisions";

/**
 * The stack-output contract between burstmesh stacks (README, "Stack outputs"): what each kind of
 * stack publishes, which outputs are secret, the builders the program returns them with, and the
 * readers other stacks use. Stacks talk through these outputs only.
 *
 * To add an output: add it to the stack's interface below; the compiler then asks for its name in
 * the names map and its value in the builder. Add a row to the README table too (a test checks it).
 */

/**
 * The four files of Istio's plug-in CA, as the keys of the `cacerts` Secret in `istio-system`.
 * istiod 1.30 needs all four.
 */
export interface CaBundle {
  /** The cluster's intermediate CA certificate (PEM). */
  "ca-cert.pem": string;
  /** The intermediate CA's private key (PEM). */
  "ca-key.pem": string;
  /** Every trusted root certificate (PEM), oldest first, the same for every cluster: one, or two during a root rotation. */
  "root-cert.pem": string;
  /** The intermediate certificate followed by its issuer, one of the trusted roots (PEM). */
  "cert-chain.pem": string;
}

/**
 * What a member cluster publishes for its peers (the `meshPeer` output) and what a peer needs to
 * reach it: its mesh identity, its API server with a reader token, and its east-west gateway.
 */
export interface MeshPeer {
  /** The cluster's ID in the mesh (its `global.multiCluster.clusterName`). */
  clusterName: string;
  /** The cluster's network. */
  network: string;
  /** API server URL, `https://...`. */
  apiServerUrl: string;
  /** The cluster CA certificate, PEM base64-encoded once (kubeconfig `certificate-authority-data`). */
  certificateAuthorityData: string;
  /** Token of the cluster's `istio-reader-service-account` (a JWT). */
  readerToken: string;
  /** The cluster's east-west gateway address: hostname or IP. */
  gatewayAddress: string;
  /**
   * The CIDRs the cluster's traffic to the internet leaves from (EKS: its NAT gateways' Elastic IPs;
   * AKS: its load balancer's outbound IP; an existing member: `burstmesh:egressCidrs`). Peers admit
   * them to their east-west gateway and, when restricted, their API server.
   */
  egressCidrs: string[];
}

/** One entry of a cluster stack's `services` output: how the service is reached and how it overflows. */
interface ServiceSummary {
  /** The service's mesh host, `<name>.<namespace>.svc.cluster.local`. */
  host: string;
  /** `overflow`, `failover` or `distribute`. */
  mode: ServiceMode;
  /** Per-pod limits enforced by the pods' sidecars (overflow mode); absent in the other modes. */
  thresholds: ServiceCapacity | undefined;
}

/** The trust stack's outputs, as a reader sees them. */
interface TrustStackOutputs {
  /** Every trusted root CA certificate (PEM), oldest first, as each `root-cert.pem` holds them; public. */
  rootCertPem: string;
  /** Per member cluster, its `cacerts` bundle; secret (it holds the intermediate keys). */
  cacerts: Record<string, CaBundle>;
  /**
   * The generations deployed (`burstmesh:trust`, defaults applied): the next run checks its step
   * from them, and the certificates of `rootCertPem` are these roots in order.
   */
  trustGenerations: TrustGenerations;
}

/** A cluster stack's outputs, as a reader sees them. */
interface ClusterStackOutputs {
  clusterName: string;
  cloud: Cloud;
  /** AWS region, Azure location or an existing cluster's `burstmesh:region`: the locality `distribute` mode weighs. */
  region: string;
  network: string;
  /** Admin kubeconfig; secret. */
  kubeconfig: string;
  /** The east-west gateway's load balancer: hostname on AWS, IP on Azure. */
  eastWestGatewayAddress: string;
  /** What every peer needs to build its remote secret; secret (it holds the reader token). */
  meshPeer: MeshPeer;
  /** Per service name, its summary. */
  services: Record<string, ServiceSummary>;
  /**
   * Token of this member's read-only Kiali service account, for the observer's Kiali; secret. Only
   * members other than the observer publish it, and only with observability enabled.
   */
  kialiToken?: string;
  /**
   * The peers this stack holds a remote secret for. On its next run, a listed peer that has stopped
   * publishing fails the stack rather than losing its remote secret.
   */
  linkedPeers: string[];
  /**
   * An AKS member's system node pool as deployed, in what AKS fixes when it creates a pool: its next
   * run refuses a change of either (see `refuseNodePoolChange`). Only AKS members publish it.
   */
  aksNodePool?: AksNodePool;
  /**
   * The istiod revisions installed, where each revision tag points and the east-west gateway's
   * revision: the next run checks its step from it, and `upgrade --resume` resumes from it.
   */
  istio: IstioInstall;
}

/** What AKS cannot change on an existing node pool, of what config sets. */
export interface AksNodePool {
  vmSize: string;
  diskSizeGb: number;
}

/** What a stack program returns for outputs `T`: each output as a value, promise or Output. */
type Published<T> = { [K in keyof T]: pulumi.Input<T[K]> };

type NamesOf<T> = { [K in keyof T]-?: K };

/** The trust stack's output names. */
export const trustOutputNames = {
  rootCertPem: "rootCertPem",
  cacerts: "cacerts",
  trustGenerations: "trustGenerations",
} as const satisfies NamesOf<TrustStackOutputs>;

/** A cluster stack's output names. */
export const clusterOutputNames = {
  clusterName: "clusterName",
  cloud: "cloud",
  region: "region",
  network: "network",
  kubeconfig: "kubeconfig",
  eastWestGatewayAddress: "eastWestGatewayAddress",
  meshPeer: "meshPeer",
  services: "services",
  kialiToken: "kialiToken",
  linkedPeers: "linkedPeers",
  aksNodePool: "aksNodePool",
  istio: "istio",
} as const satisfies NamesOf<ClusterStackOutputs>;

/** The outputs each kind of stack publishes as Pulumi secrets; every other output is in the clear. */
export const secretOutputs = {
  trust: ["cacerts"],
  cluster: ["kubeconfig", "meshPeer", "kialiToken"],
} as const satisfies { trust: readonly (keyof TrustStackOutputs)[]; cluster: readonly (keyof ClusterStackOutputs)[] };

/** The outputs a stack of each kind publishes only in some configurations (the `?` fields above). */
export const optionalOutputs = {
  trust: [],
  cluster: ["kialiToken", "aksNodePool"],
} as const satisfies { trust: readonly (keyof TrustStackOutputs)[]; cluster: readonly (keyof ClusterStackOutputs)[] };

/** The trust stack's outputs, from its certificate authority and the generations it was built with. */
export function trustStackOutputs(
  ca: { rootCertPem: pulumi.Output<string>; bundles: pulumi.Output<Record<string, CaBundle>> },
  generations: TrustGenerations,
) {
  return {
    rootCertPem: pulumi.unsecret(ca.rootCertPem),
    cacerts: pulumi.secret(ca.bundles),
    trustGenerations: {
      roots: [...generations.roots],
      signingRoot: generations.signingRoot,
      intermediates: { ...generations.intermediates },
    },
  } satisfies Published<TrustStackOutputs>;
}

/** The pieces of a cluster stack its outputs are built from. */
interface ClusterStackParts {
  /** This cluster's validated settings. */
  cluster: { clusterName: string; cloud: Cloud; region: string; network: string };
  /** The cluster's API server, CA and admin kubeconfig. */
  apiServer: { endpoint: pulumi.Input<string>; certificateAuthorityData: pulumi.Input<string>; kubeconfig: pulumi.Input<string> };
  /** The east-west gateway's load-balancer address. */
  gatewayAddress: pulumi.Input<string>;
  /** The `istio-reader-service-account` token peers read this cluster with. */
  readerToken: pulumi.Input<string>;
  /** The CIDRs this cluster's traffic to the internet leaves from. */
  egressCidrs: pulumi.Input<string[]>;
  /** Per service name, its summary (each field may still be an Output). */
  services: Record<string, { [K in keyof ServiceSummary]: pulumi.Input<ServiceSummary[K]> }>;
  /** The read-only Kiali token, when this member publishes one for the observer. */
  kialiToken?: pulumi.Input<string>;
  /** The peers this stack links, each with a remote secret. */
  linkedPeers: readonly string[];
  /** An AKS member's system node pool. */
  aksNodePool?: AksNodePool;
  /** The Istio install deployed. */
  istio: IstioInstall;
}

/** A cluster stack's outputs, from its cluster, gateway, reader token and services. */
export function clusterStackOutputs(parts: ClusterStackParts) {
  const { cluster, apiServer } = parts;
  const meshPeer: Published<MeshPeer> = {
    clusterName: cluster.clusterName,
    network: cluster.network,
    apiServerUrl: apiServer.endpoint,
    certificateAuthorityData: apiServer.certificateAuthorityData,
    readerToken: parts.readerToken,
    gatewayAddress: parts.gatewayAddress,
    egressCidrs: parts.egressCidrs,
  };
  // Only the summary's fields, whatever else the caller's objects (components) carry.
  const serviceSummaries = Object.fromEntries(
    Object.entries(parts.services).map(([name, { host, mode, thresholds }]) => [name, { host, mode, thresholds }]),
  );
  return {
    clusterName: cluster.clusterName,
    cloud: cluster.cloud,
    region: cluster.region,
    network: cluster.network,
    kubeconfig: pulumi.secret(apiServer.kubeconfig),
    eastWestGatewayAddress: parts.gatewayAddress,
    meshPeer: pulumi.secret(pulumi.output(meshPeer)),
    services: pulumi.output(serviceSummaries) as pulumi.Output<Record<string, ServiceSummary>>,
    ...(parts.kialiToken === undefined ? {} : { kialiToken: pulumi.secret(parts.kialiToken) }),
    linkedPeers: [...parts.linkedPeers],
    ...(parts.aksNodePool === undefined ? {} : { aksNodePool: parts.aksNodePool }),
    istio: structuredClone(parts.istio),
  } satisfies Published<ClusterStackOutputs>;
}

/** The fully qualified name of another stack of this project, as a StackReference takes it. */
function qualifiedStackName(stack: string): string {
  return `${pulumi.getOrganization()}/${pulumi.getProject()}/${stack}`;
}

/**
 * This cluster's CA bundle from the trust stack. Fails with what to do when the trust stack has
 * not been deployed or does not know this cluster, since without it istiod cannot start.
 */
export async function readTrustBundle(trustStack: string, clusterName: string): Promise<pulumi.Output<CaBundle>> {
  const reference = new pulumi.StackReference("trust", { name: qualifiedStackName(trustStack) });
  const published = await reference.getOutputDetails(trustOutputNames.cacerts);
  const bundles = (published.secretValue ?? published.value) as TrustStackOutputs["cacerts"] | undefined;
  if (!bundles?.[clusterName] && pulumi.runtime.isDryRun()) {
    // A preview of a fresh mesh runs before the trust stack is deployed: the bundle is what the
    // trust stack's `up` will publish, unknown until then, as any value a resource has yet to produce.
    await pulumi.log.info(
      `The trust stack '${trustStack}' has not published a CA bundle for '${clusterName}' yet; ` +
        "the preview shows it as unknown ('pulumi up' deploys the trust stack first).",
    );
    return pulumi.secret(pulumi.output(pulumi.unknown) as pulumi.Output<CaBundle>);
  }
  if (!bundles?.[clusterName]) {
    throw new pulumi.RunError(
      `The trust stack '${trustStack}' has no CA bundle for cluster '${clusterName}'. ` +
        `List '${clusterName}' in burstmesh:members and run 'pulumi up' on stack '${trustStack}' before this stack.`,
    );
  }
  const cacerts = reference.requireOutput(trustOutputNames.cacerts) as pulumi.Output<TrustStackOutputs["cacerts"]>;
  return pulumi.secret(cacerts.apply((all) => all[clusterName]!));
}

/** A peer cluster that has published its mesh outputs. */
export interface PublishedPeer {
  name: string;
  peer: pulumi.Output<MeshPeer>;
  /** The peer's read-only Kiali token, when it publishes one (observability on, the peer not the observer). */
  kialiToken?: pulumi.Output<string>;
}

/**
 * The peers that have published their mesh outputs. A peer this stack has never linked is skipped
 * with a log line on the mesh's first bootstrap: this stack deploys without it and picks it up on
 * its next `up`. A peer it has linked before (`linkedBefore`, its last `linkedPeers`) must still
 * publish: skipping it would delete its remote secret and quietly cut the mesh in two, so the run
 * fails instead, before anything changes. Removing a peer is an edit of `burstmesh:peers`.
 */
export async function readPeers(peers: readonly string[], linkedBefore: readonly string[]): Promise<PublishedPeer[]> {
  const published: PublishedPeer[] = [];
  const missing: string[] = [];
  const name = clusterOutputNames.meshPeer;
  for (const peerName of peers) {
    const reference = new pulumi.StackReference(`peer-${peerName}`, { name: qualifiedStackName(peerName) });
    if (!isPublished(await reference.getOutputDetails(name))) {
      if (linkedBefore.includes(peerName)) {
        missing.push(peerName);
      } else {
        await pulumi.log.info(
          `Peer '${peerName}' has not published '${name}' yet (stack ${qualifiedStackName(peerName)}); ` +
            `skipping its remote secret until the next 'pulumi up' after '${peerName}' is deployed.`,
        );
      }
      continue;
    }
    const kialiToken = isPublished(await reference.getOutputDetails(clusterOutputNames.kialiToken))
      ? pulumi.secret(reference.requireOutput(clusterOutputNames.kialiToken) as pulumi.Output<string>)
      : undefined;
    published.push({ name: peerName, peer: pulumi.secret(reference.requireOutput(name) as pulumi.Output<MeshPeer>), kialiToken });
  }
  if (missing.length > 0) {
    const stacks = missing.map((peer) => `'${peer}' (stack ${qualifiedStackName(peer)})`).join(", ");
    throw new pulumi.RunError(
      `Peer ${stacks} no longer publishes '${name}', though this stack links it: going on would delete its remote secret ` +
        `and cut the mesh in two. Deploy the peer stack again (or fix its name), or, to leave the peer for good, ` +
        `remove it from ${pulumi.getProject()}:peers. Nothing has been changed.`,
    );
  }
  return published;
}

/** What a cluster stack's last deployment published for its own next run; nothing before its first. */
interface LastClusterDeployment {
  linkedPeers: string[];
  aksNodePool?: AksNodePool;
  /** The Istio install; `before-revisions` for a stack deployed before it was published; undefined before the first deployment. */
  istio?: IstioInstall | "before-revisions";
}

/** This cluster stack's {@link LastClusterDeployment}. */
export async function lastClusterDeployment(): Promise<LastClusterDeployment> {
  const self = ownLastOutputs();
  const linked = await lastOutput(self, clusterOutputNames.linkedPeers);
  const pool = (await lastOutput(self, clusterOutputNames.aksNodePool)) as Partial<AksNodePool> | undefined;
  const istio = (await lastOutput(self, clusterOutputNames.istio)) as IstioInstall | undefined;
  const deployed = (await lastOutput(self, clusterOutputNames.clusterName)) !== undefined;
  return {
    ...(istio !== undefined ? { istio } : deployed ? { istio: "before-revisions" as const } : {}),
    linkedPeers: Array.isArray(linked) ? linked.filter((peer): peer is string => typeof peer === "string") : [],
    ...(typeof pool?.vmSize === "string" && typeof pool.diskSizeGb === "number"
      ? { aksNodePool: { vmSize: pool.vmSize, diskSizeGb: pool.diskSizeGb } }
      : {}),
  };
}

/** The root certificates a trust stack published, by generation. */
export interface DeployedRoots {
  /** The trusted generations, ascending. */
  roots: readonly number[];
  /** Their certificates (PEM), in the same order. */
  certPems: readonly string[];
}

/** What this trust stack published on its last deployment for its own next run; nothing before its first. */
interface LastTrustDeployment {
  roots: DeployedRoots;
  generations: TrustGenerations;
}

/**
 * This trust stack's {@link LastTrustDeployment}, or undefined before its first. A stack deployed
 * before generations existed published no `trustGenerations`: it holds generation 1 of the root and
 * of every member's intermediate (those are the resource names it has), which is what it reads as.
 */
export async function lastTrustDeployment(members: readonly string[]): Promise<LastTrustDeployment | undefined> {
  const self = ownLastOutputs();
  const rootCertPem = await lastOutput(self, trustOutputNames.rootCertPem);
  if (typeof rootCertPem !== "string") return undefined;
  const published = (await lastOutput(self, trustOutputNames.trustGenerations)) as Partial<TrustGenerations> | undefined;
  const generations: TrustGenerations =
    Array.isArray(published?.roots) && typeof published.signingRoot === "number" && typeof published.intermediates === "object"
      ? { roots: published.roots, signingRoot: published.signingRoot, intermediates: published.intermediates }
      : { roots: [1], signingRoot: 1, intermediates: Object.fromEntries(members.map((member) => [member, 1])) };
  const certPems = rootCertPem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  return { roots: { roots: generations.roots, certPems }, generations };
}

/**
 * A stack reference to this stack itself, which reads the outputs of its last update (the one
 * running now has not written them yet). Its name is fixed, so a run makes one and reads every
 * output it needs of its own through it.
 */
function ownLastOutputs(): pulumi.StackReference {
  return new pulumi.StackReference("self", { name: qualifiedStackName(pulumi.getStack()) });
}

/** One output of a stack; undefined when the stack has not published it. */
async function lastOutput(reference: pulumi.StackReference, name: string): Promise<unknown> {
  const details = await reference.getOutputDetails(name);
  return details.value ?? details.secretValue;
}

function isPublished(details: pulumi.StackReferenceOutputDetails): boolean {
  return details.value !== undefined || details.secretValue !== undefined;
}
