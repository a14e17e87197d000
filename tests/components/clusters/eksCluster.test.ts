import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";
import { apiServerAccessProfile } from "../../../components/clusters/aksCluster";
import {
  carveSubnets,
  clusterRolePolicies,
  EksCluster,
  EksClusterArgs,
  eksKubeconfig,
  nodeRolePolicies,
  pickZones,
  publicAccessCidrs,
} from "../../../components/clusters/eksCluster";
import { isSecret, ofType, RecordedResource, resolve, reveal, single } from "../../support/harness";
import { Deployment, deploy, plain, Kubeconfig } from "../../support/clusters";
describe("components/clusters/eksCluster: EksCluster", function () {
  this.timeout(20_000);

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
});
