/**
 * Pure builders of a service's versions across clusters (`versions` in `burstmesh:services`): one
 * Deployment, HPA and PDB per version in the clusters that run it, a DestinationRule subset per
 * version (pods labelled `version: <name>`), and a VirtualService that routes the version header to
 * one subset and splits everything else by weight. They compose with the single-version builders in
 * serviceSpecs.ts: a service without versions gets exactly those objects.
 *
 * Overflow and failover work within a version: every subset carries the service's whole traffic
 * policy (locality load balancing, outlier detection, keepalive), and Istio builds one Envoy cluster
 * per subset from that policy, so a version spills from its home pods to the same version's pods in
 * the other cluster, never to another version (docs/overflow.md, "Versions").
 */
import type * as k8s from "@pulumi/kubernetes";
import { versionHeader, VersionSettings } from "../../config/versions";
import type { ServiceSettings } from "../../config/services";
import type { DestinationRule, HttpRoute, Subset, VirtualService } from "../../model/istioTypes";
import {
  deploymentManifest,
  destinationRule,
  hpaManifest,
  OverflowObjects,
  pdbManifest,
  trafficPolicy,
  virtualService,
} from "./serviceSpecs";

/** The pod label that subsets select on. */
export const versionLabel = "version";

/** One Deployment with its HPA and PDB: the whole service, or one version of it. */
interface Workload {
  /** The version this workload runs; undefined for a service without versions. */
  version?: string;
  deployment: k8s.types.input.apps.v1.Deployment;
  hpa: k8s.types.input.autoscaling.v2.HorizontalPodAutoscaler;
  pdb: k8s.types.input.policy.v1.PodDisruptionBudget;
}

/** Everything one cluster gets for one service, with one workload per version that runs there. */
interface ServiceObjects extends Omit<OverflowObjects, "deployment" | "hpa" | "pdb"> {
  workloads: Workload[];
}

/** The name of a version's Deployment, HPA and PDB. */
function versionWorkloadName(service: ServiceSettings, version: VersionSettings): string {
  return `${service.name}-${version.name}`;
}

/** The versions that run in a cluster. */
function versionsIn(service: ServiceSettings, clusterName: string): VersionSettings[] {
  return (service.versions ?? []).filter((version) => version.clusters.includes(clusterName));
}

/**
 * One version's workload in a cluster: the service's Deployment, HPA and PDB, renamed after the
 * version, selecting and labelling its pods `version: <name>`, running the version's image. The HPA
 * bounds are the service's (home or standby) for each version.
 */
function versionWorkload(service: ServiceSettings, version: VersionSettings, clusterName: string): Workload {
  const name = versionWorkloadName(service, version);
  const labels = { app: service.name, [versionLabel]: version.name };
  // The builders return plain objects; these are their shapes without the Input<> wrappers.
  const base = deploymentManifest(service, clusterName) as PlainDeployment;
  const hpa = hpaManifest(service, clusterName) as PlainHpa;
  const pdb = pdbManifest(service);
  const { template } = base.spec;
  return {
    version: version.name,
    deployment: {
      ...base,
      metadata: { ...base.metadata, name },
      spec: {
        ...base.spec,
        selector: { matchLabels: labels },
        template: {
          ...template,
          metadata: { ...template.metadata, labels: { ...template.metadata.labels, ...labels } },
          spec: { ...template.spec, containers: template.spec.containers.map((container) => ({ ...container, image: version.image })) },
        },
      },
    },
    hpa: { ...hpa, metadata: { ...hpa.metadata, name }, spec: { ...hpa.spec, scaleTargetRef: { ...hpa.spec.scaleTargetRef, name } } },
    pdb: { ...pdb, metadata: { ...pdb.metadata, name }, spec: { ...pdb.spec, selector: { matchLabels: labels } } },
  };
}

type PlainDeployment = k8s.types.input.apps.v1.Deployment & {
  spec: {
    template: { metadata: { labels: Record<string, string> }; spec: { containers: k8s.types.input.core.v1.Container[] } };
  };
};
type PlainHpa = k8s.types.input.autoscaling.v2.HorizontalPodAutoscaler & {
  spec: { scaleTargetRef: k8s.types.input.autoscaling.v2.CrossVersionObjectReference };
};

/** One subset per version, each with the service's whole traffic policy (see the module comment). */
function versionSubsets(service: ServiceSettings): Subset[] {
  return (service.versions ?? []).map((version) => ({
    name: version.name,
    labels: { [versionLabel]: version.name },
    trafficPolicy: trafficPolicy(service),
  }));
}

/** The service's DestinationRule with a subset per version. */
export function versionedDestinationRule(service: ServiceSettings): DestinationRule {
  const rule = destinationRule(service);
  return { ...rule, spec: { ...rule.spec, subsets: versionSubsets(service) } };
}

/**
 * The service's VirtualService with versions: first one route per header route (`x-burstmesh-version:
 * <value>` to that version's subset), then the weighted split of every other request over the
 * versions with a weight. Every route keeps the service's retries, so overflow works within each.
 */
export function versionedVirtualService(service: ServiceSettings): VirtualService {
  const base = virtualService(service);
  const [route] = base.spec.http!;
  const destination = route!.route[0]!.destination;
  const toVersion = (name: string) => ({ ...destination, subset: name });
  const headerRoutes: HttpRoute[] = Object.entries(service.headerRoutes ?? {}).map(([value, version]) => ({
    ...route!,
    name: `${versionHeader}-${value}`.toLowerCase().replace(/[^a-z0-9-]/g, "-"),
    match: [{ headers: { [versionHeader]: { exact: value } } }],
    route: [{ destination: toVersion(version) }],
  }));
  const weighted = (service.versions ?? [])
    .filter((version) => version.weight > 0)
    .map((version) => ({ destination: toVersion(version.name), weight: version.weight }));
  return { ...base, spec: { ...base.spec, http: [...headerRoutes, { ...route!, route: weighted }] } };
}

/**
 * Everything one cluster gets for one service: the single-version objects as they are, or, with
 * versions, a workload per version that runs here and the versioned routing. The routing objects are
 * the same in every cluster (the other clusters' east-west gateways need the subsets too, to route
 * a subset's traffic by its SNI name).
 */
export function serviceObjects(service: ServiceSettings, objects: OverflowObjects, clusterName: string): ServiceObjects {
  const { deployment, hpa, pdb, ...shared } = objects;
  if (!service.versions) return { ...shared, workloads: [{ deployment, hpa, pdb }] };
  return {
    ...shared,
    destinationRule: versionedDestinationRule(service),
    virtualService: versionedVirtualService(service),
    workloads: versionsIn(service, clusterName).map((version) => versionWorkload(service, version, clusterName)),
  };
}
