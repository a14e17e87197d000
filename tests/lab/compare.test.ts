import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { projectServices } from "../support/projectServices";
import type { SweepRow } from "../../model/scenarios";
import { beyondTolerance, cascades, compareRows, comparisonTable, tolerancePoints } from "../../lab/compare";
import { labService, labSize, modelSweep } from "../../lab/experiments";

/** A recorded `npm run lab -- sweep`: real Envoy's shares per load, per recipe. */
interface RecordedSweep {
  sizing: typeof labSize;
  recipes: Record<"retry" | "ejection", SweepRow[]>;
}

const recorded = JSON.parse(fs.readFileSync(path.join(__dirname, "../fixtures/lab/sweep.json"), "utf8")) as RecordedSweep;
const row = (load: number, home: number, remote: number, failed: number): SweepRow => ({ load, home, remote, failed, remoteCapacity: 1 });

describe("lab/compare: real Envoy held against the model", function () {
  this.timeout(60_000);
  const { members, services } = projectServices();
  const service = labService(services.find((candidate) => candidate.mode === "overflow")!);
  const loads = recorded.recipes.retry.map((entry) => entry.load);

  it("the recording is of the lab's size", () => {
    assert.deepEqual(
      { homePods: recorded.sizing.homePods, remotePods: recorded.sizing.remotePods, perPodCapacity: recorded.sizing.perPodCapacity },
      { homePods: labSize.homePods, remotePods: labSize.remotePods, perPodCapacity: labSize.perPodCapacity },
    );
    assert.equal(recorded.sizing.serviceTimeSeconds, labSize.serviceTimeSeconds);
  });

  it(`today's model stays within ${tolerancePoints} points of the recorded Envoy run for the retry recipe, at every load`, () => {
    const rows = compareRows(recorded.recipes.retry, modelSweep(service, members, "retry", loads, 1));
    assert.deepEqual(beyondTolerance(rows), [], `\n${comparisonTable(rows)}`);
  });

  it("the recorded old recipe cascades where the retry recipe holds, and today's model says so too", () => {
    assert.deepEqual(cascades(recorded.recipes.ejection, recorded.recipes.retry), { holds: true, loads: [0.9, 1.2, 1.5, 2] });
    const model = modelSweep(service, members, "ejection", loads, 1);
    assert.equal(cascades(model, modelSweep(service, members, "retry", loads, 1)).holds, true);
  });

  it("measures the gap as the largest share difference, and names the loads beyond the tolerance", () => {
    const rows = compareRows([row(1, 0.7, 0.3, 0), row(2, 0.4, 0.4, 0.2)], [row(1, 0.72, 0.27, 0.01), row(2, 0.5, 0.4, 0.1)]);
    assert.deepEqual(
      rows.map((entry) => Number(entry.gapPoints.toFixed(6))),
      [3, 10],
    );
    assert.deepEqual(beyondTolerance(rows), [2]);
    assert.throws(() => compareRows([row(3, 1, 0, 0)], [row(1, 1, 0, 0)]), /the model has no row for load 3/);
    assert.match(comparisonTable(rows), /2\.00\s+40\.0%\s+50\.0%\s+40\.0%\s+40\.0%\s+20\.0%\s+10\.0%\s+10\.0 pt/);
  });

  it("calls it a cascade only when home loses 20 points and failures rise 20 points at every load from 0.9x", () => {
    const retry = [row(0.5, 1, 0, 0), row(0.9, 0.98, 0.02, 0), row(2, 0.5, 0.45, 0.05)];
    assert.deepEqual(cascades([row(0.5, 1, 0, 0), row(0.9, 0.2, 0.1, 0.7), row(2, 0.1, 0.1, 0.8)], retry), {
      holds: true,
      loads: [0.9, 2],
    });
    assert.deepEqual(cascades([row(0.5, 1, 0, 0), row(0.9, 0.9, 0.1, 0), row(2, 0.1, 0.1, 0.8)], retry), { holds: false, loads: [2] });
    assert.deepEqual(cascades([row(0.5, 1, 0, 0)], retry), { holds: false, loads: [] }, "no load from 0.9x: nothing shown");
  });
});
