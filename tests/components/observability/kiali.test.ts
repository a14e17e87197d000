import { strict as assert } from "node:assert";
import { parse as parseYaml } from "yaml";
import {
  kialiRemoteAccessValues,
  kialiRemoteAccount,
  kialiRemoteKubeconfig,
  kialiRemoteSecretMetadata,
  kialiValues,
} from "../../../components/observability/kiali";

// --- PromQL: parsed with the official grammar, checked against what Istio 1.30 emits ---------------

describe("components/observability/kiali: Kiali", () => {
  describe("Kiali", () => {
    it("reads every other member with the chart's remote-cluster resources only: a view-only service account", () => {
      assert.deepEqual(kialiRemoteAccessValues(), {
        deployment: { instance_name: "kiali-remote-access", remote_cluster_resources_only: true, view_only_mode: true },
        auth: { strategy: "anonymous" },
      });
      assert.deepEqual(kialiRemoteAccount, {
        namespace: "observability",
        serviceAccount: "kiali-remote-access",
        secretName: "kiali-remote-access",
        createdBy: "the kiali-server chart with deployment.remote_cluster_resources_only",
      });
    });

    it("gets one labelled remote Secret per member, keyed by the member, holding a token-only kubeconfig", () => {
      assert.deepEqual(kialiRemoteSecretMetadata("aks"), {
        name: "kiali-remote-cluster-secret-aks",
        namespace: "observability",
        labels: { "kiali.io/multiCluster": "true" },
        annotations: { "kiali.io/cluster": "aks" },
      });
      const ca = Buffer.from("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").toString("base64");
      const data = kialiRemoteKubeconfig("aks", { apiServerUrl: "https://aks.example:443", certificateAuthorityData: ca }, "a.b.c");
      assert.deepEqual(Object.keys(data), ["aks"]);
      const kubeconfig = parseYaml(data.aks!) as any;
      assert.deepEqual(kubeconfig.users, [{ name: "aks", user: { token: "a.b.c" } }]);
      assert.equal(kubeconfig.clusters[0].cluster.server, "https://aks.example:443");
      assert.throws(() => kialiRemoteKubeconfig("aks", { apiServerUrl: "https://x", certificateAuthorityData: ca }, ""), /empty token/);
    });

    it("in the observer: anonymous and view-only behind port-forward, the federated Prometheus, the listed remote clusters", () => {
      const values = kialiValues({ observer: "eks", remoteClusters: ["aks"], cloud: "aws", internalLoadBalancer: false }) as any;
      assert.equal(values.auth.strategy, "anonymous");
      assert.equal(values.deployment.view_only_mode, true);
      assert.equal(values.deployment.service_type, "ClusterIP");
      assert.equal(values.external_services.prometheus.url, "http://prometheus-eks.observability.svc.cluster.local:9090");
      assert.deepEqual(values.clustering, {
        autodetect_secrets: { enabled: false },
        clusters: [{ name: "aks", secret_name: "kiali-remote-cluster-secret-aks" }],
      });
    });
  });
});
