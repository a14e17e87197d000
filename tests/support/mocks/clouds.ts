/**
 * Mocked AWS and Azure: what the providers would return for the resources and invokes the cluster
 * components use. Every value is derived from the inputs (hashes, no randomness, no clock), so the
 * same inputs always give the same outputs.
 */
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { stringify as toYaml } from "yaml";
import type { CallMock, ResourceMock } from ".";

const accountId = "123456789012";
const subscriptionId = "00000000-0000-4000-8000-000000000000";

/** Hex digest of the parts, cut to `length` characters. */
function hash(length: number, ...parts: unknown[]): string {
  return createHash("sha256").update(JSON.stringify(parts)).digest("hex").slice(0, length);
}

/** The region a mocked AWS call runs in: its `region` input, else the provider's config. */
function awsRegion(inputs: Record<string, unknown>): string {
  return (inputs.region as string | undefined) ?? new pulumi.Config("aws").get("region") ?? "us-east-1";
}

function awsPartition(region: string): { partition: string; dnsSuffix: string; reverseDnsPrefix: string } {
  if (region.startsWith("cn-")) return { partition: "aws-cn", dnsSuffix: "amazonaws.com.cn", reverseDnsPrefix: "cn.com.amazonaws" };
  if (region.startsWith("us-gov-")) return { partition: "aws-us-gov", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws" };
  return { partition: "aws", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws" };
}

const compass: Record<string, string> = {
  north: "n",
  south: "s",
  east: "e",
  west: "w",
  central: "c",
  northeast: "ne",
  northwest: "nw",
  southeast: "se",
  southwest: "sw",
};

/** AWS zone ID prefix of a region, e.g. `eu-central-1` → `euc1`, `ap-southeast-2` → `apse2`. */
function zoneIdPrefix(region: string): string {
  const parts = region.split("-");
  return (
    parts[0]! +
    parts
      .slice(1, -1)
      .map((p) => compass[p] ?? p[0])
      .join("") +
    parts[parts.length - 1]!
  );
}

/** A PEM-shaped certificate whose body is derived from `seed`, base64-encoded once (as EKS returns it). */
export function fakeCaData(seed: string): string {
  const body = Buffer.from(createHash("sha512").update(`ca:${seed}`).digest()).toString("base64");
  const pem = `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;
  return Buffer.from(pem).toString("base64");
}

/** The given `name`, or Pulumi's auto-name: the logical name plus a suffix. */
function autoName(logicalName: string, inputs: Record<string, unknown>): string {
  return (inputs.name as string | undefined) ?? `${logicalName}-${hash(7, logicalName)}`;
}

function arn(region: string, service: string, resource: string, global = false): string {
  return `arn:${awsPartition(region).partition}:${service}:${global ? "" : region}:${accountId}:${resource}`;
}

/** The AKS clusters the mocked Azure has "created", so that credential calls can find them. */
const aksClusters = new Map<string, { name: string; fqdn: string; location: string }>();

function aksKey(resourceGroupName: string, resourceName: string): string {
  return `${resourceGroupName.toLowerCase()}/${resourceName.toLowerCase()}`;
}

function azureId(resourceGroupName: string, provider?: string, name?: string): string {
  const group = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroupName}`;
  return provider ? `${group}/providers/${provider}/${name}` : group;
}

export const resourceMocks: Record<string, ResourceMock> = {
  "aws:ec2/vpc:Vpc": ({ name, inputs }) => {
    const region = awsRegion(inputs);
    const id = `vpc-${hash(17, region, name, inputs.cidrBlock)}`;
    return { arn: arn(region, "ec2", `vpc/${id}`), ownerId: accountId, region, defaultSecurityGroupId: `sg-${hash(17, id, "default")}` };
  },
  "aws:ec2/subnet:Subnet": ({ name, inputs }) => {
    const region = awsRegion(inputs);
    const id = `subnet-${hash(17, region, name, inputs.cidrBlock)}`;
    const zone = String(inputs.availabilityZone ?? `${region}a`);
    return {
      arn: arn(region, "ec2", `subnet/${id}`),
      ownerId: accountId,
      region,
      availabilityZoneId: `${zoneIdPrefix(region)}-az${zone.charCodeAt(zone.length - 1) - 96}`,
    };
  },
  "aws:ec2/internetGateway:InternetGateway": ({ name, inputs }) => {
    const region = awsRegion(inputs);
    return { arn: arn(region, "ec2", `internet-gateway/igw-${hash(17, region, name)}`), ownerId: accountId, region };
  },
  "aws:ec2/eip:Eip": ({ name, inputs }) => {
    const region = awsRegion(inputs);
    const h = createHash("sha256").update(`${region}/${name}`).digest();
    return {
      region,
      allocationId: `eipalloc-${hash(17, region, name)}`,
      // 203.0.113.0/24 is TEST-NET-3: documentation addresses, never routed.
      publicIp: `203.0.113.${(h[0]! % 254) + 1}`,
      domain: inputs.domain ?? "vpc",
    };
  },
  "aws:ec2/natGateway:NatGateway": ({ name, inputs }) => {
    const region = awsRegion(inputs);
    return { region, connectivityType: "public", networkInterfaceId: `eni-${hash(17, region, name)}` };
  },
  "aws:ec2/routeTable:RouteTable": ({ name, inputs }) => {
    const region = awsRegion(inputs);
    return { region, arn: arn(region, "ec2", `route-table/rtb-${hash(17, region, name)}`), ownerId: accountId };
  },
  "aws:iam/role:Role": ({ name, inputs }) => {
    const roleName = autoName(name, inputs);
    return {
      name: roleName,
      arn: `arn:${awsPartition(awsRegion(inputs)).partition}:iam::${accountId}:role/${roleName}`,
      uniqueId: `AROA${hash(17, roleName).toUpperCase()}`,
    };
  },
  "aws:eks/cluster:Cluster": ({ name, inputs }) => {
    const region = awsRegion(inputs);
    const clusterName = (inputs.name as string | undefined) ?? `${name}-${hash(7, name)}`;
    return {
      name: clusterName,
      region,
      arn: arn(region, "eks", `cluster/${clusterName}`),
      endpoint: `https://${hash(32, region, clusterName).toUpperCase()}.gr7.${region}.eks.${awsPartition(region).dnsSuffix}`,
      certificateAuthority: { data: fakeCaData(`${region}/${clusterName}`) },
      platformVersion: "eks.1",
      status: "ACTIVE",
      version: inputs.version ?? "1.34",
      identities: [
        { oidcs: [{ issuer: `https://oidc.eks.${region}.amazonaws.com/id/${hash(32, "oidc", region, clusterName).toUpperCase()}` }] },
      ],
      // EKS creates the cluster security group itself.
      vpcConfig: { ...(inputs.vpcConfig as object), clusterSecurityGroupId: `sg-${hash(17, region, clusterName, "cluster")}` },
    };
  },
  "aws:iam/policy:Policy": ({ name, inputs }) => {
    const policyName = autoName(name, inputs);
    return { name: policyName, arn: `arn:${awsPartition(awsRegion(inputs)).partition}:iam::${accountId}:policy/${policyName}` };
  },
  "aws:sqs/queue:Queue": ({ name, inputs }) => {
    const region = awsRegion(inputs);
    const queueName = autoName(name, inputs);
    return {
      name: queueName,
      region,
      arn: arn(region, "sqs", queueName),
      url: `https://sqs.${region}.${awsPartition(region).dnsSuffix}/${accountId}/${queueName}`,
    };
  },
  "aws:cloudwatch/eventRule:EventRule": ({ name, inputs }) => {
    const region = awsRegion(inputs);
    const ruleName = autoName(name, inputs);
    return { name: ruleName, region, arn: arn(region, "events", `rule/${ruleName}`) };
  },
  "aws:eks/nodeGroup:NodeGroup": ({ name, inputs }) => {
    const region = awsRegion(inputs);
    const nodeGroupName = (inputs.nodeGroupName as string | undefined) ?? `${name}-${hash(7, name)}`;
    return {
      region,
      nodeGroupName,
      arn: arn(region, "eks", `nodegroup/${String(inputs.clusterName)}/${nodeGroupName}/${hash(8, nodeGroupName)}`),
      status: "ACTIVE",
    };
  },
  "aws:kms/key:Key": ({ name, inputs }) => {
    const region = awsRegion(inputs);
    const h = hash(32, region, name);
    const keyId = `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
    return { region, keyId, arn: arn(region, "kms", `key/${keyId}`), keyUsage: "ENCRYPT_DECRYPT", isEnabled: true };
  },
  "aws:kms/alias:Alias": ({ inputs }) => {
    const region = awsRegion(inputs);
    return { region, arn: arn(region, "kms", String(inputs.name)), targetKeyArn: arn(region, "kms", `key/${String(inputs.targetKeyId)}`) };
  },
  "aws:cloudwatch/logGroup:LogGroup": ({ name, inputs }) => {
    const region = awsRegion(inputs);
    const groupName = (inputs.name as string | undefined) ?? `${name}-${hash(7, name)}`;
    return { region, name: groupName, arn: arn(region, "logs", `log-group:${groupName}`) };
  },
  "azure-native:resources:ResourceGroup": ({ name, inputs }) => {
    const groupName = (inputs.resourceGroupName as string | undefined) ?? `${name}${hash(8, name)}`;
    return { name: groupName, id: azureId(groupName), provisioningState: "Succeeded" };
  },
  "azure-native:network:PublicIPAddress": ({ name, inputs }) => {
    const resourceGroupName = String(inputs.resourceGroupName);
    const ipName = (inputs.publicIpAddressName as string | undefined) ?? `${name}${hash(8, name)}`;
    const h = createHash("sha256").update(`${resourceGroupName}/${ipName}`).digest();
    return {
      name: ipName,
      id: azureId(resourceGroupName, "Microsoft.Network/publicIPAddresses", ipName),
      // A public address in 20.0.0.0/8 (Azure's), last octet never 0 or 255.
      ipAddress: `20.${h[0]}.${h[1]}.${(h[2]! % 254) + 1}`,
      provisioningState: "Succeeded",
    };
  },
  "azure-native:managedidentity:UserAssignedIdentity": ({ name, inputs }) => {
    const resourceGroupName = String(inputs.resourceGroupName);
    const identityName = (inputs.resourceName as string | undefined) ?? `${name}${hash(8, name)}`;
    const h = hash(32, "identity", resourceGroupName, identityName);
    return {
      name: identityName,
      id: azureId(resourceGroupName, "Microsoft.ManagedIdentity/userAssignedIdentities", identityName),
      principalId: `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`,
      clientId: hash(32, "client", identityName),
      tenantId: subscriptionId,
    };
  },
  "azure-native:authorization:RoleAssignment": ({ name, inputs }) => {
    const h = hash(32, "assignment", name, inputs.scope, inputs.principalId);
    const assignmentName = `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
    return { name: assignmentName, id: `${String(inputs.scope)}/providers/Microsoft.Authorization/roleAssignments/${assignmentName}` };
  },
  "azure-native:containerservice:ManagedCluster": ({ name, inputs }) => {
    const resourceGroupName = String(inputs.resourceGroupName);
    const clusterName = (inputs.resourceName as string | undefined) ?? `${name}${hash(8, name)}`;
    const location = String(inputs.location ?? "westeurope");
    const dnsPrefix = String(inputs.dnsPrefix ?? clusterName);
    const fqdn = `${dnsPrefix}-${hash(8, subscriptionId, resourceGroupName, clusterName)}.hcp.${location}.azmk8s.io`;
    aksClusters.set(aksKey(resourceGroupName, clusterName), { name: clusterName, fqdn, location });
    return {
      name: clusterName,
      id: azureId(resourceGroupName, "Microsoft.ContainerService/managedClusters", clusterName),
      fqdn,
      azurePortalFQDN: `${dnsPrefix}-${hash(8, "portal", resourceGroupName, clusterName)}.portal.hcp.${location}.azmk8s.io`,
      provisioningState: "Succeeded",
      nodeResourceGroup: (inputs.nodeResourceGroup as string | undefined) ?? `MC_${resourceGroupName}_${clusterName}_${location}`,
      identity: inputs.identity ?? { type: "SystemAssigned", principalId: hash(32, "principal", clusterName), tenantId: subscriptionId },
    };
  },
};

export const callMocks: Record<string, CallMock> = {
  "aws:index/getAvailabilityZones:getAvailabilityZones": (inputs) => {
    const region = awsRegion(inputs);
    const letters = ["a", "b", "c"];
    return {
      id: region,
      region,
      state: inputs.state,
      names: letters.map((l) => `${region}${l}`),
      zoneIds: letters.map((_, i) => `${zoneIdPrefix(region)}-az${i + 1}`),
      groupNames: letters.map(() => region),
    };
  },
  "aws:index/getCallerIdentity:getCallerIdentity": () => ({
    id: accountId,
    accountId,
    arn: `arn:aws:sts::${accountId}:assumed-role/deployer/session`,
    userId: `AROA${hash(17, "deployer").toUpperCase()}:session`,
  }),
  "aws:eks/getAddonVersion:getAddonVersion": (inputs) => {
    // Shaped like an EKS add-on version; derived from the add-on and the Kubernetes minor.
    const minor = Number(String(inputs.kubernetesVersion).split(".")[1] ?? 0);
    return { ...inputs, id: String(inputs.addonName), region: awsRegion(inputs), version: `v1.${minor}.0-eksbuild.1` };
  },
  "aws:index/getPartition:getPartition": (inputs) => {
    const p = awsPartition(awsRegion(inputs));
    return { id: p.partition, ...p };
  },
  "azure-native:authorization:getClientConfig": () => ({
    clientId: hash(32, "deployer-client"),
    objectId: "11111111-2222-4333-8444-555555555555",
    subscriptionId,
    tenantId: "99999999-8888-4777-8666-555555555555",
  }),
  "azure-native:containerservice:listManagedClusterUserCredentials": (inputs) => {
    const cluster = aksClusters.get(aksKey(String(inputs.resourceGroupName), String(inputs.resourceName)));
    if (!cluster) {
      throw new Error(`ResourceNotFound: managed cluster ${inputs.resourceName} in resource group ${inputs.resourceGroupName} not found`);
    }
    const user = `clusterUser_${inputs.resourceGroupName}_${cluster.name}`;
    // Shaped like the credential AKS hands out for a cluster with local accounts.
    const kubeconfig = toYaml({
      apiVersion: "v1",
      kind: "Config",
      clusters: [
        { name: cluster.name, cluster: { "certificate-authority-data": fakeCaData(cluster.fqdn), server: `https://${cluster.fqdn}:443` } },
      ],
      contexts: [{ name: cluster.name, context: { cluster: cluster.name, user } }],
      "current-context": cluster.name,
      preferences: {},
      users: [
        {
          name: user,
          // Format `exec` (Entra clusters): kubelogin with device-code sign-in, as AKS hands it out.
          user:
            inputs.format === "exec"
              ? {
                  exec: {
                    apiVersion: "client.authentication.k8s.io/v1beta1",
                    command: "kubelogin",
                    args: ["get-token", "--login", "devicecode", "--server-id", "6dae42f8-4368-4678-94ff-3960e28e3630"],
                  },
                }
              : { token: hash(64, "token", cluster.fqdn) },
        },
      ],
    });
    return { kubeconfigs: [{ name: "clusterUser", value: Buffer.from(kubeconfig).toString("base64") }] };
  },
};
