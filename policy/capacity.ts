// Bursting rests on HPAs, and HPAs on resource metrics, which EKS does not provide by itself.

import { Policies, ReportViolation, UnknownValueError } from "@pulumi/policy";
import { chartName, StackView, types } from "./views";

export const capacityPolicies: Policies = [
  {
    // Mandatory: without it bursting degrades silently (HPAs stuck at their minimum) and the fix is one add-on.
    name: "eks-metrics-server",
    description: "A stack with an EKS cluster installs metrics-server, so that its HPAs can scale.",
    enforcementLevel: "mandatory",
    severity: "high",
    validateStack: validateEksMetricsServer,
  },
];

/**
 * A stack with an EKS cluster must install metrics-server: the `metrics-server` EKS add-on, or a
 * Helm release of a `metrics-server` chart. EKS does not deploy it, and without it every HPA in the
 * cluster (the services', istiod's, the east-west gateway's) stays at its minimum, so bursts spill
 * to the other cloud long before the home cluster has grown.
 */
export function validateEksMetricsServer(args: StackView, reportViolation: ReportViolation): void {
  const clusters = args.resources.filter((r) => r.type === types.eksCluster);
  if (clusters.length === 0) return;
  let firstUnknown: UnknownValueError | undefined;
  for (const r of args.resources) {
    try {
      if (r.type === types.eksAddon && r.props.addonName === "metrics-server") return;
      if (r.type === types.helmRelease && chartName(r.props.chart) === "metrics-server") return;
    } catch (error) {
      if (!(error instanceof UnknownValueError)) throw error;
      firstUnknown ??= error;
    }
  }
  if (firstUnknown) throw firstUnknown;
  reportViolation(
    `EKS cluster '${clusters[0]!.name}' has no metrics-server, so its HPAs cannot scale: add the EKS add-on 'metrics-server' ` +
      "(aws.eks.Addon) after the node group.",
    clusters[0]!.urn,
  );
}
