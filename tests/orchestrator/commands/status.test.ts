import { strict as assert } from "node:assert";
import { meshStatus } from "../../../orchestrator/commands/status";
import { meshUp } from "../../../orchestrator/commands/up";
import type { MeshWorkspace, StackHandle } from "../../../orchestrator/ports";
import { CapturedLog, fullPlan, twoClusterMesh } from "../fakeMesh";

describe("status", () => {
  it("shows existence, last update and output names, never output values", async () => {
    const mesh = twoClusterMesh();
    await meshUp(mesh, new CapturedLog(), { trust: "trust", clusters: ["aks", "eks"], selection: { trust: "trust", clusters: ["eks"] } });
    mesh.state.get("aks")!.exists = false;
    const log = new CapturedLog();
    await meshStatus(mesh, log, fullPlan());
    const text = log.all;
    const values = [...mesh.state.values()].flatMap((s) => Object.values(s.outputs).map((o) => String(o.value)));
    assert.ok(values.length >= 5);
    // (a cluster's clusterName output equals its stack name, which status does print)
    for (const value of values.filter((v) => !mesh.state.has(v))) assert.ok(!text.includes(value), `printed an output value: ${value}`);
    assert.ok(!text.includes("secret-value"));
    assert.match(text, /\[eks\] \(cluster\) exists; last update: update succeeded at 1970-01-01T00:00:01\.000Z/);
    assert.match(text, /\[eks\] outputs: clusterName, gatewayAddress, readerToken \[secret\]/);
    assert.match(text, /\[trust\] outputs: cacerts \[secret\], rootCert/);
    assert.match(text, /\[aks\] \(cluster\) not created yet/);
    assert.equal(mesh.state.get("aks")!.exists, false, "status must not create stacks");
  });

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
