/**
 * Karpenter on EKS: the node autoscaler that launches EC2 instances for pods the static node group
 * cannot hold. The pure builders below write its IAM policies, queue policy, Helm values, NodePool
 * and EC2NodeClass; the {@link Karpenter} component wires them into resources.
 *
 * Sources: the Karpenter 1.14 chart (`charts/karpenter/values.yaml`, `charts/karpenter-crd`), its
 * getting-started CloudFormation template (IAM policies, interruption queue, EventBridge rules) and
 * the v1 API (`karpenter.sh/v1` NodePool, `karpenter.k8s.aws/v1` EC2NodeClass).
 */
import * as cloudwatch from "@pulumi/aws/cloudwatch";
import * as eks from "@pulumi/aws/eks";
import * as iam from "@pulumi/aws/iam";
import * as sqs from "@pulumi/aws/sqs";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ChartSources } from "../../config";
import { karpenterChart } from "../charts/pinned";
import { helmReleaseArgs } from "../kube/helmRelease";
// eksCluster.ts imports this module too; these are functions, read only once both modules have loaded.
import { managedPolicyArn, policyDocument, PolicyDocument, serviceTrustPolicy } from "./iam";
import { clusterTagKey } from "./tags";

/** The controller's namespace and service account, as Karpenter's getting-started guide installs it. */
const karpenterNamespace = "kube-system";
const karpenterServiceAccount = "karpenter";

/** Names of the NodePool and EC2NodeClass: the capacity that bursts add beyond the static node group. */
const burstNodePoolName = "burst";

/** AWS managed policies of the nodes Karpenter launches (the getting-started node role, without SSM access). */
const karpenterNodeRolePolicies = ["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryPullOnly"] as const;

/** What Karpenter launches: instance families, capacity types, a CPU ceiling and the AMI. */
export interface KarpenterSettings {
  /** Install Karpenter at all; false leaves the cluster at its static node group. */
  enabled: boolean;
  /** `karpenter.k8s.aws/instance-family` values, such as `m6i`. */
  instanceFamilies: string[];
  /** `karpenter.sh/capacity-type` values: `on-demand`, `spot`. */
  capacityTypes: ("on-demand" | "spot")[];
  /** Most vCPUs the NodePool's nodes may have in total. */
  cpuLimit: number;
  /** `amiSelectorTerms[].alias`, such as `al2023@latest` or `al2023@v20250915`. */
  amiAlias: string;
}

/** Where the controller's IAM policies apply. */
interface KarpenterScope {
  partition: string;
  region: string;
  accountId: string;
  clusterName: string;
}

const policy = (...statements: Record<string, unknown>[]): PolicyDocument => policyDocument(statements);

/** The account ID in an ARN (`arn:<partition>:<service>:<region>:<account>:...`). */
export function accountOf(arn: string): string {
  const account = arn.split(":")[4];
  if (!account || !/^\d{12}$/.test(account)) throw new Error(`no account ID in ARN '${arn}'`);
  return account;
}

/**
 * The controller's IAM policies, as Karpenter's getting-started CloudFormation template writes them
 * (node lifecycle, IAM integration, EKS integration, interruption, resource discovery), scoped to
 * this cluster, region, node role and queue. The zonal-shift policy is left out: burstmesh does not
 * turn on `settings.enableZonalShift`.
 */
export function karpenterControllerPolicies(
  scope: KarpenterScope,
  nodeRoleArn: string,
  queueArn: string,
): Record<"nodeLifecycle" | "iamIntegration" | "eksIntegration" | "interruption" | "resourceDiscovery", PolicyDocument> {
  const { partition, region, accountId, clusterName } = scope;
  const ec2 = (resource: string, account = "*") => `arn:${partition}:ec2:${region}:${account}:${resource}`;
  const clusterOwned = { [`aws:ResourceTag/${clusterTagKey(clusterName)}`]: "owned" };
  const requestOwned = { [`aws:RequestTag/${clusterTagKey(clusterName)}`]: "owned", "aws:RequestTag/eks:eks-cluster-name": clusterName };
  const nodePoolTagged = { "aws:ResourceTag/karpenter.sh/nodepool": "*" };
  const launchedResources = ["fleet", "instance", "volume", "network-interface", "launch-template", "spot-instances-request"].map((r) =>
    ec2(`${r}/*`),
  );
  const instanceProfiles = `arn:${partition}:iam::${accountId}:instance-profile/*`;
  const regionTag = { "aws:ResourceTag/topology.kubernetes.io/region": region };
  const clusterArn = `arn:${partition}:eks:${region}:${accountId}:cluster/${clusterName}`;
  return {
    nodeLifecycle: policy(
      {
        Sid: "AllowScopedEC2InstanceAccessActions",
        Effect: "Allow",
        Resource: [
          `arn:${partition}:ec2:${region}::image/*`,
          `arn:${partition}:ec2:${region}::snapshot/*`,
          ...["security-group", "subnet", "capacity-reservation", "placement-group"].map((r) => ec2(`${r}/*`)),
        ],
        Action: ["ec2:RunInstances", "ec2:CreateFleet"],
      },
      {
        Sid: "AllowScopedEC2LaunchTemplateAccessActions",
        Effect: "Allow",
        Resource: ec2("launch-template/*"),
        Action: ["ec2:RunInstances", "ec2:CreateFleet"],
        Condition: { StringEquals: clusterOwned, StringLike: nodePoolTagged },
      },
      {
        Sid: "AllowScopedEC2InstanceActionsWithTags",
        Effect: "Allow",
        Resource: launchedResources,
        Action: ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"],
        Condition: { StringEquals: requestOwned, StringLike: { "aws:RequestTag/karpenter.sh/nodepool": "*" } },
      },
      {
        Sid: "AllowScopedResourceCreationTagging",
        Effect: "Allow",
        Resource: launchedResources,
        Action: "ec2:CreateTags",
        Condition: {
          StringEquals: { ...requestOwned, "ec2:CreateAction": ["RunInstances", "CreateFleet", "CreateLaunchTemplate"] },
          StringLike: { "aws:RequestTag/karpenter.sh/nodepool": "*" },
        },
      },
      {
        Sid: "AllowScopedResourceTagging",
        Effect: "Allow",
        Resource: ec2("instance/*"),
        Action: "ec2:CreateTags",
        Condition: {
          StringEquals: clusterOwned,
          StringLike: nodePoolTagged,
          StringEqualsIfExists: { "aws:RequestTag/eks:eks-cluster-name": clusterName },
          "ForAllValues:StringEquals": { "aws:TagKeys": ["eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"] },
        },
      },
      {
        Sid: "AllowScopedDeletion",
        Effect: "Allow",
        Resource: [ec2("instance/*"), ec2("launch-template/*")],
        Action: ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
        Condition: { StringEquals: clusterOwned, StringLike: nodePoolTagged },
      },
    ),
    iamIntegration: policy(
      {
        Sid: "AllowPassingInstanceRole",
        Effect: "Allow",
        Resource: nodeRoleArn,
        Action: "iam:PassRole",
        Condition: { StringEquals: { "iam:PassedToService": ["ec2.amazonaws.com", "ec2.amazonaws.com.cn"] } },
      },
      {
        Sid: "AllowScopedInstanceProfileCreationActions",
        Effect: "Allow",
        Resource: instanceProfiles,
        Action: ["iam:CreateInstanceProfile"],
        Condition: {
          StringEquals: { ...requestOwned, "aws:RequestTag/topology.kubernetes.io/region": region },
          StringLike: { "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*" },
        },
      },
      {
        Sid: "AllowScopedInstanceProfileTagActions",
        Effect: "Allow",
        Resource: instanceProfiles,
        Action: ["iam:TagInstanceProfile"],
        Condition: {
          StringEquals: { ...clusterOwned, ...regionTag, ...requestOwned, "aws:RequestTag/topology.kubernetes.io/region": region },
          StringLike: { "aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*", "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*" },
        },
      },
      {
        Sid: "AllowScopedInstanceProfileActions",
        Effect: "Allow",
        Resource: instanceProfiles,
        Action: ["iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile"],
        Condition: {
          StringEquals: { ...clusterOwned, ...regionTag },
          StringLike: { "aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*" },
        },
      },
    ),
    eksIntegration: policy({
      Sid: "AllowAPIServerEndpointDiscovery",
      Effect: "Allow",
      Resource: clusterArn,
      Action: "eks:DescribeCluster",
    }),
    interruption: policy({
      Sid: "AllowInterruptionQueueActions",
      Effect: "Allow",
      Resource: queueArn,
      Action: ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"],
    }),
    resourceDiscovery: policy(
      {
        Sid: "AllowRegionalReadActions",
        Effect: "Allow",
        Resource: "*",
        Action: [
          "ec2:DescribeCapacityReservations",
          "ec2:DescribeImages",
          "ec2:DescribeInstances",
          "ec2:DescribeInstanceStatus",
          "ec2:DescribeInstanceTypeOfferings",
          "ec2:DescribeInstanceTypes",
          "ec2:DescribeLaunchTemplates",
          "ec2:DescribePlacementGroups",
          "ec2:DescribeSecurityGroups",
          "ec2:DescribeSpotPriceHistory",
          "ec2:DescribeSubnets",
        ],
        Condition: { StringEquals: { "aws:RequestedRegion": region } },
      },
      {
        Sid: "AllowSSMReadActions",
        Effect: "Allow",
        Resource: `arn:${partition}:ssm:${region}::parameter/aws/service/*`,
        Action: "ssm:GetParameter",
      },
      { Sid: "AllowPricingReadActions", Effect: "Allow", Resource: "*", Action: "pricing:GetProducts" },
      { Sid: "AllowUnscopedInstanceProfileListAction", Effect: "Allow", Resource: "*", Action: "iam:ListInstanceProfiles" },
      { Sid: "AllowInstanceProfileReadActions", Effect: "Allow", Resource: instanceProfiles, Action: "iam:GetInstanceProfile" },
    ),
  };
}

/** Trust policy of a role that EKS Pod Identity hands to pods (the agent assumes it and tags the session). */
function podIdentityTrustPolicy(): string {
  return serviceTrustPolicy("pods.eks.amazonaws.com", ["sts:AssumeRole", "sts:TagSession"]);
}

/** The interruption queue's policy: EventBridge (and SQS) may send to it, and nobody may use it without TLS. */
function interruptionQueuePolicy(queueArn: string): string {
  return JSON.stringify(
    policyDocument(
      [
        {
          Effect: "Allow",
          Principal: { Service: ["events.amazonaws.com", "sqs.amazonaws.com"] },
          Action: "sqs:SendMessage",
          Resource: queueArn,
        },
        {
          Sid: "DenyHTTP",
          Effect: "Deny",
          Principal: "*",
          Action: "sqs:*",
          Resource: queueArn,
          Condition: { Bool: { "aws:SecureTransport": false } },
        },
      ],
      "EC2InterruptionPolicy",
    ),
  );
}

/**
 * The EventBridge rules Karpenter documents, each sending its events to the interruption queue:
 * AWS Health scheduled changes, spot interruption warnings, rebalance recommendations, instance
 * state changes and capacity-reservation interruptions. Key: the rule's short name, which ends its
 * name `<cluster>-karpenter-<key>`; EventBridge takes at most 64 characters, so keys stay short.
 */
export const interruptionEventRules: Record<string, { source: string; detailType: string }> = {
  health: { source: "aws.health", detailType: "AWS Health Event" },
  spot: { source: "aws.ec2", detailType: "EC2 Spot Instance Interruption Warning" },
  rebalance: { source: "aws.ec2", detailType: "EC2 Instance Rebalance Recommendation" },
  "state-change": { source: "aws.ec2", detailType: "EC2 Instance State-change Notification" },
  reservation: { source: "aws.ec2", detailType: "EC2 Capacity Reservation Instance Interruption Warning" },
};

/** An EventBridge event pattern that matches one source and detail type. */
function eventPattern(rule: { source: string; detailType: string }): string {
  return JSON.stringify({ source: [rule.source], "detail-type": [rule.detailType] });
}

/** What the controller's Helm values depend on. */
interface KarpenterValuesSettings {
  clusterName: string;
  clusterEndpoint: string;
  interruptionQueue: string;
}

/**
 * Values of the `karpenter` chart (every key exists in the 1.14 chart's values.yaml). The chart's
 * defaults keep the controller off Karpenter's own nodes (node affinity `karpenter.sh/nodepool
 * DoesNotExist`), so it runs on the static node group, two replicas on different nodes.
 */
function karpenterValues(settings: KarpenterValuesSettings): Record<string, unknown> {
  return {
    settings: {
      clusterName: settings.clusterName,
      // Given rather than discovered, so that start-up does not depend on DescribeCluster.
      clusterEndpoint: settings.clusterEndpoint,
      interruptionQueue: settings.interruptionQueue,
    },
    // The name the pod identity association is made for.
    serviceAccount: { create: true, name: karpenterServiceAccount },
    // As Karpenter's getting-started guide sizes it; requests equal limits, so the controller is not
    // throttled or evicted while it is needed most (a burst).
    controller: { resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "1", memory: "1Gi" } } },
  };
}

/**
 * Subnet tags that select exactly this cluster's private subnets: the cluster tag and the
 * internal-ELB role tag that only the private subnets carry (see `subnetTags`).
 */
export function privateSubnetSelector(clusterName: string): Record<string, string> {
  return { [clusterTagKey(clusterName)]: "shared", "kubernetes.io/role/internal-elb": "1" };
}

/** What the EC2NodeClass needs from the cluster. */
interface NodeClassSettings {
  clusterName: string;
  /** Name (not ARN) of the role Karpenter's nodes get; Karpenter makes their instance profile from it. */
  nodeRoleName: string;
  /** The EKS cluster security group (`vpcConfig.clusterSecurityGroupId`). */
  clusterSecurityGroupId: string;
  amiAlias: string;
}

/**
 * The EC2NodeClass of burst nodes: the private subnets (by tag), the EKS cluster security group (the
 * group the in-tree NLB controller opens for the east-west gateway's node ports and health checks,
 * as for the static node group's nodes), and the EKS-optimized AMI alias from config.
 */
export function ec2NodeClassManifest(settings: NodeClassSettings) {
  return {
    apiVersion: "karpenter.k8s.aws/v1",
    kind: "EC2NodeClass",
    metadata: { name: burstNodePoolName },
    spec: {
      role: settings.nodeRoleName,
      amiSelectorTerms: [{ alias: settings.amiAlias }],
      subnetSelectorTerms: [{ tags: privateSubnetSelector(settings.clusterName) }],
      securityGroupSelectorTerms: [{ id: settings.clusterSecurityGroupId }],
      tags: { Name: `${settings.clusterName}-burst-node` },
    },
  };
}

/**
 * The NodePool of burst nodes: instance families and capacity types from config, Linux, a CPU
 * ceiling, and consolidation of empty or underutilized nodes once pods have been stable for five
 * minutes (the HPAs' scale-down stabilization), at most 10 % of the nodes at a time.
 */
export function nodePoolManifest(settings: Pick<KarpenterSettings, "instanceFamilies" | "capacityTypes" | "cpuLimit">) {
  return {
    apiVersion: "karpenter.sh/v1",
    kind: "NodePool",
    metadata: { name: burstNodePoolName },
    spec: {
      template: {
        spec: {
          nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: burstNodePoolName },
          requirements: [
            { key: "karpenter.k8s.aws/instance-family", operator: "In", values: [...settings.instanceFamilies] },
            { key: "karpenter.sh/capacity-type", operator: "In", values: [...settings.capacityTypes] },
            { key: "kubernetes.io/os", operator: "In", values: ["linux"] },
          ],
          // Nodes are replaced monthly (new AMIs), and a drain may take at most 15 minutes, so that
          // neither a node nor a teardown waits for ever on a pod that will not leave.
          expireAfter: "720h",
          terminationGracePeriod: "15m",
        },
      },
      limits: { cpu: String(settings.cpuLimit) },
      disruption: { consolidationPolicy: "WhenEmptyOrUnderutilized", consolidateAfter: "5m", budgets: [{ nodes: "10%" }] },
    },
  };
}

/** Arguments of {@link Karpenter}. */
export interface KarpenterArgs {
  /** The EKS cluster; its name, ARN, endpoint and cluster security group are read from it. */
  cluster: eks.Cluster;
  region: pulumi.Input<string>;
  /** AWS partition (`aws`, `aws-cn`, ...) of the cluster's account. */
  partition: pulumi.Input<string>;
  /** Provider that waits for the static node group: the controller runs pods. */
  provider: k8s.Provider;
  /** Provider that needs only the API server: the CRDs go in while the node group boots. */
  apiProvider: k8s.Provider;
  settings: Pick<KarpenterSettings, "instanceFamilies" | "capacityTypes" | "cpuLimit" | "amiAlias">;
  /** The EKS Pod Identity agent add-on: the controller gets its AWS credentials through it. */
  podIdentityAgent: pulumi.Resource;
  /** Where the charts come from (`burstmesh:chartSources`). Default: each chart's upstream repository (components/charts/pinned.ts). */
  chartSources?: ChartSources;
}

/**
 * Karpenter for one EKS cluster: the node role of its nodes (with an `EC2_LINUX` access entry), the
 * interruption queue and its EventBridge rules, the controller's IAM role handed to its pods by EKS
 * Pod Identity, the `karpenter-crd` and `karpenter` charts, and the EC2NodeClass and NodePool.
 *
 * Teardown order follows from the dependencies: the NodePool depends on the EC2NodeClass, which
 * depends on the controller, which depends on its IAM, queue, pod identity and CRDs. A destroy
 * therefore deletes the NodePool first, and its deletion (foreground, as the Kubernetes provider
 * deletes) waits until Karpenter has drained and terminated every node it launched (the NodeClaims
 * are owned by the NodePool with `blockOwnerDeletion`); only then go the EC2NodeClass (whose
 * finalizer waits for its NodeClaims too), the controller and its permissions, and after them the
 * node group, the cluster and the network.
 */
export class Karpenter extends pulumi.ComponentResource {
  readonly nodeRole: iam.Role;
  readonly controllerRole: iam.Role;
  readonly queue: sqs.Queue;
  readonly crds: k8s.helm.v3.Release;
  readonly controller: k8s.helm.v3.Release;
  readonly nodeClass: k8s.apiextensions.CustomResource;
  readonly nodePool: k8s.apiextensions.CustomResource;

  constructor(name: string, args: KarpenterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("burstmesh:clusters:Karpenter", name, {}, opts);
    const parent = { parent: this };
    const { cluster, region } = args;
    const partition = pulumi.output(args.partition);
    const clusterName = cluster.name;

    // IAM names are global to the account, so the roles keep Pulumi's random suffix, after logical
    // names short enough for IAM's 64 characters: `<cluster>-karpenter-node`, `<cluster>-karpenter`.

    // The nodes' role, and their permission to join the cluster.
    this.nodeRole = new iam.Role(
      `${name}-node`,
      { assumeRolePolicy: serviceTrustPolicy("ec2.amazonaws.com"), description: pulumi.interpolate`Karpenter nodes of ${clusterName}` },
      parent,
    );
    const nodeAttachments = karpenterNodeRolePolicies.map(
      (policyName) =>
        new iam.RolePolicyAttachment(
          `${name}-node-${policyName}`,
          { role: this.nodeRole.name, policyArn: partition.apply((p) => managedPolicyArn(p, policyName)) },
          parent,
        ),
    );
    const nodeAccess = new eks.AccessEntry(
      `${name}-node-access`,
      { region, clusterName, principalArn: this.nodeRole.arn, type: "EC2_LINUX" },
      parent,
    );

    // Interruptions: EventBridge sends spot warnings, rebalances, health events and state changes to
    // the queue; Karpenter drains the affected nodes ahead of time. The queue and the rules are
    // regional and named after the cluster, which EKS keeps unique per account and region.
    this.queue = new sqs.Queue(
      `${name}-interruptions`,
      { region, name: pulumi.interpolate`${clusterName}-karpenter`, messageRetentionSeconds: 300, sqsManagedSseEnabled: true },
      parent,
    );
    const queuePolicy = new sqs.QueuePolicy(
      `${name}-interruptions`,
      { region, queueUrl: this.queue.url, policy: this.queue.arn.apply(interruptionQueuePolicy) },
      parent,
    );
    for (const [ruleName, match] of Object.entries(interruptionEventRules)) {
      const rule = new cloudwatch.EventRule(
        `${name}-${ruleName}`,
        {
          region,
          name: pulumi.interpolate`${clusterName}-karpenter-${ruleName}`,
          description: pulumi.interpolate`${match.detailType} to Karpenter of ${clusterName}`,
          eventPattern: eventPattern(match),
        },
        parent,
      );
      new cloudwatch.EventTarget(
        `${name}-${ruleName}`,
        { region, rule: rule.name, arn: this.queue.arn, targetId: "KarpenterInterruptionQueueTarget" },
        // EventBridge may send to the queue only once its policy allows it.
        { parent: this, dependsOn: [queuePolicy] },
      );
    }

    // The controller's identity: a role EKS Pod Identity hands to the karpenter service account.
    this.controllerRole = new iam.Role(
      name,
      { assumeRolePolicy: podIdentityTrustPolicy(), description: pulumi.interpolate`Karpenter controller of ${clusterName}` },
      parent,
    );
    const documents = pulumi
      .all([partition, region, cluster.arn, clusterName, this.nodeRole.arn, this.queue.arn])
      .apply(([p, r, clusterArn, c, nodeRoleArn, queueArn]) =>
        karpenterControllerPolicies({ partition: p, region: r, accountId: accountOf(clusterArn), clusterName: c }, nodeRoleArn, queueArn),
      );
    const policyNames = ["nodeLifecycle", "iamIntegration", "eksIntegration", "interruption", "resourceDiscovery"] as const;
    const controllerAttachments = policyNames.map((policyName) => {
      const controllerPolicy = new iam.Policy(
        `${name}-${policyName}`,
        {
          description: pulumi.interpolate`Karpenter controller of ${clusterName}: ${policyName}`,
          policy: documents.apply((d) => JSON.stringify(d[policyName])),
        },
        parent,
      );
      return new iam.RolePolicyAttachment(
        `${name}-${policyName}`,
        { role: this.controllerRole.name, policyArn: controllerPolicy.arn },
        parent,
      );
    });
    const identity = new eks.PodIdentityAssociation(
      `${name}-identity`,
      { region, clusterName, namespace: karpenterNamespace, serviceAccount: karpenterServiceAccount, roleArn: this.controllerRole.arn },
      parent,
    );

    // The CRDs need no nodes: they go in as soon as the API server answers. A chart of their own, as
    // Karpenter recommends, because Helm never upgrades the CRDs a chart carries in crds/.
    this.crds = new k8s.helm.v3.Release(
      `${name}-crds`,
      helmReleaseArgs({
        name: "karpenter-crd",
        chart: { chart: "karpenter-crd", version: karpenterChart.version, repo: karpenterChart.registry },
        sources: args.chartSources,
        namespace: karpenterNamespace,
      }),
      { parent: this, provider: args.apiProvider },
    );
    this.controller = new k8s.helm.v3.Release(
      `${name}-controller`,
      helmReleaseArgs({
        name: "karpenter",
        chart: { chart: "karpenter", version: karpenterChart.version, repo: karpenterChart.registry },
        sources: args.chartSources,
        namespace: karpenterNamespace,
        skipCrds: true,
        values: pulumi
          .all([clusterName, cluster.endpoint, this.queue.name])
          .apply(([c, endpoint, queue]) => karpenterValues({ clusterName: c, clusterEndpoint: endpoint, interruptionQueue: queue })),
      }),
      {
        parent: this,
        provider: args.provider,
        // Its pods watch the CRDs, call AWS with the attached policies, and get their credentials from
        // the association (read as they are created) through the node's pod identity agent. The queue
        // policy goes only after it, so that interruption warnings still reach it while a destroy drains.
        dependsOn: [this.crds, identity, args.podIdentityAgent, queuePolicy, ...controllerAttachments],
      },
    );

    const nodeClass = pulumi
      .all([clusterName, this.nodeRole.name, cluster.vpcConfig.clusterSecurityGroupId])
      .apply(([c, nodeRoleName, securityGroupId]) =>
        ec2NodeClassManifest({ clusterName: c, nodeRoleName, clusterSecurityGroupId: securityGroupId, amiAlias: args.settings.amiAlias }),
      );
    // Deleting a NodePool or EC2NodeClass waits for Karpenter to drain and terminate their nodes; the
    // provider's default of 10 minutes is too short for a few nodes at a 15-minute drain limit.
    const drainTimeouts = { delete: "30m" };
    this.nodeClass = new k8s.apiextensions.CustomResource(
      `${name}-node-class`,
      { apiVersion: "karpenter.k8s.aws/v1", kind: "EC2NodeClass", metadata: nodeClass.metadata, spec: nodeClass.spec },
      {
        parent: this,
        provider: args.provider,
        // An instance of the CRD; the nodes it launches join only with their access entry and policies;
        // and deleted before the controller, which drains them and removes the finalizers.
        dependsOn: [this.crds, this.controller, nodeAccess, ...nodeAttachments],
        customTimeouts: drainTimeouts,
      },
    );
    this.nodePool = new k8s.apiextensions.CustomResource(`${name}-node-pool`, nodePoolManifest(args.settings), {
      parent: this,
      provider: args.provider,
      // Like the EC2NodeClass; and deleted before the class it launches nodes of, whose finalizer waits for those nodes.
      dependsOn: [this.crds, this.controller, this.nodeClass],
      customTimeouts: drainTimeouts,
    });

    this.registerOutputs({ queueName: this.queue.name, nodeRoleName: this.nodeRole.name });
  }
}
