import { strict as assert } from "node:assert";
import { isPrometheusDuration, parseObservabilityConfig, type ObservabilityConfigContext, ConfigError, loadConfig } from "../../config";
import { withConfig } from "../support/stackFiles";

const members = ["eks", "aks"];

function issuesOf(raw: unknown, context: ObservabilityConfigContext = { members }): string[] {
  const result = parseObservabilityConfig(raw, context);
  assert.ok(!result.ok, "expected the observability settings to be rejected");
  return result.issues;
}

function settings(overrides: Record<string, unknown> = {}) {
  const result = parseObservabilityConfig({ ...overrides }, { members });
  if (!result.ok) assert.fail(result.issues.join("\n"));
  return result.observability;
}

describe("config: burstmesh:observability", () => {
  it("defaults to everything on, observed from the first member", () => {
    assert.deepEqual(parseObservabilityConfig(undefined, { members }), {
      ok: true,
      observability: {
        enabled: true,
        observer: "eks",
        retention: "15d",
        resources: { requests: { cpu: "500m", memory: "2Gi" }, limits: { memory: "4Gi" } },
        sustainedOverflowFor: "15m",
        internalLoadBalancer: false,
      },
    });
  });

  it("takes the engine's JSON text and a named observer", () => {
    const result = parseObservabilityConfig(JSON.stringify({ observer: "aks", retention: "1w2d", enabled: false }), { members });
    assert.ok(result.ok);
    assert.equal(result.observability.observer, "aks");
    assert.equal(result.observability.retention, "1w2d");
    assert.equal(result.observability.enabled, false);
  });

  it("an internal load balancer is fine on a created cluster, and on an existing one that does not observe", () => {
    const onEks = parseObservabilityConfig({ internalLoadBalancer: true }, { members, cluster: { clusterName: "eks", cloud: "aws" } });
    assert.ok(onEks.ok && onEks.observability.internalLoadBalancer);
    assert.ok(parseObservabilityConfig({ internalLoadBalancer: true }, { members, cluster: { clusterName: "aks", cloud: "existing" } }).ok);
  });

  it("Prometheus durations: units largest first, each once, not zero", () => {
    for (const text of ["15d", "12h", "1w2d", "90m", "1y", "30s", "100ms", "1h30m", "10d0h"])
      assert.equal(isPrometheusDuration(text), true, text);
    for (const text of ["", "0d", "15", "2d1w", "1d1d", "15 d", "1.5h", "d"]) assert.equal(isPrometheusDuration(text), false, text);
  });

  const key = "burstmesh:observability";
  const cases: [string, unknown, ObservabilityConfigContext, string[]][] = [
    ["text that is not JSON", "on", { members }, [`${key}: must be a list or object (got 'on')`]],
    [
      "an observer that is not a member",
      { observer: "gke" },
      { members },
      [`${key}.observer: 'gke' is not one of burstmesh:members (eks, aks)`],
    ],
    ["no observer and no members", {}, { members: [] }, [`${key}.observer: is required when burstmesh:members is empty`]],
    [
      "durations Prometheus does not take",
      { retention: "15", sustainedOverflowFor: "0m" },
      { members },
      [
        `${key}.retention: must be a Prometheus duration such as 15d, 12h or 1w2d (units y, w, d, h, m, s, ms, largest first)`,
        `${key}.sustainedOverflowFor: must be a Prometheus duration such as 15d, 12h or 1w2d (units y, w, d, h, m, s, ms, largest first)`,
      ],
    ],
    ["a duration that is not text", { retention: 15 }, { members }, [`${key}.retention: must be a Prometheus duration such as 15d`]],
    [
      "switches that are not true or false",
      { enabled: "yes", internalLoadBalancer: 1 },
      { members },
      [`${key}.enabled: must be true or false`, `${key}.internalLoadBalancer: must be true or false`],
    ],
    [
      "a memory request above the limit",
      { resources: { requests: { memory: "8Gi" } } },
      { members },
      [`${key}.resources.requests.memory: must not exceed limits.memory (4Gi)`],
    ],
    ["a CPU limit", { resources: { limits: { cpu: "2" } } }, { members }, [`${key}.resources.limits.cpu: is not a known setting`]],
    ["an unknown setting", { grafana: true }, { members }, [`${key}.grafana: is not a known setting`]],
    [
      "an internal load balancer on an existing observer",
      { internalLoadBalancer: true, observer: "aks" },
      { members, cluster: { clusterName: "aks", cloud: "existing" } },
      [
        `${key}.internalLoadBalancer: the observer 'aks' is an existing cluster, whose load balancer annotations are unknown; ` +
          "leave it false and reach Grafana with kubectl port-forward",
      ],
    ],
  ];
  for (const [what, raw, context, expected] of cases) {
    it(`rejects ${what}`, () => {
      assert.deepEqual(issuesOf(raw, context), expected);
    });
  }

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
    ["an observer that is not a DNS-1123 label", { observer: "EKS" }, /^burstmesh:observability\.observer: must be a DNS-1123 label/],
    ["a fractional retention", { retention: "1.5h" }, /^burstmesh:observability\.retention: must be a Prometheus duration/],
    ["a zero retention", { retention: "0d" }, /^burstmesh:observability\.retention: must be a Prometheus duration/],
    [
      "a CPU request that is no quantity",
      { resources: { requests: { cpu: "lots" } } },
      /^burstmesh:observability\.resources\.requests\.cpu: must be a CPU quantity/,
    ],
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
