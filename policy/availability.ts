// Node pools big enough that losing or draining one node leaves the cluster running. Advisory.

import { Policies, ReportViolation } from "@pulumi/policy";
import { record, ResourceView, types } from "./views";

export const availabilityPolicies: Policies = [
  {
    name: "node-pool-min-two-nodes",
    description: "Node pools keep at least two nodes.",
    enforcementLevel: "advisory",
    severity: "low",
    validateResource: validateNodePoolMinimum,
  },
];

/** Node pools should keep at least 2 nodes (EKS `scalingConfig.minSize`, AKS `minCount` with autoscaling, else `count`). */
export function validateNodePoolMinimum(args: ResourceView, reportViolation: ReportViolation): void {
  const minimum = 2;
  if (args.type === types.eksNodeGroup) {
    const minSize = record(args.props.scalingConfig).minSize;
    if (typeof minSize !== "number" || minSize < minimum) {
      reportViolation(
        `EKS node group '${args.name}' can shrink to ${String(minSize ?? "?")} node(s) (scalingConfig.minSize); keep at least ${minimum}.`,
      );
    }
    return;
  }
  const pools: [string, Record<string, unknown>][] = types.aksCluster.test(args.type)
    ? (Array.isArray(args.props.agentPoolProfiles) ? args.props.agentPoolProfiles : []).map((p): [string, Record<string, unknown>] => [
        `AKS cluster '${args.name}' pool '${String(record(p).name ?? "?")}'`,
        record(p),
      ])
    : types.aksAgentPool.test(args.type)
      ? [[`AKS agent pool '${args.name}'`, args.props]]
      : [];
  for (const [where, pool] of pools) {
    const field = pool.enableAutoScaling === true ? "minCount" : "count";
    const size = pool[field];
    if (typeof size !== "number" || size < minimum) {
      reportViolation(`${where} can run with ${String(size ?? "an unset")} node(s) (${field}); keep at least ${minimum}.`);
    }
  }
}
