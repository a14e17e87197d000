import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { main, CliDeps, parseCommandLine, USAGE } from "../orchestrator/cli";
import { checkSecretsProviders, discoverStacks, LayoutError, selectStacks } from "../orchestrator/discovery";
import {
  formatDuration,
  meshDestroy,
  meshPreview,
  meshStatus,
  meshUp,
  MeshWorkspace,
  NotConvergedError,
  outputsDigest,
  PrefixedLines,
  StackFailedError,
} from "../orchestrator/plan";
import { checkPulumiCli, MissingPulumiCliError } from "../orchestrator/pulumiCli";
import { conciseError } from "../orchestrator/workspace";
import {
  CapturedLog,
  clusterProgram,
  FakeMesh,
  fullPlan,
  overlap,
  plain,
  Program,
  secret,
  tick,
  trustProgram,
  twoClusterMesh,
} from "./support/fakeMesh";

const repoRoot = path.join(__dirname, "..");

describe("orchestrator", () => {
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
      const report = await meshUp(mesh, log, fullPlan());
      assert.equal(report.clusterPasses, 1);
      assert.ok(log.lines.includes("[eks] done (cluster pass 1): create 1, same 4"), log.lines.join("\n"));
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
  });

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
  });

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
  });

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
  });

  describe("helpers", () => {
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

    it("digests outputs independently of key order but sensitive to secret values and secretness", () => {
      const a = { x: plain({ b: 1, a: 2 }), t: secret("one") };
      assert.equal(outputsDigest(a), outputsDigest({ t: secret("one"), x: plain({ a: 2, b: 1 }) }));
      assert.notEqual(outputsDigest(a), outputsDigest({ ...a, t: secret("two") }));
      assert.notEqual(outputsDigest(a), outputsDigest({ ...a, t: plain("one") }));
      assert.ok(!outputsDigest(a).includes("one"));
    });
  });

  describe("automation adapter", () => {
    it("reduces a Pulumi command error to the tail of its stderr (the output was already streamed)", () => {
      const commandError = Object.assign(new Error("code: 255\n stdout: <whole update log>\n stderr: ..."), {
        name: "CommandError",
        commandResult: {
          code: 255,
          stdout: "Updating (eks)\n".repeat(50),
          stderr: "\nerror: update failed\n  creating EKS Cluster: AccessDenied\n",
        },
      });
      const concise = conciseError(commandError);
      assert.equal(concise.message, "error: update failed\n  creating EKS Cluster: AccessDenied");
      assert.equal(concise.name, "CommandError");
      const plainError = new Error("spawn pulumi ENOENT");
      assert.equal(conciseError(plainError), plainError);
    });
  });

  describe("stack discovery", () => {
    it("finds trust as the trust stack and eks, aks as cluster stacks in this repository", () => {
      const layout = discoverStacks(repoRoot);
      assert.equal(layout.trust, "trust");
      assert.deepEqual(layout.clusters, ["aks", "eks"]);
      assert.deepEqual(layout.warnings, []);
    });

    describe("in a scratch repository", () => {
      let dir: string;
      beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "burstmesh-orch-"));
        fs.copyFileSync(path.join(repoRoot, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
        fs.writeFileSync(path.join(dir, "Pulumi.trust.yaml"), "config:\n  burstmesh:role: trust\n");
        for (const [name, peers] of [
          ["eks", "[aks]"],
          ["aks", "[eks]"],
        ]) {
          fs.writeFileSync(path.join(dir, `Pulumi.${name}.yaml`), `config:\n  burstmesh:cloud: aws\n  burstmesh:peers: ${peers}\n`);
        }
      });
      afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

      it("picks up a third cluster stack from its stack file alone", () => {
        fs.writeFileSync(path.join(dir, "Pulumi.gke.yaml"), "config:\n  burstmesh:peers: [eks, aks]\n");
        const layout = discoverStacks(dir);
        assert.equal(layout.trust, "trust");
        assert.deepEqual(layout.clusters, ["aks", "eks", "gke"]);
        assert.ok(
          layout.warnings.some((w) => w.includes("gke") && w.includes("members")),
          layout.warnings.join("; "),
        );
      });

      it("refuses zero or two trust stacks", () => {
        fs.writeFileSync(path.join(dir, "Pulumi.other.yaml"), "config:\n  burstmesh:role: trust\n");
        assert.throws(() => discoverStacks(dir), /more than one trust stack \(other, trust\)/);
        fs.rmSync(path.join(dir, "Pulumi.other.yaml"));
        fs.rmSync(path.join(dir, "Pulumi.trust.yaml"));
        assert.throws(() => discoverStacks(dir), /no trust stack/);
      });

      it("finds the secrets provider the stack files record, and refuses stacks with different ones", () => {
        assert.deepEqual(checkSecretsProviders(discoverStacks(dir)), { provider: undefined });
        fs.appendFileSync(path.join(dir, "Pulumi.trust.yaml"), "encryptionsalt: v1:abc:def\n");
        assert.deepEqual(checkSecretsProviders(discoverStacks(dir)), { provider: "passphrase" });
        fs.appendFileSync(path.join(dir, "Pulumi.eks.yaml"), "secretsprovider: awskms://alias/burstmesh?region=eu-central-1&token=x\n");
        assert.throws(
          () => checkSecretsProviders(discoverStacks(dir)),
          (e: unknown) =>
            e instanceof LayoutError &&
            /different secrets providers \(eks: awskms:\/\/alias\/burstmesh\?…; trust: passphrase\)/.test(e.message) &&
            !e.message.includes("token=x"),
        );
      });
    });

    it("selects a subset of stacks and rejects unknown names", () => {
      const layout = discoverStacks(repoRoot);
      assert.deepEqual(selectStacks(layout), { trust: "trust", clusters: ["aks", "eks"] });
      assert.deepEqual(selectStacks(layout, ["eks"]), { trust: undefined, clusters: ["eks"] });
      assert.throws(
        () => selectStacks(layout, ["eks", "gke"]),
        (e: unknown) => e instanceof LayoutError && /unknown stack\(s\) gke.*trust, aks, eks/.test(e.message),
      );
    });
  });

  describe("cli", () => {
    const PASSPHRASE = "correct-horse-passphrase-never-printed";

    function deps(
      mesh: MeshWorkspace | undefined,
      overrides: Partial<Omit<CliDeps, "log">> = {},
    ): CliDeps & { log: CapturedLog; opened: () => boolean } {
      let opened = false;
      const log = new CapturedLog();
      return {
        repoRoot,
        env: { PULUMI_CONFIG_PASSPHRASE: PASSPHRASE },
        log,
        findCli: async () => "v3.200.0",
        installCli: () => assert.fail("the CLI must not be installed"),
        storedLogin: () => "s3://burstmesh-state",
        workspace: () => {
          opened = true;
          if (!mesh) throw new Error("workspace must not be opened");
          return mesh;
        },
        opened: () => opened,
        ...overrides,
      };
    }

    it("fails with a clear message when the Pulumi CLI is missing and installing it is off, before touching any stack", async () => {
      const d = deps(undefined, { findCli: () => checkPulumiCli("burstmesh-no-such-pulumi-cli"), env: { BURSTMESH_NO_CLI_INSTALL: "1" } });
      const code = await main(["status"], d);
      assert.equal(code, 1);
      assert.match(d.log.all, /Pulumi CLI .* was not found.*install the Pulumi CLI.*PATH/);
      assert.equal(d.opened(), false);
    });

    it("tells a missing CLI apart from a CLI that fails, and leaves nothing that keeps the process alive", async () => {
      const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
      await tick(0); // mocha arms its own test timer after the test starts
      const before = timers();
      await assert.rejects(checkPulumiCli("burstmesh-no-such-pulumi-cli"), MissingPulumiCliError);
      await tick(0);
      assert.ok(timers() <= before, "a timer outlived the missing-CLI check (the CLI would hang before exiting)");
      await assert.rejects(
        checkPulumiCli(process.execPath),
        (e: unknown) => !(e instanceof MissingPulumiCliError) && /failed/.test((e as Error).message),
      );
    });

    it("runs up end to end over the stack files and never prints the passphrase", async () => {
      const mesh = twoClusterMesh();
      const d = deps(mesh);
      assert.equal(await main(["up", "--max-passes", "3"], d), 0);
      assert.equal(mesh.starts("up", "eks").length, 2);
      assert.ok(mesh.event("trust", "up", "end").seq < mesh.event("eks", "up", "start").seq);
      assert.equal(await main(["status"], d), 0);
      assert.equal(await main(["--help"], d), 0);
      assert.match(d.log.all, /PULUMI_CONFIG_PASSPHRASE/);
      assert.ok(!d.log.all.includes(PASSPHRASE));
    });

    it("exits non-zero and names the stack when a stack fails", async () => {
      const mesh = twoClusterMesh();
      mesh.fail = (stack) => (stack === "aks" ? "AuthorizationFailed" : undefined);
      const d = deps(mesh);
      assert.equal(await main(["up", "--stacks", "aks,eks"], d), 1);
      assert.match(d.log.errors.join("\n"), /error: stack aks failed \(cluster pass 1\): AuthorizationFailed/);
      assert.equal(mesh.starts("up", "trust").length, 0, "--stacks without the trust stack skips it");
    });

    it("asks before destroy and needs --yes without a terminal", async () => {
      const mesh = twoClusterMesh();
      await meshUp(mesh, new CapturedLog(), fullPlan());
      const noTerminal = deps(mesh);
      assert.equal(await main(["destroy"], noTerminal), 1);
      assert.match(noTerminal.log.all, /--yes/);
      const declined = deps(mesh, { confirm: async () => false });
      assert.equal(await main(["destroy"], declined), 1);
      assert.equal(mesh.starts("destroy").length, 0);
      assert.equal(await main(["destroy", "--yes"], deps(mesh)), 0);
      assert.equal(mesh.starts("destroy").length, 3);
    });

    it("rejects bad command lines with usage (exit 2)", async () => {
      for (const argv of [
        [],
        ["deploy"],
        ["up", "--max-passes", "0"],
        ["up", "--max-passes", "x"],
        ["status", "--max-passes", "2"],
        ["up", "--bogus"],
      ]) {
        const d = deps(undefined);
        assert.equal(await main(argv, d), 2, argv.join(" "));
        assert.ok(d.log.errors.includes(USAGE));
      }
      assert.deepEqual(parseCommandLine(["up", "--stacks", "eks, aks,eks", "--max-passes", "6"]), {
        command: "up",
        help: false,
        stacks: ["eks", "aks"],
        maxPasses: 6,
        yes: false,
      });
    });

    it("reports unknown stacks with the known ones", async () => {
      const d = deps(twoClusterMesh());
      assert.equal(await main(["preview", "--stacks", "gke"], d), 1);
      assert.match(d.log.all, /unknown stack\(s\) gke; the stack files define trust, aks, eks/);
    });
  });
});
