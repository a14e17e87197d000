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
});
export type AwsClusterSettings = z.infer<typeof awsClusterSettings>;

export const azureClusterSettings = z.object({
  cloud: z.literal("azure"),
  location: z.string("is required when burstmesh:cloud is azure (the Azure location, such as westeurope)").min(1),
  ...clusterCommon,
  resourceGroupName: z.string().regex(/^[-\w.()]{1,89}[-\w()]$/, "must be an Azure resource group name"),
  nodePool: z.object({ vmSize: z.string().min(1), ...nodeCounts }).superRefine(checkNodeCounts),
});
export type AzureClusterSettings = z.infer<typeof azureClusterSettings>;

export type ClusterSettings = AwsClusterSettings | AzureClusterSettings;
export type Cloud = ClusterSettings["cloud"];
