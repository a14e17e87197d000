import { strict as assert } from "node:assert";
import { meshPreview } from "../../../orchestrator/commands/preview";
import { CapturedLog, fullPlan, overlap, progress, twoClusterMesh } from "../fakeMesh";

describe("preview", () => {
  it("previews the trust stack, then each cluster stack once, concurrently, and prints summaries", async () => {
    const mesh = twoClusterMesh();
    const log = new CapturedLog();
    const report = await meshPreview(mesh, log, fullPlan());
    assert.equal(mesh.starts("up").length, 0, "preview must not update");
    assert.deepEqual(
      mesh
        .starts("preview")
        .map((e) => e.stack)
        .sort(),
      ["aks", "eks", "trust"],
    );
    const trustEnd = mesh.event("trust", "preview", "end");
    assert.ok(mesh.event("eks", "preview", "start").seq > trustEnd.seq && mesh.event("aks", "preview", "start").seq > trustEnd.seq);
    assert.ok(overlap(mesh, "preview", "eks", "aks"));
    assert.deepEqual(report.changes.get("eks"), { create: 2 });
    assert.ok(log.lines.includes("[eks] create 2"));
    assert.ok(log.lines.includes("[trust] create 2"));
  });

  it("stops after a failed trust preview", async () => {
    const mesh = twoClusterMesh();
    mesh.fail = (stack, op) => (stack === "trust" && op === "preview" ? "bad config" : undefined);
    await assert.rejects(meshPreview(mesh, new CapturedLog(), fullPlan()), /stack trust failed .*bad config/);
    assert.deepEqual(
      mesh.starts("preview").map((e) => e.stack),
      ["trust"],
    );
  });

  it("reports the order and each stack's changes, with a note on the peer wiring", async () => {
    const log = new CapturedLog();
    await meshPreview(twoClusterMesh(), log, fullPlan());
    assert.deepEqual(progress(log), [
      "preview aks, eks in parallel",
      "plan:",
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
    assert.deepEqual(progress(trustLog), ["plan:", "[trust] create 2"]);
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
