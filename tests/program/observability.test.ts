import { strict as assert } from "node:assert";
import { parse as parseYaml } from "yaml";
import { alertNames, RuleGroup } from "../../components/observability/alerts";
import { observabilityCharts } from "../../components/charts/pinned";
import { observabilityNamespace } from "../../model/namespaces";
import { Dashboard, overflowPanels } from "../../components/observability/dashboards";
import { federationJob } from "../../components/observability/prometheus";
import { kialiRemoteAccessValues } from "../../components/observability/kiali";
import { published, sharedBootstrap } from "../support/bootstrap";
import { isSecret, RecordedResource, reveal, runStack, stackRef, StackRun } from "../support/harness";
import { helmRelease, k8sObject } from "../support/k8s";
import { withConfig } from "../support/stackFiles";

const members = ["eks", "aks"] as const;

// --- PromQL: parsed with the official grammar, checked against what Istio 1.30 emits ---------------

describe("observability under mocks: the stacks", () => {
  describe("under mocks: the stacks", function () {
    this.timeout(60_000);
    let eks: StackRun;
    let aks: StackRun;
    before(async () => {
      ({ eks, aks } = (await sharedBootstrap()).first);
    });

    const providerOf = (run: StackRun, resource: RecordedResource) => run.resources.find((r) => resource.provider.startsWith(r.urn))!;

    it("install Prometheus in every member, after istiod, through the member's own provider", () => {
      for (const [run, cloud] of [
        [eks, "eks"],
        [aks, "aks"],
      ] as const) {
        const prometheus = helmRelease(run, "prometheus");
        const inputs = reveal<{ chart: string; version: string; namespace: string }>(prometheus.inputs);
        assert.equal(inputs.chart, "prometheus");
        assert.equal(inputs.version, observabilityCharts.prometheus.version);
        assert.equal(inputs.namespace, observabilityNamespace);
        assert.match(providerOf(run, prometheus).name, new RegExp(cloud));
        const namespace = k8sObject(run, "kubernetes:core/v1:Namespace", observabilityNamespace);
        assert.ok(
          namespace.dependencies.includes(helmRelease(run, "istiod-1-30-8").urn),
          "the namespace waits for istiod (sidecar injection)",
        );
        assert.ok(prometheus.dependencies.includes(namespace.urn));
        for (const m of members) k8sObject(run, "kubernetes:core/v1:Service", `prometheus-${m}`, observabilityNamespace);
      }
    });

    it("put Grafana in the observer (the first member) only, beside its Prometheus", () => {
      const grafana = helmRelease(eks, "grafana");
      assert.equal(reveal<{ version: string }>(grafana.inputs).version, observabilityCharts.grafana.version);
      assert.ok(!grafana.dependencies.includes(helmRelease(eks, "prometheus").urn), "Grafana does not wait for the Prometheus it reads");
      assert.throws(() => helmRelease(aks, "grafana"), /found 0/);
    });

    it("federate every peer from the observer's Prometheus", () => {
      const values = reveal<Record<string, any>>(helmRelease(eks, "prometheus").inputs).values;
      const federate = values.serverFiles["prometheus.yml"].scrape_configs.find((c: any) => c.job_name === federationJob);
      assert.deepEqual(federate.static_configs[0].targets, ["prometheus-aks.observability.svc.cluster.local:9090"]);
      assert.ok(values.serverFiles["alerting_rules.yml"].groups.length >= 2);
    });

    it("give every other member Kiali's read-only account and publish its token as a secret output", () => {
      const access = helmRelease(aks, "kiali-remote-access");
      assert.deepEqual(reveal<{ values: unknown }>(access.inputs).values, kialiRemoteAccessValues());
      const token = k8sObject(aks, "kubernetes:core/v1:Secret", "kiali-remote-access", "observability");
      assert.ok(token.dependencies.includes(access.urn), "the token Secret waits for the service account");
      assert.equal(aks.outputs.kialiToken!.secret, true);
      assert.match(String(aks.outputs.kialiToken!.value), /^[\w-]+\.[\w-]+\.[\w-]+$/);
      assert.notEqual(aks.outputs.kialiToken!.value, (aks.outputs.meshPeer!.value as { readerToken: string }).readerToken);
      assert.equal(eks.outputs.kialiToken, undefined, "the observer publishes none");
      assert.throws(() => helmRelease(eks, "kiali-remote-access"), /found 0/);
    });

    it("build the observer's Kiali from the peers' published tokens, keeping the credentials secret", async () => {
      const second = (await sharedBootstrap()).second.eks;
      const secret = k8sObject(second, "kubernetes:core/v1:Secret", "kiali-remote-cluster-secret-aks", "observability");
      assert.ok(isSecret(secret.inputs.stringData), "the remote kubeconfig is a Pulumi secret");
      const kubeconfig = parseYaml(reveal<Record<string, string>>(secret.inputs.stringData).aks!) as any;
      assert.equal(kubeconfig.users[0].user.token, (await sharedBootstrap()).first.aks.outputs.kialiToken!.value);
      const kiali = helmRelease(second, "kiali");
      assert.ok(kiali.dependencies.includes(secret.urn), "Kiali mounts the Secret: it must exist first");
      const values = reveal<{ values: any }>(kiali.inputs).values;
      assert.deepEqual(values.clustering.clusters, [{ name: "aks", secret_name: "kiali-remote-cluster-secret-aks" }]);
      assert.deepEqual(reveal<{ values: any }>(helmRelease(eks, "kiali").inputs).values.clustering.clusters, [], "first pass: no peer yet");
    });

    it("reckon the CA alert and the dashboard with the mesh's burstmesh:intermediateCertValidityHours", async () => {
      const run = await runStack({
        stack: "eks",
        config: withConfig("eks", { "burstmesh:intermediateCertValidityHours": 720 }),
        published: { [stackRef("trust")]: published((await sharedBootstrap()).trust) },
      });
      const values = reveal<Record<string, any>>(helmRelease(run, "prometheus").inputs).values;
      const rules = values.serverFiles["alerting_rules.yml"].groups.flatMap((group: RuleGroup) => group.rules);
      // 720 hours: due with 240 left, overdue with 180 left.
      assert.match(rules.find((rule: { alert: string }) => rule.alert === alertNames.intermediateCaRenewalOverdue).expr, / < 648000$/);
      const grafana = reveal<Record<string, any>>(helmRelease(run, "grafana").inputs).values;
      const overflow = JSON.parse(grafana.dashboards.burstmesh["overflow-podinfo"].json) as Dashboard;
      const stat = overflow.panels.find((panel) => panel.title === overflowPanels.intermediateCa)!;
      assert.deepEqual(
        (stat.fieldConfig.defaults.thresholds as { steps: { value: number | null }[] }).steps.map((step) => step.value),
        [null, 180 * 3600, 240 * 3600],
      );
    });

    it("install nothing of it when burstmesh:observability.enabled is false", async () => {
      const run = await runStack({
        stack: "aks",
        config: withConfig("aks", { "burstmesh:observability": { enabled: false } }),
        published: { [stackRef("trust")]: published((await sharedBootstrap()).trust) },
      });
      assert.throws(() => helmRelease(run, "prometheus"), /found 0/);
    });
  });
});
