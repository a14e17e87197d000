import { strict as assert } from "node:assert";
import type { ServiceSettings } from "../../config";
import { projectServices } from "../support/projectServices";
import { servicePolicy } from "../../components/traffic/servicePolicy";
import { ServicePolicy } from "../../model/policy";
import { remoteCapacity, standbyForSurge, surge, sweep, SweepRow, Workload } from "../../model/scenarios";
import { simulate } from "../../model/simulate";
describe("model/simulate: the traffic model on the default podinfo", function () {
  this.timeout(30_000);
  const { members, services } = projectServices();
  const podinfo = services.find((service) => service.name === "podinfo")!;
  const workload: Workload = { serviceTimeSeconds: 1, clients: 10, seed: 7 };
  // The old recipe's dynamics run on Envoy's clock (5 s sweeps, 15 s ejections): it needs a
  // realistic request rate, and so a shorter service time.
  const ejectionWorkload: Workload = { ...workload, serviceTimeSeconds: 0.25 };
  const loads = [0.5, 0.9, 1.2, 1.5, 2, 4];
  const rowAt = (rows: SweepRow[], load: number) => rows.find((row) => row.load === load)!;

  describe("reads the deployed objects, not a copy of the settings", () => {
    it("per-pod capacity from the Sidecar, retries from the VirtualService, ejection from the DestinationRule, bounds from the HPAs", () => {
      const policy = servicePolicy(podinfo, members);
      assert.equal(policy.perPodCapacity, podinfo.capacity!.maxConcurrentRequests);
      assert.equal(policy.retries, podinfo.retries.attempts);
      assert.equal(policy.retriesOn503, true);
      assert.equal(policy.retryRemoteLocalities, true);
      assert.equal(policy.homeIsOnePriority, true);
      assert.equal(policy.outlier.consecutive5xx, 0, "no 5xx ejection in overflow mode");
      assert.equal(policy.outlier.consecutiveGatewayFailure, undefined);
      assert.equal(policy.panicThresholdPercent, 0);
      assert.deepEqual([policy.home.minReplicas, policy.home.maxReplicas], [podinfo.home.minReplicas, podinfo.home.maxReplicas]);
      assert.deepEqual(
        [policy.standby.minReplicas, policy.standby.maxReplicas],
        [podinfo.standby.minReplicas, podinfo.standby.maxReplicas],
      );
      assert.equal(policy.home.targetUtilizationPercent, podinfo.targetCpuUtilization);
      const changed = servicePolicy(
        { ...podinfo, capacity: { maxConcurrentRequests: 24 }, retries: { ...podinfo.retries, attempts: 5 } },
        members,
      );
      assert.deepEqual([changed.perPodCapacity, changed.retries], [24, 5]);
    });

    it("refuses a service without a per-pod capacity, saying why", () => {
      const failover = { ...podinfo, mode: "failover" } as ServiceSettings;
      assert.throws(() => servicePolicy(failover, members), /no per-pod capacity .*only overflow mode can be modelled/);
    });
  });

  describe("the sweep targets (steady state, both clusters at maxReplicas)", () => {
    let rows: SweepRow[];
    let old: SweepRow[];
    before(() => {
      rows = sweep(servicePolicy(podinfo, members), loads, workload, 25);
      old = sweep(servicePolicy(podinfo, members, "ejection"), [0.9, 1.5, 2], ejectionWorkload, 30);
    });

    it("every row is a split of the offered requests, with the other cloud's capacity", () => {
      for (const row of rows) {
        assert.ok(Math.abs(row.home + row.remote + row.failed - 1) < 1e-9, JSON.stringify(row));
        assert.equal(row.remoteCapacity, podinfo.standby.maxReplicas / podinfo.home.maxReplicas);
      }
    });

    it("below 1x: home serves at least 97% and at most 0.5% fail", () => {
      for (const load of [0.5, 0.9]) {
        const row = rowAt(rows, load);
        assert.ok(row.home >= 0.97, `home ${row.home} at ${load}x`);
        assert.ok(row.failed <= 0.005, `failed ${row.failed} at ${load}x`);
      }
    });

    it("above 1x: home serves its capacity (share 1/L within 5 points); the other cloud the rest, at most 1% failed", () => {
      for (const load of [1.2, 1.5]) {
        const row = rowAt(rows, load);
        assert.ok(Math.abs(row.home - 1 / load) <= 0.05, `home ${row.home} vs ${1 / load} at ${load}x`);
        assert.ok(row.failed <= 0.01, `failed ${row.failed} at ${load}x`);
        assert.ok(row.remote >= 1 - 1 / load - 0.05, `remote ${row.remote} at ${load}x`);
      }
    });

    it("at both clouds' capacity (2x with a standby as large as home) some requests fail: random arrivals find full pods", () => {
      const row = rowAt(rows, 2);
      assert.ok(Math.abs(row.home - 0.5) <= 0.05, `home ${row.home}`);
      assert.ok(row.failed > 0 && row.failed <= 0.08, `failed ${row.failed}`);
    });

    it("beyond both clouds' capacity the failures match the physics: 1 - (1 + R) / L", () => {
      const row = rowAt(rows, 4);
      const physics = 1 - (1 + row.remoteCapacity) / 4;
      assert.ok(Math.abs(row.failed - physics) <= 0.03, `failed ${row.failed} vs ${physics}`);
      assert.ok(Math.abs(row.home - 0.25) <= 0.03, `home still serves its capacity: ${row.home}`);
    });

    it("the old recipe (ejection on 5xx) cascades: home collapses below its capacity and requests fail while the other cloud has room", () => {
      for (const load of [1.5, 2]) {
        const before = rowAt(old, load);
        const now = rowAt(rows, load);
        assert.ok(before.home < 1 / load - 0.15, `old home ${before.home} at ${load}x`);
        assert.ok(before.failed > now.failed + 0.05, `old failed ${before.failed} vs ${now.failed} at ${load}x`);
      }
      assert.ok(rowAt(old, 1.5).failed > 0.05, "at 1.5x both clouds together have room for everything, yet the old recipe fails requests");
      assert.ok(rowAt(old, 0.9).home < 0.95, "it even spills below 1x: pods that are momentarily full get ejected");
    });
  });

  it("the old recipe's time series: clients eject, and stretches of the burst turn into outages", () => {
    const result = simulate({
      policy: servicePolicy(podinfo, members, "ejection"),
      ...ejectionWorkload,
      load: () => 1.5,
      durationSeconds: 45,
      autoscale: false,
      bucketSeconds: 5,
    });
    const ejected = result.series.map((point) => point.ejected);
    assert.ok(Math.max(...ejected) > 0, "clients eject");
    const failedShares = result.series.map((point) => point.failed / Math.max(1, point.offered));
    assert.ok(
      Math.max(...failedShares) > 0.2,
      `buckets where the burst turns into an outage: ${failedShares.map((s) => s.toFixed(2)).join(" ")}`,
    );
    const noneUnderNew = simulate({
      policy: servicePolicy(podinfo, members),
      ...workload,
      load: () => 1.5,
      durationSeconds: 60,
      autoscale: false,
    });
    assert.equal(Math.max(...noneUnderNew.series.map((point) => point.ejected)), 0, "the retry recipe ejects nobody");
  });

  it("chooses the default retries: 3 (4 tries) fails far less than 2 near the edge, and more buy little", () => {
    const failedWith = (attempts: number) => {
      const policy: ServicePolicy = { ...servicePolicy(podinfo, members), retries: attempts };
      return sweep(policy, [1.8], workload, 25)[0]!.failed;
    };
    const [two, three, four] = [failedWith(2), failedWith(3), failedWith(4)];
    assert.equal(podinfo.retries.attempts, 3);
    assert.ok(two > 2 * three, `2 retries ${two} vs 3 retries ${three}`);
    assert.ok(three - four < 0.01, `3 retries ${three} vs 4 retries ${four}`);
  });

  it("is deterministic for a seed", () => {
    const run = () => sweep(servicePolicy(podinfo, members), [1.5], { ...workload, seed: 3 }, 5)[0];
    assert.deepEqual(run(), run());
  });

  describe("a surge through both HPAs", () => {
    const shape = { from: 0.5, to: 1.5, rampSeconds: 30, holdSeconds: 90 };

    it("home scales to its ceiling, the standby grows with what spills, and pods and shares are reported over time", () => {
      const { result } = surge(servicePolicy(podinfo, members), shape, workload);
      const last = result.series.at(-1)!;
      assert.equal(last.homePods, podinfo.home.maxReplicas);
      assert.ok(last.standbyPods > podinfo.standby.minReplicas, `standby ${last.standbyPods}`);
      assert.ok(result.series[0]!.homePods < podinfo.home.maxReplicas, "starts with what 0.5x needs");
      assert.ok(last.remote > 0 && last.home > 0);
    });

    it("sizes the warm standby: the smallest standby.minReplicas that keeps the surge's failures under 1%", () => {
      const policy = servicePolicy(podinfo, members);
      const sizing = standbyForSurge(policy, shape, workload);
      assert.ok(sizing.minReplicas !== undefined);
      const at = (minReplicas: number) => sizing.tried.find((entry) => entry.minReplicas === minReplicas);
      assert.ok(at(sizing.minReplicas)!.failed < 0.01);
      if (sizing.minReplicas > 1) {
        const below = surge({ ...policy, standby: { ...policy.standby, minReplicas: sizing.minReplicas - 1 } }, shape, workload).failed;
        assert.ok(below >= 0.01, `one fewer standby pod fails ${below}`);
      }
      assert.equal(remoteCapacity(policy), 1);
    });
  });
});
