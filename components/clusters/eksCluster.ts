// Per-service modules rather than the package root: the root's type declarations span every AWS
// service and would triple the type-check time of the whole project.
import * as ec2 from "@pulumi/aws/ec2";
import * as eks from "@pulumi/aws/eks";
import { getAvailabilityZonesOutput } from "@pulumi/aws/getAvailabilityZones";
import { getPartitionOutput } from "@pulumi/aws/getPartition";
import * as iam from "@pulumi/aws/iam";
import { memberProvider } from "../kube/provider";
import * as pulumi from "@pulumi/pulumi";
import type { ChartSources } from "../../config";
import { formatIpv4Cidr, networkOf, parseIpv4Cidr } from "../../model/cidr";
import { checkedFor } from "../invariant";
import { hostCidr } from "../kube/allowlists";
import { eksControlPlaneSecurity } from "./eksControlPlane";
import { eksAddon, eksAddonNames } from "./eksAddons";
import { managedPolicyArn, serviceTrustPolicy } from "./iam";
import { clusterTagKey } from "./tags";
import { Karpenter, KarpenterSettings } from "./karpenter";
import { buildKubeconfig } from "../kube/kubeconfig";
import { MemberClusterComponent, NodePoolSize } from "./memberCluster";

/** The EKS managed node group. */
interface EksNodePoolArgs extends NodePoolSize {
  /** EC2 instance types the node group may launch, such as `m6i.large`. */
  instanceTypes: pulumi.Input<pulumi.Input<string>[]>;
}

export interface EksClusterArgs {
  /** Name of the EKS cluster in AWS (and in the subnet tags `kubernetes.io/cluster/<name>`). */
  clusterName: string;
  /**
   * AWS region for the VPC, the cluster and the nodes, such as `eu-central-1`. Every regional
   * resource is pinned to it, whatever region the AWS provider defaults to.
   */
  region: pulumi.Input<string>;
  /** Kubernetes minor version of the control plane and the node group, such as `1.34`. */
  kubernetesVersion: pulumi.Input<string>;
  /**
   * IPv4 CIDR of the VPC, /16 to /24 and aligned (such as `10.20.0.0/16`). It is carved into one
   * private and one public subnet per availability zone (see `carveSubnets`).
   */
  vpcCidr: pulumi.Input<string>;
  /**
   * How many availability zones to spread the subnets over: the first N available zones of the
   * region. At least 2 (EKS requires subnets in two zones).
   */
  availabilityZoneCount: number;
  /**
   * `single`: one NAT gateway (in the first zone) for all private subnets, cheaper, but node egress
   * fails with that zone. `perZone`: one NAT gateway per zone.
   */
  natGateways: "single" | "perZone";
  /**
   * CIDRs allowed to reach the public Kubernetes API endpoint. Empty means unrestricted
   * (`0.0.0.0/0`). Nodes reach the API through the private endpoint, so they need no entry here.
   */
  apiAllowedCidrs: pulumi.Input<string[]>;
  /** The managed node group, placed in the private subnets. */
  nodePool: EksNodePoolArgs;
  /**
   * IAM role or user ARNs that get cluster-admin access to the Kubernetes API, besides the identity
   * that creates the cluster (which gets it through `bootstrapClusterCreatorAdminPermissions`): for
   * example the CI identity that runs `pulumi preview`, and the team's admin role. May be empty.
   */
  clusterAdminPrincipals: string[];
  /** Days CloudWatch keeps the control-plane logs (api, audit, authenticator). */
  controlPlaneLogRetentionDays: number;
  /** Node autoscaling with Karpenter beyond the node group. Default: none, the node group alone. */
  autoscaling?: KarpenterSettings;
  /** Where Karpenter's charts come from (`burstmesh:chartSources`). Default: their upstream registry (components/charts/pinned.ts). */
  chartSources?: ChartSources;
}

/** The EKS access policy that grants cluster-wide admin through the Kubernetes API. */
function clusterAdminAccessPolicyArn(partition: string): string {
  return `arn:${partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy`;
}

/** AWS managed policies the EKS cluster role gets, exactly these. */
export const clusterRolePolicies = ["AmazonEKSClusterPolicy"] as const;
/** AWS managed policies the node role gets, exactly these. */
export const nodeRolePolicies = ["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly"] as const;

/**
 * Tags of a cluster subnet: the cluster tag, and the role tag the AWS load-balancer integrations use
 * to pick subnets (`kubernetes.io/role/elb` for internet-facing, `kubernetes.io/role/internal-elb`
 * for internal load balancers).
 */
export function subnetTags(clusterName: string, tier: "public" | "private", name: string): Record<string, string> {
  return {
    Name: name,
    [clusterTagKey(clusterName)]: "shared",
    [tier === "public" ? "kubernetes.io/role/elb" : "kubernetes.io/role/internal-elb"]: "1",
  };
}

/** What the public API endpoint admits: the allowed CIDRs, or everyone when none are given. */
export function publicAccessCidrs<T>(allowed: readonly T[]): (T | string)[] {
  return allowed.length > 0 ? [...allowed] : ["0.0.0.0/0"];
}

/** The first `count` zones, failing clearly when the region has fewer. */
export function pickZones(available: readonly string[], count: number): string[] {
  if (available.length < count) {
    throw new Error(
      `availabilityZoneCount is ${count} but the region has only ${available.length} available zones (${available.join(", ")})`,
    );
  }
  return available.slice(0, count);
}

/** Subnet CIDRs per zone, index i for the i-th zone. */
interface SubnetLayout {
  private: string[];
  public: string[];
}

/**
 * Carves a VPC CIDR into one private and one public subnet per zone. The VPC is split into
 * 2^ceil(log2(zones + 1)) equal blocks: the first `zones` blocks are the private subnets (large: the
 * VPC CNI gives every pod a VPC address from them), and the last block is split evenly into the
 * public subnets (which only hold NAT gateways and load balancers). Blocks in between stay free.
 * A /16 over 3 zones gives private /18s and public /20s. Throws when the CIDR is malformed, not
 * aligned, or too small for subnets of at least /28 (the smallest AWS allows).
 */
export function carveSubnets(vpcCidr: string, zones: number): SubnetLayout {
  const vpc = parseIpv4Cidr(vpcCidr);
  if (!vpc) throw new Error(`vpcCidr '${vpcCidr}' is not an IPv4 CIDR block`);
  if (vpc.prefix < 16 || vpc.prefix > 24) throw new Error(`vpcCidr '${vpcCidr}' must be between /16 and /24`);
  if (!Number.isInteger(zones) || zones < 1) throw new Error(`zone count must be a positive whole number (got ${zones})`);
  const network = networkOf(vpc);
  if (network.address !== vpc.address) throw new Error(`vpcCidr '${vpcCidr}' has host bits set; use ${formatIpv4Cidr(network)}`);

  const privatePrefix = vpc.prefix + Math.ceil(Math.log2(zones + 1));
  const publicPrefix = privatePrefix + Math.ceil(Math.log2(zones));
  if (publicPrefix > 28)
    throw new Error(
      `vpcCidr '${vpcCidr}' is too small for ${zones} zones (public subnets would be /${publicPrefix}, AWS allows at most /28)`,
    );
  const privateSize = 2 ** (32 - privatePrefix);
  const publicSize = 2 ** (32 - publicPrefix);
  const publicBase = vpc.address + 2 ** (32 - vpc.prefix) - privateSize;
  return {
    private: Array.from({ length: zones }, (_, i) => formatIpv4Cidr({ address: vpc.address + i * privateSize, prefix: privatePrefix })),
    public: Array.from({ length: zones }, (_, i) => formatIpv4Cidr({ address: publicBase + i * publicSize, prefix: publicPrefix })),
  };
}

/**
 * Admin kubeconfig for an EKS cluster: the user runs `aws eks get-token` (exec credential plugin),
 * so the kubeconfig holds no token and works for whoever runs Pulumi with AWS credentials.
 */
export function eksKubeconfig(cluster: { name: string; endpoint: string; certificateAuthorityData: string; region: string }): string {
  return buildKubeconfig(
    { name: cluster.name, server: cluster.endpoint, certificateAuthorityData: cluster.certificateAuthorityData },
    {
      exec: {
        apiVersion: "client.authentication.k8s.io/v1beta1",
        command: "aws",
        args: ["eks", "get-token", "--cluster-name", cluster.name, "--region", cluster.region],
      },
    },
  );
}

/**
 * An EKS cluster on raw @pulumi/aws: VPC over N zones (public and private subnets, internet gateway,
 * NAT), cluster and node IAM roles, the control plane with API access entries, a managed node group
 * in the private subnets, and a Kubernetes provider that depends on the node group.
 */
export class EksCluster extends MemberClusterComponent {
  readonly cloud = "aws" as const;

  readonly vpc: ec2.Vpc;
  readonly publicSubnets: ec2.Subnet[];
  readonly privateSubnets: ec2.Subnet[];
  readonly natGateways: ec2.NatGateway[];
  readonly clusterRole: iam.Role;
  readonly nodeRole: iam.Role;
  readonly cluster: eks.Cluster;
  readonly nodeGroup: eks.NodeGroup;
  readonly metricsServer: eks.Addon;
  /** Karpenter, when `autoscaling.enabled`. */
  readonly karpenter?: Karpenter;

  constructor(name: string, args: EksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("burstmesh:clusters:EksCluster", name, {}, opts);
    const { clusterName, region, availabilityZoneCount: zoneCount } = args;
    const parent = { parent: this };

    // Network.
    const zones = getAvailabilityZonesOutput(
      { state: "available", region, filters: [{ name: "opt-in-status", values: ["opt-in-not-required"] }] },
      parent,
    ).names.apply((names) => checkedFor(this, () => pickZones(names, zoneCount)));
    const layout = pulumi.output(args.vpcCidr).apply((cidr) => checkedFor(this, () => carveSubnets(cidr, zoneCount)));

    this.vpc = new ec2.Vpc(
      `${name}-vpc`,
      {
        region,
        cidrBlock: args.vpcCidr,
        // Both are needed for the private API endpoint the nodes use.
        enableDnsSupport: true,
        enableDnsHostnames: true,
        tags: { Name: `${clusterName}-vpc` },
      },
      parent,
    );
    const igw = new ec2.InternetGateway(`${name}-igw`, { region, vpcId: this.vpc.id, tags: { Name: `${clusterName}-igw` } }, parent);

    const indexes = Array.from({ length: zoneCount }, (_, i) => i);
    this.publicSubnets = indexes.map(
      (i) =>
        new ec2.Subnet(
          `${name}-public-${i}`,
          {
            region,
            vpcId: this.vpc.id,
            availabilityZone: zones.apply((z) => z[i]!),
            cidrBlock: layout.apply((l) => l.public[i]!),
            tags: subnetTags(clusterName, "public", `${clusterName}-public-${i}`),
          },
          parent,
        ),
    );
    this.privateSubnets = indexes.map(
      (i) =>
        new ec2.Subnet(
          `${name}-private-${i}`,
          {
            region,
            vpcId: this.vpc.id,
            availabilityZone: zones.apply((z) => z[i]!),
            cidrBlock: layout.apply((l) => l.private[i]!),
            tags: subnetTags(clusterName, "private", `${clusterName}-private-${i}`),
          },
          parent,
        ),
    );

    const publicRouteTable = new ec2.RouteTable(
      `${name}-public-rt`,
      { region, vpcId: this.vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }], tags: { Name: `${clusterName}-public` } },
      parent,
    );
    this.publicSubnets.forEach(
      (subnet, i) =>
        new ec2.RouteTableAssociation(
          `${name}-public-rta-${i}`,
          { region, subnetId: subnet.id, routeTableId: publicRouteTable.id },
          parent,
        ),
    );

    const natZones = args.natGateways === "perZone" ? indexes : [0];
    const natAddresses = natZones.map(
      (i) => new ec2.Eip(`${name}-nat-eip-${i}`, { region, domain: "vpc", tags: { Name: `${clusterName}-nat-${i}` } }, parent),
    );
    // Every node's (and pod's) traffic to the internet leaves through the NAT gateways' addresses.
    const egressCidrs = pulumi.all(natAddresses.map((eip) => eip.publicIp)).apply((addresses) => addresses.map(hostCidr));
    this.natGateways = natZones.map((i, n) => {
      const eip = natAddresses[n]!;
      return new ec2.NatGateway(
        `${name}-nat-${i}`,
        { region, allocationId: eip.allocationId, subnetId: this.publicSubnets[i]!.id, tags: { Name: `${clusterName}-nat-${i}` } },
        // A public NAT gateway routes through the internet gateway, which must be attached first.
        { parent: this, dependsOn: [igw] },
      );
    });
    const privateRouteTables = this.natGateways.map(
      (nat, i) =>
        new ec2.RouteTable(
          `${name}-private-rt-${i}`,
          {
            region,
            vpcId: this.vpc.id,
            routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }],
            tags: { Name: `${clusterName}-private-${i}` },
          },
          parent,
        ),
    );
    const privateAssociations = this.privateSubnets.map(
      (subnet, i) =>
        new ec2.RouteTableAssociation(
          `${name}-private-rta-${i}`,
          { region, subnetId: subnet.id, routeTableId: (privateRouteTables[i] ?? privateRouteTables[0]!).id },
          parent,
        ),
    );

    // IAM.
    const partition = getPartitionOutput({}, parent).partition;
    const attach = (role: iam.Role, roleLabel: string, policies: readonly string[]) =>
      policies.map(
        (policy) =>
          new iam.RolePolicyAttachment(
            `${name}-${roleLabel}-${policy}`,
            { role: role.name, policyArn: partition.apply((p) => managedPolicyArn(p, policy)) },
            parent,
          ),
      );
    this.clusterRole = new iam.Role(
      `${name}-cluster-role`,
      { assumeRolePolicy: serviceTrustPolicy("eks.amazonaws.com"), description: `EKS control plane of ${clusterName}` },
      parent,
    );
    const clusterAttachments = attach(this.clusterRole, "cluster", clusterRolePolicies);
    this.nodeRole = new iam.Role(
      `${name}-node-role`,
      { assumeRolePolicy: serviceTrustPolicy("ec2.amazonaws.com"), description: `EKS nodes of ${clusterName}` },
      parent,
    );
    const nodeAttachments = attach(this.nodeRole, "node", nodeRolePolicies);

    // Control plane and nodes. Secrets are encrypted with the cluster's own KMS key, and the log group
    // exists before the cluster so that EKS writes into it instead of creating one without retention.
    const hardening = eksControlPlaneSecurity(
      name,
      { clusterName, region, partition, clusterRoleArn: this.clusterRole.arn, logRetentionDays: args.controlPlaneLogRetentionDays },
      this,
    );
    this.cluster = new eks.Cluster(
      `${name}-eks`,
      {
        name: clusterName,
        region,
        version: args.kubernetesVersion,
        roleArn: this.clusterRole.arn,
        accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: true },
        vpcConfig: {
          subnetIds: [...this.privateSubnets, ...this.publicSubnets].map((s) => s.id),
          endpointPublicAccess: true,
          // Nodes talk to the API privately, so a restricted public endpoint does not lock them out.
          endpointPrivateAccess: true,
          publicAccessCidrs: pulumi.output(args.apiAllowedCidrs).apply(publicAccessCidrs),
        },
        encryptionConfig: hardening.encryptionConfig,
        enabledClusterLogTypes: hardening.enabledClusterLogTypes,
        tags: { Name: clusterName },
      },
      // The role's policy exists before the cluster and goes after it: without it EKS can neither build
      // nor clean up the network interfaces and security groups it manages for the cluster.
      { parent: this, dependsOn: [...clusterAttachments, hardening.logGroup] },
    );

    this.nodeGroup = new eks.NodeGroup(
      `${name}-nodes`,
      {
        region,
        clusterName: this.cluster.name,
        // Follows the control plane: an upgrade of the cluster upgrades the nodes after it.
        version: this.cluster.version,
        nodeRoleArn: this.nodeRole.arn,
        subnetIds: this.privateSubnets.map((s) => s.id),
        instanceTypes: args.nodePool.instanceTypes,
        diskSize: args.nodePool.diskSizeGb,
        scalingConfig: { minSize: args.nodePool.minCount, desiredSize: args.nodePool.desiredCount, maxSize: args.nodePool.maxCount },
        tags: { Name: `${clusterName}-node` },
      },
      // Nodes need their policies and a route to the internet (NAT) to join the cluster.
      { parent: this, dependsOn: [...nodeAttachments, ...privateAssociations] },
    );

    const adminAccess = args.clusterAdminPrincipals.map((principalArn, i) => {
      const entry = new eks.AccessEntry(
        `${name}-admin-${i}`,
        { region, clusterName: this.cluster.name, principalArn, type: "STANDARD" },
        parent,
      );
      return new eks.AccessPolicyAssociation(
        `${name}-admin-${i}`,
        {
          region,
          clusterName: this.cluster.name,
          principalArn: entry.principalArn,
          policyArn: partition.apply(clusterAdminAccessPolicyArn),
          accessScope: { type: "cluster" },
        },
        parent,
      );
    });

    const kubeconfig = pulumi.secret(
      pulumi
        .all([this.cluster.name, this.cluster.endpoint, this.cluster.certificateAuthority.data, region])
        .apply(([n, endpoint, ca, r]) => eksKubeconfig({ name: n, endpoint, certificateAuthorityData: ca, region: r })),
    );
    // Both wait for the admin access entries: a listed principal that runs Pulumi (CI) reaches the
    // API only through its entry. The first also waits for the nodes: it is for what runs pods.
    const provider = memberProvider(`${name}-k8s`, kubeconfig, { parent: this, dependsOn: [this.nodeGroup, ...adminAccess] });
    const apiProvider = memberProvider(`${name}-k8s-api`, kubeconfig, { parent: this, dependsOn: adminAccess });

    // Capacity: resource metrics for the HPAs, and Karpenter for nodes beyond the node group. Off
    // the path to istiod and the gateway: an HPA is created without metrics, holds its minimum and
    // scales from the first sync after metrics-server answers, which is before this update ends.
    const afterNodes = { parent: this, dependsOn: [this.nodeGroup] };
    this.metricsServer = eksAddon(`${name}-metrics-server`, eksAddonNames.metricsServer, this.cluster, region, afterNodes);
    if (args.autoscaling?.enabled) {
      this.karpenter = new Karpenter(
        `${name}-karpenter`,
        {
          cluster: this.cluster,
          region,
          partition,
          provider,
          apiProvider,
          settings: args.autoscaling,
          chartSources: args.chartSources,
          podIdentityAgent: eksAddon(`${name}-pod-identity-agent`, eksAddonNames.podIdentityAgent, this.cluster, region, afterNodes),
        },
        { parent: this },
      );
    }

    this.publishMember({
      clusterName: this.cluster.name,
      region: pulumi.output(region),
      endpoint: this.cluster.endpoint,
      certificateAuthorityData: this.cluster.certificateAuthority.data,
      kubeconfig,
      provider,
      egressCidrs,
      apiProvider,
    });
  }
}
