import type { RawConfig } from "../../config";
import { onpremConfig } from "./existing";
import { withConfig } from "./stackFiles";

/** How many members of each kind a mesh has, and how many services are spread over them. */
interface MeshSize {
  eks: number;
  aks: number;
  existing: number;
  services: number;
}

/** The size the program is held to: ten members (4 EKS, 4 AKS, 2 existing), fifty services. */
export const tenMembers: MeshSize = { eks: 4, aks: 4, existing: 2, services: 50 };

/** A mesh of that size, by config alone: the trust stack's config and every member stack's. */
export interface ScaledMesh {
  members: string[];
  /** Each service's name and home member. */
  services: { name: string; homeCluster: string }[];
  trust: RawConfig;
  clusters: Record<string, RawConfig>;
}

/**
 * The config of a mesh of `size` members: `eks1`... from Pulumi.eks.yaml, `aks1`... from
 * Pulumi.aks.yaml, `onprem1`... existing clusters, each peering with every other member. The
 * services (`svc-00`...) take their home members in turn; every fifth fails over instead of
 * overflowing.
 */
export function scaledMesh(size: MeshSize): ScaledMesh {
  const named = (prefix: string, count: number) => Array.from({ length: count }, (_, index) => `${prefix}${index + 1}`);
  const eks = named("eks", size.eks);
  const aks = named("aks", size.aks);
  const existing = named("onprem", size.existing);
  const members = [...eks, ...aks, ...existing];
  const services = Array.from({ length: size.services }, (_, index) => ({
    name: `svc-${String(index).padStart(2, "0")}`,
    homeCluster: members[index % members.length]!,
  }));
  const serviceConfig = services.map((service, index) =>
    index % 5 === 4 ? { ...service, mode: "failover" } : { ...service, capacity: { maxConcurrentRequests: 16 } },
  );
  const meshWide = {
    "burstmesh:members": members,
    "burstmesh:services": serviceConfig,
    "burstmesh:drill": { enabled: false, service: services[0]?.name ?? "podinfo" },
  };
  const own = (name: string) => ({
    ...meshWide,
    "burstmesh:clusterName": name,
    "burstmesh:network": `network-${name}`,
    "burstmesh:peers": members.filter((member) => member !== name),
  });
  const clusters: Record<string, RawConfig> = {};
  eks.forEach((name, index) => {
    clusters[name] = withConfig("eks", { ...own(name), "burstmesh:vpcCidr": `10.${20 + index}.0.0/16` });
  });
  for (const name of aks) clusters[name] = withConfig("aks", { ...own(name), "burstmesh:resourceGroupName": `burstmesh-${name}` });
  existing.forEach((name, index) => {
    clusters[name] = onpremConfig({
      ...own(name),
      "burstmesh:region": `on-prem-${name}`,
      "burstmesh:apiServerUrl": `https://203.0.113.${10 + index}:6443`,
      "burstmesh:gatewayAddress": `203.0.113.${20 + index}`,
      "burstmesh:egressCidrs": [`198.51.100.${16 * index}/28`],
    });
  });
  return { members, services, trust: withConfig("trust", { "burstmesh:members": members }), clusters };
}
