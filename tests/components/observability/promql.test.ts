import { strict as assert } from "node:assert";
import { parser } from "@prometheus-io/lezer-promql";
import { overflowPanels } from "../../../components/observability/dashboards";
import { federatedSeries } from "../../../components/observability/prometheus";
import { members, ruleGroups, dashboards } from "../../support/observability";

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
describe("components/observability/promql: PromQL of every panel, alert and federation match", () => {
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
});
