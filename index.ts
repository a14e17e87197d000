import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Provider as AwsProvider } from "@pulumi/aws/provider";
import {
  ChartSources,
  ClusterSettings,
  clusterRegion,
  ConfigError,
  istioKey,
  loadConfig,
  MeshSettings,
  resolveInstall,
  StackConfig,
  trustKey,
} from "./config";
import { checkTrustStep } from "./model/trust";
import { type IstioInstall, istioStepIssues, revisionNamed } from "./model/istioRevisions";
import { AksCluster, refuseNodePoolChange } from "./components/clusters/aksCluster";
import { EksCluster } from "./components/clusters/eksCluster";
import { ExistingCluster } from "./components/clusters/existingCluster";
import { MemberCluster } from "./components/clusters/memberCluster";
import { clusterTags } from "./components/clusters/tags";
import { apiAllowlist, gatewaySourceRanges, peerEgressCidrs } from "./components/kube/allowlists";
import { EastWestGateway } from "./components/mesh/eastWestGateway";
import { IstioPrimary } from "./components/mesh/istioPrimary";
import { MemberPrometheus } from "./components/observability/memberPrometheus";
import { KialiRemoteAccess } from "./components/observability/kialiRemoteAccess";
import { Observer } from "./components/observability/observer";
import { livePanel } from "./components/observability/dashboards";
import { observedService } from "./components/observability/promql";
import { drillTarget } from "./components/traffic/drillJob";
import { OverflowDrill } from "./components/traffic/overflowDrill";
import { OverflowService } from "./components/traffic/overflowService";
import { ReaderToken } from "./components/mesh/readerToken";
import { RemoteSecret } from "./components/mesh/remoteSecret";
import { refuseRootReplacement, SharedCA } from "./components/trust/sharedCa";
import {
  clusterStackOutputs,
  lastClusterDeployment,
  lastTrustDeployment,
  PublishedPeer,
  readPeers,
  readTrustBundle,
  trustStackOutputs,
} from "./components/stackOutputs";

/**
 * The trust stack: the mesh's root CAs and one intermediate CA per member cluster, in the generations
 * `burstmesh:trust` sets. Before anything is created, it refuses a step from its last deployment that
 * istiod would not take while it runs, and a config change that would replace a trusted root in place.
 */
async function trustStack({ mesh, trust }: Extract<StackConfig, { role: "trust" }>) {
  const last = await lastTrustDeployment(mesh.members);
  if (last) {
    const issues = checkTrustStep(last.generations, trust, trustKey);
    if (issues.length > 0) {
      throw new ConfigError(
        `Refusing a change of the mesh's roots that istiod would not take while it runs; nothing has been changed:\n${issues.map((issue) => `  - ${issue}`).join("\n")}`,
      );
    }
  }
  refuseRootReplacement(last?.roots, {
    organization: mesh.certOrganization,
    validityHours: mesh.rootCertValidityHours,
    roots: trust.roots,
  });
  const ca = new SharedCA("mesh-ca", {
    organization: mesh.certOrganization,
    clusters: mesh.members,
    rootValidityHours: mesh.rootCertValidityHours,
    intermediateValidityHours: mesh.intermediateCertValidityHours,
    generations: trust,
  });
  return trustStackOutputs(ca, trust);
}

/** A cluster stack: one member cluster, its Istio primary, its links to the peers, its services. */
async function clusterStack(config: Extract<StackConfig, { role: "cluster" }>) {
  const { mesh, cluster, services, drill, observability, chartSources } = config;
  const last = await lastClusterDeployment();
  const install = resolveInstall(config.istio, mesh.istioVersion, last.istio);
  if (last.istio !== undefined && last.istio !== "before-revisions") refuseIstioStep(last.istio, install);
  const aksNodePool = cluster.cloud === "azure" ? { vmSize: cluster.nodePool.vmSize, diskSizeGb: cluster.nodePool.diskSizeGb } : undefined;
  if (aksNodePool) refuseNodePoolChange(last.aksNodePool, aksNodePool);
  const cacerts = await readTrustBundle(mesh.trustStack, cluster.clusterName);
  const peers = await readPeers(cluster.peers, last.linkedPeers);
  // Peers' addresses are not secret, though the meshPeer outputs they come from are.
  const peerEgress = pulumi.unsecret(pulumi.all(peers.map(({ peer }) => peer)).apply(peerEgressCidrs));

  const member = memberCluster(cluster, mesh, peerEgress, chartSources);
  const provider = member.provider;
  const istio = new IstioPrimary("istio", {
    provider,
    apiProvider: member.apiProvider,
    install,
    chartSources,
    meshId: mesh.meshId,
    trustDomain: mesh.trustDomain,
    clusterName: cluster.clusterName,
    network: cluster.network,
    cacerts,
  });
  // Each waits for what it needs of the mesh (docs/architecture.md, "What waits for what"); nothing waits
  // for metrics-server, since an HPA is created without metrics and scales once they come.
  const workloads = { dependsOn: istio.readyForWorkloads };
  const gateway = new EastWestGateway(
    "eastwest",
    {
      provider,
      revision: revisionNamed(install, install.gateway)!,
      chartSources,
      network: cluster.network,
      cloud: cluster.cloud,
      nodePortAddress: cluster.cloud === "existing" && cluster.gatewayService === "NodePort" ? cluster.gatewayAddress : undefined,
      sourceRanges: peerEgress.apply((egress) => gatewaySourceRanges(egress, cluster.gatewayAllowedCidrs)),
    },
    { dependsOn: istio.ready },
  );
  const reader = new ReaderToken("reader", { provider, generation: cluster.readerTokenGeneration }, { dependsOn: istio.base });
  for (const { name, peer } of peers) {
    new RemoteSecret(`peer-${name}`, { provider, peerName: name, peer }, { dependsOn: istio.istioSystem });
  }

  const region = clusterRegion(cluster);
  const overflow = Object.fromEntries(
    services.map((service) => [
      service.name,
      new OverflowService(service.name, { provider, service, clusterName: cluster.clusterName, region }, workloads),
    ]),
  );
  const drilled = drillTarget(services, drill, cluster.clusterName);
  if (drilled) {
    new OverflowDrill(
      `${drilled.name}-drill`,
      { provider, service: drilled, drill, livePanel: livePanel(drilled.name) },
      // It loads the drilled service's running pods; no other service's.
      { dependsOn: [overflow[drilled.name]!] },
    );
  }

  // Off the path of the services and the drill: they need nothing of observability.
  const kialiToken = observability.enabled ? observe(config, provider, peers, workloads) : undefined;

  return clusterStackOutputs({
    cluster: { clusterName: cluster.clusterName, cloud: cluster.cloud, region, network: cluster.network },
    apiServer: member,
    gatewayAddress: gateway.address,
    readerToken: reader.token,
    egressCidrs: member.egressCidrs,
    services: overflow,
    kialiToken,
    linkedPeers: peers.map(({ name }) => name),
    aksNodePool,
    istio: install,
  });
}

/**
 * Refuses a change of the member's istiod revisions that is not one step of an upgrade, before
 * anything is created: a changed `istioVersion` with no `burstmesh:istio` would replace istiod at once.
 */
function refuseIstioStep(last: IstioInstall, next: IstioInstall): void {
  const hint = `Run npm run mesh -- upgrade --to <version>, which takes one step per deployment (docs/operations.md, "Upgrading Istio"), or set ${istioKey} by hand.`;
  const issues = istioStepIssues(last, next, hint);
  if (issues.length > 0) {
    throw new ConfigError(
      `Refusing a change of istiod revisions that would break the mesh; nothing has been changed:\n${issues.map((issue) => `  - ${issue}`).join("\n")}`,
    );
  }
}

/**
 * Observability: a Prometheus in every member; in the observer, Grafana and Kiali over the federated
 * view; in every other member, the read-only account the observer's Kiali uses (its token is returned
 * for this stack's outputs). What runs pods comes after `workloads` (the namespace is sidecar-injected);
 * each waits for the namespace through `prometheus.namespace`, and none for another's release.
 */
function observe(
  config: Extract<StackConfig, { role: "cluster" }>,
  provider: k8s.Provider,
  peers: PublishedPeer[],
  workloads: pulumi.ComponentResourceOptions,
): pulumi.Output<string> | undefined {
  const { mesh, cluster, services, observability, chartSources } = config;
  const { clusterName, cloud } = cluster;
  const prometheus = new MemberPrometheus(
    "prometheus",
    {
      provider,
      clusterName,
      members: mesh.members,
      settings: observability,
      services,
      intermediateCertValidityHours: mesh.intermediateCertValidityHours,
      chartSources,
    },
    workloads,
  );
  if (clusterName !== observability.observer) {
    return new KialiRemoteAccess("kiali-access", { provider, namespace: prometheus.namespace, chartSources }).token;
  }
  const remoteClusters = peers.flatMap(({ name, peer, kialiToken }) => (kialiToken ? [{ name, peer, kialiToken }] : []));
  new Observer(
    "observer",
    {
      provider,
      namespace: prometheus.namespace,
      observer: clusterName,
      members: mesh.members,
      istioVersion: mesh.istioVersion,
      services: services.map(observedService),
      intermediateCertValidityHours: mesh.intermediateCertValidityHours,
      cloud,
      internalLoadBalancer: observability.internalLoadBalancer,
      remoteClusters,
      chartSources,
    },
    workloads,
  );
  return undefined;
}

/**
 * The member cluster. burstmesh manages the API allowlist of the clusters it creates: the operator's
 * `apiAllowedCidrs` plus, when those are restricted, the peers' egress CIDRs.
 */
function memberCluster(
  cluster: ClusterSettings,
  mesh: MeshSettings,
  peerEgress: pulumi.Output<string[]>,
  chartSources: ChartSources,
): MemberCluster {
  const apiAllowedCidrs = (operator: string[]) => peerEgress.apply((egress) => apiAllowlist(operator, egress));
  const tags = clusterTags({ project: pulumi.getProject(), stack: pulumi.getStack(), cluster: cluster.clusterName }, mesh.tags);
  switch (cluster.cloud) {
    case "aws": {
      // Every AWS resource of the cluster, and every invoke, goes through this provider: its default
      // tags reach every taggable resource (as tags_all), also those a component adds later.
      const aws = new AwsProvider("aws", { region: cluster.region, defaultTags: { tags } });
      return new EksCluster(
        cluster.clusterName,
        { ...cluster, apiAllowedCidrs: apiAllowedCidrs(cluster.apiAllowedCidrs), chartSources },
        { providers: [aws] },
      );
    }
    case "azure":
      return new AksCluster(cluster.clusterName, { ...cluster, tags, apiAllowedCidrs: apiAllowedCidrs(cluster.apiAllowedCidrs) });
    case "existing":
      return new ExistingCluster(cluster.clusterName, cluster);
  }
}

export = async () => {
  const config = loadConfig();
  return config.role === "trust" ? trustStack(config) : clusterStack(config);
};
