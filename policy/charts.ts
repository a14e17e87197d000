// Helm releases pin their chart, so that a preview shows what an update will install.

import { Policies, ReportViolation } from "@pulumi/policy";
import { ResourceView, types } from "./views";

export const chartPolicies: Policies = [
  {
    name: "helm-release-pinned-version",
    description: "Every Helm release pins one exact chart version.",
    enforcementLevel: "mandatory",
    severity: "medium",
    validateResource: validatePinnedChartVersion,
  },
];

const exactVersion = /^v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

/** Every `helm.v3.Release` sets `version` to one exact version (no range, no "latest", not empty). */
export function validatePinnedChartVersion(args: ResourceView, reportViolation: ReportViolation): void {
  if (args.type !== types.helmRelease) return;
  const version = args.props.version;
  if (typeof version === "string" && exactVersion.test(version.trim())) return;
  const chart = String(args.props.chart ?? "?");
  reportViolation(
    version === undefined || version === ""
      ? `Helm release '${args.name}' (chart '${chart}') sets no version: pin the exact chart version (e.g. 1.30.3).`
      : `Helm release '${args.name}' (chart '${chart}') uses version '${String(version)}', which is not one exact version (e.g. 1.30.3).`,
  );
}
