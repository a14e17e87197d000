import { strict as assert } from "node:assert";
import { meshUp, onlySame, outputsDigest, ownBookkeepingOutputs } from "../../../orchestrator/commands/up";
import { clusterOutputNames } from "../../../components/stackOutputs";
import { NotConvergedError, StackFailedError } from "../../../orchestrator/errors";
import {
  CapturedLog,
  clusterProgram,
  FakeMesh,
  failingOpen,
  fullPlan,
  overlap,
  plain,
  Program,
  progress,
  secret,
  trustProgram,
  twoClusterMesh,
} from "../fakeMesh";

describe("up", () => {
  it("runs the trust stack before any cluster stack, and the cluster stacks concurrently", async () => {
    const mesh = twoClusterMesh();
    await meshUp(mesh, new CapturedLog(), fullPlan());
    const trustEnd = mesh.event("trust", "up", "end");
    for (const start of mesh.starts("up").filter((e) => e.stack !== "trust"))
      assert.ok(start.seq > trustEnd.seq, `${start.stack} started before the trust stack finished`);
    assert.ok(overlap(mesh, "up", "eks", "aks", 0), "pass 1 of eks and aks did not overlap");
    assert.ok(overlap(mesh, "up", "eks", "aks", 1), "pass 2 of eks and aks did not overlap");
  });

  it("creates or selects every stack (including unselected peers) before the first update", async () => {
    const mesh = twoClusterMesh();
    await meshUp(mesh, new CapturedLog(), { trust: "trust", clusters: ["aks", "eks"], selection: { clusters: ["eks"] } });
    const firstUp = mesh.starts("up")[0]!;
    const opensBefore = mesh
      .starts("open")
      .filter((e) => e.seq < firstUp.seq)
      .map((e) => e.stack);
    assert.deepEqual(opensBefore.sort(), ["aks", "eks", "trust"]);
    assert.ok(mesh.state.get("aks")!.exists && mesh.state.get("trust")!.exists);
    assert.deepEqual([...new Set(mesh.starts("up").map((e) => e.stack))], ["eks"], "only the selected stack is updated");
  });

  it("bootstraps a fresh mesh in exactly 2 cluster passes, and re-runs an up-to-date mesh in 1", async () => {
    const mesh = twoClusterMesh();
    const log = new CapturedLog();
    const first = await meshUp(mesh, log, fullPlan());
    assert.equal(first.clusterPasses, 2);
    assert.equal(mesh.starts("up", "eks").length, 2);
    assert.equal(mesh.starts("up", "aks").length, 2);
    assert.equal(mesh.starts("up", "trust").length, 1);
    // Pass 2 wired the peers.
    assert.ok(mesh.state.get("eks")!.resources["remote-secret-aks"]);
    assert.ok(mesh.state.get("aks")!.resources["remote-secret-eks"]);

    const second = await meshUp(mesh, log, fullPlan());
    assert.equal(second.clusterPasses, 1);
    assert.equal(mesh.starts("up", "eks").length, 3);
    assert.equal(mesh.starts("up", "aks").length, 3);
  });

  it("takes one pass for a change that updates resources but no outputs", async () => {
    const mesh = twoClusterMesh();
    await meshUp(mesh, new CapturedLog(), fullPlan());
    const base = mesh.programs.eks!;
    mesh.programs.eks = (input) => {
      const r = base(input);
      return { ...r, resources: { ...r.resources, nodePool: "desired=5" } };
    };
    const log = new CapturedLog();
    const report = await meshUp(mesh, log, fullPlan(), { now: mesh.now });
    assert.equal(report.clusterPasses, 1);
    assert.ok(log.lines.includes("[eks] done (cluster pass 1) in 0.0s: create 1, same 4"), log.lines.join("\n"));
  });

  it("bootstraps a third cluster stack the same way (2 passes, wired to both peers)", async () => {
    const mesh = new FakeMesh({
      trust: trustProgram,
      eks: clusterProgram("eks", ["aks", "gke"]),
      aks: clusterProgram("aks", ["eks", "gke"]),
      gke: clusterProgram("gke", ["eks", "aks"]),
    });
    const report = await meshUp(mesh, new CapturedLog(), fullPlan(["aks", "eks", "gke"]));
    assert.equal(report.clusterPasses, 2);
    assert.deepEqual(
      Object.keys(mesh.state.get("gke")!.resources)
        .filter((r) => r.startsWith("remote-secret-"))
        .sort(),
      ["remote-secret-aks", "remote-secret-eks"],
    );
  });

  it("compares secret output values too: a rotated secret output needs another pass", async () => {
    // eks publishes token A on its first run and token B from then on; only the secret differs.
    const rotating: Program = (input) => {
      const base = clusterProgram("eks", ["aks"])(input);
      const token = input.run === 1 ? "TOKEN-A-secret-value" : "TOKEN-B-secret-value";
      return { resources: { ...base.resources, token }, outputs: { ...base.outputs, readerToken: secret(token) } };
    };
    const mesh = twoClusterMesh({ eks: rotating });
    const report = await meshUp(mesh, new CapturedLog(), fullPlan());
    assert.equal(report.clusterPasses, 3);
    assert.match(mesh.state.get("aks")!.resources["remote-secret-eks"]!, /TOKEN-B/, "aks must be wired with the current token");
  });

  it("treats a pass whose updates report only 'same' as converged (volatile outputs)", async () => {
    const volatile = clusterProgram("eks", ["aks"], ({ run }) => ({ observedAt: plain(run) }));
    const mesh = twoClusterMesh({ eks: volatile });
    const log = new CapturedLog();
    const report = await meshUp(mesh, log, fullPlan());
    // Pass 1 creates, pass 2 wires aks (creates its remote secret), pass 3 changes no resource.
    assert.equal(report.clusterPasses, 3);
    assert.match(log.all, /only unchanged resources/);
  });

  it("stops at the bound with an error naming the stacks still changing", async () => {
    const restless: Program = ({ run }) => ({ resources: { cluster: `v${run}` }, outputs: { generation: plain(run) } });
    const mesh = twoClusterMesh({ eks: restless });
    const err = await meshUp(mesh, new CapturedLog(), fullPlan()).then(
      () => assert.fail("up converged"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof NotConvergedError);
    assert.equal(err.passes, 4);
    assert.deepEqual(err.changing, ["eks"]);
    assert.match(err.message, /4 cluster passes/);
    assert.match(err.message, /eks/);
    assert.equal(mesh.starts("up", "eks").length, 4);

    const bounded = twoClusterMesh({ eks: restless });
    await assert.rejects(meshUp(bounded, new CapturedLog(), fullPlan(), { maxPasses: 2 }), /2 cluster passes/);
    assert.equal(bounded.starts("up", "aks").length, 2);
  });

  it("stops when a cluster stack fails: siblings finish, no further pass starts, the error names the stack", async () => {
    const mesh = twoClusterMesh();
    mesh.fail = (stack, op, run) => (stack === "eks" && op === "up" && run === 1 ? "quota exceeded for m6i.xlarge" : undefined);
    const log = new CapturedLog();
    const err = await meshUp(mesh, log, fullPlan()).then(
      () => assert.fail("up succeeded"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof StackFailedError);
    assert.deepEqual(
      err.failures.map((f) => f.stack),
      ["eks"],
    );
    assert.match(err.message, /stack eks failed \(cluster pass 1\): quota exceeded for m6i\.xlarge/);
    assert.ok(mesh.event("aks", "up", "end", 0), "the sibling finished its update");
    assert.equal(mesh.starts("up", "aks").length, 1, "no second pass started");
    assert.ok(log.errors.includes("[eks] error: quota exceeded for m6i.xlarge"));
  });

  it("stops a later pass the same way", async () => {
    const mesh = twoClusterMesh();
    mesh.fail = (stack, op, run) => (stack === "aks" && op === "up" && run === 2 ? "helm release istiod failed" : undefined);
    await assert.rejects(meshUp(mesh, new CapturedLog(), fullPlan()), /stack aks failed \(cluster pass 2\): helm release istiod failed/);
    assert.equal(mesh.starts("up", "eks").length, 2);
  });

  it("does not start any cluster stack when the trust stack fails", async () => {
    const mesh = twoClusterMesh();
    mesh.fail = (stack) => (stack === "trust" ? "tls provider crashed" : undefined);
    await assert.rejects(meshUp(mesh, new CapturedLog(), fullPlan()), /stack trust failed \(trust stack up\): tls provider crashed/);
    assert.deepEqual(
      mesh.starts("up").map((e) => e.stack),
      ["trust"],
    );
  });

  it("streams each stack's output line by line, prefixed with the stack name", async () => {
    const mesh = twoClusterMesh();
    const log = new CapturedLog();
    await meshUp(mesh, log, fullPlan());
    for (const stack of ["trust", "eks", "aks"]) {
      assert.ok(log.lines.includes(`[${stack}] Updating (${stack})`), `no prefixed line for ${stack}`);
      assert.ok(log.lines.includes(`[${stack}] run 1 resources`), `chunks of ${stack} not joined into one line`);
    }
  });

  it("reports each step of a fresh mesh's bootstrap, then the summary", async () => {
    const mesh = twoClusterMesh();
    mesh.minutes = { trust: 1, aks: 2, eks: 3 };
    const log = new CapturedLog();
    await meshUp(mesh, log, fullPlan(), { now: mesh.now });
    assert.deepEqual(progress(log), [
      "[trust] up (trust stack)",
      "[trust] done in 1m 00s: create 2",
      "cluster pass 1: up aks, eks in parallel",
      "[aks] done (cluster pass 1) in 2m 00s: create 3",
      "[eks] done (cluster pass 1) in 3m 00s: create 3",
      "cluster pass 1: outputs of aks, eks changed; running another pass",
      "cluster pass 2: up aks, eks in parallel",
      "[aks] done (cluster pass 2) in 2m 00s: create 1, same 3",
      "[eks] done (cluster pass 2) in 3m 00s: create 1, same 3",
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

  it("digests outputs independently of key order but sensitive to secret values and secretness", () => {
    const a = { x: plain({ b: 1, a: 2 }), t: secret("one") };
    assert.equal(outputsDigest(a), outputsDigest({ t: secret("one"), x: plain({ a: 2, b: 1 }) }));
    assert.notEqual(outputsDigest(a), outputsDigest({ ...a, t: secret("two") }));
    assert.notEqual(outputsDigest(a), outputsDigest({ ...a, t: plain("one") }));
    assert.ok(!outputsDigest(a).includes("one"));
  });

  it("leaves out of the digest the outputs only the stack itself reads, and they are the contract's", () => {
    const a = { meshPeer: secret("peer") };
    assert.equal(
      outputsDigest(a),
      outputsDigest({
        ...a,
        linkedPeers: plain(["aks"]),
        aksNodePool: plain({ vmSize: "Standard_D4s_v5" }),
        istio: plain({ tags: { stable: "1-30-8" } }),
      }),
    );
    assert.deepEqual(ownBookkeepingOutputs, [clusterOutputNames.linkedPeers, clusterOutputNames.aksNodePool, clusterOutputNames.istio]);
  });

  it("counts an update as unchanged only when it reported nothing but 'same'", () => {
    assert.equal(onlySame(undefined), false);
    assert.equal(onlySame({}), true);
    assert.equal(onlySame({ same: 3, update: 0 }), true);
    assert.equal(onlySame({ same: 3, read: 2 }), true, "a stack reference's read changes nothing");
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
});
