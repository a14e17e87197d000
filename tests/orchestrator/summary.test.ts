import { strict as assert } from "node:assert";
import { meshUp } from "../../orchestrator/commands/up";
import { StackFailedError } from "../../orchestrator/errors";
import { describeChanges, formatDuration, PrefixedLines } from "../../orchestrator/summary";
import { CapturedLog, fullPlan, twoClusterMesh } from "./fakeMesh";

describe("summary", () => {
  describe("up summary", () => {
    it("ends with each stack's changes and durations, then the time to the converged mesh", async () => {
      const mesh = twoClusterMesh();
      mesh.minutes = { trust: 3, aks: 5, eks: 9 };
      const log = new CapturedLog();
      const report = await meshUp(mesh, log, fullPlan(), { now: mesh.now });
      // Passes run side by side: each takes as long as eks, the slower stack (3 + 9 + 9 minutes).
      assert.deepEqual(log.lines.slice(-5), [
        "summary:",
        "  trust  create 2 (3m 00s)",
        "  aks    pass 1: create 3 (5m 00s); pass 2: create 1, same 3 (5m 00s); 10m 00s in all",
        "  eks    pass 1: create 3 (9m 00s); pass 2: create 1, same 3 (9m 00s); 18m 00s in all",
        "mesh converged 21m 00s after up started (2 cluster passes)",
      ]);
      assert.equal(report.durationMs, 21 * 60_000);
      assert.deepEqual(
        report.updates.map((u) => [u.stack, u.pass, u.durationMs / 60_000]),
        [
          ["trust", 0, 3],
          ["aks", 1, 5],
          ["eks", 1, 9],
          ["aks", 2, 5],
          ["eks", 2, 9],
        ],
      );
    });

    it("lists only the stacks this run updated", async () => {
      const mesh = twoClusterMesh();
      mesh.minutes = { trust: 1, eks: 2 };
      const trustOnly = new CapturedLog();
      await meshUp(
        mesh,
        trustOnly,
        { trust: "trust", clusters: ["aks", "eks"], selection: { trust: "trust", clusters: [] } },
        { now: mesh.now },
      );
      assert.deepEqual(trustOnly.lines.slice(-3), [
        "summary:",
        "  trust  create 2 (1m 00s)",
        "up finished 1m 00s after it started (no cluster stack selected)",
      ]);
      const eksOnly = new CapturedLog();
      await meshUp(mesh, eksOnly, { trust: "trust", clusters: ["aks", "eks"], selection: { clusters: ["eks"] } }, { now: mesh.now });
      assert.deepEqual(eksOnly.lines.slice(-3), [
        "summary:",

        "  eks  pass 1: create 3 (2m 00s); pass 2: same 3 (2m 00s); 4m 00s in all",
        "mesh converged 4m 00s after up started (2 cluster passes)",
      ]);
    });

    it("shows a failed update and says the mesh did not converge", async () => {
      const mesh = twoClusterMesh();
      mesh.minutes = { trust: 2, aks: 4, eks: 6 };
      mesh.fail = (stack, _op, run) => (stack === "eks" && run === 2 ? "helm release istiod failed" : undefined);
      const log = new CapturedLog();
      await assert.rejects(meshUp(mesh, log, fullPlan(), { now: mesh.now }), StackFailedError);
      assert.deepEqual(log.lines.slice(-5), [
        "summary:",
        "  trust  create 2 (2m 00s)",
        "  aks    pass 1: create 3 (4m 00s); pass 2: create 1, same 3 (4m 00s); 8m 00s in all",
        "  eks    pass 1: create 3 (6m 00s); pass 2: failed (6m 00s); 12m 00s in all",
        "up stopped 14m 00s after it started, before the mesh converged",
      ]);
    });

    it("formats durations for people", () => {
      const cases: [number, string][] = [
        [0, "0.0s"],
        [4_240, "4.2s"],
        [9_949, "9.9s"],
        [9_950, "10s"],
        [42_000, "42s"],
        [59_600, "1m 00s"],
        [842_000, "14m 02s"],
        [3_600_000, "1h 00m 00s"],
        [3_905_000, "1h 05m 05s"],
      ];
      assert.deepEqual(
        cases.map(([ms]) => formatDuration(ms)),
        cases.map(([, text]) => text),
      );
    });
  });

  it("describes changes with 'same' last and nothing for zero counts", () => {
    assert.equal(describeChanges(undefined), "no change summary reported");
    assert.equal(describeChanges({}), "no resources");
    assert.equal(describeChanges({ create: 0, same: 0 }), "no resources");
    assert.equal(describeChanges({ same: 3, update: 2, create: 0, delete: 1 }), "delete 1, update 2, same 3");
    assert.equal(describeChanges({ create: 1, same: 2 }), "create 1, same 2");
    assert.equal(describeChanges({ same: 2, replace: 1 }), "replace 1, same 2");
  });

  it("prefixes lines across chunk boundaries", () => {
    const lines: string[] = [];
    const p = new PrefixedLines("[eks]", (l) => lines.push(l));
    p.push("a\nb");
    p.push("c\r\n");
    p.push("d");
    p.flush();
    p.flush();
    assert.deepEqual(lines, ["[eks] a", "[eks] bc", "[eks] d"]);
  });

  it("keeps carriage returns inside a line and drops the one before a line break, also at the end", () => {
    const lines: string[] = [];
    const p = new PrefixedLines("[aks]", (l) => lines.push(l));
    p.push("progress\r50%\r\nlast\r");
    p.flush();
    assert.deepEqual(lines, ["[aks] progress\r50%", "[aks] last"]);
  });
});
