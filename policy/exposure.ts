// Who can reach the clusters' API servers. Advisory: they stay open by default, because `pulumi up`
// must reach them from wherever it runs.

import { Policies, ReportViolation } from "@pulumi/policy";
import { record, ResourceView, types } from "./views";

export const exposurePolicies: Policies = [
  {
    name: "eks-api-public-access-restricted",
    description: "The EKS API endpoint is private or limited to known CIDRs.",
    enforcementLevel: "advisory",
    severity: "medium",
    validateResource: validateEksPublicAccessCidrs,
  },
  {
    name: "aks-api-authorized-ip-ranges",
    description: "The AKS API server is private or limited to authorized IP ranges.",
    enforcementLevel: "advisory",
    severity: "medium",
    validateResource: validateAksAuthorizedIpRanges,
  },
];

const anywhere = new Set(["0.0.0.0/0", "::/0"]);

/** EKS: a public API endpoint should be limited to known CIDRs (`vpcConfig.publicAccessCidrs`, default 0.0.0.0/0). */
export function validateEksPublicAccessCidrs(args: ResourceView, reportViolation: ReportViolation): void {
  if (args.type !== types.eksCluster) return;
  const vpcConfig = record(args.props.vpcConfig);
  if (vpcConfig.endpointPublicAccess === false) return;
  const cidrs = Array.isArray(vpcConfig.publicAccessCidrs) ? vpcConfig.publicAccessCidrs.map(String) : [];
  if (cidrs.length === 0) {
    reportViolation(`EKS cluster '${args.name}' has a public API endpoint with no publicAccessCidrs (AWS defaults to 0.0.0.0/0).`);
  } else if (cidrs.some((cidr) => anywhere.has(cidr))) {
    reportViolation(
      `EKS cluster '${args.name}' allows its public API endpoint from anywhere (publicAccessCidrs includes ${cidrs.filter((c) => anywhere.has(c)).join(", ")}).`,
    );
  }
}

/** AKS: a public API server should be limited to `apiServerAccessProfile.authorizedIPRanges` (or be private). */
export function validateAksAuthorizedIpRanges(args: ResourceView, reportViolation: ReportViolation): void {
  if (!types.aksCluster.test(args.type)) return;
  const profile = record(args.props.apiServerAccessProfile);
  if (profile.enablePrivateCluster === true) return;
  const ranges = Array.isArray(profile.authorizedIPRanges) ? profile.authorizedIPRanges.map(String) : [];
  if (ranges.length === 0) {
    reportViolation(
      `AKS cluster '${args.name}' has a public API server without apiServerAccessProfile.authorizedIPRanges (open to any address).`,
    );
  } else if (ranges.some((range) => anywhere.has(range))) {
    reportViolation(`AKS cluster '${args.name}' authorizes its API server from anywhere (authorizedIPRanges includes 0.0.0.0/0).`);
  }
}
