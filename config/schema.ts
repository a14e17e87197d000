import * as net from "node:net";
import { z } from "zod";
import { formatIpv4Cidr, networkOf, parseIpv4Cidr } from "../model/cidr";
import { noDuplicates, repeatedIndexes } from "./fields";
import { istioReleases } from "./charts";
import { checkAdminKubeconfig, isHttpsUrl, isLoopbackUrl } from "./kubeconfig";
import { kubernetesVersionsAsOf, standardSupportVersions } from "./kubernetesVersions";

/** A Kubernetes DNS-1123 label: what cluster names, network names and namespaces must be. */
export const dns1123LabelPattern = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** An exact release version `x.y.z` (no ranges): what chart versions are pinned to. */
const exactVersionPattern = /^\d+\.\d+\.\d+$/;

const dns1123LabelMessage = "must be a DNS-1123 label (lowercase letters, digits and '-', at most 63 characters)";

export const dns1123Label = z.string().regex(dns1123LabelPattern, dns1123LabelMessage);

/**
 * The longest member name. A member's name is its cluster's name and starts the names of the
 * cluster's cloud resources; the tightest of them are AWS's 64 characters for an IAM role and an
 * EventBridge rule: `<name>-karpenter-node` plus Pulumi's 8-character auto-name suffix, and
 * `<name>-karpenter-state-change`. tests/nameLimits.test.ts builds the mesh at this length.
 */
export const memberNameMaxLength = 40;

/** A member cluster's name: a DNS-1123 label short enough for every name built from it. */
const memberName = z.string().superRefine((name, ctx) => {
  if (!dns1123LabelPattern.test(name)) ctx.addIssue({ code: "custom", message: dns1123LabelMessage });
  else if (name.length > memberNameMaxLength) {
    ctx.addIssue({
      code: "custom",
      message:
        `must be at most ${memberNameMaxLength} characters (got ${name.length}): it starts the names of the cluster's cloud ` +
        "resources, and AWS takes at most 64 for an IAM role or EventBridge rule such as '<name>-karpenter-node-<suffix>'",
    });
  }
});

/**
 * An IPv4 CIDR block such as 10.20.0.0/16, written as its network address: clouds and Kubernetes
 * would silently read `10.20.1.0/16` as `10.20.0.0/16`, or refuse it, so the normalised block is suggested.
 */
const ipv4Cidr = z.string().superRefine((text, ctx) => {
  const block = parseIpv4Cidr(text);
  if (!block) ctx.addIssue({ code: "custom", message: "must be an IPv4 CIDR block such as 10.20.0.0/16" });
  else if (networkOf(block).address !== block.address) {
    ctx.addIssue({ code: "custom", message: `has host bits set; use ${formatIpv4Cidr(networkOf(block))}` });
  }
});

/** The VPC's block: what the subnet plan can carve (see `carveSubnets`), /16 to /24. */
const vpcCidr = ipv4Cidr.superRefine((text, ctx) => {
  const block = parseIpv4Cidr(text);
  if (block && (block.prefix < 16 || block.prefix > 24)) {
    ctx.addIssue({ code: "custom", message: `must be a /16 to /24 block (got /${block.prefix}), such as 10.20.0.0/16` });
  }
});

const positiveInt = z.number().int("must be a whole number").positive("must be a positive whole number");

/** A list of IPv4 CIDR blocks, each listed once. */
const ipv4CidrList = z.array(ipv4Cidr).superRefine(noDuplicates);

/**
 * The CIDRs a member's traffic to the internet leaves from. Peers admit them to their east-west
 * gateway and (when restricted) their API server. EKS and AKS members compute theirs; a member
 * burstmesh does not create must declare its own with this schema (`burstmesh:egressCidrs`).
 */
const egressCidrs = ipv4CidrList.min(1, "must list at least one CIDR: peers admit only these addresses");

/** Retention periods CloudWatch Logs accepts, in days (0, never expire, is left out on purpose). */
export const cloudWatchRetentionDays = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/**
 * Cost-allocation tags: what AWS and Azure both accept. Keys: 1-128 characters (AWS allows 128,
 * Azure 512), letters, digits, spaces and `_ . : = + - @` (AWS also allows `/`, Azure forbids it in
 * names), not starting with the prefixes the clouds reserve (`aws:`; `microsoft`, `azure`,
 * `windows`) nor `burstmesh:` (the default tags). Values: at most 256 characters (both clouds), of
 * the characters AWS allows (letters, digits, spaces, `_ . : / = + - @`).
 */
const resourceTags = z.record(z.string(), z.string("must be a text value")).superRefine((tags, ctx) => {
  for (const [key, value] of Object.entries(tags)) {
    const problem = (message: string) => ctx.addIssue({ code: "custom", path: [key], message });
    if (key.length < 1 || key.length > 128) problem("the key must be 1 to 128 characters (AWS tag keys)");
    else if (!/^[\p{L}\p{N}\s_.:=+\-@]+$/u.test(key)) {
      problem("the key may hold only letters, digits, spaces and _ . : = + - @ (what both AWS and Azure accept)");
    } else if (/^(aws:|microsoft|azure|windows)/i.test(key))
      problem("the key uses a prefix AWS or Azure reserves (aws:, microsoft, azure, windows)");
    else if (/^burstmesh:/i.test(key))
      problem("the burstmesh: prefix is reserved for the default tags (burstmesh:project, burstmesh:stack, burstmesh:cluster)");
    if (typeof value === "string" && value.length > 256) problem("the value must be at most 256 characters");
    else if (typeof value === "string" && !/^[\p{L}\p{N}\s_.:/=+\-@]*$/u.test(value)) {
      problem("the value may hold only letters, digits, spaces and _ . : / = + - @ (what AWS accepts)");
    }
  }
});

/** Settings every stack shares; their defaults live in Pulumi.yaml. */
export const meshSettings = z
  .object({
    istioVersion: z
      .string()
      .regex(exactVersionPattern, `must be an Istio release version x.y.z, such as ${istioReleases[0]}`)
      .refine((version) => (istioReleases as readonly string[]).includes(version), {
        message: `must be an Istio release whose charts burstmesh pins and checks: ${istioReleases.join(" or ")}`,
      }),
    meshId: dns1123Label,
    trustDomain: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "must be a DNS name such as cluster.local"),
    members: z
      .array(memberName)
      .min(1, "must list at least one member cluster")
      .superRefine((members, ctx) => {
        for (const index of repeatedIndexes(members)) {
          ctx.addIssue({ code: "custom", path: [index], message: `lists cluster '${members[index]}' twice` });
        }
      }),
    trustStack: z.string().min(1),
    certOrganization: z.string().min(1),
    /** Tags on every taggable AWS and Azure resource, besides the default tags. */
    tags: resourceTags,
    rootCertValidityHours: positiveInt,
    intermediateCertValidityHours: positiveInt,
  })
  .superRefine((mesh, ctx) => {
    if (mesh.members.includes(mesh.trustStack)) {
      ctx.addIssue({
        code: "custom",
        path: ["trustStack"],
        message:
          `must not be a member's name: '${mesh.trustStack}' is in burstmesh:members, and each member's stack is named after it; ` +
          "the trust stack needs a stack of its own",
      });
    }
    if (mesh.intermediateCertValidityHours > mesh.rootCertValidityHours) {
      ctx.addIssue({
        code: "custom",
        path: ["intermediateCertValidityHours"],
        message: `must not exceed rootCertValidityHours (${mesh.rootCertValidityHours}): an intermediate cannot outlive the root that signs it`,
      });
    }
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

/** What every member has, whoever created its cluster. */
const memberIdentity = {
  clusterName: memberName,
  network: dns1123Label,
  /**
   * The other members this one discovers and is discovered by; default every other member (see
   * {@link resolvePeers}). A list makes a partial mesh.
   */
  peers: z.array(dns1123Label).optional(),
  /** CIDRs admitted to the east-west gateway besides the peers' egress CIDRs. */
  gatewayAllowedCidrs: ipv4CidrList.default([]),
  /**
   * The generation of the token peers read this member with; raising it re-issues the token and
   * revokes the old one (`remove-member` does, for a removed member's). Default 1.
   */
  readerTokenGeneration: positiveInt.default(1),
};

/**
 * The most `loadBalancerSourceRanges` an EKS member's east-west gateway can take. The in-tree AWS
 * load-balancer code puts them in the nodes' security group (the EKS cluster security group): per
 * range one rule for each of the gateway's two node ports and one ICMP rule for MTU discovery, besides
 * the health check's rule and EKS's own rule for the group itself. A security group takes 60 inbound
 * rules by default: (60 - 2) / 3 ranges.
 */
export const awsGatewaySourceRangeLimit = Math.floor((60 - 2) / 3);

/**
 * The most `loadBalancerSourceRanges` an AKS member's east-west gateway can take: the Azure cloud
 * provider turns each range into a rule of the cluster's network security group, which takes 1000.
 */
export const azureGatewaySourceRangeLimit = 1000;

/**
 * `gatewayAllowedCidrs` on a cloud whose load balancer admits at most `limit` source ranges: the
 * peers' egress CIDRs take their share of it too, so the list alone must fit.
 */
function gatewayAllowedCidrsWithin(limit: number, why: string) {
  return ipv4CidrList
    .max(
      limit,
      `must list at most ${limit} CIDRs: the east-west gateway's source ranges are these plus every peer's egress CIDRs, and ${why}`,
    )
    .default([]);
}

/** What a member whose cluster burstmesh creates has besides. */
const clusterCommon = {
  ...memberIdentity,
  /** CIDRs allowed to reach the public Kubernetes API endpoint; empty means unrestricted. */
  apiAllowedCidrs: z.array(ipv4Cidr),
};

/** A Kubernetes minor version that `cloud` offers in standard support (config/kubernetesVersions.ts). */
function kubernetesVersion(cloud: keyof typeof standardSupportVersions) {
  const offered = standardSupportVersions[cloud];
  const service = cloud === "aws" ? "EKS" : "AKS";
  return z.string().superRefine((version, ctx) => {
    if (!/^\d+\.\d+$/.test(version)) ctx.addIssue({ code: "custom", message: "must be a Kubernetes minor version such as 1.34" });
    else if (!offered.includes(version)) {
      ctx.addIssue({
        code: "custom",
        message:
          `must be a version ${service} offers in standard support: ${offered.join(", ")} ` +
          `(as of ${kubernetesVersionsAsOf}; the list is in config/kubernetesVersions.ts)`,
      });
    }
  });
}

/**
 * EC2 instance families Karpenter may launch (`karpenter.k8s.aws/instance-family`), such as `m6i`
 * or `c7i-flex`: letters, a generation digit, then letters, digits or '-'. A type such as
 * `m6i.xlarge` is refused, since the family label never matches it.
 */
const instanceFamily = z
  .string()
  .regex(/^[a-z]+[0-9][a-z0-9-]*$/, "must be an EC2 instance family such as m6i or c7i-flex (a family, not a type like m6i.xlarge)");

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
const awsAutoscaling = z.strictObject(awsAutoscalingShape, { error: onlyKeysOf("aws", Object.keys(awsAutoscalingShape)) }).prefault({});

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
const azureAutoscaling = z
  .strictObject(azureAutoscalingShape, { error: onlyKeysOf("azure", Object.keys(azureAutoscalingShape)) })
  .prefault({});

export const awsClusterSettings = z.object({
  cloud: z.literal("aws"),
  region: z.string("is required when burstmesh:cloud is aws (the AWS region, such as eu-central-1)").min(1),
  ...clusterCommon,
  gatewayAllowedCidrs: gatewayAllowedCidrsWithin(
    awsGatewaySourceRangeLimit,
    "each takes three of the 60 inbound rules of the nodes' security group (two node ports and ICMP for MTU discovery)",
  ),
  kubernetesVersion: kubernetesVersion("aws"),
  vpcCidr,
  availabilityZoneCount: z.number().int().min(2, "must be at least 2 (EKS needs subnets in two availability zones)"),
  // An empty value (`burstmesh:natGateways:` with nothing after it) reaches the program as "": as good as missing.
  natGateways: z.enum(["single", "perZone"], {
    error: (issue) =>
      issue.input === undefined || issue.input === ""
        ? "is required ('single' or 'perZone')"
        : `must be 'single' or 'perZone' (got '${String(issue.input)}')`,
  }),
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
  /** How long the control-plane logs (api, audit, authenticator) stay in CloudWatch, in days. */
  controlPlaneLogRetentionDays: z
    .number()
    .refine(
      (days) => (cloudWatchRetentionDays as readonly number[]).includes(days),
      `must be a retention CloudWatch Logs accepts: one of ${cloudWatchRetentionDays.join(", ")} (days)`,
    )
    .default(90),
  nodePool: z
    .strictObject({ instanceTypes: z.array(z.string().min(1)).min(1, "must name at least one EC2 instance type"), ...nodeCounts })
    .superRefine(checkNodeCounts),
  autoscaling: awsAutoscaling,
});
type AwsClusterSettings = z.infer<typeof awsClusterSettings>;

/** The most nodes an AKS node pool (a virtual machine scale set) holds, and so the autoscaler's `maxCount`. */
const aksNodePoolMaxNodes = 1000;

/**
 * The node resource group is the cluster's resource group name with this suffix (`nodeResourceGroup`),
 * rather than AKS's default `MC_<group>_<cluster>_<location>`, which outgrows AKS's 80 characters
 * with long names; hence the resource group's own limit.
 */
export const aksNodeResourceGroupSuffix = "-nodes";
const aksResourceGroupMaxLength = 80 - aksNodeResourceGroupSuffix.length;

export const azureClusterSettings = z
  .object({
    cloud: z.literal("azure"),
    location: z.string("is required when burstmesh:cloud is azure (the Azure location, such as westeurope)").min(1),
    ...clusterCommon,
    gatewayAllowedCidrs: gatewayAllowedCidrsWithin(
      azureGatewaySourceRangeLimit,
      "each becomes a rule of the cluster's network security group, which takes 1000",
    ),
    kubernetesVersion: kubernetesVersion("azure"),
    resourceGroupName: z
      .string()
      .regex(/^[-\w.()]*[-\w()]$/, "must be an Azure resource group name (letters, digits and - _ . ( ), not ending in '.')")
      .max(
        aksResourceGroupMaxLength,
        `must be at most ${aksResourceGroupMaxLength} characters: the cluster's nodes go in resource group '<name>${aksNodeResourceGroupSuffix}', ` +
          "and AKS takes a node resource group name of at most 80",
      ),
    /**
     * How people and Pulumi sign in to the API server: `local` (Kubernetes RBAC, the static cluster-user
     * credential) or `entra` (Microsoft Entra ID with Azure RBAC, local accounts disabled, kubelogin).
     */
    aksAuth: z.enum(["local", "entra"], "must be 'local' or 'entra'").default("local"),
    /**
     * With `entra`: the Entra principals that get cluster admin (the role "Azure Kubernetes Service RBAC
     * Cluster Admin" on the cluster), the identities that run `pulumi up` among them.
     */
    aksAdminPrincipals: z
      .array(
        z.strictObject({
          objectId: z.uuid("must be the principal's object ID, a GUID"),
          type: z.enum(["User", "Group", "ServicePrincipal"], "must be User, Group or ServicePrincipal"),
        }),
      )
      .default([]),
    nodePool: z
      .strictObject({
        vmSize: z.string().min(1),
        ...nodeCounts,
        maxCount: nodeCounts.maxCount.max(
          aksNodePoolMaxNodes,
          `must be at most ${aksNodePoolMaxNodes}: an AKS node pool holds at most that many nodes`,
        ),
      })
      .superRefine(checkNodeCounts),
    autoscaling: azureAutoscaling,
  })
  .superRefine((cluster, ctx) => {
    if (cluster.aksAuth === "entra" && cluster.aksAdminPrincipals.length === 0) {
      ctx.addIssue({
        code: "custom",
        path: ["aksAdminPrincipals"],
        message:
          "must name at least one principal when burstmesh:aksAuth is entra: with local accounts off, only they can administer " +
          "the cluster, and the identity that runs pulumi up (your own, CI's) must be one of them",
      });
    }
  });
type AzureClusterSettings = z.infer<typeof azureClusterSettings>;

/** How peers reach an existing member's east-west gateway. */
const gatewayServiceTypes = ["LoadBalancer", "NodePort"] as const;

/** A Kubernetes label value, as the nodes' `topology.kubernetes.io/region` label holds it. */
const labelValue = (requiredMessage: string) =>
  z
    .string(requiredMessage)
    .regex(
      /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/,
      "must be a Kubernetes label value (letters, digits, '-', '_', '.', at most 63 characters), such as on-prem-fra",
    );

/**
 * A member cluster that burstmesh does not create (on-premises, another cloud, a local kind cluster):
 * it gets the cluster's admin kubeconfig and installs the mesh into it.
 */
export const existingClusterSettings = z
  .object({
    cloud: z.literal("existing"),
    ...memberIdentity,
    /** The admin kubeconfig; a secret config value (`pulumi config set --secret burstmesh:kubeconfig < file`). */
    kubeconfig: z
      .string("is required when burstmesh:cloud is existing: the cluster's admin kubeconfig, set with --secret")
      .superRefine((text, ctx) => {
        const check = checkAdminKubeconfig(text);
        if (!check.ok) for (const message of check.problems) ctx.addIssue({ code: "custom", message });
      }),
    /** The locality of the cluster's nodes: their `topology.kubernetes.io/region` label. */
    region: labelValue("is required when burstmesh:cloud is existing: the value of the nodes' topology.kubernetes.io/region label"),
    /** Where the cluster's traffic to peers comes from; peers admit only these (`MeshPeer.egressCidrs`). */
    egressCidrs,
    gatewayService: z.enum(gatewayServiceTypes, "must be LoadBalancer or NodePort").default("LoadBalancer"),
    /** With `NodePort`: the IP address peers send to, such as a NAT, firewall or VPN endpoint. */
    gatewayAddress: z.string().optional(),
    /** The API server URL peers use, when it differs from the kubeconfig's (NAT, VPN). */
    apiServerUrl: z
      .string()
      .refine(isHttpsUrl, "must be an https:// URL without credentials, such as https://203.0.113.10:6443")
      .optional(),
  })
  .superRefine((cluster, ctx) => {
    if (cluster.gatewayService === "NodePort" && cluster.gatewayAddress === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["gatewayAddress"],
        message: "is required when burstmesh:gatewayService is NodePort: the IP address peers reach the gateway at",
      });
    }
    if (cluster.gatewayAddress !== undefined) {
      if (cluster.gatewayService !== "NodePort") {
        ctx.addIssue({
          code: "custom",
          path: ["gatewayAddress"],
          message: "applies only when burstmesh:gatewayService is NodePort; a LoadBalancer's address comes from the load balancer",
        });
      } else if (!net.isIP(cluster.gatewayAddress)) {
        ctx.addIssue({
          code: "custom",
          path: ["gatewayAddress"],
          message: "must be an IP address such as 203.0.113.10: Istio takes it from the gateway Service's externalIPs, which hold IPs only",
        });
      }
    }
    if (cluster.apiServerUrl !== undefined && isLoopbackUrl(cluster.apiServerUrl)) {
      ctx.addIssue({ code: "custom", path: ["apiServerUrl"], message: "is a loopback address, which peers cannot reach" });
    }
    const check = checkAdminKubeconfig(cluster.kubeconfig);
    if (check.ok && cluster.apiServerUrl === undefined && isLoopbackUrl(check.kubeconfig.server)) {
      ctx.addIssue({
        code: "custom",
        path: ["apiServerUrl"],
        message:
          `is required: the kubeconfig's API server ${check.kubeconfig.server} is a loopback address that peers cannot reach; ` +
          "set the URL peers use (for kind: https://<control-plane container IP>:6443)",
      });
    }
  });
type ExistingClusterSettings = z.infer<typeof existingClusterSettings>;

/** A member's settings as the program uses them: `peers` resolved against the members ({@link resolvePeers}). */
export type ClusterSettings = (AwsClusterSettings | AzureClusterSettings | ExistingClusterSettings) & { peers: string[] };

/** A member's peers: the ones `peers` lists, else every other member of `members`. */
export function resolvePeers(peers: readonly string[] | undefined, members: readonly string[], clusterName: string): string[] {
  return peers ? [...peers] : members.filter((member) => member !== clusterName);
}
export type Cloud = ClusterSettings["cloud"];
export const clouds = ["aws", "azure", "existing"] as const satisfies readonly Cloud[];

/** The cluster's region: the EKS region, the AKS location or an existing cluster's `burstmesh:region`. */
export function clusterRegion(cluster: ClusterSettings): string {
  return cluster.cloud === "azure" ? cluster.location : cluster.region;
}
