/**
 * What each cluster stack gets in its cloud, from its validated config: the part of the plan that
 * `up` prints before it deploys, with an estimated hourly cost from the price table.
 */
import type { ClusterSettings, ObservabilitySettings, StackConfig } from "../config";
import { priceTable } from "./prices";

/** One cluster stack's resources in its cloud. */
interface Footprint {
  stack: string;
  /** `EKS 1.34 in eu-central-1`, or an existing cluster, which burstmesh does not create. */
  cluster: string;
  /** The node pool: desired count, its range, the size, and what may add nodes beyond it. */
  nodes?: string;
  loadBalancers: number;
  natGateways: number;
  publicAddresses: number;
  /** Estimated on-demand cost per hour, of what the table prices; undefined for an existing cluster. */
  hourlyCost?: number;
  /** Sizes the price table does not list: their cost is left out of `hourlyCost`. */
  unpriced: string[];
}

type ClusterConfig = Extract<StackConfig, { role: "cluster" }>;

/** The footprint of one cluster stack. */
export function footprintOf(stack: string, config: ClusterConfig): Footprint {
  const { cluster, observability } = config;
  switch (cluster.cloud) {
    case "aws":
      return awsFootprint(stack, cluster, consoleLoadBalancers(config, observability));
    case "azure":
      return azureFootprint(stack, cluster, consoleLoadBalancers(config, observability));
    case "existing":
      return {
        stack,
        cluster: `existing cluster (not created by burstmesh); east-west gateway as ${cluster.gatewayService}`,
        loadBalancers: cluster.gatewayService === "LoadBalancer" ? 1 : 0,
        natGateways: 0,
        publicAddresses: 0,
        unpriced: [],
      };
  }
}

/** Grafana and Kiali behind internal load balancers, in the observer only, when asked. */
function consoleLoadBalancers(config: ClusterConfig, observability: ObservabilitySettings): number {
  return observability.enabled && observability.internalLoadBalancer && observability.observer === config.cluster.clusterName ? 2 : 0;
}

function awsFootprint(stack: string, cluster: Extract<ClusterSettings, { cloud: "aws" }>, consoles: number): Footprint {
  const prices = priceTable.aws;
  const { nodePool, autoscaling } = cluster;
  const size = nodePool.instanceTypes[0]!;
  const natGateways = cluster.natGateways === "perZone" ? cluster.availabilityZoneCount : 1;
  // The internet-facing east-west NLB has one public address per zone, the NAT gateways one each.
  const publicAddresses = natGateways + cluster.availabilityZoneCount;
  const karpenter = autoscaling.enabled ? `; Karpenter may add up to ${autoscaling.cpuLimit} vCPU` : "";
  const nodePrice = prices.instances[size];
  return {
    stack,
    cluster: `EKS ${cluster.kubernetesVersion} in ${cluster.region}`,
    nodes: `${nodePool.desiredCount} × ${nodePool.instanceTypes.join("/")} (${nodePool.minCount}–${nodePool.maxCount})${karpenter}`,
    loadBalancers: 1 + consoles,
    natGateways,
    publicAddresses,
    hourlyCost:
      prices.eksControlPlane +
      natGateways * prices.natGateway +
      publicAddresses * prices.publicIpv4 +
      (1 + consoles) * prices.networkLoadBalancer +
      nodePool.desiredCount * (nodePrice ?? 0),
    unpriced: nodePrice === undefined ? [size] : [],
  };
}

function azureFootprint(stack: string, cluster: Extract<ClusterSettings, { cloud: "azure" }>, consoles: number): Footprint {
  const prices = priceTable.azure;
  const { nodePool } = cluster;
  const vmPrice = prices.vms[nodePool.vmSize];
  // The cluster's Standard Load Balancer carries the outbound IP and the east-west gateway's; an
  // internal console load balancer is a second one.
  const loadBalancers = 1 + (consoles > 0 ? 1 : 0);
  const publicAddresses = 2;
  return {
    stack,
    cluster: `AKS ${cluster.kubernetesVersion} in ${cluster.location}`,
    nodes: `${nodePool.desiredCount} × ${nodePool.vmSize} (${nodePool.minCount}–${nodePool.maxCount}); the cluster autoscaler moves it within that range`,
    loadBalancers,
    natGateways: 0,
    publicAddresses,
    hourlyCost:
      prices.aksControlPlane +
      loadBalancers * prices.standardLoadBalancer +
      publicAddresses * prices.publicIp +
      nodePool.desiredCount * (vmPrice ?? 0),
    unpriced: vmPrice === undefined ? [nodePool.vmSize] : [],
  };
}

/** The footprint as lines of the plan. */
export function describeFootprint(footprint: Footprint): string[] {
  const cost =
    footprint.hourlyCost === undefined
      ? "no cloud cost of burstmesh's making"
      : `≈ $${footprint.hourlyCost.toFixed(2)}/h` +
        (footprint.unpriced.length > 0 ? ` (without ${footprint.unpriced.join(", ")}: not in the price table)` : "");
  return [
    `[${footprint.stack}] ${footprint.cluster}`,
    ...(footprint.nodes ? [`[${footprint.stack}]   nodes: ${footprint.nodes}`] : []),
    `[${footprint.stack}]   load balancers ${footprint.loadBalancers}, NAT gateways ${footprint.natGateways}, public addresses ${footprint.publicAddresses}; ${cost}`,
  ];
}

/** The line under the footprints that says what the cost is, and is not. */
export function costNote(): string {
  const { compiled, aws, azure } = priceTable;
  return (
    `costs are estimates: on-demand list prices (${aws.region}, ${azure.region}; table of ${compiled} in orchestrator/prices.ts) ` +
    "of the nodes at their desired count, control planes, NAT gateways, load balancers and public addresses; " +
    "no data transfer, storage, logs or autoscaled nodes"
  );
}
