import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";
import { AksCluster, AksClusterArgs, aksEndpoint, apiServerAccessProfile, decodeCredential } from "../components/clusters/aksCluster";
import {
  carveSubnets,
  clusterRolePolicies,
  EksCluster,
  EksClusterArgs,
  eksKubeconfig,
  nodeRolePolicies,
  pickZones,
  publicAccessCidrs,
  subnetTags,
} from "../components/clusters/eksCluster";
import { managedPolicyArn, serviceTrustPolicy } from "../components/clusters/iam";
import type { MemberCluster } from "../components/clusters/memberCluster";
import { isSecret, ofType, RecordedResource, resolve, reveal, settle, single, startMockedRun } from "./support/harness";
import { callMocks, fakeCaData, resourceMocks } from "./support/mocks/clouds";

// ---------------------------------------------------------------------------------------------
// A small mocked deployment: the components are tested directly (not through index.ts).

interface Deployment<T> {
  component: T;
  resources: RecordedResource[];
}

/** Builds a member cluster under Pulumi mocks, the provider's default region `awsRegion`, and records what it registered. */
async function deploy<T extends MemberCluster>(stack: string, awsRegion: string, build: () => T): Promise<Deployment<T>> {
  const { resources, restoreLogs } = await startMockedRun({ stack, config: { "aws:region": awsRegion } });
  try {
    const component = build();
    await Promise.all(
      [component.kubeconfig, component.endpoint, component.certificateAuthorityData, component.clusterName, component.region].map(resolve),
    );
    await settle();
    return { component, resources };
  } finally {
    restoreLogs();
  }
}

/** Recorded inputs (or state) without secret wrappers; untyped engine JSON, hence `any` by default. */

function plain<T = Record<string, any>>(resource: RecordedResource, from: "inputs" | "state" = "inputs"): T {
  return reveal<T>(resource[from]);
}

interface Kubeconfig {
  "current-context": string;
  clusters: { name: string; cluster: { server: string; "certificate-authority-data": string } }[];
  users: { name: string; user: { token?: string; exec?: { apiVersion: string; command: string; args: string[] } } }[];
}

// ---------------------------------------------------------------------------------------------

describe("cluster components", function () {
  this.timeout(20_000);

  describe("pure helpers", () => {
    it("carves a /16 over three zones into private /18s and public /20s in the last quarter", () => {
      assert.deepEqual(carveSubnets("10.20.0.0/16", 3), {
        private: ["10.20.0.0/18", "10.20.64.0/18", "10.20.128.0/18"],
        public: ["10.20.192.0/20", "10.20.208.0/20", "10.20.224.0/20"],
      });
      assert.deepEqual(carveSubnets("10.0.0.0/16", 2), {
        private: ["10.0.0.0/18", "10.0.64.0/18"],
        public: ["10.0.192.0/19", "10.0.224.0/19"],
      });
    });

    it("carves disjoint subnets inside the VPC for every size and zone count", () => {
      const range = (cidr: string): [number, number] => {
        const [address, prefix] = cidr.split("/");
        const start = address!.split(".").reduce((acc, octet) => acc * 256 + Number(octet), 0);
        return [start, start + 2 ** (32 - Number(prefix)) - 1];
      };
      for (let prefix = 16; prefix <= 22; prefix++) {
        for (let zones = 2; zones <= 6; zones++) {
          const vpc = `172.16.0.0/${prefix}`;
          const layout = carveSubnets(vpc, zones);
          const all = [...layout.private, ...layout.public];
          assert.equal(layout.private.length, zones);
          assert.equal(layout.public.length, zones);
          const [vpcStart, vpcEnd] = range(vpc);
          const ranges = all.map(range).sort((a, b) => a[0] - b[0]);
          ranges.forEach(([start, end], i) => {
            assert.ok(start >= vpcStart && end <= vpcEnd, `${all[i]} inside ${vpc}`);
            assert.equal(start % (end - start + 1), 0, "aligned");
            if (i > 0) assert.ok(start > ranges[i - 1]![1], `no overlap in ${vpc} over ${zones} zones`);
          });
          assert.ok(Number(layout.private[0]!.split("/")[1]) < Number(layout.public[0]!.split("/")[1]), "private subnets are the larger");
        }
      }
    });

    it("rejects VPC CIDRs that are malformed, unaligned, out of range or too small", () => {
      assert.throws(() => carveSubnets("10.20.0.0", 2), /not an IPv4 CIDR/);
      assert.throws(() => carveSubnets("10.300.0.0/16", 2), /not an IPv4 CIDR/);
      assert.throws(() => carveSubnets("10.20.1.0/16", 2), /host bits set; use 10\.20\.0\.0\/16/);
      assert.throws(() => carveSubnets("10.0.0.0/8", 2), /between \/16 and \/24/);
      assert.throws(() => carveSubnets("10.0.0.0/24", 6), /too small/);
      assert.doesNotThrow(() => carveSubnets("10.0.0.0/24", 3));
    });

    it("opens the public API endpoint to everyone only when no CIDRs are given", () => {
      assert.deepEqual(publicAccessCidrs([]), ["0.0.0.0/0"]);
      assert.deepEqual(publicAccessCidrs(["198.51.100.0/24", "203.0.113.7/32"]), ["198.51.100.0/24", "203.0.113.7/32"]);
      assert.deepEqual(apiServerAccessProfile([]), { authorizedIPRanges: [] });
      assert.deepEqual(apiServerAccessProfile(["198.51.100.0/24"]), { authorizedIPRanges: ["198.51.100.0/24"] });
    });

    it("takes the first N zones and fails clearly when the region has fewer", () => {
      assert.deepEqual(pickZones(["a", "b", "c"], 2), ["a", "b"]);
      assert.throws(() => pickZones(["a", "b"], 3), /availabilityZoneCount is 3 but the region has only 2/);
    });

    it("builds partition-aware policy ARNs, service trust policies and subnet tags", () => {
      assert.equal(managedPolicyArn("aws-cn", "AmazonEKS_CNI_Policy"), "arn:aws-cn:iam::aws:policy/AmazonEKS_CNI_Policy");
      assert.deepEqual(JSON.parse(serviceTrustPolicy("eks.amazonaws.com")), {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "eks.amazonaws.com" }, Action: "sts:AssumeRole" }],
      });
      assert.deepEqual(subnetTags("east", "public", "east-public-0"), {
        Name: "east-public-0",
        "kubernetes.io/cluster/east": "shared",
        "kubernetes.io/role/elb": "1",
      });
      assert.deepEqual(subnetTags("east", "private", "east-private-0"), {
        Name: "east-private-0",
        "kubernetes.io/cluster/east": "shared",
        "kubernetes.io/role/internal-elb": "1",
      });
    });

    it("writes an EKS kubeconfig that gets its token from `aws eks get-token`", () => {
      const kubeconfig = parseYaml(
        eksKubeconfig({
          name: "east",
          endpoint: "https://X.gr7.eu-central-1.eks.amazonaws.com",
          certificateAuthorityData: "Q0E=",
          region: "eu-central-1",
        }),
      ) as Kubeconfig;
      assert.equal(kubeconfig.clusters[0]!.cluster.server, "https://X.gr7.eu-central-1.eks.amazonaws.com");
      assert.equal(kubeconfig.clusters[0]!.cluster["certificate-authority-data"], "Q0E=");
      const user = kubeconfig.users[0]!.user;
      assert.equal(user.token, undefined);
      assert.deepEqual(user.exec, {
        apiVersion: "client.authentication.k8s.io/v1beta1",
        command: "aws",
        args: ["eks", "get-token", "--cluster-name", "east", "--region", "eu-central-1"],
      });
    });

    it("decodes the first AKS credential and builds the endpoint from the FQDN", () => {
      assert.equal(
        decodeCredential({ kubeconfigs: [{ name: "clusterUser", value: Buffer.from("apiVersion: v1\n").toString("base64") }] }),
        "apiVersion: v1\n",
      );
      assert.throws(() => decodeCredential({ kubeconfigs: [] }), /no user credentials/);
      assert.equal(aksEndpoint("west-1a2b3c4d.hcp.westeurope.azmk8s.io"), "https://west-1a2b3c4d.hcp.westeurope.azmk8s.io:443");
    });
  });

  describe("cloud mocks", () => {
    it("derive the same values from the same inputs, and different values from different inputs", async () => {
      const eks = resourceMocks["aws:eks/cluster:Cluster"]!;
      const args = { type: "aws:eks/cluster:Cluster", name: "east-eks", inputs: { name: "east", region: "eu-central-1" }, custom: true };
      assert.deepEqual(await eks(args), await eks({ ...args }));
      assert.notDeepEqual(await eks(args), await eks({ ...args, inputs: { name: "east2", region: "eu-central-1" } }));
      const zones = await callMocks["aws:index/getAvailabilityZones:getAvailabilityZones"]!({ region: "eu-central-1", state: "available" });
      assert.deepEqual(zones.names, ["eu-central-1a", "eu-central-1b", "eu-central-1c"]);
      assert.deepEqual(zones.zoneIds, ["euc1-az1", "euc1-az2", "euc1-az3"]);
    });

    it("refuse credentials for an AKS cluster that was never created", () => {
      assert.throws(
        () =>
          callMocks["azure-native:containerservice:listManagedClusterUserCredentials"]!({
            resourceGroupName: "nowhere",
            resourceName: "ghost",
          }),
        /ResourceNotFound/,
      );
    });
  });

  const eksArgs: EksClusterArgs = {
    clusterName: "east",
    region: "eu-central-1",
    kubernetesVersion: "1.34",
    vpcCidr: "10.20.0.0/16",
    availabilityZoneCount: 3,
    natGateways: "perZone",
    apiAllowedCidrs: ["198.51.100.0/24"],
    clusterAdminPrincipals: [],
    nodePool: { instanceTypes: ["m6i.large", "m6a.large"], minCount: 2, desiredCount: 3, maxCount: 6, diskSizeGb: 80 },
    controlPlaneLogRetentionDays: 30,
  };

  describe("EksCluster (three zones, NAT per zone, restricted API)", () => {
    let run: Deployment<EksCluster>;
    before(async () => {
      // The provider's default region differs: the component must pin everything to its own region.
      run = await deploy("eks", "us-west-2", () => new EksCluster("east", eksArgs));
    });

    const component = () => single(run, "burstmesh:clusters:EksCluster");

    it("registers its type token and parents every child to itself", () => {
      const urn = component().urn;
      const children = run.resources.filter((r) => r !== component());
      assert.ok(children.length > 20);
      for (const child of children) assert.equal(child.parent, urn, `${child.type} ${child.name} is a child`);
    });

    it("pins every regional resource to the requested region", () => {
      const regional = run.resources.filter((r) => /^aws:(ec2|eks)\//.test(r.type));
      assert.ok(regional.length > 0);
      for (const r of regional) assert.equal(plain(r).region, "eu-central-1", `${r.type} ${r.name}`);
    });

    it("builds a DNS-enabled VPC with an internet gateway", () => {
      const vpc = single(run, "aws:ec2/vpc:Vpc");
      assert.deepEqual(
        { cidr: plain(vpc).cidrBlock, support: plain(vpc).enableDnsSupport, hostnames: plain(vpc).enableDnsHostnames },
        { cidr: "10.20.0.0/16", support: true, hostnames: true },
      );
      assert.equal(plain(single(run, "aws:ec2/internetGateway:InternetGateway")).vpcId, `${vpc.name}-id`);
    });

    it("spreads public and private subnets over distinct zones with the load-balancer tags", () => {
      const subnets = ofType(run, "aws:ec2/subnet:Subnet");
      const tier = (t: string) => subnets.filter((s) => s.name.includes(`-${t}-`)).map((s) => plain(s));
      const publics = tier("public");
      const privates = tier("private");
      assert.equal(publics.length, 3);
      assert.equal(privates.length, 3);
      for (const group of [publics, privates]) {
        const zones = new Set(group.map((s) => s.availabilityZone));
        assert.equal(zones.size, 3);
        for (const zone of zones) assert.match(String(zone), /^eu-central-1[abc]$/);
      }
      for (const s of publics) {
        assert.equal(s.tags["kubernetes.io/role/elb"], "1");
        assert.equal(s.tags["kubernetes.io/role/internal-elb"], undefined);
        assert.equal(s.tags["kubernetes.io/cluster/east"], "shared");
      }
      for (const s of privates) {
        assert.equal(s.tags["kubernetes.io/role/internal-elb"], "1");
        assert.equal(s.tags["kubernetes.io/role/elb"], undefined);
        assert.equal(s.tags["kubernetes.io/cluster/east"], "shared");
      }
      assert.deepEqual(
        privates.map((s) => s.cidrBlock),
        carveSubnets("10.20.0.0/16", 3).private,
      );
      assert.deepEqual(
        publics.map((s) => s.cidrBlock),
        carveSubnets("10.20.0.0/16", 3).public,
      );
    });

    it("runs one NAT gateway per zone, each in a public subnet and routing its own zone's private subnet", () => {
      const nats = ofType(run, "aws:ec2/natGateway:NatGateway");
      assert.equal(nats.length, 3);
      assert.equal(ofType(run, "aws:ec2/eip:Eip").length, 3);
      const subnetId = (name: string) => `${name}-id`;
      assert.deepEqual(
        nats.map((n) => plain(n).subnetId),
        [0, 1, 2].map((i) => subnetId(`east-public-${i}`)),
      );
      const privateTables = ofType(run, "aws:ec2/routeTable:RouteTable").filter((t) => t.name.includes("private"));
      assert.deepEqual(
        privateTables.map((t) => plain(t).routes[0].natGatewayId),
        nats.map((n) => `${n.name}-id`),
      );
      const associations = ofType(run, "aws:ec2/routeTableAssociation:RouteTableAssociation").filter((a) => a.name.includes("private"));
      assert.deepEqual(
        associations.map((a) => [plain(a).subnetId, plain(a).routeTableId]),
        [0, 1, 2].map((i) => [subnetId(`east-private-${i}`), `east-private-rt-${i}-id`]),
      );
    });

    it("publishes the NAT gateways' Elastic IPs as its egress CIDRs", async () => {
      const addresses = ofType(run, "aws:ec2/eip:Eip").map((eip) => `${String(eip.state.publicIp)}/32`);
      assert.equal(addresses.length, 3);
      assert.deepEqual(await resolve(run.component.egressCidrs), addresses);
    });

    it("attaches exactly AmazonEKSClusterPolicy to the cluster role and the three node policies to the node role", () => {
      const roles = ofType(run, "aws:iam/role:Role");
      const trusted = (service: string) =>
        roles.find((r) => JSON.parse(plain(r).assumeRolePolicy).Statement[0].Principal.Service === service)!;
      const attachmentsOf = (role: RecordedResource) =>
        ofType(run, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
          .filter((a) => plain(a).role === role.state.name)
          .map((a) => plain(a).policyArn)
          .sort();
      assert.deepEqual(attachmentsOf(trusted("eks.amazonaws.com")), ["arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"]);
      assert.deepEqual(
        attachmentsOf(trusted("ec2.amazonaws.com")),
        ["AmazonEC2ContainerRegistryReadOnly", "AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy"].map(
          (p) => `arn:aws:iam::aws:policy/${p}`,
        ),
      );
      assert.deepEqual([...clusterRolePolicies], ["AmazonEKSClusterPolicy"]);
      assert.equal(nodeRolePolicies.length, 3);
    });

    it("creates the control plane with API access entries, the version and the allowed CIDRs", () => {
      const cluster = single(run, "aws:eks/cluster:Cluster");
      const inputs = plain(cluster);
      assert.equal(inputs.name, "east");
      assert.equal(inputs.version, "1.34");
      assert.deepEqual(inputs.accessConfig, { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: true });
      assert.equal(inputs.vpcConfig.endpointPublicAccess, true);
      assert.equal(inputs.vpcConfig.endpointPrivateAccess, true);
      assert.deepEqual(inputs.vpcConfig.publicAccessCidrs, ["198.51.100.0/24"]);
      const subnetIds = ofType(run, "aws:ec2/subnet:Subnet")
        .map((s) => `${s.name}-id`)
        .sort();
      assert.deepEqual([...inputs.vpcConfig.subnetIds].sort(), subnetIds);
      const clusterRole = ofType(run, "aws:iam/role:Role").find((r) => r.name === "east-cluster-role")!;
      assert.equal(inputs.roleArn, clusterRole.state.arn);
      const clusterAttachment = ofType(run, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").find((a) =>
        a.name.startsWith("east-cluster-"),
      )!;
      assert.ok(cluster.dependencies.includes(clusterAttachment.urn), "the cluster waits for its role policy");
    });

    it("puts the node group in the private subnets with the pool's sizes, after its policies", () => {
      const group = single(run, "aws:eks/nodeGroup:NodeGroup");
      const inputs = plain(group);
      assert.deepEqual(inputs.scalingConfig, { minSize: 2, desiredSize: 3, maxSize: 6 });
      assert.deepEqual(inputs.instanceTypes, ["m6i.large", "m6a.large"]);
      assert.equal(inputs.diskSize, 80);
      assert.equal(inputs.clusterName, "east");
      assert.deepEqual(
        inputs.subnetIds,
        [0, 1, 2].map((i) => `east-private-${i}-id`),
      );
      assert.equal(inputs.nodeRoleArn, ofType(run, "aws:iam/role:Role").find((r) => r.name === "east-node-role")!.state.arn);
      const nodeAttachments = ofType(run, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) =>
        a.name.startsWith("east-node-"),
      );
      assert.equal(nodeAttachments.length, 3);
      for (const a of nodeAttachments) assert.ok(group.dependencies.includes(a.urn), `node group waits for ${a.name}`);
    });

    it("exposes the cluster's name, region, endpoint and CA", async () => {
      const state = single(run, "aws:eks/cluster:Cluster").state as { endpoint: string; certificateAuthority: { data: string } };
      const member = run.component;
      assert.equal(member.cloud, "aws");
      assert.equal(await resolve(member.clusterName), "east");
      assert.equal(await resolve(member.region), "eu-central-1");
      assert.equal(await resolve(member.endpoint), state.endpoint);
      assert.match(state.endpoint, /^https:\/\/[0-9A-F]{32}\.gr7\.eu-central-1\.eks\.amazonaws\.com$/);
      assert.equal(await resolve(member.certificateAuthorityData), state.certificateAuthority.data);
      assert.match(Buffer.from(state.certificateAuthority.data, "base64").toString(), /^-----BEGIN CERTIFICATE-----/);
    });

    it("makes a secret kubeconfig that execs `aws eks get-token` against the cluster", async () => {
      const state = single(run, "aws:eks/cluster:Cluster").state as { endpoint: string; certificateAuthority: { data: string } };
      assert.equal(await pulumi.isSecret(run.component.kubeconfig), true);
      const kubeconfig = parseYaml(await resolve(run.component.kubeconfig)) as Kubeconfig;
      assert.equal(kubeconfig.clusters[0]!.cluster.server, state.endpoint);
      assert.equal(kubeconfig.clusters[0]!.cluster["certificate-authority-data"], state.certificateAuthority.data);
      const user = kubeconfig.users[0]!.user;
      assert.equal(user.token, undefined);
      assert.equal(user.exec?.command, "aws");
      assert.deepEqual(user.exec?.args, ["eks", "get-token", "--cluster-name", "east", "--region", "eu-central-1"]);
    });

    it("gives a Kubernetes provider with the secret kubeconfig that depends on the node group, and one that does not", () => {
      const nodeGroup = single(run, "aws:eks/nodeGroup:NodeGroup").urn;
      const provider = single(run, "pulumi:providers:kubernetes", "east-k8s");
      const apiProvider = single(run, "pulumi:providers:kubernetes", "east-k8s-api");
      for (const p of [provider, apiProvider]) {
        assert.ok(isSecret(p.inputs.kubeconfig), "provider kubeconfig input is secret");
        assert.equal(reveal<Kubeconfig>(parseYaml(reveal<string>(p.inputs.kubeconfig))).users[0]!.user.exec?.command, "aws");
      }
      assert.ok(provider.dependencies.includes(nodeGroup));
      assert.ok(!apiProvider.dependencies.includes(nodeGroup), "the API-only provider does not wait for the nodes");
      assert.ok(apiProvider.dependencies.includes(single(run, "aws:eks/cluster:Cluster").urn));
    });
  });

  describe("EksCluster (two zones, one NAT, open API, China partition)", () => {
    let run: Deployment<EksCluster>;
    before(async () => {
      run = await deploy(
        "eks-cn",
        "cn-north-1",
        () =>
          new EksCluster("north", {
            ...eksArgs,
            clusterName: "north",
            region: "cn-north-1",
            availabilityZoneCount: 2,
            natGateways: "single",
            apiAllowedCidrs: [],
          }),
      );
    });

    it("names the cluster as given and tags the subnets with that name", () => {
      assert.equal(plain(single(run, "aws:eks/cluster:Cluster")).name, "north");
      for (const s of ofType(run, "aws:ec2/subnet:Subnet")) assert.equal(plain(s).tags["kubernetes.io/cluster/north"], "shared");
    });

    it("spreads subnets over two zones", () => {
      const zones = new Set(ofType(run, "aws:ec2/subnet:Subnet").map((s) => plain(s).availabilityZone));
      assert.deepEqual([...zones].sort(), ["cn-north-1a", "cn-north-1b"]);
    });

    it("routes every private subnet through the one NAT gateway", () => {
      const nat = single(run, "aws:ec2/natGateway:NatGateway");
      assert.equal(ofType(run, "aws:ec2/eip:Eip").length, 1);
      assert.equal(plain(nat).subnetId, "north-public-0-id");
      const privateTables = ofType(run, "aws:ec2/routeTable:RouteTable").filter((t) => t.name.includes("private"));
      assert.equal(privateTables.length, 1);
      assert.deepEqual(plain(privateTables[0]!).routes, [{ cidrBlock: "0.0.0.0/0", natGatewayId: `${nat.name}-id` }]);
      const associations = ofType(run, "aws:ec2/routeTableAssociation:RouteTableAssociation").filter((a) => a.name.includes("private"));
      assert.deepEqual(
        associations.map((a) => plain(a).routeTableId),
        [`${privateTables[0]!.name}-id`, `${privateTables[0]!.name}-id`],
      );
    });

    it("routes the public subnets through the internet gateway", () => {
      const publicTable = ofType(run, "aws:ec2/routeTable:RouteTable").find((t) => t.name === "north-public-rt")!;
      assert.deepEqual(plain(publicTable).routes, [{ cidrBlock: "0.0.0.0/0", gatewayId: "north-igw-id" }]);
      const associations = ofType(run, "aws:ec2/routeTableAssociation:RouteTableAssociation").filter((a) => a.name.includes("public"));
      assert.deepEqual(
        associations.map((a) => [plain(a).subnetId, plain(a).routeTableId]),
        [0, 1].map((i) => [`north-public-${i}-id`, "north-public-rt-id"]),
      );
    });

    it("leaves the public API endpoint open when no CIDRs are given", () => {
      assert.deepEqual(plain(single(run, "aws:eks/cluster:Cluster")).vpcConfig.publicAccessCidrs, ["0.0.0.0/0"]);
    });

    it("uses the partition of the region in policy ARNs", () => {
      const arns = ofType(run, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").map((a) => plain(a).policyArn);
      assert.equal(arns.length, 4);
      for (const arn of arns) assert.match(arn, /^arn:aws-cn:iam::aws:policy\//);
    });
  });

  const aksArgs: AksClusterArgs = {
    clusterName: "west",
    location: "westeurope",
    resourceGroupName: "burstmesh-west",
    kubernetesVersion: "1.34",
    apiAllowedCidrs: ["198.51.100.0/24", "203.0.113.7/32"],
    nodePool: { vmSize: "Standard_D4s_v5", minCount: 2, desiredCount: 3, maxCount: 5, diskSizeGb: 100 },
    aksAuth: "local",
    aksAdminPrincipals: [],
    tags: { "burstmesh:cluster": "west", team: "mesh" },
  };

  describe("AksCluster (authorized ranges)", () => {
    let run: Deployment<AksCluster>;
    before(async () => {
      run = await deploy("aks", "us-east-1", () => new AksCluster("west", aksArgs));
    });

    it("registers its type token and parents every child to itself", () => {
      const component = single(run, "burstmesh:clusters:AksCluster");
      const children = run.resources.filter((r) => r !== component);
      assert.deepEqual(children.map((c) => c.type).sort(), [
        "azure-native:authorization:RoleAssignment",
        "azure-native:containerservice:ManagedCluster",
        "azure-native:managedidentity:UserAssignedIdentity",
        "azure-native:network:PublicIPAddress",
        "azure-native:resources:ResourceGroup",
        "pulumi:providers:kubernetes",
      ]);
      for (const child of children) assert.equal(child.parent, component.urn);
    });

    it("tags every Azure resource that takes tags, and only those", () => {
      const azure = run.resources.filter((r) => r.type.startsWith("azure-native:"));
      const tagged = azure.filter((r) => plain(r).tags !== undefined);
      assert.deepEqual(tagged.map((r) => r.type).sort(), [
        "azure-native:containerservice:ManagedCluster",
        "azure-native:managedidentity:UserAssignedIdentity",
        "azure-native:network:PublicIPAddress",
        "azure-native:resources:ResourceGroup",
      ]);
      for (const resource of tagged) assert.deepEqual(plain(resource).tags, aksArgs.tags, resource.type);
    });

    it("creates the resource group in the location", () => {
      assert.deepEqual(plain(single(run, "azure-native:resources:ResourceGroup")), {
        resourceGroupName: "burstmesh-west",
        location: "westeurope",
        tags: aksArgs.tags,
      });
    });

    it("creates a managed cluster with a user-assigned identity, RBAC, local accounts and a standard load balancer", () => {
      const inputs = plain(single(run, "azure-native:containerservice:ManagedCluster"));
      assert.equal(inputs.resourceName, "west");
      assert.equal(inputs.resourceGroupName, "burstmesh-west");
      assert.equal(inputs.location, "westeurope");
      assert.equal(inputs.dnsPrefix, "west");
      assert.equal(inputs.kubernetesVersion, "1.34");
      const identity = single(run, "azure-native:managedidentity:UserAssignedIdentity");
      assert.deepEqual(inputs.identity, { type: "UserAssigned", userAssignedIdentities: [`${identity.name}-id`] });
      assert.equal(inputs.enableRBAC, true);
      assert.notEqual(inputs.disableLocalAccounts, true);
      assert.equal(inputs.networkProfile.loadBalancerSku, "standard");
    });

    it("runs an autoscaled system pool sized from the args", () => {
      const pools = plain(single(run, "azure-native:containerservice:ManagedCluster")).agentPoolProfiles;
      assert.equal(pools.length, 1);
      assert.deepEqual(
        {
          mode: pools[0].mode,
          type: pools[0].type,
          enableAutoScaling: pools[0].enableAutoScaling,
          minCount: pools[0].minCount,
          maxCount: pools[0].maxCount,
          count: pools[0].count,
          vmSize: pools[0].vmSize,
          osDiskSizeGB: pools[0].osDiskSizeGB,
        },
        {
          mode: "System",
          type: "VirtualMachineScaleSets",
          enableAutoScaling: true,
          minCount: 2,
          maxCount: 5,
          count: 3,
          vmSize: "Standard_D4s_v5",
          osDiskSizeGB: 100,
        },
      );
      assert.match(pools[0].name, /^[a-z][a-z0-9]{0,11}$/);
    });

    it("restricts the API server to the given ranges and the cluster's own outbound IP, which its nodes come from", () => {
      const outbound = single(run, "azure-native:network:PublicIPAddress").state.ipAddress;
      assert.deepEqual(plain(single(run, "azure-native:containerservice:ManagedCluster")).apiServerAccessProfile, {
        authorizedIPRanges: ["198.51.100.0/24", "203.0.113.7/32", `${String(outbound)}/32`],
      });
    });

    it("sends its egress through a static Standard public IP, created first and published as its egress CIDR", async () => {
      const ip = single(run, "azure-native:network:PublicIPAddress");
      assert.deepEqual(plain(ip), {
        publicIpAddressName: "west-outbound",
        resourceGroupName: "burstmesh-west",
        location: "westeurope",
        sku: { name: "Standard", tier: "Regional" },
        publicIPAllocationMethod: "Static",
        publicIPAddressVersion: "IPv4",
        tags: aksArgs.tags,
      });
      const cluster = single(run, "azure-native:containerservice:ManagedCluster");
      const profile = plain(cluster).networkProfile.loadBalancerProfile;
      assert.deepEqual(profile.outboundIPs, { publicIPs: [{ id: `${ip.name}-id` }] });
      assert.equal(profile.managedOutboundIPs, undefined, "no AKS-managed outbound IP besides it");
      assert.deepEqual(await resolve(run.component.egressCidrs), [`${String(ip.state.ipAddress)}/32`]);
    });

    it("grants its identity Network Contributor on the resource group before the cluster, which uses the IP outside its node group", () => {
      const assignment = single(run, "azure-native:authorization:RoleAssignment");
      const identity = single(run, "azure-native:managedidentity:UserAssignedIdentity");
      assert.deepEqual(plain(assignment), {
        principalId: identity.state.principalId,
        principalType: "ServicePrincipal",
        roleDefinitionId:
          "/subscriptions/00000000-0000-4000-8000-000000000000/providers/Microsoft.Authorization/roleDefinitions/4d97b98b-1d4f-4787-a291-c67834d212e7",
        scope: `${single(run, "azure-native:resources:ResourceGroup").name}-id`,
      });
      assert.ok(single(run, "azure-native:containerservice:ManagedCluster").dependencies.includes(assignment.urn));
    });

    it("makes the kubeconfig the decoded user credential, as a secret", async () => {
      assert.equal(await pulumi.isSecret(run.component.kubeconfig), true);
      const credentials = await callMocks["azure-native:containerservice:listManagedClusterUserCredentials"]!({
        resourceGroupName: "burstmesh-west",
        resourceName: "west",
      });
      const expected = Buffer.from((credentials.kubeconfigs as { value: string }[])[0]!.value, "base64").toString();
      assert.equal(await resolve(run.component.kubeconfig), expected);
      const kubeconfig = parseYaml(expected) as Kubeconfig;
      const fqdn = String(single(run, "azure-native:containerservice:ManagedCluster").state.fqdn);
      assert.match(fqdn, /^west-[0-9a-f]{8}\.hcp\.westeurope\.azmk8s\.io$/);
      assert.equal(kubeconfig.clusters[0]!.cluster.server, `https://${fqdn}:443`);
      assert.ok(kubeconfig.users[0]!.user.token, "a static token, no kubelogin");
      assert.equal(kubeconfig.users[0]!.user.exec, undefined);
    });

    it("exposes the endpoint from the FQDN and the CA from the kubeconfig (not secret)", async () => {
      const fqdn = String(single(run, "azure-native:containerservice:ManagedCluster").state.fqdn);
      const member = run.component;
      assert.equal(member.cloud, "azure");
      assert.equal(await resolve(member.clusterName), "west");
      assert.equal(await resolve(member.region), "westeurope");
      assert.equal(await resolve(member.endpoint), `https://${fqdn}:443`);
      assert.equal(await resolve(member.certificateAuthorityData), fakeCaData(fqdn));
      assert.equal(await pulumi.isSecret(member.certificateAuthorityData), false);
    });

    it("gives a Kubernetes provider with the secret kubeconfig that depends on the cluster and its pool", () => {
      const provider = single(run, "pulumi:providers:kubernetes");
      assert.ok(isSecret(provider.inputs.kubeconfig));
      assert.ok(provider.dependencies.includes(single(run, "azure-native:containerservice:ManagedCluster").urn));
    });
  });

  describe("AksCluster (no authorized ranges)", () => {
    let run: Deployment<AksCluster>;
    before(async () => {
      run = await deploy(
        "aks-open",
        "us-east-1",
        () =>
          new AksCluster("south", {
            ...aksArgs,
            clusterName: "south",
            resourceGroupName: "rg-south",
            location: "swedencentral",
            apiAllowedCidrs: [],
          }),
      );
    });

    it("sends an empty list of authorized ranges, which clears any set before", () => {
      const inputs = plain(single(run, "azure-native:containerservice:ManagedCluster"));
      assert.deepEqual(inputs.apiServerAccessProfile, { authorizedIPRanges: [] });
      assert.equal(inputs.resourceName, "south");
    });

    it("reads the credential of this cluster", async () => {
      const kubeconfig = parseYaml(await resolve(run.component.kubeconfig)) as Kubeconfig;
      assert.match(kubeconfig.clusters[0]!.cluster.server, /^https:\/\/south-[0-9a-f]{8}\.hcp\.swedencentral\.azmk8s\.io:443$/);
    });
  });
});
