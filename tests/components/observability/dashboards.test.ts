import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseServiceConfig } from "../../../config";
import { alertNames, intermediateCaThresholds } from "../../../components/observability/alerts";
import {
  Dashboard,
  dashboardSchemaVersion,
  livePanel,
  overflowPanels,
  prometheusDatasource,
} from "../../../components/observability/dashboards";
import { drillJobManifest } from "../../../components/traffic/drillJob";
import { repoRoot } from "../../support/stackFiles";
import { members, intermediateCertValidityHours, ruleGroups, dashboards } from "../../support/observability";

// --- PromQL: parsed with the official grammar, checked against what Istio 1.30 emits ---------------

describe("components/observability/dashboards: the Overflow dashboard", () => {
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
});
