import { strict as assert } from "node:assert";
import { alertNames, intermediateCaThresholds, RuleGroup } from "../../../components/observability/alerts";
import { observabilityNamespace } from "../../../model/namespaces";
import { validatePrometheusOperator } from "../../support/schemas";
import { prometheusRule, ruleGroups } from "../../support/observability";

// --- PromQL: parsed with the official grammar, checked against what Istio 1.30 emits ---------------

describe("components/observability/alerts: alert rules", () => {
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
});
