/**
 * The rehearsal's stacks: a trust stack and two or three members of kind `cloud: existing`, each on
 * its own control plane, with the project's services homed in the first member. Pure: the tests
 * check these stack files with the program's own validation.
 */

/** A member as the stack files need it. */
export interface RehearsalMember {
  name: string;
  /** The member's own address: its API server's and its east-west gateway's (a NodePort on it). */
  address: string;
}

/** What every rehearsal stack file shares. */
export interface RehearsalSettings {
  /** The project's config namespace (`burstmesh`). */
  project: string;
  members: RehearsalMember[];
  /** The Istio release the toolchain's charts are stamped with. */
  istioVersion: string;
  /** The loopback Helm repository that serves those charts. */
  chartRepository: string;
}

/** Member names: the first is the services' home. */
export function rehearsalMemberNames(count: number): string[] {
  return Array.from({ length: count }, (_, index) => `rehearsal-${String.fromCharCode(97 + index)}`);
}

/** The trust stack's name, as the project's `trustStack` default has it. */
export const rehearsalTrustStack = "trust";

/** Settings every stack must agree on (the mesh-wide ones), by key without the project prefix. */
function meshWide(settings: RehearsalSettings): Record<string, unknown> {
  return { members: settings.members.map((m) => m.name), istioVersion: settings.istioVersion };
}

function prefixed(project: string, values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [`${project}:${key}`, value]));
}

/** The trust stack's config. */
export function trustStackConfig(settings: RehearsalSettings): Record<string, unknown> {
  return prefixed(settings.project, { role: "trust", ...meshWide(settings) });
}

/** Distribute mode's weights over the members' regions (each member's region is its name): most to the first, the rest shared, 100 in all. */
function distributeWeights(members: readonly RehearsalMember[]): Record<string, number> {
  const [first, ...others] = members;
  const each = Math.floor(40 / others.length);
  return Object.fromEntries([[first!.name, 100 - each * others.length], ...others.map((member) => [member.name, each])]);
}

/**
 * A member's config, all but its admin kubeconfig (set as a secret with `pulumi config set --secret`).
 * Observability is off: its charts (Prometheus, Grafana, Kiali) have no source here.
 */
export function memberStackConfig(settings: RehearsalSettings, member: RehearsalMember): Record<string, unknown> {
  const [home] = settings.members;
  return prefixed(settings.project, {
    ...meshWide(settings),
    cloud: "existing",
    clusterName: member.name,
    network: `network-${member.name}`,
    region: member.name,
    egressCidrs: [`${member.address}/32`],
    gatewayService: "NodePort",
    gatewayAddress: member.address,
    chartSources: { all: settings.chartRepository },
    services: [
      { name: "podinfo", homeCluster: home!.name, capacity: { maxConcurrentRequests: 32 } },
      // The other two modes, so that what istiod makes of them is checked too (xds.ts).
      { name: "failover-web", homeCluster: home!.name, mode: "failover" },
      { name: "distribute-web", homeCluster: home!.name, mode: "distribute", distribute: distributeWeights(settings.members) },
    ],
    drill: { enabled: false, service: "podinfo" },
    observability: { enabled: false },
    // The non-revisioned istiod of a mesh deployed before revisions: the rehearsal's upgrade moves it onto a revision.
    istio: { revisions: [{ version: settings.istioVersion, name: "default" }] },
  });
}
