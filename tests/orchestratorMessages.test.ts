/**
 * What a user reads from the orchestrator: the progress lines of each command, the errors that name
 * the stack and the step, and the helpers behind them. The order and convergence tests are in
 * orchestrator.test.ts.
 */
import { strict as assert } from "node:assert";
import {
  describeChanges,
  meshDestroy,
  meshPreview,
  meshStatus,
  meshUp,
  MeshWorkspace,
  NotConvergedError,
  onlySame,
  outputsDigest,
  PrefixedLines,
  StackFailedError,
  StackHandle,
} from "../orchestrator/plan";
import { CapturedLog, clusterProgram, FakeMesh, fullPlan, plain, Program, twoClusterMesh } from "./support/fakeMesh";

/** The orchestrator's own lines, without the stacks' streamed output. */
const progress = (log: CapturedLog) => log.lines.filter((l) => !/^\[\w+\] (Updating|run \d|Previewing|Destroying)/.test(l));

/** A workspace whose `open` fails (or finds nothing) for one stack and otherwise defers to `mesh`. */
function failingOpen(mesh: FakeMesh, stack: string, outcome: Error | undefined): MeshWorkspace {
  return {
    open: async (name, options): Promise<StackHandle | undefined> => {
      if (name !== stack) return mesh.open(name, options);
      if (outcome) throw outcome;
      return undefined;
    },
  };
}

describe("orchestrator messages", () => {
  describe("up", () => {
    it("reports each step of a fresh mesh's bootstrap, then the summary", async () => {
      const mesh = twoClusterMesh();
      mesh.minutes = { trust: 1, aks: 2, eks: 3 };
      const log = new CapturedLog();
      await meshUp(mesh, log, fullPlan(), { now: mesh.now });
      assert.deepEqual(progress(log), [
        "[trust] up (trust stack)",
        "[trust] done: create 2",
        "cluster pass 1: up aks, eks in parallel",
        "[aks] done (cluster pass 1): create 3",
        "[eks] done (cluster pass 1): create 3",
        "cluster pass 1: outputs of aks, eks changed; running another pass",
        "cluster pass 2: up aks, eks in parallel",
        "[aks] done (cluster pass 2): create 1, same 3",
        "[eks] done (cluster pass 2): create 1, same 3",
        "cluster pass 2: no cluster stack's outputs changed; converged after 2 cluster passes",
        "summary:",
        "  trust  create 2 (1m 00s)",
        "  aks    pass 1: create 3 (2m 00s); pass 2: create 1, same 3 (2m 00s); 4m 00s in all",
        "  eks    pass 1: create 3 (3m 00s); pass 2: create 1, same 3 (3m 00s); 6m 00s in all",
        "mesh converged 7m 00s after up started (2 cluster passes)",
      ]);
      assert.deepEqual(log.errors, []);

      const rerun = new CapturedLog();
      mesh.clock = 60 * 60_000; // the clock does not start at zero
      const report = await meshUp(mesh, rerun, fullPlan(), { now: mesh.now });
      assert.ok(progress(rerun).includes("cluster pass 1: no cluster stack's outputs changed; converged after 1 cluster pass"));
      assert.equal(progress(rerun).at(-1), "mesh converged 4m 00s after up started (1 cluster pass)");
      assert.equal(report.durationMs, 4 * 60_000);
    });

    it("measures with a real clock when none is given", async () => {
      const report = await meshUp(twoClusterMesh(), new CapturedLog(), fullPlan());
      assert.ok(Number.isFinite(report.durationMs) && report.durationMs >= 0, String(report.durationMs));
      assert.ok(report.updates.every((u) => Number.isFinite(u.durationMs) && u.durationMs >= 0));
    });

    it("says which stacks still changed at the bound, without promising another pass", async () => {
      const restless: Program = ({ run }) => ({ resources: { cluster: `v${run}` }, outputs: { generation: plain(run) } });
      const mesh = twoClusterMesh({ eks: restless });
      const log = new CapturedLog();
      const error = await meshUp(mesh, log, fullPlan(), { maxPasses: 2 }).catch((e: unknown) => e);
      assert.ok(error instanceof NotConvergedError);
      assert.equal(error.name, "NotConvergedError");
      assert.equal(
        error.message,
        "the mesh did not converge in 2 cluster passes: outputs of eks still changed in the last pass " +
          "(run 'up' again, or raise --max-passes if the wiring needs more passes)",
      );
      assert.ok(progress(log).includes("cluster pass 1: outputs of aks, eks changed; running another pass"));
      assert.ok(progress(log).includes("cluster pass 2: outputs of eks changed"));
      assert.match(new NotConvergedError(1, ["aks", "eks"]).message, /^the mesh did not converge in 1 cluster pass: outputs of aks, eks/);
    });

    it("names volatile outputs when every update reported only unchanged resources", async () => {
      const log = new CapturedLog();
      await meshUp(twoClusterMesh({ eks: clusterProgram("eks", ["aks"], ({ run }) => ({ observedAt: plain(run) })) }), log, fullPlan());
      assert.ok(
        progress(log).includes(
          "cluster pass 3: every update reported only unchanged resources (outputs of eks differ, taken as volatile); " +
            "converged after 3 cluster passes",
        ),
        progress(log).join("\n"),
      );
    });

    it("names each failed stack and the siblings that finished", async () => {
      const mesh = twoClusterMesh();
      mesh.fail = (stack, _op, run) => (stack === "eks" && run === 1 ? "quota exceeded" : undefined);
      const log = new CapturedLog();
      const error = await meshUp(mesh, log, fullPlan()).catch((e: unknown) => e);
      assert.ok(error instanceof StackFailedError);
      assert.equal(error.name, "StackFailedError");
      assert.deepEqual(error.failures, [{ stack: "eks", step: "cluster pass 1", message: "quota exceeded" }]);
      assert.deepEqual(log.errors, [
        "[eks] error: quota exceeded",
        "[eks] cluster pass 1 failed",
        "cluster pass 1: aks finished; no further steps will start",
      ]);

      const both = twoClusterMesh();
      both.fail = (stack) => (stack === "trust" ? undefined : `${stack} is out of quota`);
      const bothLog = new CapturedLog();
      const bothError = await meshUp(both, bothLog, fullPlan(), { now: both.now }).catch((e: unknown) => e);
      assert.equal(
        (bothError as Error).message,
        "2 stacks failed: stack aks (cluster pass 1): aks is out of quota\nstack eks (cluster pass 1): eks is out of quota",
      );
      assert.ok(!bothLog.errors.some((l) => l.includes("finished")), "nobody finished");
      assert.deepEqual(progress(bothLog).slice(-5), [
        "summary:",
        "  trust  create 2 (0.0s)",
        "  aks    pass 1: failed (0.0s)",
        "  eks    pass 1: failed (0.0s)",
        "up stopped 0.0s after it started, before the mesh converged",
      ]);
    });

    it("lists only the stacks that ran when the trust stack fails", async () => {
      const mesh = twoClusterMesh();
      mesh.fail = (stack) => (stack === "trust" ? "tls provider crashed" : undefined);
      const log = new CapturedLog();
      await assert.rejects(meshUp(mesh, log, fullPlan(), { now: mesh.now }), StackFailedError);
      assert.deepEqual(progress(log).slice(-3), [
        "summary:",
        "  trust  failed (0.0s)",
        "up stopped 0.0s after it started, before the mesh converged",
      ]);
    });

    it("stops before any update when a stack cannot be opened, and names it", async () => {
      for (const [outcome, message] of [
        [new Error("backend unreachable"), "backend unreachable"],
        [undefined, "the workspace did not create the stack"],
      ] as const) {
        const mesh = twoClusterMesh();
        const log = new CapturedLog();
        const error = await meshUp(failingOpen(mesh, "eks", outcome), log, fullPlan(), { now: mesh.now }).catch((e: unknown) => e);
        assert.ok(error instanceof StackFailedError);
        assert.deepEqual(error.failures, [{ stack: "eks", step: "select or create", message }]);
        assert.deepEqual(log.errors, ["[eks] could not select or create the stack"]);
        assert.deepEqual(
          progress(log),
          ["up stopped 0.0s after it started, before the mesh converged"],
          "no summary of updates when none ran",
        );
        assert.equal(mesh.starts("up").length, 0);
      }
    });

    it("refuses a bound on passes that is not a positive whole number, and accepts 1", async () => {
      for (const maxPasses of [0, -1, 1.5, Number.NaN]) {
        await assert.rejects(
          meshUp(twoClusterMesh(), new CapturedLog(), fullPlan(), { maxPasses }),
          new RegExp(`^Error: max passes must be a positive integer \\(got ${maxPasses}\\)$`),
        );
      }
      const mesh = twoClusterMesh();
      await meshUp(mesh, new CapturedLog(), fullPlan(), { maxPasses: 2 });
      const again = await meshUp(mesh, new CapturedLog(), fullPlan(), { maxPasses: 1 });
      assert.equal(again.clusterPasses, 1);
    });

    it("opens every stack to create it", async () => {
      const mesh = twoClusterMesh();
      await meshUp(mesh, new CapturedLog(), fullPlan());
      assert.deepEqual(mesh.opened.slice(0, 3), [
        { name: "trust", options: { create: true } },
        { name: "aks", options: { create: true } },
        { name: "eks", options: { create: true } },
      ]);
    });
  });

  describe("preview", () => {
    it("reports the order and each stack's changes, with a note on the peer wiring", async () => {
      const log = new CapturedLog();
      await meshPreview(twoClusterMesh(), log, fullPlan());
      assert.deepEqual(progress(log), [
        "preview aks, eks in parallel",
        "preview summary:",
        "[trust] create 2",
        "[aks] create 2",
        "[eks] create 2",
        "note: a cluster stack's preview uses the outputs its peers have now; on a fresh mesh the peer wiring appears in the second pass of 'up'",
      ]);
    });

    it("previews only what is selected", async () => {
      const trustOnly = twoClusterMesh();
      const trustLog = new CapturedLog();
      await meshPreview(trustOnly, trustLog, { trust: "trust", clusters: ["aks", "eks"], selection: { trust: "trust", clusters: [] } });
      assert.deepEqual(progress(trustLog), ["preview summary:", "[trust] create 2"]);
      assert.deepEqual(
        trustOnly.starts("preview").map((e) => e.stack),
        ["trust"],
      );
      const eksOnly = twoClusterMesh();
      await meshPreview(eksOnly, new CapturedLog(), { trust: "trust", clusters: ["aks", "eks"], selection: { clusters: ["eks"] } });
      assert.deepEqual(
        eksOnly.starts("preview").map((e) => e.stack),
        ["eks"],
      );
    });

    it("names the cluster preview that failed", async () => {
      const mesh = twoClusterMesh();
      mesh.fail = (stack, op) => (stack === "aks" && op === "preview" ? "invalid location" : undefined);
      await assert.rejects(
        meshPreview(mesh, new CapturedLog(), fullPlan()),
        /^StackFailedError: stack aks failed \(cluster preview\): invalid location$/,
      );
    });
  });

  describe("destroy", () => {
    it("reports each stack destroyed, the clusters first, and returns what it destroyed", async () => {
      const mesh = twoClusterMesh();
      await meshUp(mesh, new CapturedLog(), fullPlan());
      const log = new CapturedLog();
      const report = await meshDestroy(mesh, log, fullPlan());
      assert.deepEqual(progress(log), ["destroy aks, eks in parallel", "[aks] destroyed", "[eks] destroyed", "[trust] destroyed"]);
      assert.deepEqual(report, { destroyed: ["aks", "eks", "trust"], missing: [] });
      assert.ok(mesh.opened.slice(-3).every((o) => JSON.stringify(o.options) === JSON.stringify({ create: false })));
    });

    it("says which stacks do not exist, and destroys the rest", async () => {
      const mesh = twoClusterMesh();
      mesh.state.get("trust")!.exists = true;
      const log = new CapturedLog();
      const report = await meshDestroy(mesh, log, fullPlan());
      assert.deepEqual(progress(log), [
        "[aks] stack does not exist; nothing to destroy",
        "[eks] stack does not exist; nothing to destroy",
        "[trust] destroyed",
      ]);
      assert.deepEqual(report, { destroyed: ["trust"], missing: ["aks", "eks"] });
    });

    it("names the stack it could not select", async () => {
      const error = await meshDestroy(
        failingOpen(twoClusterMesh(), "aks", new Error("access denied")),
        new CapturedLog(),
        fullPlan(),
      ).catch((e: unknown) => e);
      assert.ok(error instanceof StackFailedError);
      assert.deepEqual(error.failures, [{ stack: "aks", step: "select", message: "access denied" }]);
    });

    it("names a failed trust stack destroy", async () => {
      const mesh = twoClusterMesh();
      await meshUp(mesh, new CapturedLog(), fullPlan());
      mesh.fail = (stack, op) => (stack === "trust" && op === "destroy" ? "still in use" : undefined);
      await assert.rejects(meshDestroy(mesh, new CapturedLog(), fullPlan()), /stack trust failed \(trust stack destroy\): still in use/);
    });
  });

  describe("status", () => {
    it("reports a stack it cannot read, one without outputs or history, and how the last update went", async () => {
      const mesh = twoClusterMesh();
      await meshUp(mesh, new CapturedLog(), fullPlan());
      mesh.state.get("trust")!.outputs = {};
      mesh.state.get("trust")!.last = undefined;
      mesh.state.get("aks")!.last = { kind: "refresh", result: "failed", startTime: new Date(Number.NaN), changes: { same: 4 } };
      mesh.state.get("eks")!.last = { kind: "update", result: "in-progress", startTime: new Date(5000) };
      const workspace: MeshWorkspace = {
        open: async (name, options) => {
          const handle = await mesh.open(name, options);
          if (name !== "eks" || !handle) return handle;
          return Object.assign(Object.create(handle) as StackHandle, { outputs: () => Promise.reject(new Error("decryption failed")) });
        },
      };
      const log = new CapturedLog();
      const statuses = await meshStatus(workspace, log, fullPlan());
      assert.deepEqual(log.lines, [
        "[trust] (trust) exists; last update: none",
        "[trust] outputs: (none)",
        "[aks] (cluster) exists; last update: refresh failed (same 4)",
        "[aks] outputs: clusterName, gatewayAddress, readerToken [secret]",
      ]);
      assert.deepEqual(log.errors, ["[eks] (cluster) status failed: decryption failed"]);
      assert.deepEqual(
        statuses.map((s) => [s.name, s.exists, s.error]),
        [
          ["trust", true, undefined],
          ["aks", true, undefined],
          ["eks", true, "decryption failed"],
        ],
      );
      assert.ok(mesh.opened.slice(-3).every((o) => JSON.stringify(o.options) === JSON.stringify({ create: false })));

      mesh.state.get("eks")!.last = { kind: "update", result: "in-progress", startTime: new Date(5000) };
      const eksLog = new CapturedLog();
      await meshStatus(mesh, eksLog, { trust: "trust", clusters: ["aks", "eks"], selection: { clusters: ["eks"] } });
      assert.equal(eksLog.lines[0], "[eks] (cluster) exists; last update: update in-progress at 1970-01-01T00:00:05.000Z");
    });
  });

  describe("helpers", () => {
    it("describes changes with 'same' last and nothing for zero counts", () => {
      assert.equal(describeChanges(undefined), "no change summary reported");
      assert.equal(describeChanges({}), "no resources");
      assert.equal(describeChanges({ create: 0, same: 0 }), "no resources");
      assert.equal(describeChanges({ same: 3, update: 2, create: 0, delete: 1 }), "delete 1, update 2, same 3");
      assert.equal(describeChanges({ create: 1, same: 2 }), "create 1, same 2");
      assert.equal(describeChanges({ same: 2, replace: 1 }), "replace 1, same 2");
    });

    it("counts an update as unchanged only when it reported nothing but 'same'", () => {
      assert.equal(onlySame(undefined), false);
      assert.equal(onlySame({}), true);
      assert.equal(onlySame({ same: 3, update: 0 }), true);
      assert.equal(onlySame({ same: 3, update: 1 }), false);
    });

    it("digests lists in order, ignores undefined keys, and tells lists, objects and strings apart", () => {
      const digest = (value: unknown) => outputsDigest({ o: plain(value) });
      assert.notEqual(digest([1, 2]), digest([2, 1]));
      assert.notEqual(digest([1, 2]), digest({ 0: 1, 1: 2 }));
      assert.notEqual(digest("ab"), digest({ 0: "a", 1: "b" }));
      assert.notEqual(digest([["a", "b"]]), digest([["ab"]]));
      assert.notEqual(digest({ a: 1, b: 2 }), digest({ a: 12 }));
      assert.equal(digest({ a: 1, b: undefined }), digest({ a: 1 }));
      assert.equal(digest([undefined]), digest([null]));
    });

    it("keeps carriage returns inside a line and drops the one before a line break, also at the end", () => {
      const lines: string[] = [];
      const p = new PrefixedLines("[aks]", (l) => lines.push(l));
      p.push("progress\r50%\r\nlast\r");
      p.flush();
      assert.deepEqual(lines, ["[aks] progress\r50%", "[aks] last"]);
    });
  });
});
