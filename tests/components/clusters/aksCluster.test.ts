import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";
import {
  AksCluster,
  AksClusterArgs,
  aksEndpoint,
  decodeCredential,
  apiServerAccessProfile,
  refuseNodePoolChange,
} from "../../../components/clusters/aksCluster";
import { isSecret, resolve, reveal, single, StackRun } from "../../support/harness";
import { callMocks, fakeCaData } from "../../support/mocks/clouds";
import { Deployment, deploy, plain, Kubeconfig } from "../../support/clusters";
import { sharedBootstrap } from "../../support/bootstrap";

describe("components/clusters/aksCluster: AksCluster", function () {
  this.timeout(20_000);

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

  it("decodes the first AKS credential and builds the endpoint from the FQDN", () => {
    assert.equal(
      decodeCredential({ kubeconfigs: [{ name: "clusterUser", value: Buffer.from("apiVersion: v1\n").toString("base64") }] }),
      "apiVersion: v1\n",
    );
    assert.throws(() => decodeCredential({ kubeconfigs: [] }), /no user credentials/);
    assert.equal(aksEndpoint("west-1a2b3c4d.hcp.westeurope.azmk8s.io"), "https://west-1a2b3c4d.hcp.westeurope.azmk8s.io:443");
  });

  it("refuses to change a deployed pool's VM size or OS disk, naming each key and the deployed value", () => {
    const deployed = { vmSize: "Standard_D4s_v5", diskSizeGb: 64 };
    refuseNodePoolChange(undefined, { vmSize: "Standard_D8s_v5", diskSizeGb: 128 });
    refuseNodePoolChange(deployed, { ...deployed });
    assert.throws(
      () => refuseNodePoolChange(deployed, { ...deployed, vmSize: "Standard_D8s_v5" }),
      (error: Error) =>
        /AKS cannot change a pool's VM size or OS disk in place; nothing has been changed/.test(error.message) &&
        /burstmesh:nodePool\.vmSize: .*Set it back to Standard_D4s_v5/.test(error.message) &&
        !error.message.includes("diskSizeGb"),
    );
    assert.throws(
      () => refuseNodePoolChange(deployed, { ...deployed, diskSizeGb: 100 }),
      /burstmesh:nodePool\.diskSizeGb: the deployed pool's OS disks have 64 GB; this run asks for 100\. Set it back to 64/,
    );
  });

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

  describe("in the AKS stack under mocks", function () {
    this.timeout(60_000);
    let aks: StackRun;
    before(async () => {
      aks = (await sharedBootstrap()).first.aks;
    });

    const managedCluster = () => reveal<Record<string, any>>(single(aks, "azure-native:containerservice:ManagedCluster").inputs);

    it("sends the autoscaler's scan interval and scale-down delay from config", () => {
      assert.deepEqual(managedCluster().autoScalerProfile, { scanInterval: "10s", scaleDownDelayAfterAdd: "10m" });
    });

    it("sends an explicit empty authorizedIPRanges when apiAllowedCidrs is empty, so that earlier ranges are cleared", () => {
      assert.deepEqual(apiServerAccessProfile([]), { authorizedIPRanges: [] });
      assert.deepEqual(managedCluster().apiServerAccessProfile, { authorizedIPRanges: [] });
    });
  });
});
