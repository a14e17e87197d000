import { strict as assert } from "node:assert";
import { parseObservabilityConfig, parseServiceConfig, ServiceSettings } from "../../config";
import { alertRuleGroups } from "../../components/observability/alerts";
import { overflowDashboard } from "../../components/observability/dashboards";
import { observedService, ObservedService } from "../../components/observability/promql";

export const members = ["eks", "aks"] as const;

export const prometheusRule = (metadata: Record<string, string>, groups: unknown[]) => ({
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

export const observed: ObservedService[] = services().map(observedService);
/** `burstmesh:intermediateCertValidityHours` as Pulumi.yaml sets it: two years. */
export const intermediateCertValidityHours = 17520;
export const ruleGroups = alertRuleGroups({
  services: observed.filter((s) => s.mode === "overflow"),
  sustainedOverflowFor: "15m",
  intermediateCertValidityHours,
});
export const dashboards = observed.map((service) => overflowDashboard(service, members, intermediateCertValidityHours));

export function settings(overrides: Record<string, unknown> = {}) {
  const result = parseObservabilityConfig({ ...overrides }, { members });
  if (!result.ok) assert.fail(result.issues.join("\n"));
  return result.observability;
}

// --- PromQL: parsed with the official grammar, checked against what Istio 1.30 emits ---------------
