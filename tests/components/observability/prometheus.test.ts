import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import Ajv from "ajv";
import { observabilityCharts } from "../../../components/charts/pinned";
import {
  chartDefaultScrapeJobs,
  clusterPrometheusAddress,
  clusterPrometheusService,
  federatedSeries,
  federationJob,
  istioScrapeJob,
  prometheusValues,
} from "../../../components/observability/prometheus";
import { skipBecause } from "../../support/skip";
import { repoRoot } from "../../support/stackFiles";
import { members, ruleGroups, settings } from "../../support/observability";

// --- PromQL: parsed with the official grammar, checked against what Istio 1.30 emits ---------------

describe("components/observability/prometheus: Prometheus values", () => {
  describe("Prometheus values", () => {
    const base = { members, retention: "15d", resources: settings().resources, ruleGroups };
    const observer = prometheusValues({ ...base, clusterName: "eks", observer: "eks" });
    const member = prometheusValues({ ...base, clusterName: "aks", observer: "eks" });
    const scrapeConfigs = (values: Record<string, any>) => values.serverFiles["prometheus.yml"].scrape_configs as Record<string, any>[];

    it("scrape istiod, gateways and sidecars by their prometheus.io annotations, labelled with the cluster", () => {
      const job = scrapeConfigs(member).find((c) => c.job_name === istioScrapeJob)!;
      assert.equal(job.honor_labels, false, "our cluster label wins; istiod's own becomes exported_cluster");
      assert.deepEqual(job.relabel_configs[0], {
        source_labels: ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"],
        action: "keep",
        regex: "true",
      });
      assert.deepEqual(job.relabel_configs.at(-1), { action: "replace", target_label: "cluster", replacement: "aks" });
      assert.deepEqual((member as any).server.global.external_labels, { cluster: "aks" });
      assert.equal((member as any).server.retention, "15d");
    });

    it("federate every other member through its per-cluster Service in the observer only", () => {
      const federate = scrapeConfigs(observer).find((c) => c.job_name === federationJob)!;
      assert.equal(federate.metrics_path, "/federate");
      assert.equal(federate.honor_labels, true);
      assert.deepEqual(federate.static_configs, [{ targets: [clusterPrometheusAddress("aks")] }]);
      assert.equal(clusterPrometheusAddress("aks"), "prometheus-aks.observability.svc.cluster.local:9090");
      assert.deepEqual(federate.params["match[]"], federatedSeries);
      assert.equal(
        scrapeConfigs(member).find((c) => c.job_name === federationJob),
        undefined,
      );
      assert.deepEqual((observer as any).serverFiles["alerting_rules.yml"], { groups: ruleGroups });
      assert.equal((member as any).serverFiles["alerting_rules.yml"], undefined);
    });

    it("turn off every scrape job and sub-chart of the chart's own", () => {
      for (const job of chartDefaultScrapeJobs) assert.deepEqual((observer as any).scrapeConfigs[job], { enabled: false });
      for (const sub of ["alertmanager", "kube-state-metrics", "prometheus-node-exporter", "prometheus-pushgateway"]) {
        assert.deepEqual((observer as any)[sub], { enabled: false });
      }
    });

    it("meet the restricted Pod Security level the namespace enforces", () => {
      const server = (member as any).server;
      assert.equal(server.securityContext.runAsNonRoot, true);
      assert.deepEqual(server.securityContext.seccompProfile, { type: "RuntimeDefault" });
      for (const container of [server.containerSecurityContext, (member as any).configmapReload.prometheus.containerSecurityContext]) {
        assert.equal(container.allowPrivilegeEscalation, false);
        assert.deepEqual(container.capabilities, { drop: ["ALL"] });
      }
    });

    it("intercept only the Prometheus port outbound, so that federation alone goes through the mesh", () => {
      assert.deepEqual((member as any).server.podAnnotations, {
        "traffic.sidecar.istio.io/includeOutboundIPRanges": "",
        "traffic.sidecar.istio.io/includeOutboundPorts": "9090",
      });
    });

    it("give each member's Prometheus a Service that selects its own pods only", () => {
      const service = clusterPrometheusService("aks") as any;
      assert.equal(service.metadata.name, "prometheus-aks");
      assert.equal(service.spec.selector["burstmesh.io/cluster"], "aks");
      assert.equal((member as any).server.podLabels["burstmesh.io/cluster"], "aks");
      assert.match(service.spec.ports[0].name, /^http-/);
    });
  });

  describe("values against the charts' own values schemas (scripts/fetch-chart-schemas.ts)", () => {
    const schemaOf = (chart: { chart: string; version: string }) =>
      path.join(repoRoot, ".chart-schemas", `${chart.chart}-${chart.version}.values.schema.json`);

    it("prometheus values pass the prometheus chart's values.schema.json", function () {
      const file = schemaOf(observabilityCharts.prometheus);
      if (!fs.existsSync(file)) skipBecause(this, `no ${path.relative(repoRoot, file)} (npm run fetch-chart-schemas downloads it)`);
      const validate = new Ajv({ strict: false, allErrors: true }).compile(JSON.parse(fs.readFileSync(file, "utf8")));
      for (const clusterName of members) {
        const values = prometheusValues({
          clusterName,
          observer: "eks",
          members,
          retention: "15d",
          resources: settings().resources,
          ruleGroups,
        });
        assert.ok(validate(values), JSON.stringify(validate.errors, null, 2));
      }
    });
  });
});
