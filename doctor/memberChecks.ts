/**
 * The checks of one member that need only its API server: its Kubernetes version, its place in the
 * mesh (network, cluster ID), its Istio revisions and injection labels, and its east-west gateway.
 */
import { standardSupportVersions } from "../config/kubernetesVersions";
import { cidrCovers } from "../model/cidr";
import { type CheckResult, fromProblems } from "./check";
import { type ExpectedMember, stackKey } from "./expected";
import { injectedNamespace, type KubeObject, type MemberFacts } from "./facts";
import { eastWestPort } from "../model/configDump";

/** `1.35` of `v1.35.2-eks-1234`. */
function minorOf(gitVersion: string): string | undefined {
  return /^v?(\d+\.\d+)/.exec(gitVersion)?.[1];
}

export function kubernetesVersionCheck(facts: MemberFacts, expected: ExpectedMember): CheckResult {
  const base = { id: "kubernetes.version", member: facts.member, title: "Kubernetes version" };
  const minor = minorOf(facts.kubernetesVersion);
  if (expected.cloud === "existing")
    return { ...base, status: "ok", detail: `${facts.kubernetesVersion} (a cluster burstmesh does not manage)` };
  const offered = standardSupportVersions[expected.cloud];
  return fromProblems(
    base,
    minor && offered.includes(minor)
      ? []
      : [`${facts.kubernetesVersion} is not in ${expected.cloud === "aws" ? "EKS" : "AKS"}'s standard support (${offered.join(", ")})`],
    facts.kubernetesVersion,
    `set ${stackKey(facts.member, "kubernetesVersion")} to one of ${offered.join(", ")} and run npm run mesh -- up --stacks ${facts.member}`,
  );
}

/** istiod's container (`discovery`) of an istiod Deployment. */
function discoveryContainer(deployment: KubeObject): { image?: string; env?: { name: string; value?: string }[] } | undefined {
  const template = deployment.spec?.template as {
    spec?: { containers?: { name: string; image?: string; env?: { name: string; value?: string }[] }[] };
  };
  return template?.spec?.containers?.find((container) => container.name === "discovery");
}

/** The Istio version an istiod Deployment runs: its image's tag. */
export function istiodVersion(deployment: KubeObject): string | undefined {
  return /:(\d+\.\d+\.\d+)[^:/]*$/.exec(discoveryContainer(deployment)?.image ?? "")?.[1];
}

/** The revision an istiod Deployment or injector webhook serves; `default` for the non-revisioned install. */
function revisionOf(object: KubeObject): string {
  return object.metadata.labels?.["istio.io/rev"] ?? "default";
}

export function identityCheck(facts: MemberFacts, expected: ExpectedMember): CheckResult {
  const problems: string[] = [];
  const istioSystem = facts.namespaces.find((n) => n.metadata.name === "istio-system");
  const network = istioSystem?.metadata.labels?.["topology.istio.io/network"];
  if (!istioSystem) problems.push("no istio-system namespace");
  else if (network !== expected.network)
    problems.push(`istio-system's topology.istio.io/network is '${network ?? "(none)"}', config says '${expected.network}'`);
  if (facts.istiodDeployments.length === 0) problems.push("no istiod Deployment in istio-system");
  for (const deployment of facts.istiodDeployments) {
    const clusterId = discoveryContainer(deployment)?.env?.find((env) => env.name === "CLUSTER_ID")?.value;
    if (clusterId !== expected.name)
      problems.push(`istiod ${deployment.metadata.name} runs as cluster '${clusterId ?? "(unset)"}', not '${expected.name}'`);
  }
  return fromProblems(
    { id: "member.identity", member: facts.member, title: "network label and cluster ID" },
    problems,
    `network ${expected.network}, cluster ID ${expected.name}`,
    `check ${stackKey(facts.member, "network")} and burstmesh:clusterName, then npm run mesh -- up --stacks ${facts.member}`,
  );
}

/**
 * Revisions, tags and injection labels: every injected namespace names a revision or tag that an
 * injector serves (`istio-injection: enabled` needs the default one), and the istiods of the member
 * are at most one minor apart.
 */
export function revisionsCheck(facts: MemberFacts): CheckResult {
  const problems: string[] = [];
  const revisions = new Set(facts.istiodDeployments.map(revisionOf));
  // A tag's webhook serves its tag and the revision it points to.
  const served = new Set(
    facts.injectorWebhooks.flatMap((webhook) => {
      const tag = webhook.metadata.labels?.["istio.io/tag"];
      return tag ? [revisionOf(webhook), tag] : [revisionOf(webhook)];
    }),
  );
  for (const namespace of facts.namespaces.filter(injectedNamespace)) {
    const labels = namespace.metadata.labels ?? {};
    const wanted = labels["istio.io/rev"] ?? "default";
    if (labels["istio-injection"] === "enabled" && labels["istio.io/rev"] !== undefined)
      problems.push(`namespace ${namespace.metadata.name} has both istio-injection and istio.io/rev; istio-injection wins`);
    if (!served.has(wanted)) problems.push(`namespace ${namespace.metadata.name} asks for '${wanted}', which no injector serves`);
  }
  const minors = [...new Set(facts.istiodDeployments.map(istiodVersion).map((v) => v?.split(".").slice(0, 2).join(".")))];
  if (minors.includes(undefined)) problems.push("an istiod Deployment's image has no version tag");
  const numeric = minors.filter((m): m is string => m !== undefined).map((m) => Number(m.split(".")[1]));
  if (numeric.length > 1 && Math.max(...numeric) - Math.min(...numeric) > 1)
    problems.push(`istiod revisions more than one minor apart: ${minors.join(", ")}`);
  return fromProblems(
    { id: "istio.revisions", member: facts.member, title: "revisions, tags and injection labels" },
    problems,
    `revisions ${[...revisions].join(", ") || "(none)"}; injectors for ${[...served].join(", ") || "(none)"}`,
    `run npm run mesh -- up --stacks ${facts.member}; label namespaces only through burstmesh:services`,
  );
}

/** The address a gateway Service is reached at: its load balancer's, else its first external IP. */
function gatewayAddressOf(service: KubeObject): string | undefined {
  const ingress = (service.status?.loadBalancer as { ingress?: { ip?: string; hostname?: string }[] } | undefined)?.ingress?.[0];
  return ingress?.hostname ?? ingress?.ip ?? (service.spec?.externalIPs as string[] | undefined)?.[0];
}

/**
 * The east-west gateway: it has an address (without one, istiod gives peers no gateway for this
 * network), ready endpoints, 15443 among its ports, and source ranges that admit every peer's egress.
 */
export function gatewayCheck(facts: MemberFacts, expected: ExpectedMember, peers: readonly ExpectedMember[]): CheckResult {
  const base = { id: "gateway", member: facts.member, title: "east-west gateway" };
  const service = facts.gatewayService;
  const hint = `run npm run mesh -- up --stacks ${facts.member}; for source ranges see ${stackKey(facts.member, "gatewayAllowedCidrs")} and the peers' burstmesh:egressCidrs`;
  if (!service) return { ...base, status: "fail", detail: "no istio-system/istio-eastwestgateway Service", hint };
  const problems: string[] = [];
  const address = gatewayAddressOf(service);
  if (!address) problems.push("the Service has no address (no load-balancer ingress, no external IP)");
  else if (expected.published && expected.published.gatewayAddress !== address)
    problems.push(`its address ${address} is not the one the stack published for peers (${expected.published.gatewayAddress})`);
  const ready = facts.gatewayEndpointSlices.flatMap((slice) => slice.endpoints ?? []).filter((e) => e.conditions?.ready !== false);
  if (ready.length === 0) problems.push("no ready endpoint");
  const ports = (service.spec?.ports as { port: number }[] | undefined) ?? [];
  if (!ports.some((port) => port.port === eastWestPort)) problems.push(`does not expose ${eastWestPort}`);
  if (service.spec?.type === "LoadBalancer") {
    const ranges = (service.spec.loadBalancerSourceRanges as string[] | undefined) ?? [];
    for (const peer of peers) {
      const uncovered = (peer.published?.egressCidrs ?? []).filter((cidr) => !ranges.some((range) => cidrCovers(range, cidr)));
      if (uncovered.length > 0) problems.push(`source ranges do not admit ${peer.name}'s egress ${uncovered.join(", ")}`);
    }
  }
  return fromProblems(base, problems, `${address}:${eastWestPort}, ${ready.length} ready endpoint(s)`, hint);
}

/** Every check of this file for one member. */
export function memberChecks(facts: MemberFacts, expected: ExpectedMember, peers: readonly ExpectedMember[]): CheckResult[] {
  return [
    kubernetesVersionCheck(facts, expected),
    identityCheck(facts, expected),
    revisionsCheck(facts),
    gatewayCheck(facts, expected, peers),
  ];
}
