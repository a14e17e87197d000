import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { parser } from "@prometheus-io/lezer-promql";
import Ajv from "ajv";
import { parse as parseYaml } from "yaml";
import { ConfigError, loadConfig, parseObservabilityConfig, parseServiceConfig, ServiceSettings } from "../config";
import { alertNames, alertRuleGroups, intermediateCaThresholds, RuleGroup } from "../components/observability/alerts";
import { observabilityCharts } from "../components/charts/pinned";
import { observabilityNamespace } from "../model/namespaces";
import {
  Dashboard,
  dashboardSchemaVersion,
  istioDashboards,
  livePanel,
  overflowDashboard,
  overflowPanels,
  prometheusDatasource,
} from "../components/observability/dashboards";
import { consoleService, grafanaValues } from "../components/observability/grafana";
import {
  chartDefaultScrapeJobs,
  clusterPrometheusAddress,
  clusterPrometheusService,
  federatedSeries,
  federationJob,
  istioScrapeJob,
  prometheusValues,
} from "../components/observability/prometheus";
import { observedService, ObservedService } from "../components/observability/promql";
import { drillJobManifest } from "../components/traffic/drillJob";
import {
  kialiRemoteAccessValues,
  kialiRemoteAccount,
  kialiRemoteKubeconfig,
  kialiRemoteSecretMetadata,
  kialiValues,
} from "../components/observability/kiali";
import { published, sharedBootstrap } from "./support/bootstrap";
import { skipBecause } from "./support/skip";
import { isSecret, RecordedResource, reveal, runStack, stackRef, StackRun } from "./support/harness";
import { helmRelease, k8sObject } from "./support/k8s";
import { validatePrometheusOperator } from "./support/schemas";
import { repoRoot, withConfig } from "./support/stackFiles";

const members = ["eks", "aks"] as const;

const prometheusRule = (metadata: Record<string, string>, groups: unknown[]) => ({
  apiVersion: "monitoring.coreos.com/v1",
  kind: "PrometheusRule",
  metadata,
  spec: { groups },
});

function services(): ServiceSettings[] {
  const result = parseServiceConfig(
    [
      { name: "podinfo", homeCluster: "eks", capacity: { maxConcurrentRequests: 16, maxPendingRequests: 8 } },
      { name: "checkout", namespace: "shop", homeCluster: "aks", mode: "failover" },
    ],
    undefined,
    { members: [...members] },
  );
  if (!result.ok) assert.fail(result.issues.join("\n"));
  return result.services;
}

const observed: ObservedService[] = services().map(observedService);
/** `burstmesh:intermediateCertValidityHours` as Pulumi.yaml sets it: two years. */
const intermediateCertValidityHours = 17520;
const ruleGroups = alertRuleGroups({
  services: observed.filter((s) => s.mode === "overflow"),
  sustainedOverflowFor: "15m",
  intermediateCertValidityHours,
});
const dashboards = observed.map((service) => overflowDashboard(service, members, intermediateCertValidityHours));

function settings(overrides: Record<string, unknown> = {}) {
  const result = parseObservabilityConfig({ ...overrides }, { members });
  if (!result.ok) assert.fail(result.issues.join("\n"));
  return result.observability;
}

function issuesOf(raw: unknown): string[] {
  const result = parseObservabilityConfig(raw, { members });
  if (result.ok) assert.fail("expected config issues, got none");
  return result.issues;
}

// --- PromQL: parsed with the official grammar, checked against what Istio 1.30 emits ---------------

/**
 * The labels of Istio's standard metrics (istio.io, "Istio Standard Metrics"), of `istio_build`
 * (`component`, `tag`), of istiod's `istiod_remote_cluster_sync_status` (Istio 1.30
 * pkg/kube/multicluster/secretcontroller.go: `cluster`, `cluster_type`, `status`) and of istiod's
 * `citadel_server_cert_chain_expiry_timestamp` (security/pkg/server/ca/monitoring.go: a gauge without labels).
 */
const istioStandardLabels = [
  "reporter",
  "source_workload",
  "source_workload_namespace",
  "source_principal",
  "source_app",
  "source_version",
  "source_cluster",
  "source_canonical_service",
  "source_canonical_revision",
  "destination_workload",
  "destination_workload_namespace",
  "destination_principal",
  "destination_app",
  "destination_version",
  "destination_service",
  "destination_service_name",
  "destination_service_namespace",
  "destination_cluster",
  "destination_canonical_service",
  "destination_canonical_revision",
  "request_protocol",
  "response_code",
  "grpc_response_status",
  "response_flags",
  "connection_security_policy",
];
/** Labels this project's scrape job adds to every series (prometheus.ts), and `exported_cluster` for istiod's own `cluster`. */
const scrapeLabels = ["cluster", "namespace", "pod", "app", "istio", "job", "instance", "exported_cluster"];
const emitted: Record<string, string[]> = {
  istio_requests_total: istioStandardLabels,
  istio_request_duration_milliseconds_bucket: [...istioStandardLabels, "le"],
  istio_build: ["component", "tag"],
  istiod_remote_cluster_sync_status: ["cluster_type", "status"],
  citadel_server_cert_chain_expiry_timestamp: [],
  // Prometheus's own series: the scrape health of a target, and the alerts it evaluates.
  up: [],
  ALERTS: ["alertname", "alertstate", "severity", "service", "destination_service", "home_cluster"],
};

/** Grafana's macros are not PromQL; they are replaced by what Grafana would put there before parsing. */
function withoutGrafanaMacros(expr: string): string {
  return expr.replace(/\$__rate_interval/g, "1m");
}

interface ParsedQuery {
  errors: string[];
  metrics: { name: string; labels: string[] }[];
  grouping: string[];
}

function parsePromQL(expr: string): ParsedQuery {
  const text = withoutGrafanaMacros(expr);
  const tree = parser.parse(text);
  const parsed: ParsedQuery = { errors: [], metrics: [], grouping: [] };
  const cursor = tree.cursor();
  do {
    const node = cursor.node;
    if (node.type.isError) parsed.errors.push(`syntax error at ${node.from}: '${text.slice(Math.max(0, node.from - 10), node.to + 10)}'`);
    if (node.name === "VectorSelector") {
      const name = node.getChild("Identifier");
      const matchers = node.getChild("LabelMatchers");
      const labels = matchers
        ? matchers.getChildren("UnquotedLabelMatcher").map((m) => text.slice(m.firstChild!.from, m.firstChild!.to))
        : [];
      parsed.metrics.push({ name: name ? text.slice(name.from, name.to) : "", labels });
    }
    if (node.name === "GroupingLabels")
      parsed.grouping.push(...node.getChildren("LabelName").map((label) => text.slice(label.from, label.to)));
  } while (cursor.next());
  return parsed;
}

/** Every PromQL expression this project writes, with where it comes from. */
function allQueries(): { where: string; expr: string; legendFormat?: string }[] {
  return [
    ...dashboards.flatMap((dashboard) =>
      dashboard.panels.flatMap((panel) =>
        panel.targets.map((target) => ({
          where: `${dashboard.uid} / ${panel.title} / ${target.refId}`,
          expr: target.expr,
          legendFormat: target.legendFormat,
        })),
      ),
    ),
    ...ruleGroups.flatMap((group) => group.rules.map((rule) => ({ where: `${group.name} / ${rule.alert}`, expr: rule.expr }))),
    ...federatedSeries.map((expr) => ({ where: "federation match[]", expr })),
  ];
}

describe("observability", () => {
  describe("config: burstmesh:observability", () => {
    it("is on by default, observed from the first member, with Prometheus defaults", () => {
      const defaults = settings();
      assert.equal(defaults.enabled, true);
      assert.equal(defaults.observer, "eks");
      assert.equal(defaults.retention, "15d");
      assert.deepEqual(defaults.resources, { requests: { cpu: "500m", memory: "2Gi" }, limits: { memory: "4Gi" } });
      assert.equal(defaults.sustainedOverflowFor, "15m");
      assert.equal(defaults.internalLoadBalancer, false);
    });

    it("takes an observer, retention and resources from config", () => {
      const chosen = settings({
        observer: "aks",
        retention: "1w2d",
        resources: { requests: { memory: "1Gi" }, limits: { memory: "1Gi" } },
      });
      assert.equal(chosen.observer, "aks");
      assert.equal(chosen.retention, "1w2d");
      assert.equal(chosen.resources.requests.cpu, "500m");
    });

    const bad: [string, unknown, RegExp][] = [
      [
        "an observer that is not a member",
        { observer: "gke" },
        /^burstmesh:observability\.observer: 'gke' is not one of burstmesh:members \(eks, aks\)$/,
      ],
      ["an observer that is not a DNS-1123 label", { observer: "EKS" }, /^burstmesh:observability\.observer: must be a DNS-1123 label/],
      ["a retention without a unit", { retention: "15" }, /^burstmesh:observability\.retention: must be a Prometheus duration such as 15d/],
      ["a fractional retention", { retention: "1.5h" }, /^burstmesh:observability\.retention: must be a Prometheus duration/],
      ["a zero retention", { retention: "0d" }, /^burstmesh:observability\.retention: must be a Prometheus duration/],
      [
        "a CPU request that is no quantity",
        { resources: { requests: { cpu: "lots" } } },
        /^burstmesh:observability\.resources\.requests\.cpu: must be a CPU quantity/,
      ],
      [
        "a memory request above the limit",
        { resources: { requests: { memory: "8Gi" }, limits: { memory: "4Gi" } } },
        /^burstmesh:observability\.resources\.requests\.memory: must not exceed limits\.memory \(4Gi\)$/,
      ],
      [
        "a CPU limit (not offered: it only delays scrapes)",
        { resources: { limits: { cpu: "1" } } },
        /^burstmesh:observability\.resources\.limits\.cpu: is not a known setting$/,
      ],
      ["enabled that is not a boolean", { enabled: "yes" }, /^burstmesh:observability\.enabled: must be true or false$/],
      ["an unknown key", { grafana: true }, /^burstmesh:observability\.grafana: is not a known setting$/],
      ["text that is not JSON", "on", /^burstmesh:observability: must be a list or object \(got 'on'\)$/],
    ];
    for (const [what, raw, expected] of bad) {
      it(`rejects ${what}`, () => {
        const issues = issuesOf(raw);
        assert.ok(
          issues.some((issue) => expected.test(issue)),
          issues.join("\n"),
        );
      });
    }

    it("refuses an internal load balancer in an existing observer cluster, whose cloud it cannot tell", () => {
      const result = parseObservabilityConfig(
        { internalLoadBalancer: true },
        { members, cluster: { clusterName: "eks", cloud: "existing" } },
      );
      assert.ok(
        !result.ok && /^burstmesh:observability\.internalLoadBalancer: the observer 'eks' is an existing cluster/.test(result.issues[0]!),
      );
      assert.ok(
        parseObservabilityConfig({ internalLoadBalancer: true }, { members, cluster: { clusterName: "aks", cloud: "existing" } }).ok,
      );
    });

    it("stops the stack before any resource, naming every bad key", () => {
      assert.throws(
        () => loadConfig(withConfig("aks", { "burstmesh:observability": { observer: "gke", retention: "soon" } })),
        (error: unknown) =>
          error instanceof ConfigError &&
          /burstmesh:observability\.observer: 'gke' is not one of burstmesh:members \(eks, aks\)/.test(error.message) &&
          /burstmesh:observability\.retention: must be a Prometheus duration/.test(error.message),
      );
    });
  });

  describe("PromQL of every panel, alert and federation match", () => {
    const queries = allQueries();

    it("covers the dashboards, the alerts and the federation", () => {
      assert.ok(queries.length >= 20, `found ${queries.length} expressions`);
    });

    it("parses with the official PromQL grammar (@prometheus-io/lezer-promql)", () => {
      const broken = queries.map((q) => ({ ...q, errors: parsePromQL(q.expr).errors })).filter((q) => q.errors.length > 0);
      assert.deepEqual(broken, []);
    });

    it("fails on broken PromQL, so that the check above can fail", () => {
      assert.ok(parsePromQL('sum(rate(istio_requests_total{reporter="source"[5m]))').errors.length > 0);
      assert.ok(parsePromQL("sum by (le (x)").errors.length > 0);
    });

    it("uses only metrics and labels Istio 1.30 emits, plus the labels of this project's scrape job", () => {
      const problems: string[] = [];
      for (const query of queries.filter((q) => q.where !== "federation match[]")) {
        for (const metric of parsePromQL(query.expr).metrics) {
          const known = emitted[metric.name];
          if (!known) problems.push(`${query.where}: metric '${metric.name}'`);
          for (const label of metric.labels.filter((l) => !known?.includes(l) && !scrapeLabels.includes(l))) {
            problems.push(`${query.where}: label '${label}' of ${metric.name}`);
          }
        }
      }
      assert.deepEqual(problems, []);
    });

    it("labels every legend with labels the query keeps", () => {
      for (const query of queries.filter((q) => q.legendFormat)) {
        const used = [...query.legendFormat!.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]!);
        const grouping = parsePromQL(query.expr).grouping;
        for (const label of used)
          assert.ok(grouping.includes(label), `${query.where}: legend {{${label}}} but the query keeps ${grouping.join(", ")}`);
      }
    });

    it("federates every metric an alert reads, so that the observer alerts on every member and not on its own only", () => {
      const names = federatedSeries.map((match) => new RegExp(`^(?:${/__name__=~"([^"]+)"/.exec(match)![1]})$`));
      const alertMetrics = ruleGroups.flatMap((group) => group.rules.flatMap((rule) => parsePromQL(rule.expr).metrics.map((m) => m.name)));
      assert.ok(alertMetrics.includes("citadel_server_cert_chain_expiry_timestamp"), "control: the CA alert is among them");
      const local = alertMetrics.filter((metric) => !names.some((name) => name.test(metric)));
      assert.deepEqual([...new Set(local)], []);
    });

    it("measures the split by source_cluster and destination_cluster on client-reported istio_requests_total", () => {
      const crossing = dashboards[0]!.panels.find((p) => p.title === overflowPanels.crossCluster)!;
      assert.equal(crossing.targets.length, members.length);
      assert.match(crossing.targets[0]!.expr, /reporter="source"/);
      assert.match(crossing.targets[0]!.expr, /source_cluster="eks", destination_cluster!="eks"/);
      assert.match(crossing.targets[1]!.expr, /source_cluster="aks", destination_cluster!="aks"/);
    });
  });

  describe("the Overflow dashboard", () => {
    const dashboard: Dashboard = dashboards[0]!;

    it("has the panels the README lists, in order, one dashboard per service", () => {
      assert.deepEqual(
        dashboard.panels.map((panel) => panel.title),
        Object.values(overflowPanels),
      );
      assert.deepEqual(
        dashboards.map((d) => d.uid),
        ["burstmesh-overflow-podinfo", "burstmesh-overflow-checkout"],
      );
      const readme = fs.readFileSync(path.join(repoRoot, "README.md"), "utf8");
      for (const title of Object.values(overflowPanels)) assert.ok(readme.includes(title), `README names the panel '${title}'`);
    });

    it("is dashboard JSON the pinned Grafana loads: schema version, core panel types, layout, data source", () => {
      // Grafana migrates schema versions 9 to 42 on load (apps/dashboard/pkg/migration/schemaversion); newer ones it cannot read.
      assert.ok(dashboardSchemaVersion >= 9 && dashboardSchemaVersion <= 42);
      for (const d of dashboards) {
        assert.deepEqual(JSON.parse(JSON.stringify(d)), d, "plain JSON");
        assert.ok(d.uid.length <= 40 && /^[a-zA-Z0-9_-]+$/.test(d.uid), `uid '${d.uid}'`);
        assert.equal(d.schemaVersion, dashboardSchemaVersion);
        const ids = d.panels.map((p) => p.id);
        assert.equal(new Set(ids).size, ids.length, "unique panel ids");
        const cells = new Set<string>();
        for (const panel of d.panels) {
          assert.ok(["timeseries", "table", "stat"].includes(panel.type), `core panel type ${panel.type}`);
          const { x, y, w, h } = panel.gridPos;
          assert.ok(x >= 0 && w > 0 && x + w <= 24 && h > 0 && y >= 0, `${panel.title} fits the 24-column grid`);
          for (let col = x; col < x + w; col++) {
            for (let row = y; row < y + h; row++) {
              assert.ok(!cells.has(`${col},${row}`), `${panel.title} overlaps another panel`);
              cells.add(`${col},${row}`);
            }
          }
          assert.deepEqual(panel.datasource, prometheusDatasource);
          const refIds = panel.targets.map((t) => t.refId);
          assert.equal(new Set(refIds).size, refIds.length, `${panel.title}: unique refIds`);
          for (const target of panel.targets) assert.deepEqual(target.datasource, prometheusDatasource);
        }
      }
    });

    it("is what the drill's report names for the same split, live", () => {
      const parsed = parseServiceConfig(
        [{ name: "podinfo", homeCluster: "eks", capacity: { maxConcurrentRequests: 16, maxPendingRequests: 8 } }],
        { enabled: true },
        { members: [...members] },
      );
      assert.ok(parsed.ok);
      const job = drillJobManifest(parsed.services[0]!, parsed.drill, livePanel(parsed.services[0]!.name)) as any;
      const report = job.spec.template.spec.containers.find((c: { name: string }) => c.name === "report");
      const live = report.env.find((e: { name: string }) => e.name === "LIVE_PANEL").value;
      assert.equal(live, 'Grafana, dashboard "burstmesh Overflow: podinfo", panel "Requests served per cluster"');
      assert.equal(dashboard.title, "burstmesh Overflow: podinfo");
      assert.equal(dashboard.panels[0]!.title, "Requests served per cluster");
      assert.match(fs.readFileSync(path.join(repoRoot, "components/traffic/drill-report.sh"), "utf8"), /^echo "LIVE: .*\$LIVE_PANEL/m);
    });

    it("shows each cluster's intermediate CA time left, orange once due for renewal, red once the alert calls it overdue", () => {
      const stat = dashboard.panels.find((p) => p.title === overflowPanels.intermediateCa)!;
      assert.equal(stat.type, "stat");
      assert.equal(stat.targets[0]!.instant, true);
      assert.equal(stat.fieldConfig.defaults.unit, "s");
      const overdue = ruleGroups.flatMap((g) => g.rules).find((rule) => rule.alert === alertNames.intermediateCaRenewalOverdue)!;
      assert.equal(`${stat.targets[0]!.expr} < ${intermediateCaThresholds(intermediateCertValidityHours).overdueSeconds}`, overdue.expr);
      // A third of two years is 5840 hours; three quarters of that, 4380 hours.
      assert.deepEqual(stat.fieldConfig.defaults.thresholds, {
        mode: "absolute",
        steps: [
          { color: "red", value: null },
          { color: "orange", value: 4380 * 3600 },
          { color: "green", value: 5840 * 3600 },
        ],
      });
    });

    it("shows the burstmesh alerts", () => {
      const alerts = dashboard.panels.find((p) => p.title === overflowPanels.alerts)!;
      for (const name of Object.values(alertNames)) assert.match(alerts.targets[0]!.expr, new RegExp(name));
      assert.equal(alerts.targets[0]!.instant, true);
    });
  });

  describe("alert rules", () => {
    it("are valid PrometheusRule groups (@kubernetes-models/prometheus-operator)", async () => {
      const rule = prometheusRule({ name: "burstmesh", namespace: observabilityNamespace }, ruleGroups);
      assert.deepEqual(await validatePrometheusOperator(rule), []);
    });

    it("fail the model check when a rule is malformed, so that the check above can fail", async () => {
      const broken = [{ name: "x", rules: [{ alert: "X", for: "5 minutes", expr: "up == 0" }] }];
      assert.match((await validatePrometheusOperator(prometheusRule({ name: "x" }, broken))).join("\n"), /for must match pattern/);
    });

    it("cover sustained overflow, the other cloud failing, an unreachable remote cluster and a missing east-west gateway", () => {
      const byName = new Map(
        ruleGroups.flatMap((group: RuleGroup) => group.rules).map((rule) => [`${rule.alert}/${rule.labels.service ?? ""}`, rule]),
      );
      const sustained = byName.get(`${alertNames.sustainedOverflow}/podinfo`)!;
      assert.equal(sustained.for, "15m");
      assert.match(sustained.expr, /destination_cluster!="eks"/);
      assert.match(byName.get(`${alertNames.overflowTargetFailing}/podinfo`)!.expr, /response_code=~"5\.\."/);
      assert.match(
        byName.get(`${alertNames.remoteClusterUnreachable}/`)!.expr,
        /istiod_remote_cluster_sync_status\{cluster_type="remote", status="synced"\}/,
      );
      assert.match(byName.get(`${alertNames.eastWestGatewayDown}/`)!.expr, /istio="eastwestgateway"/);
      assert.ok(!byName.has(`${alertNames.sustainedOverflow}/checkout`), "no overflow alert for a failover service");
    });

    it("call an intermediate CA overdue once a quarter of its renewal window (a third of its validity) has passed", () => {
      const rule = ruleGroups.flatMap((g) => g.rules).find((r) => r.alert === alertNames.intermediateCaRenewalOverdue)!;
      assert.equal(
        rule.expr,
        'min by (cluster) (citadel_server_cert_chain_expiry_timestamp{job="istio-pods", app="istiod"}) - time() < 15768000',
      );
      assert.equal(rule.labels.severity, "warning");
      assert.match(rule.annotations.description, /due for renewal when 5840 hours were left\. Run 'npm run mesh -- up'/);
      assert.match(rule.annotations.description, /rollout restart deployment\/istiod/);
      // The window scales with the validity; a validity too short for a window alerts only on expiry.
      assert.deepEqual(intermediateCaThresholds(720), { dueSeconds: 240 * 3600, overdueSeconds: 180 * 3600 });
      assert.deepEqual(intermediateCaThresholds(2), { dueSeconds: 0, overdueSeconds: 0 });
      for (const hours of [1, 2, 3, 100, 720, 17520, 87600]) {
        const { dueSeconds, overdueSeconds } = intermediateCaThresholds(hours);
        assert.ok(overdueSeconds <= dueSeconds && dueSeconds < hours * 3600, `${hours} hours`);
      }
    });
  });

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

  describe("Grafana values", () => {
    const values = grafanaValues({
      observer: "eks",
      members,
      istioVersion: "1.30.3",
      services: observed,
      intermediateCertValidityHours,
      cloud: "aws",
      internalLoadBalancer: false,
    }) as any;

    it("read the observer's federated Prometheus as the only data source", () => {
      const [datasource, ...others] = values.datasources["datasources.yaml"].datasources;
      assert.equal(others.length, 0);
      assert.equal(datasource.url, "http://prometheus-eks.observability.svc.cluster.local:9090");
      assert.equal(datasource.uid, prometheusDatasource.uid);
    });

    it("provision Istio's mesh, service, workload and control-plane dashboards from the Istio release", () => {
      assert.deepEqual(Object.keys(values.dashboards.istio), Object.keys(istioDashboards));
      assert.equal(
        values.dashboards.istio["istio-mesh"].url,
        "https://raw.githubusercontent.com/istio/istio/1.30.3/manifests/addons/dashboards/istio-mesh-dashboard.gen.json",
      );
      const paths = values.dashboardProviders["dashboardproviders.yaml"].providers.map((p: any) => p.name);
      assert.deepEqual(paths, Object.keys(values.dashboards));
    });

    it("provision one Overflow dashboard per service as JSON", () => {
      assert.deepEqual(Object.keys(values.dashboards.burstmesh), ["overflow-podinfo", "overflow-checkout"]);
      assert.deepEqual(JSON.parse(values.dashboards.burstmesh["overflow-podinfo"].json), dashboards[0]);
    });

    it("stay off public load balancers: ClusterIP, or an internal load balancer on request", () => {
      assert.equal(values.service.type, "ClusterIP");
      assert.deepEqual(consoleService("aws", true), {
        type: "LoadBalancer",
        annotations: { "service.beta.kubernetes.io/aws-load-balancer-internal": "true" },
      });
      assert.deepEqual(consoleService("azure", true), {
        type: "LoadBalancer",
        annotations: { "service.beta.kubernetes.io/azure-load-balancer-internal": "true" },
      });
    });
  });

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
        assert.ok(namespace.dependencies.includes(helmRelease(run, "istiod").urn), "the namespace waits for istiod (sidecar injection)");
        assert.ok(prometheus.dependencies.includes(namespace.urn));
        for (const m of members) k8sObject(run, "kubernetes:core/v1:Service", `prometheus-${m}`, observabilityNamespace);
      }
    });

    it("put Grafana in the observer (the first member) only, after its Prometheus", () => {
      const grafana = helmRelease(eks, "grafana");
      assert.equal(reveal<{ version: string }>(grafana.inputs).version, observabilityCharts.grafana.version);
      assert.ok(grafana.dependencies.includes(helmRelease(eks, "prometheus").urn), "Grafana waits for the Prometheus it reads");
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
