import * as net from "node:net";
import { z } from "zod";

/** A Kubernetes DNS-1123 label: what cluster names, network names and namespaces must be. */
export const dns1123LabelPattern = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** An exact release version `x.y.z` (no ranges): what chart versions are pinned to. */
export const exactVersionPattern = /^\d+\.\d+\.\d+$/;

export const dns1123Label = z
  .string()
  .regex(dns1123LabelPattern, "must be a DNS-1123 label (lowercase letters, digits and '-', at most 63 characters)");

/** An IPv4 CIDR block such as 10.20.0.0/16. */
export const ipv4Cidr = z.string().refine((value) => {
  const [address, prefix, ...rest] = value.split("/");
  return rest.length === 0 && net.isIPv4(address ?? "") && /^\d{1,2}$/.test(prefix ?? "") && Number(prefix) <= 32;
}, "must be an IPv4 CIDR block such as 10.20.0.0/16");

const positiveInt = z.number().int("must be a whole number").positive("must be a positive whole number");

/** Settings every stack shares; their defaults live in Pulumi.yaml. */
export const meshSettings = z.object({
  istioVersion: z.string().regex(exactVersionPattern, "must be an Istio release version x.y.z, such as 1.30.3"),
  meshId: dns1123Label,
  trustDomain: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "must be a DNS name such as cluster.local"),
  members: z
    .array(dns1123Label)
    .min(1, "must list at least one member cluster")
    .superRefine((members, ctx) => {
      members.forEach((member, index) => {
        if (members.indexOf(member) !== index) {
          ctx.addIssue({ code: "custom", path: [index], message: `lists cluster '${member}' twice` });
        }
      });
    }),
  trustStack: z.string().min(1),
  certOrganization: z.string().min(1),
  rootCertValidityHours: positiveInt,
  intermediateCertValidityHours: positiveInt,
});
export type MeshSettings = z.infer<typeof meshSettings>;

const nodeCounts = {
  minCount: z.number().int().min(1, "must be at least 1"),
  desiredCount: z.number().int(),
  maxCount: z.number().int(),
  diskSizeGb: positiveInt,
};

function checkNodeCounts(pool: { minCount: number; desiredCount: number; maxCount: number }, ctx: z.RefinementCtx): void {
  if (pool.desiredCount < pool.minCount) {
    ctx.addIssue({ code: "custom", path: ["desiredCount"], message: `must be at least minCount (${pool.minCount})` });
  }
  if (pool.desiredCount > pool.maxCount) {
    ctx.addIssue({ code: "custom", path: ["desiredCount"], message: `must be at most maxCount (${pool.maxCount})` });
  }
}

const clusterCommon = {
  clusterName: dns1123Label,
  network: dns1123Label,
  peers: z.array(dns1123Label),
  kubernetesVersion: z.string().regex(/^\d+\.\d+$/, "must be a Kubernetes minor version such as 1.34"),
  /** CIDRs allowed to reach the public Kubernetes API endpoint; empty means unrestricted. */
  apiAllowedCidrs: z.array(ipv4Cidr),
};

/**
 * EC2 instance families Karpenter may launch (`karpenter.k8s.aws/instance-family`), such as `m6i`
 * or `c7i-flex`: letters, a generation digit, then letters, digits or '-'. A type such as
 * `m6i.xlarge` is refused, since the family label never matches it.
 */
const instanceFamily = z
  .string()
  .regex(/^[a-z]+[0-9][a-z0-9-]*$/, "must be an EC2 instance family such as m6i or c7i-flex (a family, not a type like m6i.xlarge)");

function noDuplicates(items: readonly string[], ctx: z.RefinementCtx): void {
  items.forEach((item, index) => {
    if (items.indexOf(item) !== index) ctx.addIssue({ code: "custom", path: [index], message: `lists '${item}' twice` });
  });
}

/** The error of a strict section for keys it does not know: which ones, and which it takes on this cloud. */
function onlyKeysOf(cloud: string, known: readonly string[]) {
  return (issue: { code?: string; keys?: string[] }) =>
    issue.code === "unrecognized_keys"
      ? `has no key ${issue.keys!.map((key) => `'${key}'`).join(", ")} on ${cloud}; it takes ${known.join(", ")}`
      : undefined;
}

/**
 * Node autoscaling on EKS: Karpenter, for pods the static node group cannot hold. Every field has a
 * default, and so has the section; keys that belong to the other cloud are refused.
 */
const awsAutoscalingShape = {
  /** Install Karpenter and its NodePool; false leaves EKS at the static node group. */
  enabled: z.boolean("must be true or false").default(true),
  /** Instance families of the NodePool. */
  instanceFamilies: z
    .array(instanceFamily)
    .min(1, "must name at least one instance family")
    .superRefine(noDuplicates)
    .default(["m6i", "m7i"]),
  /** Capacity types of the NodePool: on-demand, and spot if interruptions are acceptable. */
  capacityTypes: z
    .array(z.enum(["on-demand", "spot"], "must be on-demand or spot"))
    .min(1, "must name at least one capacity type")
    .superRefine(noDuplicates)
    .default(["on-demand"]),
  /** Most vCPUs the NodePool may run in total: a runaway burst cannot buy more. */
  cpuLimit: positiveInt.default(64),
  /**
   * The EKS-optimized AMI the nodes boot (`amiSelectorTerms.alias`): `al2023@latest`, or pinned, such
   * as `al2023@v20250915`.
   */
  amiAlias: z
    .string()
    .regex(
      /^(al2023|bottlerocket)@(latest|v[0-9][0-9.]*)$/,
      "must be al2023@<version> or bottlerocket@<version>, the version 'latest' or a release tag such as v20250915",
    )
    .default("al2023@latest"),
};
export const awsAutoscaling = z
  .strictObject(awsAutoscalingShape, { error: onlyKeysOf("aws", Object.keys(awsAutoscalingShape)) })
  .prefault({});
export type AwsAutoscaling = z.infer<typeof awsAutoscaling>;

/** The AKS cluster autoscaler's profile: the keys of `autoScalerProfile` burstmesh exposes. */
const azureAutoscalingShape = {
  /** How often the autoscaler looks for pending pods and unneeded nodes: whole seconds, `<n>s`. */
  scanInterval: z
    .string()
    .regex(/^[1-9][0-9]*s$/, "must be a whole number of seconds such as 10s")
    .default("10s"),
  /** How long after a scale-up the autoscaler starts considering scale-down again: whole minutes, `<n>m`. */
  scaleDownDelayAfterAdd: z
    .string()
    .regex(/^[1-9][0-9]*m$/, "must be a whole number of minutes such as 10m")
    .default("10m"),
};
export const azureAutoscaling = z
  .strictObject(azureAutoscalingShape, { error: onlyKeysOf("azure", Object.keys(azureAutoscalingShape)) })
  .prefault({});
export type AzureAutoscaling = z.infer<typeof azureAutoscaling>;

export const awsClusterSettings = z.object({
  cloud: z.literal("aws"),
  region: z.string("is required when burstmesh:cloud is aws (the AWS region, such as eu-central-1)").min(1),
  ...clusterCommon,
  vpcCidr: ipv4Cidr,
  availabilityZoneCount: z.number().int().min(2, "must be at least 2 (EKS needs subnets in two availability zones)"),
  natGateways: z.enum(["single", "perZone"]),
  /** IAM roles or users, besides whoever creates the cluster, that get cluster-admin access (access entries). */
  clusterAdminPrincipals: z
    .array(
      z
        .string()
        .regex(
          /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/.+$/,
          "must be an IAM role or user ARN such as arn:aws:iam::123456789012:role/ci-preview",
        ),
    )
    .default([]),
  nodePool: z
    .object({ instanceTypes: z.array(z.string().min(1)).min(1, "must name at least one EC2 instance type"), ...nodeCounts })
    .superRefine(checkNodeCounts),
  autoscaling: awsAutoscaling,
});
export type AwsClusterSettings = z.infer<typeof awsClusterSettings>;

export const azureClusterSettings = z.object({
  cloud: z.literal("azure"),
  location: z.string("is required when burstmesh:cloud is azure (the Azure location, such as westeurope)").min(1),
  ...clusterCommon,
  resourceGroupName: z.string().regex(/^[-\w.()]{1,89}[-\w()]$/, "must be an Azure resource group name"),
  nodePool: z.object({ vmSize: z.string().min(1), ...nodeCounts }).superRefine(checkNodeCounts),
  autoscaling: azureAutoscaling,
});
export type AzureClusterSettings = z.infer<typeof azureClusterSettings>;

export type ClusterSettings = AwsClusterSettings | AzureClusterSettings;
export type Cloud = ClusterSettings["cloud"];
