import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import type { ConfigDump } from "../../model/configDump";
import { ClaimContext, trafficClaims } from "../../model/trafficClaims";
import { recordedContext, recordedServices } from "../support/xdsDumps";

const docs = fs.readFileSync(path.join(__dirname, "../../docs/overflow.md"), "utf8").replace(/\s+/g, " ");
const recorded = recordedServices();

/** The parts of a dump the breaks below edit. */
function parts(dump: ConfigDump) {
  const section = (type: string) => dump.configs!.find((config) => String(config["@type"]).endsWith(type))! as Record<string, any>;
  const clusters = section("ClustersConfigDump").dynamic_active_clusters.map((entry: any) => entry.cluster);
  return {
    outbound: clusters.find((cluster: any) => cluster.name.startsWith("outbound|")),
    inbound: clusters.find((cluster: any) => cluster.name.startsWith("inbound|")),
    route: section("RoutesConfigDump").dynamic_route_configs[0].route_config.virtual_hosts[0].routes[0].route,
    localities: section("EndpointsConfigDump").dynamic_endpoint_configs[0].endpoint_config.endpoints as any[],
  };
}

const failing = (mode: keyof typeof trafficClaims, context: ClaimContext) =>
  trafficClaims[mode].filter((claim) => claim.problems(context).length > 0).map((claim) => claim.sentence);

describe("model/trafficClaims: docs/overflow.md's sentences on what istiod generates per mode, and their checks", () => {
  it("are sentences docs/overflow.md prints", () => {
    for (const claim of Object.values(trafficClaims).flat())
      assert.ok(docs.includes(claim.sentence), `docs/overflow.md no longer says: ${claim.sentence}`);
  });

  it("have a recorded rehearsal dump for every mode", () => {
    assert.deepEqual(
      Object.values(recorded)
        .map((fixture) => fixture.mode)
        .sort(),
      ["distribute", "failover", "overflow"],
    );
  });

  for (const fixture of Object.values(recorded)) {
    it(`all hold for what the rehearsal's istiod generated for ${fixture.service} (${fixture.mode})`, () => {
      assert.deepEqual(failing(fixture.mode, recordedContext(fixture)), []);
    });
  }

  const breaks: [string, string, (dump: ConfigDump) => void, RegExp][] = [
    [
      "podinfo",
      "a pod without its limit",
      (dump) => (parts(dump).inbound.circuit_breakers.thresholds[0].max_requests = 1024),
      /answers `503` at once/,
    ],
    [
      "podinfo",
      "5xx ejection enforced",
      (dump) => Object.assign(parts(dump).outbound.outlier_detection, { consecutive_5xx: 5, enforcing_consecutive_5xx: 100 }),
      /consecutive5xxErrors: 0/,
    ],
    [
      "podinfo",
      "another local-origin count",
      (dump) => (parts(dump).outbound.outlier_detection.consecutive_local_origin_failure = 3),
      /consecutive5xxErrors: 0/,
    ],
    [
      "podinfo",
      "the gateway beside the home pods",
      (dump) => delete parts(dump).localities.find((locality) => locality.priority === 1).priority,
      /priority 0 and the other cluster/,
    ],
    [
      "podinfo",
      "a peer's pod instead of its gateway",
      (dump) =>
        (parts(dump).localities.find((locality) => locality.priority === 1).lb_endpoints[0].endpoint.address.socket_address = {
          address: "10.0.0.9",
          port_value: 9898,
        }),
      /priority 0 and the other cluster/,
    ],
    [
      "podinfo",
      "a gateway weighed unlike its pods",
      (dump) => (parts(dump).localities.find((locality) => locality.priority === 1).lb_endpoints[0].load_balancing_weight = 3),
      /priority 0 and the other cluster/,
    ],
    ["podinfo", "panic mode on", (dump) => delete parts(dump).outbound.common_lb_config.healthy_panic_threshold, /Panic mode is off/],
    ["podinfo", "no 503 retried", (dump) => delete parts(dump).route.retry_policy.retriable_status_codes, /retries `503`/],
    ["podinfo", "fewer retries", (dump) => (parts(dump).route.retry_policy.num_retries = 2), /retries `503`/],
    ["podinfo", "another per-try timeout", (dump) => (parts(dump).route.retry_policy.per_try_timeout = "5s"), /retries `503`/],
    ["podinfo", "no previous_priorities", (dump) => delete parts(dump).route.retry_policy.retry_priority, /previous_priorities/],
    [
      "podinfo",
      "a client limit",
      (dump) => (parts(dump).outbound.circuit_breakers.thresholds[0].max_requests = 1024),
      /circuit breakers stay at Istio's defaults/,
    ],
    [
      "failover-web",
      "a per-pod limit",
      (dump) => (parts(dump).inbound.circuit_breakers.thresholds[0].max_requests = 32),
      /\| `failover` \| none \|/,
    ],
    [
      "failover-web",
      "no 5xx ejection",
      (dump) => (parts(dump).outbound.outlier_detection.enforcing_consecutive_5xx = 0),
      /are ejected for `baseEjectionTime`/,
    ],
    [
      "failover-web",
      "the own zone behind another",
      (dump) => (parts(dump).localities[0].priority = 1),
      /own zone, own cluster, then the other cluster/,
    ],
    [
      "failover-web",
      "the other cluster beside the home pods",
      (dump) => (parts(dump).localities[2].priority = 1),
      /own zone, own cluster, then the other cluster/,
    ],
    [
      "failover-web",
      "panic mode on",
      (dump) => delete parts(dump).outbound.common_lb_config.healthy_panic_threshold,
      /Panic mode stays off/,
    ],
    [
      "distribute-web",
      "weights off the configured shares",
      (dump) => (parts(dump).localities[2].load_balancing_weight = 80),
      /weights per region/,
    ],
    ["distribute-web", "a second priority", (dump) => (parts(dump).localities[2].priority = 1), /weights per region/],
  ];
  for (const [service, what, change, claim] of breaks) {
    it(`fail for ${service} on ${what}, and only that claim`, () => {
      const fixture = recorded[service]!;
      const failed = failing(fixture.mode, recordedContext(fixture, change));
      assert.equal(failed.length, 1, failed.join(" | "));
      assert.match(failed[0]!, claim);
    });
  }

  it("let a service that sets clientPool have client limits", () => {
    const fixture = recorded.podinfo!;
    const context = recordedContext(fixture, (dump) => (parts(dump).outbound.circuit_breakers.thresholds[0].max_requests = 1024));
    assert.deepEqual(failing("overflow", { ...context, declared: { ...context.declared, clientPool: true } }), []);
  });
});
