/**
 * Names the clouds accept: every physical name the program creates, on AWS, Azure and Kubernetes,
 * fits its provider's limit, counting the suffix auto-naming adds. The whole mesh (an EKS, an AKS
 * and an existing member, every optional part on) is built under mocks at the longest names config
 * allows, and each name is measured as the provider would make it. Mocks take any length, so only
 * this table stands between a long name and a `pulumi preview` that fails for real.
 */
import { strict as assert } from "node:assert";
import { stringify as toYaml } from "yaml";
import { aksNodeResourceGroupSuffix, memberNameMaxLength, RawConfig } from "../../config";
import { MeshRuns, simulateMesh } from "../support/bootstrap";
import { RecordedResource, reveal } from "../support/harness";
import { fakeCaData } from "../support/mocks/clouds";
import { reuseKeys } from "../support/mocks/tls";
import { encodeConfig, withConfig } from "../support/stackFiles";

/** How a provider names a resource the program gives no name: the logical name, a separator, random characters; or a GUID. */
type AutoName = { separator: string; random: number } | "guid";

/** One physical name of a resource type, and what its cloud accepts. */
interface NameRule {
  /** The input that holds it: `name`, `metadata.name`, `agentPoolProfiles[].name`. */
  input: string;
  /** Where the provider reports it when the program leaves the input out (the mocks compute it as the provider does). Default: `input`. */
  output?: string;
  /** The most characters the cloud takes. */
  limit: number;
  /** The characters it takes, where they matter here. */
  pattern?: RegExp;
  /** Pulumi's auto-name when the input is left out; without one, the program must name it. */
  autoName?: AutoName;
  /** Where the limit is written down. */
  source: string;
}

/** Pulumi's auto-names: `@pulumi/aws` (the Terraform bridge) adds `-` and 7 hex characters, `@pulumi/azure-native` 8 without a separator, `@pulumi/kubernetes` `-` and 8. */
const awsAutoName: AutoName = { separator: "-", random: 7 };
const azureAutoName: AutoName = { separator: "", random: 8 };
const kubernetesAutoName: AutoName = { separator: "-", random: 8 };

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dns1123Subdomain = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const dns1035Label = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** A Kubernetes object's name, and what limits it. */
const objectName = (limit: 63 | 253, why: string): NameRule => ({
  input: "metadata.name",
  limit,
  pattern: limit === 63 ? dns1123Label : dns1123Subdomain,
  autoName: kubernetesAutoName,
  source: why,
});
const subdomain = objectName(253, "Kubernetes: object names are DNS-1123 subdomains");
/** An EC2 resource has an ID, not a name; its Name tag is what consoles show, a tag value. */
const nameTag: NameRule = { input: "tags.Name", limit: 256, source: "EC2: tag values take at most 256 characters" };

/**
 * Every AWS, Azure and Kubernetes resource type the program creates, with its physical names. An
 * empty list: the cloud knows it by an ID it assigns (or by a name the program does not choose).
 */
const physicalNames: Record<string, NameRule[]> = {
  // AWS: limits from the AWS API references; auto-naming and its suffix from pulumi-aws's resource overrides.
  "aws:iam/role:Role": [
    { input: "name", limit: 64, pattern: /^[\w+=,.@-]+$/, autoName: awsAutoName, source: "IAM: role names take at most 64 characters" },
  ],
  "aws:iam/policy:Policy": [
    { input: "name", limit: 128, pattern: /^[\w+=,.@-]+$/, autoName: awsAutoName, source: "IAM: policy names take at most 128 characters" },
  ],
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": [],
  "aws:cloudwatch/eventRule:EventRule": [
    {
      input: "name",
      limit: 64,
      pattern: /^[.\-_A-Za-z0-9]+$/,
      autoName: awsAutoName,
      source: "EventBridge PutRule: Name, 1-64 characters",
    },
  ],
  "aws:cloudwatch/eventTarget:EventTarget": [
    { input: "targetId", limit: 64, pattern: /^[.\-_A-Za-z0-9]+$/, source: "EventBridge PutTargets: Target Id, 1-64 characters" },
  ],
  "aws:cloudwatch/logGroup:LogGroup": [
    {
      input: "name",
      limit: 512,
      pattern: /^[.\-_/#A-Za-z0-9]+$/,
      autoName: awsAutoName,
      source: "CloudWatch Logs: log group names, 1-512 characters",
    },
  ],
  "aws:sqs/queue:Queue": [
    { input: "name", limit: 80, pattern: /^[\w-]+$/, autoName: awsAutoName, source: "SQS: queue names, 1-80 letters, digits, '-' and '_'" },
  ],
  "aws:sqs/queuePolicy:QueuePolicy": [],
  "aws:kms/key:Key": [],
  "aws:kms/alias:Alias": [
    { input: "name", limit: 256, pattern: /^alias\/[\w/-]+$/, source: "KMS CreateAlias: AliasName, 1-256 characters, alias/ first" },
  ],
  "aws:eks/cluster:Cluster": [
    {
      input: "name",
      limit: 100,
      pattern: /^[0-9A-Za-z][A-Za-z0-9\-_]*$/,
      autoName: awsAutoName,
      source: "EKS CreateCluster: name, 1-100 characters (the @pulumi/aws input's documentation)",
    },
  ],
  "aws:eks/nodeGroup:NodeGroup": [
    {
      input: "nodeGroupName",
      limit: 63,
      pattern: /^[0-9A-Za-z][A-Za-z0-9\-_]*$/,
      autoName: awsAutoName,
      source: "EKS CreateNodegroup: at most 63 characters (the @pulumi/aws input's documentation; the provider itself allows 255)",
    },
  ],
  "aws:eks/addon:Addon": [],
  "aws:eks/accessEntry:AccessEntry": [],
  "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": [],
  "aws:eks/podIdentityAssociation:PodIdentityAssociation": [],
  "aws:ec2/vpc:Vpc": [nameTag],
  "aws:ec2/subnet:Subnet": [nameTag],
  "aws:ec2/internetGateway:InternetGateway": [nameTag],
  "aws:ec2/routeTable:RouteTable": [nameTag],
  "aws:ec2/routeTableAssociation:RouteTableAssociation": [],
  "aws:ec2/eip:Eip": [nameTag],
  "aws:ec2/natGateway:NatGateway": [nameTag],

  // Azure: limits from "Naming rules and restrictions for Azure resources" and the AKS API.
  "azure-native:resources:ResourceGroup": [
    {
      input: "resourceGroupName",
      output: "name",
      limit: 90,
      pattern: /^[-\w.()]*[-\w()]$/,
      autoName: azureAutoName,
      source: "Microsoft.Resources/resourcegroups: 1-90 characters",
    },
  ],
  "azure-native:network:PublicIPAddress": [
    {
      input: "publicIpAddressName",
      output: "name",
      limit: 80,
      pattern: /^[A-Za-z0-9][\w.-]*\w$/,
      autoName: azureAutoName,
      source: "Microsoft.Network/publicIPAddresses: 1-80 characters",
    },
  ],
  "azure-native:managedidentity:UserAssignedIdentity": [
    {
      input: "resourceName",
      output: "name",
      limit: 128,
      pattern: /^[A-Za-z0-9][\w-]{2,}$/,
      autoName: azureAutoName,
      source: "Microsoft.ManagedIdentity/userAssignedIdentities: 3-128 characters",
    },
  ],
  "azure-native:authorization:RoleAssignment": [
    { input: "roleAssignmentName", output: "name", limit: 36, autoName: "guid", source: "Microsoft.Authorization/roleAssignments: a GUID" },
  ],
  "azure-native:containerservice:ManagedCluster": [
    {
      input: "resourceName",
      output: "name",
      limit: 63,
      pattern: /^[a-zA-Z0-9]$|^[a-zA-Z0-9][-_a-zA-Z0-9]{0,61}[a-zA-Z0-9]$/,
      autoName: azureAutoName,
      source: "AKS managedClusters: resourceName, 1-63 characters",
    },
    {
      input: "dnsPrefix",
      limit: 54,
      pattern: /^[a-zA-Z\d]$|^[a-zA-Z\d][-a-zA-Z\d]{0,52}[a-zA-Z\d]$/,
      source: "AKS: DNS prefix, 1-54 letters, digits and '-', starting and ending with a letter or digit",
    },
    {
      input: "nodeResourceGroup",
      limit: 80,
      pattern: /^[-\w.()]*[-\w()]$/,
      source: "AKS: 'The length of the node resource group name is too long. The maximum length is 80'",
    },
    {
      input: "agentPoolProfiles[].name",
      limit: 12,
      pattern: /^[a-z][a-z0-9]*$/,
      source: "AKS: Linux node pool names, 1-12 lowercase letters and digits, starting with a letter",
    },
  ],

  // Kubernetes: object names as the API server validates them, Helm's release names.
  "kubernetes:core/v1:Namespace": [objectName(63, "Kubernetes: namespace names are DNS-1123 labels")],
  "kubernetes:core/v1:Service": [{ ...objectName(63, "Kubernetes: Service names are DNS-1035 labels"), pattern: dns1035Label }],
  "kubernetes:core/v1:Secret": [subdomain],
  "kubernetes:core/v1:ConfigMap": [subdomain],
  "kubernetes:admissionregistration.k8s.io/v1:MutatingWebhookConfiguration": [subdomain],
  "kubernetes:apps/v1:Deployment": [subdomain],
  "kubernetes:autoscaling/v2:HorizontalPodAutoscaler": [subdomain],
  "kubernetes:policy/v1:PodDisruptionBudget": [subdomain],
  "kubernetes:batch/v1:Job": [objectName(63, "Kubernetes: a Job's name is its pods' job-name label value")],
  "kubernetes:networking.istio.io/v1:Gateway": [subdomain],
  "kubernetes:networking.istio.io/v1:VirtualService": [subdomain],
  "kubernetes:networking.istio.io/v1:DestinationRule": [subdomain],
  "kubernetes:networking.istio.io/v1:Sidecar": [subdomain],
  "kubernetes:security.istio.io/v1:PeerAuthentication": [subdomain],
  "kubernetes:karpenter.sh/v1:NodePool": [objectName(63, "Karpenter labels its nodes karpenter.sh/nodepool=<name>, a label value")],
  "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass": [
    objectName(63, "Karpenter labels its nodes karpenter.k8s.aws/ec2nodeclass=<name>, a label value"),
  ],
  "kubernetes:helm.sh/v3:Release": [
    { input: "name", limit: 53, pattern: dns1123Label, source: "Helm: release names take at most 53 characters" },
  ],
};

/** Types with no name in any cloud: burstmesh's components, providers, and the trust stack's local TLS resources. */
const nameless = /^(burstmesh:|pulumi:providers:|tls:)/;

/** The values at a path such as `metadata.name` or `agentPoolProfiles[].name` (none when it is missing). */
function valuesAt(value: unknown, path: string): unknown[] {
  if (value === undefined || value === null) return [];
  const [head, ...rest] = path.split(".") as [string, ...string[]];
  const list = head.endsWith("[]");
  const field = (value as Record<string, unknown>)[list ? head.slice(0, -2) : head];
  const items = list ? ((field as unknown[] | undefined) ?? []) : [field];
  if (rest.length === 0) return items.filter((item) => item !== undefined && item !== null);
  return items.flatMap((item) => valuesAt(item, rest.join(".")));
}

/** The physical names one rule finds on a resource, as its provider makes them; a problem when there is none to measure. */
function physicalNamesOf(resource: RecordedResource, rule: NameRule): string[] | string {
  const inputs = reveal<Record<string, unknown>>(resource.inputs);
  const given = valuesAt(inputs, rule.input);
  if (given.length > 0) return given.map(String);
  if (rule.autoName === undefined) return `the program gives no ${rule.input}, and it is not auto-named`;
  const reported = valuesAt(reveal<Record<string, unknown>>(resource.state), rule.output ?? rule.input).map(String);
  if (reported.length === 0) return `the mock reports no ${rule.output ?? rule.input}: make it compute the auto-name as the provider does`;
  const expected =
    rule.autoName === "guid"
      ? /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
      : new RegExp(`^${resource.name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}${rule.autoName.separator}[0-9a-f]{${rule.autoName.random}}$`);
  return reported.every((name) => expected.test(name))
    ? reported
    : `the mock's auto-name ${reported.join(", ")} is not the provider's (${String(expected)})`;
}

/** One physical name of a resource as measured, or why it could not be. */
type Measurement = { where: string; rule: NameRule } & ({ name: string; problem?: undefined } | { name?: undefined; problem: string });

/** A DNS-1123 label of exactly `length` characters that starts with `prefix`. */
function longName(prefix: string, length: number): string {
  return `${prefix}-${"x".repeat(length)}`.slice(0, length);
}

const aws = longName("eks", memberNameMaxLength);
const azure = longName("aks", memberNameMaxLength);
const existing = longName("onprem", memberNameMaxLength);
const members = [aws, azure, existing];

/** The longest service name (a DNS-1035 label) and version names (DNS-1123 labels). */
const service = longName("podinfo", 63);
const versions = [longName("v1", 63), longName("v2", 63)];

/** Mesh-wide settings, the same in every stack: the longest members, a service with two versions, the drill on. */
const meshWide = encodeConfig({
  "burstmesh:members": members,
  "burstmesh:services": [
    {
      name: service,
      homeCluster: aws,
      capacity: { maxConcurrentRequests: 32 },
      versions: [
        { name: versions[0], image: "ghcr.io/stefanprodan/podinfo:6.9.2", clusters: members, weight: 90 },
        { name: versions[1], image: "ghcr.io/stefanprodan/podinfo:6.9.2", clusters: members, weight: 10 },
      ],
    },
  ],
  "burstmesh:drill": { enabled: true, service },
});

const kubeconfig = toYaml({
  apiVersion: "v1",
  kind: "Config",
  clusters: [{ name: "lab", cluster: { server: "https://10.0.0.1:6443", "certificate-authority-data": fakeCaData("lab") } }],
  contexts: [{ name: "lab", context: { cluster: "lab", user: "admin" } }],
  users: [{ name: "admin", user: { token: "lab-admin-token" } }],
  "current-context": "lab",
});

/** A stack's config: its stack file with the longest names, every optional part on. */
function clusterConfig(stackFile: "eks" | "aks", changes: Record<string, unknown>): RawConfig {
  return { ...withConfig(stackFile, changes), ...meshWide };
}

describe("names the clouds accept, at the longest names config allows", function () {
  this.timeout(120_000);
  let mesh: MeshRuns<string>;

  before(async () => {
    // The names are long; the intermediates' keys need not be new (the trust tests check them).
    reuseKeys({
      [`${aws}-intermediate-key`]: "eks-intermediate-key",
      [`${azure}-intermediate-key`]: "aks-intermediate-key",
      [`${existing}-intermediate-key`]: "onprem-intermediate-key",
    });
    mesh = await simulateMesh(
      { ...withConfig("trust", {}), ...meshWide },
      {
        [aws]: clusterConfig("eks", {
          "burstmesh:clusterName": aws,
          "burstmesh:network": longName("network-eks", 63),
          "burstmesh:peers": [azure, existing],
          "burstmesh:availabilityZoneCount": 3,
          "burstmesh:natGateways": "perZone",
          "burstmesh:clusterAdminPrincipals": ["arn:aws:iam::123456789012:role/ci-preview"],
        }),
        [azure]: clusterConfig("aks", {
          "burstmesh:clusterName": azure,
          "burstmesh:network": longName("network-aks", 63),
          "burstmesh:peers": [aws, existing],
          "burstmesh:resourceGroupName": longName("rg", 80 - aksNodeResourceGroupSuffix.length),
          "burstmesh:aksAuth": "entra",
          "burstmesh:aksAdminPrincipals": [{ objectId: "00000000-0000-4000-8000-000000000001", type: "Group" }],
        }),
        [existing]: {
          ...encodeConfig({
            "burstmesh:cloud": "existing",
            "burstmesh:clusterName": existing,
            "burstmesh:network": longName("network-onprem", 63),
            "burstmesh:peers": [aws, azure],
            "burstmesh:region": longName("on-prem-fra", 63),
            "burstmesh:kubeconfig": kubeconfig,
            "burstmesh:egressCidrs": ["203.0.113.16/28"],
          }),
          ...meshWide,
        },
      },
    );
  });

  /** What every stack created in its second pass (with every peer linked), reads aside. */
  const created = () => [mesh.trust, ...Object.values(mesh.second)].flatMap((run) => run.resources.filter((resource) => !resource.read));

  /** Every physical name, with the rule it answers to; or the problem that kept it from being measured. */
  const measured = (): Measurement[] =>
    created().flatMap((resource) =>
      (physicalNames[resource.type] ?? []).flatMap((rule) => {
        const names = physicalNamesOf(resource, rule);
        const where = `${resource.type} ${resource.name} ${rule.input}`;
        return typeof names === "string" ? [{ where, rule, problem: names }] : names.map((name): Measurement => ({ where, rule, name }));
      }),
    );

  it("lists every type the mesh creates, and creates every type it lists", () => {
    const types = new Set(created().map((resource) => resource.type));
    const unlisted = [...types].filter((type) => !nameless.test(type) && !(type in physicalNames)).sort();
    assert.deepEqual(unlisted, [], "a new resource type: add it to physicalNames with its names and their limits");
    const unused = Object.keys(physicalNames).filter((type) => !types.has(type));
    assert.deepEqual(unused, [], "listed types the mesh no longer creates: remove them, or turn on what creates them");
  });

  it("gives every resource names that fit its cloud, auto-name suffix included", () => {
    const problems = measured().flatMap(({ where, rule, name, problem }) => {
      if (name === undefined) return [`${where}: ${problem}`];
      if (name.length > rule.limit) return [`${where} '${name}': ${name.length} characters, more than ${rule.limit} (${rule.source})`];
      if (rule.pattern && !rule.pattern.test(name)) return [`${where} '${name}': not ${String(rule.pattern)} (${rule.source})`];
      return [];
    });
    assert.deepEqual(problems, []);
  });

  it("caps member names where the tightest name built from them reaches its limit, no shorter", () => {
    // memberNameMaxLength is what the tightest cloud name allows: at that length, some name that
    // starts with a member's name is within a character of its limit (were all far from theirs, the
    // cap would keep users from names every cloud accepts).
    const fromMembers = measured().flatMap(({ rule, name }) =>
      name !== undefined && members.some((member) => name.startsWith(member)) ? [rule.limit - name.length] : [],
    );
    assert.ok(fromMembers.length > 20, `${fromMembers.length} names start with a member's name`);
    const slack = Math.min(...fromMembers);
    assert.ok(slack >= 0 && slack <= 1, `the tightest name has ${slack} characters to spare`);
  });
});
