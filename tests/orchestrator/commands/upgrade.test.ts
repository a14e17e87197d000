import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { type IstioInstall, steadyInstall } from "../../../model/istioRevisions";
import { finishInFiles, runUpgrade, type UpgradeMode, type UpgradeRun } from "../../../orchestrator/commands/upgrade";
import { CapturedLog } from "../fakeMesh";

/**
 * A mesh the upgrade acts on through fakes: each member's stack file state (`record`), what its stack
 * publishes once deployed, its pods' revision, and every call in order.
 */
class FakeClusters {
  readonly calls: string[] = [];
  readonly recorded: Record<string, IstioInstall> = {};
  readonly published: Record<string, IstioInstall>;
  readonly pods: Record<string, string>;
  finished?: string | null;
  failGate?: string;
  failDeploy?: string;

  constructor(installs: Record<string, IstioInstall>) {
    this.published = structuredClone(installs);
    this.pods = Object.fromEntries(Object.entries(installs).map(([member, install]) => [member, install.tags.stable]));
  }

  run(mode: UpgradeMode, order = Object.keys(this.published)): UpgradeRun & { log: CapturedLog } {
    return {
      log: new CapturedLog(),
      installs: structuredClone(this.published),
      order,
      mode,
      record: (member, install) => void (this.recorded[member] = structuredClone(install)),
      finish: (version) => void (this.finished = version ?? null),
      deploy: async (member) => {
        this.calls.push(`deploy ${member}`);
        if (this.failDeploy === member) throw new Error(`${member}: the engine failed`);
        this.published[member] = structuredClone(this.recorded[member]!);
      },
      restartWorkloads: async (member, revision) => {
        this.calls.push(`restart ${member} ${revision}`);
        const before = this.pods[member];
        this.pods[member] = revision;
        return before === revision ? [] : [`shop/cart`];
      },
      podsOn: async (member, revision) => (this.pods[member] === revision ? [`shop/cart-1`] : []),
      gate: async (member) => {
        this.calls.push(`gate ${member}`);
        return this.failGate === member ? { ok: false, problems: [`${member}: istiod.clusterz failed`] } : { ok: true, problems: [] };
      },
    };
  }
}

const mesh = () => new FakeClusters({ eks: steadyInstall("1.30.4"), aks: steadyInstall("1.30.4") });

describe("orchestrator/commands/upgrade on fake clusters", () => {
  it("deploys one member per step: every member's new revision, then each member's tag, workloads, gateway and gate in turn, then the old revisions", async () => {
    const clusters = mesh();
    const run = clusters.run({ to: "1.30.8" }, ["aks", "eks"]);
    assert.equal(await runUpgrade(run), 0, run.log.all);
    assert.deepEqual(clusters.calls, [
      "deploy aks",
      "deploy eks",
      "deploy aks",
      "restart aks 1-30-8",
      "deploy aks",
      "gate aks",
      "deploy eks",
      "restart eks 1-30-8",
      "deploy eks",
      "gate eks",
      "deploy aks",
      "deploy eks",
    ]);
    assert.deepEqual(clusters.published, { eks: steadyInstall("1.30.8"), aks: steadyInstall("1.30.8") });
    assert.equal(clusters.finished, "1.30.8", "istioVersion becomes the new version and the per-stack state goes");
    assert.match(run.log.all, /members in the order aks, eks \(the least traffic first\)/);
  });

  it("stops at the first failed gate, before touching the next member, and says how to resume or roll back", async () => {
    const clusters = mesh();
    clusters.failGate = "aks";
    const run = clusters.run({ to: "1.30.8" }, ["aks", "eks"]);
    assert.equal(await runUpgrade(run), 1);
    assert.equal(clusters.calls.at(-1), "gate aks");
    assert.ok(!clusters.calls.includes("restart eks 1-30-8"), "eks was not moved");
    assert.deepEqual(clusters.published.eks!.tags, { stable: "1-30-4" });
    assert.equal(clusters.finished, undefined);
    assert.match(run.log.all, /× aks: istiod.clusterz failed/);
    assert.match(run.log.all, /stopped at step 6 \(aks: gate .*upgrade --resume, or undo it with npm run mesh -- upgrade --rollback/);

    clusters.failGate = undefined;
    clusters.calls.length = 0;
    const resumed = clusters.run({ resume: true }, ["aks", "eks"]);
    assert.equal(await runUpgrade(resumed), 0, resumed.log.all);
    assert.deepEqual(clusters.calls.slice(0, 2), ["gate aks", "deploy eks"], "the resume starts with the gate that failed");
    assert.equal(clusters.finished, "1.30.8");
  });

  it("rolls back from a stop: the tags, workloads and gateway back, then the new revision goes", async () => {
    const clusters = mesh();
    clusters.failGate = "aks";
    await runUpgrade(clusters.run({ to: "1.30.8" }, ["aks", "eks"]));
    clusters.calls.length = 0;
    const rollback = clusters.run({ rollback: true }, ["aks", "eks"]);
    assert.equal(await runUpgrade(rollback), 1, "the gate of aks still fails");
    clusters.failGate = undefined;
    assert.equal(await runUpgrade(clusters.run({ rollback: true }, ["aks", "eks"])), 0);
    assert.deepEqual(clusters.published, { eks: steadyInstall("1.30.4"), aks: steadyInstall("1.30.4") });
    assert.equal(clusters.finished, null, "a rollback leaves istioVersion alone");
  });

  it("refuses to remove a revision that pods still run, naming them", async () => {
    const clusters = mesh();
    const run = clusters.run({ to: "1.30.8" }, ["aks", "eks"]);
    run.restartWorkloads = async () => [];
    assert.equal(await runUpgrade(run), 1);
    assert.match(run.log.all, /aks: 1 pod\(s\) still run sidecars of 1-30-4 \(shop\/cart-1\); restart them first/);
    assert.doesNotMatch(run.log.all, /--rollback/, "past phase 2 the upgrade only goes on");
  });

  it("refuses before anything runs: an unpinned version, a jump too far, a second upgrade", async () => {
    for (const [mode, installs, message] of [
      [{ to: "1.31.0" }, undefined, /--to 1.31.0: burstmesh pins and checks the charts of 1.30.8 and 1.30.4 only/],
      [{ to: "1.30.4" }, { eks: steadyInstall("1.30.8") }, /eks runs 1.30.8, newer than 1.30.4/],
      [{ rollback: true }, undefined, /no upgrade is under way/],
    ] as const) {
      const clusters = installs ? new FakeClusters(installs) : mesh();
      const run = clusters.run(mode);
      assert.equal(await runUpgrade(run), 1);
      assert.match(run.log.all, message);
      assert.deepEqual(clusters.calls, []);
    }
  });

  it("reports a failed deployment with how to resume", async () => {
    const clusters = mesh();
    clusters.failDeploy = "eks";
    const run = clusters.run({ to: "1.30.8" }, ["aks", "eks"]);
    assert.equal(await runUpgrade(run), 1);
    assert.match(
      run.log.all,
      /stopped at step 2 \(eks: add istiod 1-30-8 beside 1-30-4.*\): eks: the engine failed\. Fix that, then npm run mesh -- upgrade --resume/,
    );
  });
});

describe("orchestrator/commands/upgrade: the files at the end", () => {
  it("sets istioVersion in Pulumi.yaml and in stack files that pin it, and drops every burstmesh:istio, keeping the rest", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "burstmesh-upgrade-"));
    try {
      const project = path.join(dir, "Pulumi.yaml");
      fs.writeFileSync(project, "name: burstmesh\nconfig:\n  # the mesh's Istio\n  istioVersion:\n    type: string\n    default: 1.30.4\n");
      const eks = path.join(dir, "Pulumi.eks.yaml");
      const aks = path.join(dir, "Pulumi.aks.yaml");
      fs.writeFileSync(
        eks,
        "config:\n  burstmesh:cloud: aws # kept\n  burstmesh:istio:\n    revisions: [{version: 1.30.4}, {version: 1.30.8}]\n",
      );
      fs.writeFileSync(aks, "config:\n  burstmesh:cloud: azure\n  burstmesh:istioVersion: 1.30.4\n");
      finishInFiles({ project, stacks: { eks, aks } }, "1.30.8");
      assert.deepEqual(parseYaml(fs.readFileSync(project, "utf8")).config.istioVersion.default, "1.30.8");
      assert.match(fs.readFileSync(project, "utf8"), /# the mesh's Istio/);
      assert.equal(fs.readFileSync(eks, "utf8"), "config:\n  burstmesh:cloud: aws # kept\n");
      assert.deepEqual(parseYaml(fs.readFileSync(aks, "utf8")).config, { "burstmesh:cloud": "azure", "burstmesh:istioVersion": "1.30.8" });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
