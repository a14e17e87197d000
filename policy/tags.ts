// Cost-allocation tags: every taggable cloud resource names the project, stack and cluster it belongs to.

import { Policies, ReportViolation } from "@pulumi/policy";
import { record, ResourceView } from "./views";

export const tagPolicies: Policies = [
  {
    name: "cloud-resource-default-tags",
    description:
      "Every AWS provider sets the default tags burstmesh:project, burstmesh:stack and burstmesh:cluster, and every taggable Azure resource carries them.",
    enforcementLevel: "mandatory",
    severity: "low",
    validateResource: validateDefaultTags,
  },
];

/** The default tags (components/clusters/tags.ts; the pack is a package of its own, so it names them here). */
const defaultTagKeys = ["burstmesh:project", "burstmesh:stack", "burstmesh:cluster"] as const;

/** azure-native resources that take `tags` among those burstmesh creates and their relatives (API-versioned modules too). */
const azureTaggable =
  /^azure-native:(resources(\/v[\w-]+)?:ResourceGroup|containerservice(\/v[\w-]+)?:(ManagedCluster|AgentPool)|network(\/v[\w-]+)?:\w+|managedidentity(\/v[\w-]+)?:UserAssignedIdentity|keyvault(\/v[\w-]+)?:Vault|storage(\/v[\w-]+)?:StorageAccount|operationalinsights(\/v[\w-]+)?:Workspace)$/;

/**
 * Every AWS resource gets the default tags from its provider's `defaultTags` (the program gives each
 * cluster stack one AWS provider), so every AWS provider must carry them; every taggable Azure
 * resource carries them in its own `tags`.
 */
export function validateDefaultTags(args: ResourceView, reportViolation: ReportViolation): void {
  let tags: Record<string, unknown>;
  if (args.type === "pulumi:providers:aws") {
    // The engine hands a provider's object-valued settings over as JSON text.
    const raw = args.props.defaultTags;
    const defaultTags = typeof raw === "string" ? (JSON.parse(raw) as unknown) : raw;
    tags = record(record(defaultTags).tags);
  } else if (azureTaggable.test(args.type)) {
    tags = record(args.props.tags);
  } else {
    return;
  }
  const missing = defaultTagKeys.filter((key) => typeof tags[key] !== "string" || tags[key] === "");
  if (missing.length > 0) {
    const where = args.type === "pulumi:providers:aws" ? "AWS provider's defaultTags.tags" : "tags";
    reportViolation(`${args.type} '${args.name}' lacks the default tag(s) ${missing.join(", ")} in its ${where}.`);
  }
}
