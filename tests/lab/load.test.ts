import { strict as assert } from "node:assert";
import { seededRandom } from "../../model/random";
import { classify, poissonArrivals, shares, tally } from "../../lab/load";
import { perSecond, spillStart } from "../../lab/experiments";

describe("lab/load: open-loop arrivals and the count per outcome", () => {
  it("draws Poisson arrivals at the rate asked, ordered, within the time, the same for the same seed", () => {
    const arrivals = poissonArrivals(200, 50, seededRandom(3));
    assert.ok(Math.abs(arrivals.length - 10_000) < 300, `${arrivals.length} arrivals for 200/s over 50 s`);
    assert.ok(arrivals.every((time, index) => time >= 0 && time < 50 && (index === 0 || time >= arrivals[index - 1]!)));
    assert.deepEqual(poissonArrivals(200, 1, seededRandom(3)), poissonArrivals(200, 1, seededRandom(3)));
    assert.notDeepEqual(poissonArrivals(200, 1, seededRandom(3)), poissonArrivals(200, 1, seededRandom(4)));
    const gaps = arrivals.slice(1).map((time, index) => time - arrivals[index]!);
    const share = gaps.filter((gap) => gap > 1 / 200).length / gaps.length;
    assert.ok(Math.abs(share - Math.exp(-1)) < 0.02, `exponential gaps: ${share} of them longer than the mean`);
  });

  it("names who served a request from the app's header, and a failure by status and Envoy's response flags", () => {
    assert.deepEqual(classify(200, { "x-lab-cluster": "home", "x-envoy-attempt-count": "1" }), { served: "home", tries: 1 });
    assert.deepEqual(classify(200, { "x-lab-cluster": "remote", "x-envoy-attempt-count": "3" }), { served: "remote", tries: 3 });
    assert.deepEqual(classify(503, { "x-lab-response-flags": "URX", "x-envoy-attempt-count": "4" }), {
      served: "failed",
      reason: "503 URX",
      tries: 4,
    });
    assert.deepEqual(classify(503, { "x-lab-response-flags": "-" }), { served: "failed", reason: "503", tries: 1 });
    assert.deepEqual(classify(200, {}), { served: "failed", reason: "200", tries: 1 }, "an answer from no pod of the lab is no success");
  });

  it("tallies outcomes, failures by reason most frequent first, and the mean tries", () => {
    const counted = tally([
      { served: "home", tries: 1 },
      { served: "remote", tries: 3 },
      { served: "failed", reason: "503 URX", tries: 4 },
      { served: "failed", reason: "503 UH", tries: 1 },
      { served: "failed", reason: "503 URX", tries: 4 },
    ]);
    assert.deepEqual(counted, {
      offered: 5,
      home: 1,
      remote: 1,
      failed: 3,
      failures: [
        { reason: "503 URX", count: 2 },
        { reason: "503 UH", count: 1 },
      ],
      meanTries: 13 / 5,
    });
    assert.deepEqual(shares(counted), { home: 0.2, remote: 0.2, failed: 0.6 });
    assert.deepEqual(shares(tally([])), { home: 0, remote: 0, failed: 0 });
  });

  it("buckets a surge by the second each request was due, and finds when the spill reached half its level", () => {
    const sent = Array.from({ length: 60 }, (_, second) => [
      { due: second + 0.1, outcome: { served: "home" as const, tries: 1 } },
      { due: second + 0.6, outcome: { served: second >= 23 ? ("remote" as const) : ("home" as const), tries: 2 } },
    ]).flat();
    const series = perSecond(sent, 60);
    assert.deepEqual(series[22], { second: 22, home: 1, remote: 0, failed: 0 });
    assert.deepEqual(series[23], { second: 23, home: 0.5, remote: 0.5, failed: 0 });
    assert.equal(spillStart(series, 20), 3);
    assert.equal(spillStart(perSecond(sent.slice(0, 40), 60), 20), undefined, "no spill at all: never");
  });
});
