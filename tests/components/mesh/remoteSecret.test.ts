/**
 * The mesh components (IstioPrimary, EastWestGateway, ReaderToken, RemoteSecret): their pure builders
 * directly, then the components themselves under Pulumi mocks, one EKS and one AKS cluster, wired to
 * each other the way the cluster stacks wire peers.
 */
import { strict as assert } from "node:assert";
import { parse as parseYaml } from "yaml";
import { remoteSecretKubeconfig, remoteSecretStringData } from "../../../components/mesh/remoteSecret";
import type { MeshPeer } from "../../../components/stackOutputs";
import { isSecret, reveal } from "../../support/harness";
import { pem, caData, eks, aks, peerFixture, Run, k8sObject, release, meshComponentRuns } from "../../support/meshComponents";
describe("components/mesh/remoteSecret: RemoteSecret", () => {
  let eksRun: Run;
  let aksRun: Run;

  before(async () => {
    ({ eksRun, aksRun } = await meshComponentRuns());
  });

  describe("remote-secret kubeconfig", () => {
    it("one cluster, context and user named after the peer; server, CA as given, token user", () => {
      const peer = peerFixture();
      const config = parseYaml(remoteSecretKubeconfig(peer)) as Record<string, unknown>;
      assert.deepEqual(config, {
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "aks", cluster: { server: aks.server, "certificate-authority-data": peer.certificateAuthorityData } }],
        contexts: [{ name: "aks", context: { cluster: "aks", user: "aks" } }],
        "current-context": "aks",
        preferences: {},
        users: [{ name: "aks", user: { token: peer.readerToken } }],
      });
    });

    it("the Secret data: one key, the peer's cluster name", () => {
      const data = remoteSecretStringData("aks", peerFixture());
      assert.deepEqual(Object.keys(data), ["aks"]);
    });

    it("refuses a key other than the peer's cluster name", () => {
      assert.throws(() => remoteSecretKubeconfig(peerFixture(), "eks"), /must equal the peer's clusterName 'aks'/);
      assert.throws(() => remoteSecretStringData("eks", peerFixture()), /must equal the peer's clusterName/);
    });

    it("refuses what would not give a token-only kubeconfig with inline CA", () => {
      const cases: [Partial<MeshPeer>, RegExp][] = [
        [{ readerToken: "/var/run/secrets/kubernetes.io/serviceaccount/token" }, /readerToken must be a service-account token/],
        [{ readerToken: "" }, /readerToken must be a service-account token/],
        [{ readerToken: "exec: aws eks get-token" }, /readerToken must be a service-account token/],
        [{ apiServerUrl: "http://aks.example:443" }, /https:\/\/ URL/],
        [{ apiServerUrl: "/etc/kubernetes/admin.conf" }, /https:\/\/ URL/],
        [{ apiServerUrl: "https://user:pw@aks.example" }, /without credentials/],
        [{ certificateAuthorityData: pem("CERTIFICATE", "raw") }, /raw PEM/],
        [{ certificateAuthorityData: Buffer.from(caData("twice")).toString("base64") }, /does not decode to a PEM certificate/],
        [{ certificateAuthorityData: "/etc/ssl/ca.crt" }, /not base64/],
        [{ clusterName: "AKS_1" }, /DNS-1123/],
      ];
      for (const [override, error] of cases) {
        assert.throws(
          () => remoteSecretKubeconfig(peerFixture(override), peerFixture(override).clusterName),
          error,
          JSON.stringify(override),
        );
      }
    });
  });

  describe("RemoteSecret", () => {
    it("creates istio-remote-secret-<peer> with the multicluster label and cluster annotation, exactly", () => {
      for (const [result, peer] of [
        [eksRun, "aks"],
        [aksRun, "eks"],
      ] as const) {
        const secret = k8sObject(result, "kubernetes:core/v1:Secret", `istio-remote-secret-${peer}`);
        assert.deepEqual(reveal(secret.inputs.metadata), {
          name: `istio-remote-secret-${peer}`,
          namespace: "istio-system",
          labels: { "istio/multiCluster": "true" },
          annotations: { "networking.istio.io/cluster": peer },
        });
        assert.ok(secret.dependencies.includes(release(result, "istiod-1-30-3").urn));
      }
    });

    it("holds one key, the peer's name, with a token-only kubeconfig of the peer; the whole data is secret", () => {
      const secret = k8sObject(aksRun, "kubernetes:core/v1:Secret", "istio-remote-secret-eks");
      assert.ok(isSecret(secret.inputs.stringData), "stringData is a Pulumi secret");
      assert.equal(secret.inputs.data, undefined, "no data besides stringData");
      const data = reveal<Record<string, string>>(secret.inputs.stringData);
      assert.deepEqual(Object.keys(data), ["eks"]);
      const config = parseYaml(data.eks!) as {
        clusters: { name: string; cluster: Record<string, string> }[];
        contexts: { name: string; context: { cluster: string; user: string } }[];
        users: { name: string; user: Record<string, string> }[];
      };
      assert.deepEqual(config.clusters, [{ name: "eks", cluster: { server: eks.server, "certificate-authority-data": caData("eks") } }]);
      assert.deepEqual(config.contexts, [{ name: "eks", context: { cluster: "eks", user: "eks" } }]);
      // The EKS cluster's own reader token, as its ReaderToken read it back.
      assert.deepEqual(config.users, [{ name: "eks", user: { token: eksRun.outputs.token!.value } }]);
      for (const forbidden of [/\bexec:/, /auth-provider:/, /tokenFile:/, /client-certificate:/, /client-key:/, /certificate-authority:/]) {
        assert.doesNotMatch(data.eks!, forbidden);
      }
    });
  });
});
