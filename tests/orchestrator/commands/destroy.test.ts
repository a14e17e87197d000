import { strict as assert } from "node:assert";
import { meshDestroy } from "../../../orchestrator/commands/destroy";
import { meshUp } from "../../../orchestrator/commands/up";
import { StackFailedError } from "../../../orchestrator/errors";
import { CapturedLog, failingOpen, fullPlan, overlap, progress, twoClusterMesh } from "../fakeMesh";

describe("destroy", () => {
  it("destroys the cluster stacks concurrently, then the trust stack", async () => {
    const mesh = twoClusterMesh();
    await meshUp(mesh, new CapturedLog(), fullPlan());
    await meshDestroy(mesh, new CapturedLog(), fullPlan());
    const trustStart = mesh.event("trust", "destroy", "start");
    assert.ok(mesh.event("eks", "destroy", "end").seq < trustStart.seq);
    assert.ok(mesh.event("aks", "destroy", "end").seq < trustStart.seq);
    assert.ok(overlap(mesh, "destroy", "eks", "aks"));
    assert.deepEqual(mesh.state.get("trust")!.resources, {});
  });

  it("keeps the trust stack when a cluster destroy fails, and names the stack", async () => {
    const mesh = twoClusterMesh();
    await meshUp(mesh, new CapturedLog(), fullPlan());
    mesh.fail = (stack, op) => (stack === "aks" && op === "destroy" ? "resource group is locked" : undefined);
    await assert.rejects(
      meshDestroy(mesh, new CapturedLog(), fullPlan()),
      /stack aks failed \(cluster destroy\): resource group is locked/,
    );
    assert.ok(mesh.event("eks", "destroy", "end"), "the sibling finished");
    assert.equal(mesh.starts("destroy", "trust").length, 0);
  });

  it("skips stacks that do not exist without creating them", async () => {
    const mesh = twoClusterMesh();
    const report = await meshDestroy(mesh, new CapturedLog(), fullPlan());
    assert.deepEqual(report.missing.sort(), ["aks", "eks", "trust"]);
    assert.equal(mesh.starts("destroy").length, 0);
    assert.ok([...mesh.state.values()].every((s) => !s.exists));
  });

  it("reports each stack destroyed, the clusters first, and returns what it destroyed", async () => {
    const mesh = twoClusterMesh();
    await meshUp(mesh, new CapturedLog(), fullPlan());
    mesh.minutes = { trust: 1, aks: 2, eks: 3 };
    const log = new CapturedLog();
    const report = await meshDestroy(mesh, log, fullPlan(), mesh.now);
    assert.deepEqual(progress(log), [
      "destroy aks, eks in parallel",
      "[aks] destroyed in 2m 00s",
      "[eks] destroyed in 3m 00s",
      "[trust] destroyed in 1m 00s",
    ]);
    assert.deepEqual(report, { destroyed: ["aks", "eks", "trust"], missing: [] });
    assert.ok(mesh.opened.slice(-3).every((o) => JSON.stringify(o.options) === JSON.stringify({ create: false })));
  });

  it("says which stacks do not exist, and destroys the rest", async () => {
    const mesh = twoClusterMesh();
    mesh.state.get("trust")!.exists = true;
    const log = new CapturedLog();
    const report = await meshDestroy(mesh, log, fullPlan(), mesh.now);
    assert.deepEqual(progress(log), [
      "[aks] stack does not exist; nothing to destroy",
      "[eks] stack does not exist; nothing to destroy",
      "[trust] destroyed in 0.0s",
    ]);
    assert.deepEqual(report, { destroyed: ["trust"], missing: ["aks", "eks"] });
  });

  it("names the stack it could not select", async () => {
    const error = await meshDestroy(failingOpen(twoClusterMesh(), "aks", new Error("access denied")), new CapturedLog(), fullPlan()).catch(
      (e: unknown) => e,
    );
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
