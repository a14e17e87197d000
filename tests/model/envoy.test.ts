import { strict as assert } from "node:assert";
import { localityShares, OutlierDetector, OutlierSettings, PreviousPriorities, priorityLoad } from "../../model/envoy";

/** A level with `percent`% of 100 hosts healthy (and `degraded`% degraded), as the doc tables state them. */
const level = (percent: number, degraded = 0) => ({ hosts: 100, healthy: percent, degraded });
const noPanic = { panicThresholdPercent: 0 };

/**
 * Envoy's integer priority load against the example tables of Envoy's own docs (arch overview:
 * priority levels, panic threshold, degraded endpoints, locality weighted load balancing; the
 * previous_priorities proto doc). Where a table's rounding disagrees with load_balancer_impl.cc,
 * the code wins and the case says so.
 */
describe("model/envoy: Envoy's load-balancing arithmetic", () => {
  describe("priority levels (docs: priority levels; panic off, as the mesh runs it)", () => {
    const twoLevels: [number, number, number, number][] = [
      [100, 100, 100, 0],
      [72, 100, 100, 0],
      [71, 100, 99, 1],
      [50, 100, 70, 30],
      [25, 100, 35, 65],
      [0, 100, 0, 100],
      [100, 100, 100, 0],
      [72, 72, 100, 0],
      [71, 71, 99, 1],
      [50, 50, 70, 30],
      [25, 25, 50, 50],
    ];
    for (const [p0, p1, load0, load1] of twoLevels) {
      it(`P0 ${p0}% and P1 ${p1}% healthy: ${load0}% / ${load1}%`, () => {
        assert.deepEqual(priorityLoad([level(p0), level(p1)], noPanic).healthy, [load0, load1]);
      });
    }

    const threeLevels: [number[], number[]][] = [
      [
        [100, 100, 100],
        [100, 0, 0],
      ],
      [
        [72, 72, 100],
        [100, 0, 0],
      ],
      [
        [71, 71, 100],
        [99, 1, 0],
      ],
      [
        [50, 50, 100],
        [70, 30, 0],
      ],
      [
        [25, 100, 100],
        [35, 65, 0],
      ],
      [
        [25, 25, 100],
        [35, 35, 30],
      ],
    ];
    for (const [healthy, loads] of threeLevels) {
      it(`three levels ${healthy.join("/")}% healthy: ${loads.join("/")}%`, () => {
        assert.deepEqual(
          priorityLoad(
            healthy.map((p) => level(p)),
            noPanic,
          ).healthy,
          loads,
        );
      });
    }

    it("three levels 25/25/20%: the doc says 36/36/28, the code gives 37/35/28 (the rounding remainder goes to P0)", () => {
      // health 35, 35, 28; total 98; floor(35 x 100 / 98) = 35, 35, floor(28 x 100 / 98) = 28; the 2 left go to P0.
      assert.deepEqual(priorityLoad([level(25), level(25), level(20)], noPanic).healthy, [37, 35, 28]);
    });

    it("scales with the overprovisioning factor and counts hosts, not percentages", () => {
      assert.deepEqual(
        priorityLoad([
          { hosts: 6, healthy: 3 },
          { hosts: 1, healthy: 1 },
        ]).healthy,
        [70, 30],
      );
      assert.deepEqual(
        priorityLoad(
          [
            { hosts: 6, healthy: 3 },
            { hosts: 1, healthy: 1 },
          ],
          { overprovisioningFactor: 1 },
        ).healthy,
        [50, 50],
      );
      assert.deepEqual(
        priorityLoad([
          { hosts: 6, healthy: 5 },
          { hosts: 1, healthy: 1 },
        ]).healthy,
        [100, 0],
        "5/6 x 1.4 > 1",
      );
    });
  });

  describe("panic threshold (docs: panic threshold; the default 50%)", () => {
    const withHealthyP1: [number, number, number][] = [
      [72, 100, 0],
      [71, 99, 1],
      [50, 70, 30],
      [25, 35, 65],
      [0, 0, 100],
    ];
    for (const [p0, load0, load1] of withHealthyP1) {
      it(`P0 ${p0}%, P1 100%: ${load0}/${load1}, never in panic (the normalized total is 100)`, () => {
        const load = priorityLoad([level(p0), level(100)]);
        assert.deepEqual(load.healthy, [load0, load1]);
        assert.deepEqual(load.panic, [false, false]);
      });
    }

    it("P0 72%, P1 72%: 100/0; 71%/71%: 99/1; no panic", () => {
      assert.deepEqual(priorityLoad([level(72), level(72)]), { healthy: [100, 0], degraded: [0, 0], panic: [false, false] });
      assert.deepEqual(priorityLoad([level(71), level(71)]), { healthy: [99, 1], degraded: [0, 0], panic: [false, false] });
    });

    it("P0 25%, P1 25%: both in panic (normalized total 70), load by host count 50/50", () => {
      assert.deepEqual(priorityLoad([level(25), level(25)]), { healthy: [50, 50], degraded: [0, 0], panic: [true, true] });
    });

    it("P0 5%, P1 65%: P0 in panic, P1 not (normalized total 98); the doc says 7/93, the code gives 8/92", () => {
      // health 7 and 91; floor(7 x 100 / 98) = 7, floor(91 x 100 / 98) = 92; the 1 left goes to P0.
      assert.deepEqual(priorityLoad([level(5), level(65)]), { healthy: [8, 92], degraded: [0, 0], panic: [true, false] });
    });

    it("P0 50%, P1 60% and P0 25%, P1 100%: the doc's 50/50 and 25/75 leave out the overprovisioning factor; the code gives 70/30 and 35/65", () => {
      assert.deepEqual(priorityLoad([level(50), level(60)]).healthy, [70, 30]);
      assert.deepEqual(priorityLoad([level(25), level(100)]).healthy, [35, 65]);
    });

    it("threshold 0: never in panic; with nothing healthy, P0 gets 100% (no healthy upstream)", () => {
      assert.deepEqual(priorityLoad([level(0), level(0)], noPanic), { healthy: [100, 0], degraded: [0, 0], panic: [false, false] });
      assert.deepEqual(priorityLoad([level(0), level(0)]).panic, [true, true], "with Envoy's default 50% both are in panic");
    });
  });

  describe("degraded endpoints (docs: degraded endpoints; P0 alone)", () => {
    const table: [number, number, number, number][] = [
      [100, 0, 100, 0],
      [71, 0, 100, 0],
      [71, 29, 99, 1],
      [25, 65, 35, 65],
      [5, 0, 100, 0],
    ];
    for (const [healthy, degraded, toHealthy, toDegraded] of table) {
      it(`${healthy}% healthy, ${degraded}% degraded: ${toHealthy}% to healthy, ${toDegraded}% to degraded hosts`, () => {
        const load = priorityLoad([level(healthy, degraded)]);
        assert.deepEqual([load.healthy[0], load.degraded[0]], [toHealthy, toDegraded]);
      });
    }

    it("the load_balancer_impl.cc comment's three levels: 10/20/10 health and 20/10/0 degraded give 16/28/14 and 28/14/0", () => {
      // 140 hosts per level make health equal to the host count (factor 1.4); the 2 left go to the first healthy priority.
      const load = priorityLoad(
        [
          { hosts: 140, healthy: 10, degraded: 20 },
          { hosts: 140, healthy: 20, degraded: 10 },
          { hosts: 140, healthy: 10, degraded: 0 },
        ],
        noPanic,
      );
      assert.deepEqual(load.healthy, [16, 28, 14]);
      assert.deepEqual(load.degraded, [28, 14, 0]);
    });
  });

  describe("locality weighted load balancing (docs: locality weights; X weight 1, Y weight 2, Y all healthy)", () => {
    const table: [number, number][] = [
      [100, 33],
      [70, 33],
      [69, 32],
      [50, 26],
      [25, 15],
      [0, 0],
    ];
    for (const [healthy, percentToX] of table) {
      it(`X ${healthy}% healthy: ~${percentToX}% to X (the table rounds; within a point)`, () => {
        const [toX, toY] = localityShares([
          { weight: 1, hosts: 100, healthy },
          { weight: 2, hosts: 100, healthy: 100 },
        ]);
        assert.ok(Math.abs(100 * toX! - percentToX) <= 1, `${100 * toX!} vs ${percentToX}`);
        assert.ok(Math.abs(toX! + toY! - 1) < 1e-9);
      });
    }
  });

  describe("previous_priorities (proto doc; Istio installs it with update frequency 2)", () => {
    it("healths 100/50/50: load 100/0/0, and 0/50/50 once P0 is excluded", () => {
      // 36% healthy is health floor(1.4 x 36) = 50.
      const levels = [level(100), level(36), level(36)];
      const original = priorityLoad(levels);
      assert.deepEqual(original.healthy, [100, 0, 0]);
      const retry = new PreviousPriorities(1);
      retry.tried(0);
      assert.deepEqual(retry.load(levels, original).healthy, [0, 50, 50]);
    });

    it("update frequency 1 over P0 100%, P1 0%, P2 50%: P0, P2, P0, then P0 again where the doc says P2", () => {
      // Envoy's reset loop (`for (auto excluded_priority : excluded_priorities_) excluded_priority = false;`)
      // assigns to copies: the excluded flags stay, so the fourth try falls back to the original load.
      const levels = [level(100), level(0), level(50)];
      const original = priorityLoad(levels, noPanic);
      const retry = new PreviousPriorities(1);
      const pick = () => {
        const load = retry.load(levels, original).healthy;
        const chosen = load.findIndex((share) => share === 100);
        retry.tried(chosen);
        return chosen;
      };
      assert.deepEqual([pick(), pick(), pick(), pick()], [0, 2, 0, 0]);
    });

    it("Istio's frequency 2 over the overflow priorities: tries 1 and 2 home, tries 3 and 4 in the other cloud, try 5 home again", () => {
      const levels = [
        { hosts: 6, healthy: 6 },
        { hosts: 1, healthy: 1 },
      ];
      const original = priorityLoad(levels, noPanic);
      const retry = new PreviousPriorities(2);
      const tries: number[] = [];
      for (let attempt = 0; attempt < 5; attempt++) {
        const chosen = retry.load(levels, original).healthy[0] === 100 ? 0 : 1;
        tries.push(chosen);
        retry.tried(chosen);
      }
      assert.deepEqual(tries, [0, 0, 1, 1, 0]);
    });
  });

  describe("outlier detection (outlier_detection_impl.cc)", () => {
    const settings: OutlierSettings = {
      consecutive5xx: 5,
      consecutiveGatewayFailure: 3,
      splitExternalLocalOriginErrors: false,
      consecutiveLocalOriginFailure: 5,
      intervalSeconds: 5,
      baseEjectionSeconds: 15,
      maxEjectionSeconds: 300,
      maxEjectionPercent: 100,
    };

    it("ejects after 3 consecutive 503s when gateway errors are enforced; a success resets the count", () => {
      const detector = new OutlierDetector(2, settings);
      detector.report(0, "503", 0);
      detector.report(0, "503", 0);
      detector.report(0, "success", 0);
      detector.report(0, "503", 0);
      detector.report(0, "503", 0);
      assert.equal(detector.isEjected(0), false);
      assert.equal(detector.report(0, "503", 1), true);
      assert.equal(detector.isEjected(0), true);
    });

    it("never ejects for 503 with consecutive5xxErrors 0 and no gateway counter; local-origin failures still eject in split mode", () => {
      const detector = new OutlierDetector(2, {
        ...settings,
        consecutive5xx: 0,
        consecutiveGatewayFailure: undefined,
        splitExternalLocalOriginErrors: true,
      });
      for (let i = 0; i < 100; i++) detector.report(0, "503", i);
      assert.equal(detector.isEjected(0), false);
      for (let i = 0; i < 4; i++) detector.report(1, "local-origin-failure", 0);
      assert.equal(detector.isEjected(1), false);
      assert.equal(detector.report(1, "local-origin-failure", 0), true);
    });

    it("ejection time is base x count, unejected only at sweeps, capped at 300 s; the count decays once per interval not ejected", () => {
      const detector = new OutlierDetector(1, { ...settings, consecutiveGatewayFailure: 1 });
      const ejectAt = (time: number) => assert.equal(detector.report(0, "503", time), true);
      ejectAt(0);
      detector.sweep(10);
      assert.equal(detector.isEjected(0), true, "15 s not over at 10 s");
      detector.sweep(15);
      assert.equal(detector.isEjected(0), false, "unejected at the sweep after 15 s");
      ejectAt(16);
      detector.sweep(40);
      assert.equal(detector.isEjected(0), true, "second ejection lasts 30 s");
      detector.sweep(46);
      assert.equal(detector.isEjected(0), false);
      for (let n = 0; n < 30; n++) {
        ejectAt(1000 * (n + 1));
        detector.sweep(1000 * (n + 1) + 999);
      }
      ejectAt(50_000);
      detector.sweep(50_299);
      assert.equal(detector.isEjected(0), true);
      detector.sweep(50_300);
      assert.equal(detector.isEjected(0), false, "capped at 300 s");
      for (let sweep = 1; sweep <= 25; sweep++) detector.sweep(50_300 + 5 * sweep);
      ejectAt(60_000);
      detector.sweep(60_014);
      assert.equal(detector.isEjected(0), true);
      detector.sweep(60_015 + 15);
      assert.equal(detector.isEjected(0), false, "after 25 quiet sweeps the count is back near 1");
    });

    it("maxEjectionPercent counts every host of the cluster, all priorities together", () => {
      const detector = new OutlierDetector(4, { ...settings, consecutiveGatewayFailure: 1, maxEjectionPercent: 50 });
      assert.equal(detector.report(0, "503", 0), true);
      assert.equal(detector.report(1, "503", 0), true);
      assert.equal(detector.report(2, "503", 0), false, "a third of four would be 75%");
      assert.equal(detector.ejectedCount(), 2);
    });
  });
});
