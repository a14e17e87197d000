import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify as toYaml } from "yaml";
import {
  awsGatewaySourceRangeLimit,
  azureGatewaySourceRangeLimit,
  cloudWatchRetentionDays,
  clusterRegion,
  knownKeys,
  loadConfig,
  memberNameMaxLength,
  type RawConfig,
  secretsInClearText,
} from "../../config";
import { kubernetesVersionsAsOf, standardSupportVersions } from "../../config/kubernetesVersions";
import { configErrorOf, encodeConfig, stackFileConfig, withConfig } from "../support/stackFiles";
import { token, kindKubeconfig, onpremConfig } from "../support/existing";

/** The issues of a rejected config, one per line of the error, without the heading. */
function issuesOf(raw: RawConfig, clearTextSecrets: readonly string[] = []): string[] {
  const [heading, ...lines] = configErrorOf(raw, clearTextSecrets).split("\n");
  assert.match(heading!, /^Invalid configuration for stack '.*':$/);
  return lines.map((line) => line.replace(/^ {2}- /, ""));
}

/** `count` distinct /32 blocks. */
function cidrs(count: number): string[] {
  return Array.from({ length: count }, (_, index) => `10.${Math.floor(index / 256)}.${index % 256}.1/32`);
}

const kubeconfig = toYaml({
  clusters: [{ name: "lab", cluster: { server: "https://10.0.0.1:6443", "certificate-authority-data": "Y2E=" } }],
  contexts: [{ name: "lab", context: { cluster: "lab", user: "admin" } }],
  users: [{ name: "admin", user: { token: "t" } }],
  "current-context": "lab",
});

/** An existing member `aks` (in place of the AKS stack), some keys replaced. */
function existing(changes: Record<string, unknown> = {}): RawConfig {
  return {
    ...stackFileConfig("trust"),
    ...encodeConfig({
      "burstmesh:role": "cluster",
      "burstmesh:cloud": "existing",
      "burstmesh:clusterName": "aks",
      "burstmesh:network": "network-lab",
      "burstmesh:peers": ["eks"],
      "burstmesh:kubeconfig": kubeconfig,
      "burstmesh:region": "on-prem-fra",
      "burstmesh:egressCidrs": ["198.51.100.0/24"],
    }),
    ...Object.fromEntries(Object.entries(changes).map(([key, value]) => [key, encodeConfig({ value }).value ?? undefined])),
  };
}

function autoscalingOf(raw: RawConfig): unknown {
  const config = loadConfig(raw);
  assert.ok(config.role === "cluster" && config.cluster.cloud !== "existing");
  return config.cluster.autoscaling;
}

describe("config: cluster settings", () => {
  it("an AWS member gets the defaults of the keys its stack file leaves out", () => {
    const config = loadConfig(withConfig("eks", { "burstmesh:clusterAdminPrincipals": undefined, "burstmesh:autoscaling": undefined }));
    assert.ok(config.role === "cluster" && config.cluster.cloud === "aws");
    assert.deepEqual(config.cluster.gatewayAllowedCidrs, []);
    assert.deepEqual(config.cluster.clusterAdminPrincipals, []);
    assert.equal(config.cluster.controlPlaneLogRetentionDays, 90);
    assert.deepEqual(config.cluster.autoscaling, {
      enabled: true,
      instanceFamilies: ["m6i", "m7i"],
      capacityTypes: ["on-demand"],
      cpuLimit: 64,
      amiAlias: "al2023@latest",
    });
    assert.equal(config.observability.observer, "eks");
  });

  it("an Azure member defaults to local accounts and the autoscaler's timing", () => {
    const config = loadConfig(withConfig("aks", { "burstmesh:autoscaling": undefined }));
    assert.ok(config.role === "cluster" && config.cluster.cloud === "azure");
    assert.equal(config.cluster.aksAuth, "local");
    assert.deepEqual(config.cluster.aksAdminPrincipals, []);
    assert.deepEqual(config.cluster.autoscaling, { scanInterval: "10s", scaleDownDelayAfterAdd: "10m" });
  });

  it("accepts the values users set", () => {
    const eks = loadConfig(
      withConfig("eks", {
        "burstmesh:clusterAdminPrincipals": ["arn:aws:iam::123456789012:role/ci-preview", "arn:aws-cn:iam::123456789012:user/me"],
        "burstmesh:controlPlaneLogRetentionDays": 3653,
        "burstmesh:gatewayAllowedCidrs": ["203.0.113.0/24", "0.0.0.0/0", "10.0.0.1/32"],
        "burstmesh:autoscaling": { instanceFamilies: ["c7i-flex"], capacityTypes: ["spot", "on-demand"], amiAlias: "bottlerocket@v1.2.3" },
        "burstmesh:availabilityZoneCount": "3",
        "burstmesh:tags": { "cost center": "R&D".replace("&", "+"), "team:owner": "a/b@c", "k=v": "" },
        "burstmesh:trustDomain": "mesh.example.com",
      }),
    );
    assert.ok(eks.role === "cluster" && eks.cluster.cloud === "aws");
    assert.equal(eks.cluster.availabilityZoneCount, 3);
    assert.deepEqual(eks.cluster.autoscaling.capacityTypes, ["spot", "on-demand"]);
    assert.deepEqual(eks.mesh.tags, { "cost center": "R+D", "team:owner": "a/b@c", "k=v": "" });
    const aks = loadConfig(
      withConfig("aks", {
        "burstmesh:aksAuth": "entra",
        "burstmesh:aksAdminPrincipals": [{ objectId: "00000000-0000-4000-8000-000000000001", type: "Group" }],
        "burstmesh:resourceGroupName": "rg-(burst).mesh_1",
      }),
    );
    assert.ok(aks.role === "cluster" && aks.cluster.cloud === "azure" && aks.cluster.aksAuth === "entra");
  });

  it("an existing member takes its kubeconfig, region and egress CIDRs, behind a LoadBalancer by default", () => {
    const config = loadConfig(existing());
    assert.ok(config.role === "cluster" && config.cluster.cloud === "existing");
    assert.equal(config.cluster.region, "on-prem-fra");
    assert.equal(config.cluster.gatewayService, "LoadBalancer");
    assert.deepEqual(config.cluster.egressCidrs, ["198.51.100.0/24"]);
    const nodePort = loadConfig(existing({ "burstmesh:gatewayService": "NodePort", "burstmesh:gatewayAddress": "2001:db8::10" }));
    assert.ok(nodePort.role === "cluster" && nodePort.cluster.cloud === "existing" && nodePort.cluster.gatewayAddress === "2001:db8::10");
  });

  it("accepts the edges of every range", () => {
    const edges = loadConfig(
      withConfig("eks", {
        "burstmesh:tags": { ["k".repeat(128)]: "v".repeat(256), "myaws:x": "a", "team burstmesh:x": "b", "my azure": "c" },
        "burstmesh:rootCertValidityHours": 100,
        "burstmesh:intermediateCertValidityHours": 100,
        "burstmesh:nodePool": { instanceTypes: ["m6i.large"], minCount: 3, desiredCount: 3, maxCount: 3, diskSizeGb: 1 },
        "burstmesh:apiAllowedCidrs": ["0.0.0.0/0", "192.0.2.0/24", "192.0.2.1/32"],
      }),
    );
    assert.ok(edges.role === "cluster" && edges.cluster.cloud === "aws");
    assert.equal(edges.mesh.intermediateCertValidityHours, 100);
    assert.equal(edges.cluster.nodePool.desiredCount, 3);
    assert.equal(Object.keys(edges.mesh.tags).length, 4);
  });

  it("takes member names, resource group names and AKS pools up to the longest every cloud accepts", () => {
    const longest = (prefix: string) => `${prefix}-${"x".repeat(memberNameMaxLength)}`.slice(0, memberNameMaxLength);
    const [aws, azure] = [longest("eks"), longest("aks")];
    const services = [{ name: "podinfo", homeCluster: aws, capacity: { maxConcurrentRequests: 32 } }];
    const mesh = { "burstmesh:members": [aws, azure], "burstmesh:services": services };
    const eks = loadConfig(withConfig("eks", { ...mesh, "burstmesh:clusterName": aws, "burstmesh:peers": [azure] }));
    assert.ok(eks.role === "cluster" && eks.cluster.clusterName === aws);
    const aks = loadConfig(
      withConfig("aks", {
        ...mesh,
        "burstmesh:clusterName": azure,
        "burstmesh:peers": [aws],
        "burstmesh:resourceGroupName": "r".repeat(74),
        "burstmesh:nodePool": { vmSize: "Standard_D4s_v5", minCount: 1, desiredCount: 1000, maxCount: 1000, diskSizeGb: 64 },
      }),
    );
    assert.ok(aks.role === "cluster" && aks.cluster.cloud === "azure" && aks.cluster.nodePool.maxCount === 1000);
  });

  it("takes every Kubernetes version the dated list has for the cluster's cloud", () => {
    for (const [stack, cloud] of [
      ["eks", "aws"],
      ["aks", "azure"],
    ] as const) {
      for (const version of standardSupportVersions[cloud]) {
        const config = loadConfig(withConfig(stack, { "burstmesh:kubernetesVersion": version }));
        assert.ok(config.role === "cluster" && config.cluster.cloud === cloud && config.cluster.kubernetesVersion === version);
      }
    }
  });

  it("names the type a key expects", () => {
    assert.deepEqual(
      issuesOf(withConfig("eks", { "burstmesh:nodePool": [], "burstmesh:availabilityZoneCount": '"two"', "burstmesh:vpcCidr": undefined })),
      ["burstmesh:vpcCidr: is required", "burstmesh:availabilityZoneCount: must be a number", "burstmesh:nodePool: must be an object"],
    );
  });

  it("the cluster's region is the EKS region, the AKS location or an existing member's region", () => {
    for (const [raw, region] of [
      [stackFileConfig("eks"), "eu-central-1"],
      [stackFileConfig("aks"), "westeurope"],
      [existing(), "on-prem-fra"],
    ] as const) {
      const config = loadConfig(raw);
      assert.ok(config.role === "cluster");
      assert.equal(clusterRegion(config.cluster), region);
    }
  });

  const cases: [string, RawConfig, string[]][] = [
    [
      "autoscaling keys of the other cloud",
      withConfig("eks", { "burstmesh:autoscaling": { scanInterval: "10s" } }),
      ["burstmesh:autoscaling: has no key 'scanInterval' on aws; it takes enabled, instanceFamilies, capacityTypes, cpuLimit, amiAlias"],
    ],
    [
      "Karpenter settings it cannot use",
      withConfig("eks", {
        "burstmesh:autoscaling": {
          enabled: "yes",
          instanceFamilies: ["m6i.xlarge", "m6i", "m6i"],
          capacityTypes: ["reserved"],
          cpuLimit: 0,
          amiAlias: "ubuntu@latest",
        },
      }),
      [
        "burstmesh:autoscaling.enabled: must be true or false",
        "burstmesh:autoscaling.instanceFamilies[0]: must be an EC2 instance family such as m6i or c7i-flex (a family, not a type like m6i.xlarge)",
        "burstmesh:autoscaling.instanceFamilies[2]: lists 'm6i' twice",
        "burstmesh:autoscaling.capacityTypes[0]: must be on-demand or spot",
        "burstmesh:autoscaling.cpuLimit: must be a positive whole number",
        "burstmesh:autoscaling.amiAlias: must be al2023@<version> or bottlerocket@<version>, the version 'latest' or a release tag such as v20250915",
      ],
    ],
    [
      "empty or repeated Karpenter lists",
      withConfig("eks", { "burstmesh:autoscaling": { instanceFamilies: [], capacityTypes: ["spot", "spot"], cpuLimit: 1.5 } }),
      [
        "burstmesh:autoscaling.instanceFamilies: must name at least one instance family",
        "burstmesh:autoscaling.capacityTypes[1]: lists 'spot' twice",
        "burstmesh:autoscaling.cpuLimit: must be a whole number",
      ],
    ],
    [
      "no capacity type and a repeated family",
      withConfig("eks", { "burstmesh:autoscaling": { instanceFamilies: ["m6i", "m6i"], capacityTypes: [] } }),
      [
        "burstmesh:autoscaling.instanceFamilies[1]: lists 'm6i' twice",
        "burstmesh:autoscaling.capacityTypes: must name at least one capacity type",
      ],
    ],
    [
      "AKS autoscaler timing in the wrong unit",
      withConfig("aks", { "burstmesh:autoscaling": { scanInterval: "0s", scaleDownDelayAfterAdd: "600s", enabled: true } }),
      [
        "burstmesh:autoscaling.scanInterval: must be a whole number of seconds such as 10s",
        "burstmesh:autoscaling.scaleDownDelayAfterAdd: must be a whole number of minutes such as 10m",
        "burstmesh:autoscaling: has no key 'enabled' on azure; it takes scanInterval, scaleDownDelayAfterAdd",
      ],
    ],
    [
      "a log retention CloudWatch does not offer",
      withConfig("eks", { "burstmesh:controlPlaneLogRetentionDays": 0 }),
      [
        `burstmesh:controlPlaneLogRetentionDays: must be a retention CloudWatch Logs accepts: one of ${cloudWatchRetentionDays.join(", ")} (days)`,
      ],
    ],
    [
      "an admin that is not an IAM role or user ARN",
      withConfig("eks", { "burstmesh:clusterAdminPrincipals": ["arn:aws:iam::123:role/x", "arn:aws:iam::123456789012:group/admins"] }),
      [0, 1].map(
        (index) =>
          `burstmesh:clusterAdminPrincipals[${index}]: must be an IAM role or user ARN such as arn:aws:iam::123456789012:role/ci-preview`,
      ),
    ],
    [
      "no instance type",
      withConfig("eks", { "burstmesh:nodePool": { instanceTypes: [], minCount: 1, desiredCount: 1, maxCount: 1, diskSizeGb: 0 } }),
      [
        "burstmesh:nodePool.instanceTypes: must name at least one EC2 instance type",
        "burstmesh:nodePool.diskSizeGb: must be a positive whole number",
      ],
    ],
    [
      "Kubernetes versions out of the clouds' standard support",
      withConfig("eks", { "burstmesh:kubernetesVersion": "1.33" }),
      [
        `burstmesh:kubernetesVersion: must be a version EKS offers in standard support: ${standardSupportVersions.aws.join(", ")} ` +
          `(as of ${kubernetesVersionsAsOf}; the list is in config/kubernetesVersions.ts)`,
      ],
    ],
    [
      "a Kubernetes version AKS does not offer",
      withConfig("aks", { "burstmesh:kubernetesVersion": "1.29" }),
      [
        `burstmesh:kubernetesVersion: must be a version AKS offers in standard support: ${standardSupportVersions.azure.join(", ")} ` +
          `(as of ${kubernetesVersionsAsOf}; the list is in config/kubernetesVersions.ts)`,
      ],
    ],
    [
      "member and cluster names longer than the clouds' names built from them allow",
      withConfig("eks", {
        "burstmesh:members": ["eks", "aks", "a".repeat(memberNameMaxLength + 1), "b".repeat(64)],
        "burstmesh:clusterName": "e".repeat(memberNameMaxLength + 1),
      }),
      [
        `burstmesh:members[2]: must be at most ${memberNameMaxLength} characters (got ${memberNameMaxLength + 1}): it starts the names of ` +
          "the cluster's cloud resources, and AWS takes at most 64 for an IAM role or EventBridge rule such as '<name>-karpenter-node-<suffix>'",
        "burstmesh:members[3]: must be a DNS-1123 label (lowercase letters, digits and '-', at most 63 characters)",
        `burstmesh:clusterName: must be at most ${memberNameMaxLength} characters (got ${memberNameMaxLength + 1}): it starts the names of ` +
          "the cluster's cloud resources, and AWS takes at most 64 for an IAM role or EventBridge rule such as '<name>-karpenter-node-<suffix>'",
      ],
    ],
    [
      "a trust stack named like a member",
      withConfig("trust", { "burstmesh:trustStack": "aks" }),
      [
        "burstmesh:trustStack: must not be a member's name: 'aks' is in burstmesh:members, and each member's stack is named after it; " +
          "the trust stack needs a stack of its own",
      ],
    ],
    [
      "CIDRs with host bits set, each with the block it means",
      withConfig("eks", {
        "burstmesh:vpcCidr": "10.20.1.0/16",
        "burstmesh:apiAllowedCidrs": ["203.0.113.7/24", "0.0.0.0/0"],
        "burstmesh:gatewayAllowedCidrs": ["198.51.100.130/25"],
      }),
      [
        "burstmesh:gatewayAllowedCidrs[0]: has host bits set; use 198.51.100.128/25",
        "burstmesh:apiAllowedCidrs[0]: has host bits set; use 203.0.113.0/24",
        "burstmesh:vpcCidr: has host bits set; use 10.20.0.0/16",
      ],
    ],
    [
      "an existing member's egress CIDR with host bits set",
      existing({ "burstmesh:egressCidrs": ["198.51.100.1/24"] }),
      ["burstmesh:egressCidrs[0]: has host bits set; use 198.51.100.0/24"],
    ],
    [
      "a VPC the subnet plan cannot carve",
      withConfig("eks", { "burstmesh:vpcCidr": "10.0.0.0/8" }),
      ["burstmesh:vpcCidr: must be a /16 to /24 block (got /8), such as 10.20.0.0/16"],
    ],
    [
      "a NAT gateway choice written without a value",
      withConfig("eks", { "burstmesh:natGateways": "" }),
      ["burstmesh:natGateways: is required ('single' or 'perZone')"],
    ],
    [
      "a NAT gateway choice it does not offer",
      withConfig("eks", { "burstmesh:natGateways": "none" }),
      ["burstmesh:natGateways: must be 'single' or 'perZone' (got 'none')"],
    ],
    [
      "an AKS node pool larger than AKS allows",
      withConfig("aks", {
        "burstmesh:nodePool": { vmSize: "Standard_D4s_v5", minCount: 2, desiredCount: 3, maxCount: 5000, diskSizeGb: 64 },
      }),
      ["burstmesh:nodePool.maxCount: must be at most 1000: an AKS node pool holds at most that many nodes"],
    ],
    [
      "a resource group name too long for its node resource group",
      withConfig("aks", { "burstmesh:resourceGroupName": "r".repeat(75) }),
      [
        "burstmesh:resourceGroupName: must be at most 74 characters: the cluster's nodes go in resource group '<name>-nodes', " +
          "and AKS takes a node resource group name of at most 80",
      ],
    ],
    [
      "a Kubernetes patch version",
      withConfig("eks", { "burstmesh:kubernetesVersion": "1.34.1" }),
      ["burstmesh:kubernetesVersion: must be a Kubernetes minor version such as 1.34"],
    ],
    [
      "CIDRs that are not IPv4 blocks",
      withConfig("eks", {
        "burstmesh:gatewayAllowedCidrs": [
          "10.0.0.0/8/8",
          "300.1.1.1/8",
          "10.0.0.0/x",
          "10.0.0.0/100",
          "10.0.0.0/",
          "10.0.0.0/8x",
          "10.0.0.0/x8",
          "10.0.0.0/8",
          "10.0.0.0/8",
        ],
      }),
      [
        ...[0, 1, 2, 3, 4, 5, 6].map((index) => `burstmesh:gatewayAllowedCidrs[${index}]: must be an IPv4 CIDR block such as 10.20.0.0/16`),
        "burstmesh:gatewayAllowedCidrs[8]: lists '10.0.0.0/8' twice",
      ],
    ],
    [
      "more gateway CIDRs than the nodes' security group takes on EKS",
      withConfig("eks", { "burstmesh:gatewayAllowedCidrs": cidrs(awsGatewaySourceRangeLimit + 1) }),
      [
        `burstmesh:gatewayAllowedCidrs: must list at most ${awsGatewaySourceRangeLimit} CIDRs: the east-west gateway's source ranges are ` +
          "these plus every peer's egress CIDRs, and each takes three of the 60 inbound rules of the nodes' security group " +
          "(two node ports and ICMP for MTU discovery)",
      ],
    ],
    [
      "more gateway CIDRs than the cluster's network security group takes on AKS",
      withConfig("aks", { "burstmesh:gatewayAllowedCidrs": cidrs(azureGatewaySourceRangeLimit + 1) }),
      [
        `burstmesh:gatewayAllowedCidrs: must list at most ${azureGatewaySourceRangeLimit} CIDRs: the east-west gateway's source ranges are ` +
          "these plus every peer's egress CIDRs, and each becomes a rule of the cluster's network security group, which takes 1000",
      ],
    ],
    [
      "entra without admins",
      withConfig("aks", { "burstmesh:aksAuth": "entra" }),
      [
        "burstmesh:aksAdminPrincipals: must name at least one principal when burstmesh:aksAuth is entra: with local accounts off, only they can " +
          "administer the cluster, and the identity that runs pulumi up (your own, CI's) must be one of them",
      ],
    ],
    [
      "admins that are not Entra principals",
      withConfig("aks", { "burstmesh:aksAuth": "ldap", "burstmesh:aksAdminPrincipals": [{ objectId: "me", type: "Robot" }] }),
      [
        "burstmesh:aksAuth: must be 'local' or 'entra'",
        "burstmesh:aksAdminPrincipals[0].objectId: must be the principal's object ID, a GUID",
        "burstmesh:aksAdminPrincipals[0].type: must be User, Group or ServicePrincipal",
      ],
    ],
    [
      "a resource group name Azure refuses",
      withConfig("aks", { "burstmesh:resourceGroupName": "rg." }),
      ["burstmesh:resourceGroupName: must be an Azure resource group name (letters, digits and - _ . ( ), not ending in '.')"],
    ],
    [
      "a mesh id and trust domain that are not DNS names",
      withConfig("trust", { "burstmesh:meshId": "Burst Mesh", "burstmesh:trustDomain": "Cluster.Local" }),
      [
        "burstmesh:meshId: must be a DNS-1123 label (lowercase letters, digits and '-', at most 63 characters)",
        "burstmesh:trustDomain: must be a DNS name such as cluster.local",
      ],
    ],
    [
      "a fractional validity",
      withConfig("trust", { "burstmesh:rootCertValidityHours": 1.5 }),
      ["burstmesh:rootCertValidityHours: must be a whole number"],
    ],
    [
      "tag keys and values the clouds refuse",
      withConfig("trust", {
        "burstmesh:tags": { ["k".repeat(129)]: "x", "": "x", "Microsoft.Owner": "x", WINDOWS: "x", "BurstMesh:stack": "x", team: "a#b" },
      }),
      [
        `burstmesh:tags.${"k".repeat(129)}: the key must be 1 to 128 characters (AWS tag keys)`,
        "burstmesh:tags.: the key must be 1 to 128 characters (AWS tag keys)",
        "burstmesh:tags.Microsoft.Owner: the key uses a prefix AWS or Azure reserves (aws:, microsoft, azure, windows)",
        "burstmesh:tags.WINDOWS: the key uses a prefix AWS or Azure reserves (aws:, microsoft, azure, windows)",
        "burstmesh:tags.BurstMesh:stack: the burstmesh: prefix is reserved for the default tags (burstmesh:project, burstmesh:stack, burstmesh:cluster)",
        "burstmesh:tags.team: the value may hold only letters, digits, spaces and _ . : / = + - @ (what AWS accepts)",
      ],
    ],
    [
      "an existing member without its kubeconfig, region and egress CIDRs",
      existing({ "burstmesh:kubeconfig": undefined, "burstmesh:region": undefined, "burstmesh:egressCidrs": [] }),
      [
        "burstmesh:kubeconfig: is required when burstmesh:cloud is existing: the cluster's admin kubeconfig, set with --secret",
        "burstmesh:region: is required when burstmesh:cloud is existing: the value of the nodes' topology.kubernetes.io/region label",
        "burstmesh:egressCidrs: must list at least one CIDR: peers admit only these addresses",
      ],
    ],
    [
      "an existing member's region that is no label value",
      existing({ "burstmesh:region": "on prem" }),
      ["burstmesh:region: must be a Kubernetes label value (letters, digits, '-', '_', '.', at most 63 characters), such as on-prem-fra"],
    ],
    [
      "a kubeconfig that cannot travel",
      existing({ "burstmesh:kubeconfig": "current-context: lab" }),
      ["burstmesh:kubeconfig: names current-context 'lab', but has no context of that name"],
    ],
    [
      "a NodePort gateway without an address",
      existing({ "burstmesh:gatewayService": "NodePort" }),
      ["burstmesh:gatewayAddress: is required when burstmesh:gatewayService is NodePort: the IP address peers reach the gateway at"],
    ],
    [
      "a NodePort gateway at a host name",
      existing({ "burstmesh:gatewayService": "NodePort", "burstmesh:gatewayAddress": "gw.example.com" }),
      [
        "burstmesh:gatewayAddress: must be an IP address such as 203.0.113.10: Istio takes it from the gateway Service's externalIPs, which hold IPs only",
      ],
    ],
    [
      "a gateway address for a LoadBalancer",
      existing({ "burstmesh:gatewayAddress": "203.0.113.10" }),
      [
        "burstmesh:gatewayAddress: applies only when burstmesh:gatewayService is NodePort; a LoadBalancer's address comes from the load balancer",
      ],
    ],
    [
      "an unknown gateway service",
      existing({ "burstmesh:gatewayService": "Ingress" }),
      ["burstmesh:gatewayService: must be LoadBalancer or NodePort"],
    ],
    [
      "an API server URL that is not https",
      existing({ "burstmesh:apiServerUrl": "http://203.0.113.10:6443" }),
      ["burstmesh:apiServerUrl: must be an https:// URL without credentials, such as https://203.0.113.10:6443"],
    ],
    [
      "a loopback API server URL",
      existing({ "burstmesh:apiServerUrl": "https://127.0.0.1:6443" }),
      ["burstmesh:apiServerUrl: is a loopback address, which peers cannot reach"],
    ],
    [
      "a loopback kubeconfig without the URL peers use",
      existing({ "burstmesh:kubeconfig": kubeconfig.replace("https://10.0.0.1:6443", "https://localhost:40123") }),
      [
        "burstmesh:apiServerUrl: is required: the kubeconfig's API server https://localhost:40123 is a loopback address that peers cannot reach; " +
          "set the URL peers use (for kind: https://<control-plane container IP>:6443)",
      ],
    ],
    [
      "a kubeconfig in plain text in the stack file",
      existing(),
      [
        "burstmesh:kubeconfig: is stored in plain text in the stack file; store it as a secret: pulumi config set --secret burstmesh:kubeconfig < file",
      ],
    ],
    [
      "a bad service in a cluster stack",
      withConfig("eks", { "burstmesh:services": [{ name: "podinfo", homeCluster: "gke", capacity: { maxConcurrentRequests: 1 } }] }),
      ["burstmesh:services[0].homeCluster: 'gke' is not one of burstmesh:members (eks, aks)"],
    ],
    [
      "a bad observer in a cluster stack",
      withConfig("eks", { "burstmesh:observability": { observer: "gke" } }),
      ["burstmesh:observability.observer: 'gke' is not one of burstmesh:members (eks, aks)"],
    ],
  ];
  for (const [what, raw, expected] of cases) {
    it(`rejects ${what}`, () => {
      const clearText = what.includes("plain text") ? ["burstmesh:kubeconfig"] : [];
      assert.deepEqual(issuesOf(raw, clearText), expected);
    });
  }

  it("takes as many gateway CIDRs as each cloud's load balancer admits, and any number on an existing member", () => {
    for (const [stack, limit] of [
      ["eks", awsGatewaySourceRangeLimit],
      ["aks", azureGatewaySourceRangeLimit],
    ] as const) {
      const config = loadConfig(withConfig(stack, { "burstmesh:gatewayAllowedCidrs": cidrs(limit) }));
      assert.ok(config.role === "cluster" && config.cluster.gatewayAllowedCidrs.length === limit, stack);
    }
    const existing = loadConfig(onpremConfig({ "burstmesh:gatewayAllowedCidrs": cidrs(azureGatewaySourceRangeLimit + 1) }), undefined, []);
    assert.ok(existing.role === "cluster" && existing.cluster.gatewayAllowedCidrs.length === azureGatewaySourceRangeLimit + 1);
  });

  it("checks a cluster stack's services against the members and its region", () => {
    const distribute = { name: "podinfo", homeCluster: "eks", mode: "distribute", distribute: { westeurope: 100 } };
    assert.deepEqual(issuesOf(withConfig("eks", { "burstmesh:services": [distribute] })), [
      "burstmesh:services[0].distribute: must give this cluster's region 'eu-central-1' a weight (got westeurope); its clients would match no rule",
    ]);
    const config = loadConfig(withConfig("aks", { "burstmesh:services": [distribute] }));
    assert.ok(config.role === "cluster" && config.services[0]!.mode === "distribute");
  });

  it("the trust stack ignores cluster keys", () => {
    assert.equal(loadConfig({ ...stackFileConfig("trust"), "burstmesh:cloud": "gcp", "burstmesh:services": "nonsense" }).role, "trust");
  });

  it("knows every key once, the providers' region keys included", () => {
    const keys = knownKeys();
    assert.equal(new Set(keys).size, keys.length);
    for (const key of [
      "burstmesh:role",
      "burstmesh:members",
      "aws:region",
      "azure-native:location",
      "burstmesh:kubeconfig",
      "burstmesh:region",
    ]) {
      assert.ok(keys.includes(key), key);
    }
    for (const key of ["burstmesh:services", "burstmesh:drill", "burstmesh:observability", "burstmesh:autoscaling", "burstmesh:tags"]) {
      assert.ok(keys.includes(key), key);
    }
    assert.ok(!keys.includes("burstmesh:location"));
  });

  describe("secrets a stack file holds in plain text", () => {
    let dir: string;
    before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "burstmesh-secrets-"))));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const stackFile = (name: string, text: string) => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, text);
      return file;
    };

    it("a kubeconfig written as text is one, an encrypted one is not", () => {
      assert.deepEqual(secretsInClearText(stackFile("plain.yaml", toYaml({ config: { "burstmesh:kubeconfig": "apiVersion: v1" } }))), [
        "burstmesh:kubeconfig",
      ]);
      assert.deepEqual(
        secretsInClearText(stackFile("secure.yaml", toYaml({ config: { "burstmesh:kubeconfig": { secure: "v1:abc" } } }))),
        [],
      );
    });

    it("a missing, empty or config-less stack file holds none", () => {
      assert.deepEqual(secretsInClearText(path.join(dir, "missing.yaml")), []);
      assert.deepEqual(secretsInClearText(stackFile("empty.yaml", "")), []);
      assert.deepEqual(secretsInClearText(stackFile("bare.yaml", "encryptionsalt: x\n")), []);
    });
  });

  describe("config: burstmesh:autoscaling", () => {
    it("defaults every key on both clouds when the section is left out", () => {
      assert.deepEqual(autoscalingOf(withConfig("eks", { "burstmesh:autoscaling": undefined })), {
        enabled: true,
        instanceFamilies: ["m6i", "m7i"],
        capacityTypes: ["on-demand"],
        cpuLimit: 64,
        amiAlias: "al2023@latest",
      });
      assert.deepEqual(autoscalingOf(withConfig("aks", { "burstmesh:autoscaling": undefined })), {
        scanInterval: "10s",
        scaleDownDelayAfterAdd: "10m",
      });
    });

    it("reads the stack files' sections and fills the keys a section leaves out", () => {
      assert.deepEqual(autoscalingOf(stackFileConfig("eks")), {
        enabled: true,
        instanceFamilies: ["m6i", "m7i"],
        capacityTypes: ["on-demand"],
        cpuLimit: 64,
        amiAlias: "al2023@latest",
      });
      assert.deepEqual(
        autoscalingOf(withConfig("eks", { "burstmesh:autoscaling": { capacityTypes: ["spot", "on-demand"], cpuLimit: 200 } })),
        {
          enabled: true,
          instanceFamilies: ["m6i", "m7i"],
          capacityTypes: ["spot", "on-demand"],
          cpuLimit: 200,
          amiAlias: "al2023@latest",
        },
      );
      assert.deepEqual(autoscalingOf(withConfig("aks", { "burstmesh:autoscaling": { scanInterval: "20s" } })), {
        scanInterval: "20s",
        scaleDownDelayAfterAdd: "10m",
      });
    });

    const cases: [string, string, unknown, RegExp][] = [
      ["an AMI alias without a version", "eks", { amiAlias: "al2023" }, /burstmesh:autoscaling\.amiAlias: must be al2023@<version>/],
      ["an EKS key on AKS", "aks", { cpuLimit: 8 }, /burstmesh:autoscaling: has no key 'cpuLimit' on azure; it takes scanInterval, /],
      [
        "a scan interval without its unit",
        "aks",
        { scanInterval: "10" },
        /burstmesh:autoscaling\.scanInterval: must be a whole number of seconds such as 10s/,
      ],
      ["a section that is not an object", "eks", "on", /burstmesh:autoscaling: must be an object \(got 'on'\)/],
    ];
    for (const [what, stack, section, expected] of cases) {
      it(`rejects ${what}`, () => {
        assert.match(configErrorOf(withConfig(stack, { "burstmesh:autoscaling": section })), expected);
      });
    }
  });

  describe("an existing member (burstmesh:cloud existing)", () => {
    it("reads an existing member: kubeconfig, region, gateway and API server URL", () => {
      const config = loadConfig(onpremConfig(), undefined, []);
      assert.ok(config.role === "cluster" && config.cluster.cloud === "existing");
      assert.deepEqual(
        { ...config.cluster, kubeconfig: undefined },
        {
          cloud: "existing",
          clusterName: "onprem",
          network: "network-onprem",
          peers: ["eks", "aks"],
          kubeconfig: undefined,
          region: "on-prem-fra",
          gatewayService: "NodePort",
          gatewayAddress: "203.0.113.20",
          apiServerUrl: "https://203.0.113.10:6443",
          egressCidrs: ["203.0.113.16/28"],
          gatewayAllowedCidrs: [],
          readerTokenGeneration: 1,
        },
      );
      assert.equal(config.cluster.kubeconfig, kindKubeconfig());
    });

    it("defaults to a LoadBalancer gateway", () => {
      const config = loadConfig(
        onpremConfig({ "burstmesh:gatewayService": undefined, "burstmesh:gatewayAddress": undefined }),
        undefined,
        [],
      );
      assert.ok(config.role === "cluster" && config.cluster.cloud === "existing");
      assert.equal(config.cluster.gatewayService, "LoadBalancer");
    });

    const cases: [string, Record<string, unknown>, RegExp][] = [
      ["a missing kubeconfig", { "burstmesh:kubeconfig": undefined }, /burstmesh:kubeconfig: is required when burstmesh:cloud is existing/],
      [
        "a kubeconfig with file paths",
        { "burstmesh:kubeconfig": kindKubeconfig({ user: { tokenFile: "/t" } }) },
        /burstmesh:kubeconfig: user 'kind-onprem' reads tokenFile from files/,
      ],
      ["a missing region", { "burstmesh:region": undefined }, /burstmesh:region: is required when burstmesh:cloud is existing/],
      ["a region that is no label value", { "burstmesh:region": "on prem" }, /burstmesh:region: must be a Kubernetes label value/],
      [
        "an unknown gateway service",
        { "burstmesh:gatewayService": "ClusterIP" },
        /burstmesh:gatewayService: must be LoadBalancer or NodePort/,
      ],
      [
        "NodePort without an address",
        { "burstmesh:gatewayAddress": undefined },
        /burstmesh:gatewayAddress: is required when burstmesh:gatewayService is NodePort/,
      ],
      [
        "a NodePort address that is a hostname",
        { "burstmesh:gatewayAddress": "gw.example.com" },
        /burstmesh:gatewayAddress: must be an IP address/,
      ],
      [
        "an address with a LoadBalancer",
        { "burstmesh:gatewayService": "LoadBalancer" },
        /burstmesh:gatewayAddress: applies only when burstmesh:gatewayService is NodePort/,
      ],
      [
        "an API server URL that is not https",
        { "burstmesh:apiServerUrl": "http://203.0.113.10:6443" },
        /burstmesh:apiServerUrl: must be an https:\/\/ URL/,
      ],
      [
        "a loopback API server URL",
        { "burstmesh:apiServerUrl": "https://localhost:6443" },
        /burstmesh:apiServerUrl: is a loopback address/,
      ],
      ["missing egress CIDRs", { "burstmesh:egressCidrs": undefined }, /burstmesh:egressCidrs: is required/],
      [
        "empty egress CIDRs",
        { "burstmesh:egressCidrs": [] },
        /burstmesh:egressCidrs: must list at least one CIDR: peers admit only these addresses/,
      ],
      [
        "an egress CIDR that is no CIDR",
        { "burstmesh:egressCidrs": ["203.0.113.7"] },
        /burstmesh:egressCidrs\[0\]: must be an IPv4 CIDR block/,
      ],
      [
        "a loopback kubeconfig server without an override",
        { "burstmesh:apiServerUrl": undefined },
        /burstmesh:apiServerUrl: is required: the kubeconfig's API server https:\/\/127\.0\.0\.1:40123 is a loopback address/,
      ],
    ];
    for (const [what, changes, message] of cases) {
      it(`rejects ${what}, naming the key`, () => {
        const error = configErrorOf(onpremConfig(changes));
        assert.match(error, message);
        assert.ok(!error.includes(token), "the message never quotes the kubeconfig's credentials");
      });
    }

    it("accepts a routable kubeconfig server without an override", () => {
      const config = loadConfig(
        onpremConfig({ "burstmesh:apiServerUrl": undefined, "burstmesh:kubeconfig": kindKubeconfig({ server: "https://10.0.0.5:6443" }) }),
        undefined,
        [],
      );
      assert.ok(config.role === "cluster" && config.cluster.cloud === "existing" && config.cluster.apiServerUrl === undefined);
    });

    it("refuses a kubeconfig stored in plain text in the stack file", () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "burstmesh-"));
      const file = path.join(dir, "Pulumi.onprem.yaml");
      try {
        fs.writeFileSync(file, toYaml({ config: { "burstmesh:cloud": "existing", "burstmesh:kubeconfig": kindKubeconfig() } }));
        assert.deepEqual(secretsInClearText(file), ["burstmesh:kubeconfig"]);
        fs.writeFileSync(file, toYaml({ config: { "burstmesh:kubeconfig": { secure: "v1:abc" } } }));
        assert.deepEqual(secretsInClearText(file), []);
        assert.deepEqual(secretsInClearText(path.join(dir, "Pulumi.absent.yaml")), []);
      } finally {
        fs.rmSync(dir, { recursive: true });
      }
      assert.match(
        configErrorOf(onpremConfig(), ["burstmesh:kubeconfig"]),
        /burstmesh:kubeconfig: is stored in plain text in the stack file; store it as a secret: pulumi config set --secret burstmesh:kubeconfig < file/,
      );
    });
  });
});
