import { strict as assert } from "node:assert";
import { parse as parseYaml } from "yaml";
import { loadConfig } from "../../config";
import { MeshRuns, peerReadOutputs, simulateMesh } from "../support/bootstrap";
import { isSecret, ofType, RecordedResource, reveal, runStack, StackRun } from "../support/harness";
import { helmRelease } from "../support/k8s";
import { fakeCaData } from "../support/mocks/clouds";
import { stackFileConfig, withConfig } from "../support/stackFiles";
import { token, kindKubeconfig, members, onpremConfig } from "../support/existing";

const kubernetesObjects = (run: StackRun) => run.resources.filter((r) => r.type.startsWith("kubernetes:") && !r.read);
const remoteSecretNamed = (r: RecordedResource) => /^peer-/.test(r.name);
describe("existing member clusters under mocks", function () {
  this.timeout(120_000);

  describe("a three-member mesh under mocks: eks, aks and an existing cluster", () => {
    let mesh: MeshRuns<"eks" | "aks" | "onprem">;
    let loadBalanced: StackRun;

    before(async () => {
      const meshWide = { "burstmesh:members": members };
      mesh = await simulateMesh(withConfig("trust", meshWide), {
        eks: withConfig("eks", { ...meshWide, "burstmesh:peers": ["aks", "onprem"] }),
        aks: withConfig("aks", { ...meshWide, "burstmesh:peers": ["eks", "onprem"] }),
        onprem: onpremConfig(),
      });
      loadBalanced = await runStack({
        stack: "onprem",
        config: onpremConfig({ "burstmesh:gatewayService": undefined, "burstmesh:gatewayAddress": undefined }),
        published: {
          "organization/burstmesh/trust": { outputs: { cacerts: mesh.trust.outputs.cacerts!.value }, secretOutputNames: ["cacerts"] },
        },
      });
    });

    it("the existing member creates no cloud resource: only a Kubernetes provider and what goes through it", () => {
      const kinds = new Set(mesh.second.onprem.resources.map((r) => r.type.split(":")[0]));
      assert.deepEqual([...kinds].sort(), ["burstmesh", "kubernetes", "pulumi"]);
      const providers = ofType(mesh.second.onprem, "pulumi:providers:kubernetes");
      assert.equal(providers.length, 1);
      assert.ok(isSecret(providers[0]!.inputs.kubeconfig), "the provider's kubeconfig is a secret");
      assert.equal(reveal(providers[0]!.inputs.kubeconfig), kindKubeconfig());
      assert.ok(!JSON.stringify(mesh.second.onprem.logs).includes(token));
      const pulumiTypes = new Set(ofType(mesh.second.onprem, "pulumi:pulumi:StackReference").map((r) => r.type));
      assert.deepEqual([...pulumiTypes], ["pulumi:pulumi:StackReference"]);
    });

    it("installs the same Istio objects as an EKS or AKS member", () => {
      // The observer (eks, the first member) runs the consoles; every other member gives its Kiali read access.
      // Karpenter's objects are EKS's node autoscaling, not part of what the mesh installs.
      const observerRole = /burstmesh:observability:(Observer|KialiRemoteAccess)/;
      const shape = (run: StackRun) =>
        kubernetesObjects(run)
          .filter((r) => !remoteSecretNamed(r) && !observerRole.test(r.urn) && !/karpenter/.test(r.name))
          .map((r) => `${r.type} ${r.name}`)
          .sort();
      assert.deepEqual(shape(mesh.second.onprem), shape(mesh.second.eks));
      assert.deepEqual(shape(mesh.second.onprem), shape(mesh.second.aks));
      const istiod = reveal<{ values: { global: Record<string, unknown> } }>(
        helmRelease(mesh.second.onprem, "istiod-1-30-8").inputs,
      ).values;
      assert.deepEqual(istiod.global.multiCluster, { clusterName: "onprem" });
      assert.equal(istiod.global.network, "network-onprem");
    });

    it("sends every Kubernetes object through the existing cluster's provider", () => {
      const provider = ofType(mesh.second.onprem, "pulumi:providers:kubernetes")[0]!;
      for (const object of kubernetesObjects(mesh.second.onprem)) {
        assert.equal(object.provider.split("::").slice(0, -1).join("::"), provider.urn, `${object.type} ${object.name}`);
      }
    });

    it("publishes meshPeer with the overridden API server URL and the NodePort gateway address, as a secret", () => {
      const meshPeer = mesh.first.onprem.outputs.meshPeer!;
      assert.equal(meshPeer.secret, true);
      const value = meshPeer.value as Record<string, string>;
      assert.equal(value.apiServerUrl, "https://203.0.113.10:6443");
      assert.equal(value.gatewayAddress, "203.0.113.20");
      assert.deepEqual(meshPeer.value && (meshPeer.value as { egressCidrs: string[] }).egressCidrs, ["203.0.113.16/28"]);
      assert.equal(value.certificateAuthorityData, fakeCaData("onprem"));
      assert.equal(mesh.first.onprem.outputs.cloud!.value, "existing");
      assert.equal(mesh.first.onprem.outputs.region!.value, "on-prem-fra");
      assert.equal(mesh.first.onprem.outputs.kubeconfig!.secret, true);
    });

    it("publishes the load balancer's address in LoadBalancer mode", () => {
      const gateway = reveal<{ values: { service: { type: string } } }>(helmRelease(loadBalanced, "istio-eastwestgateway").inputs);
      assert.equal(gateway.values.service.type, "LoadBalancer");
      assert.match((loadBalanced.outputs.meshPeer!.value as Record<string, string>).gatewayAddress!, /^172\.18\.\d+\.\d+$/);
    });

    it("every member holds a remote secret for each of the two others, pointing at the URL they published", () => {
      for (const [stack, peers] of [
        ["eks", ["aks", "onprem"]],
        ["aks", ["eks", "onprem"]],
        ["onprem", ["aks", "eks"]],
      ] as const) {
        const secrets = kubernetesObjects(mesh.second[stack]).filter((r) => r.type === "kubernetes:core/v1:Secret" && remoteSecretNamed(r));
        const data = secrets.map((r) => reveal<{ stringData: Record<string, string> }>(r.inputs).stringData);
        assert.deepEqual(data.map((d) => Object.keys(d)[0]).sort(), [...peers].sort(), `${stack}'s remote secrets`);
        for (const entry of data) {
          const [peer, kubeconfig] = Object.entries(entry)[0]!;
          const server = (parseYaml(kubeconfig) as { clusters: { cluster: { server: string } }[] }).clusters[0]!.cluster.server;
          assert.equal(server, (mesh.first[peer as "eks"].outputs.meshPeer!.value as { apiServerUrl: string }).apiServerUrl);
        }
      }
    });

    it("converges: the second pass changes no member's outputs", () => {
      for (const stack of ["eks", "aks", "onprem"] as const) {
        assert.deepEqual(peerReadOutputs(mesh.second[stack]), peerReadOutputs(mesh.first[stack]), `${stack} outputs are stable`);
      }
    });

    it("the trust stack issues an intermediate for the existing member too", () => {
      assert.deepEqual(Object.keys(mesh.trust.outputs.cacerts!.value as object).sort(), ["aks", "eks", "onprem"]);
    });

    it("refuses a bad existing-member config before registering anything", async () => {
      const failure = await runStack({ stack: "onprem", config: onpremConfig({ "burstmesh:gatewayAddress": "gw.example.com" }) }).then(
        () => assert.fail("the run should fail"),
        (error: Error & { resources: RecordedResource[] }) => error,
      );
      assert.match(failure.message, /burstmesh:gatewayAddress: must be an IP address/);
      assert.deepEqual(failure.resources, []);
    });
  });

  it("the committed stack files are unaffected: eks is still an AWS member", () => {
    const eks = loadConfig(stackFileConfig("eks"), undefined, []);
    assert.ok(eks.role === "cluster" && eks.cluster.cloud === "aws");
  });
});
