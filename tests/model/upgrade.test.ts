import { strict as assert } from "node:assert";
import { installIssues, type IstioInstall, istioStepIssues, revisionName, steadyInstall, unrevisioned } from "../../model/istioRevisions";
import { seededRandom } from "../../model/random";
import {
  rollbackProblems,
  rollbackSteps,
  upgradeOrder,
  upgradeProblems,
  type UpgradeStep,
  upgradeSteps,
  walkProblems,
} from "../../model/upgrade";

/**
 * A mesh the steps are played on: each member's deployed install, and the revision its workloads'
 * sidecars run. Playing a step checks what the upgrade promises at that moment.
 */
class Mesh {
  readonly installs: Record<string, IstioInstall>;
  readonly pods: Record<string, string>;
  /** The member between its tag move and its gate, if any. */
  migrating = new Set<string>();

  constructor(installs: Record<string, IstioInstall>) {
    this.installs = structuredClone(installs);
    this.pods = Object.fromEntries(Object.entries(installs).map(([member, install]) => [member, install.tags.stable]));
  }

  play(step: UpgradeStep): void {
    const { member } = step;
    if ("install" in step) {
      assert.deepEqual(installIssues(step.install), [], `${step.kind} ${member}: a valid install`);
      assert.deepEqual(
        istioStepIssues(this.installs[member]!, step.install, "hint"),
        [],
        `${step.kind} ${member}: a step the program takes`,
      );
    }
    switch (step.kind) {
      case "move-tags":
        this.migrating.add(member);
        assert.ok(this.migrating.size <= 1, `two members mid-migration: ${[...this.migrating].join(", ")}`);
        break;
      case "restart-workloads":
        this.pods[member] = step.revision;
        break;
      case "gate":
        this.migrating.delete(member);
        break;
      case "remove-revision":
        assert.notEqual(this.pods[member], step.removed, `${member}: revision ${step.removed} removed while its pods run it`);
        assert.notEqual(this.installs[member]!.gateway, step.removed, `${member}: revision ${step.removed} removed under the gateway`);
        break;
    }
    if ("install" in step) this.installs[member] = structuredClone(step.install);
  }
}

const versions = ["1.28.2", "1.29.0", "1.29.4", "1.30.3", "1.30.8", "1.31.1", "1.32.0"];

/** A random steady mesh of 1–4 members, each at one version, some on the non-revisioned istiod. */
function randomMesh(random: () => number): { installs: Record<string, IstioInstall>; order: string[] } {
  const members = ["eks", "aks", "gke", "onprem"].slice(0, 1 + Math.floor(random() * 4));
  const version = versions[Math.floor(random() * 4)]!;
  const installs = Object.fromEntries(
    members.map((member) => [member, random() < 0.3 ? steadyInstall(version, unrevisioned) : steadyInstall(version)]),
  );
  return { installs, order: upgradeOrder(members, Object.fromEntries(members.map((m) => [m, Math.floor(random() * 3)]))) };
}

/** A version the upgrade accepts from `from`: the same (for a non-revisioned member) or up to two minors ahead. */
function acceptedTarget(from: string, random: () => number): string | undefined {
  const candidates = versions.filter((v) => upgradeProblems({ m: steadyInstall(from) }, v).length === 0);
  return candidates[Math.floor(random() * candidates.length)];
}

/**
 * Runs `check` on `count` random upgrades (seeded by `seed`): a random mesh, a target its first
 * member accepts, and the plan there. Meshes with no accepted target are skipped.
 */
function forRandomUpgrades(
  seed: number,
  count: number,
  check: (upgrade: { installs: Record<string, IstioInstall>; order: string[]; to: string; plan: UpgradeStep[] }) => void,
): void {
  const random = seededRandom(seed);
  for (let i = 0; i < count; i++) {
    const { installs, order } = randomMesh(random);
    const to = acceptedTarget(installs[order[0]!]!.revisions[0]!.version, random);
    if (to) check({ installs, order, to, plan: upgradeSteps(installs, to, order) });
  }
}

function play(mesh: Mesh, steps: readonly UpgradeStep[]): void {
  for (const step of steps) mesh.play(step);
}

describe("model/upgrade", () => {
  describe("upgradeProblems: the jump rules", () => {
    const table: [string, string, boolean, string][] = [
      ["1.30.3", "1.30.8", true, "a patch"],
      ["1.29.4", "1.30.8", true, "one minor"],
      ["1.28.2", "1.30.8", true, "two minors, as a canary"],
      ["1.28.2", "1.31.1", false, "three minors"],
      ["1.30.8", "1.30.3", false, "backwards: a control plane behind its proxies"],
      ["1.30.8", "1.30.8", false, "the version it runs"],
      ["1.30.8", "2.0.0", false, "a major"],
    ];
    for (const [from, to, accepted, why] of table) {
      it(`${from} -> ${to}: ${accepted ? "accepted" : "refused"} (${why})`, () => {
        assert.equal(upgradeProblems({ eks: steadyInstall(from) }, to).length === 0, accepted);
      });
    }

    it("moves a non-revisioned istiod onto a revision of its own version", () => {
      assert.deepEqual(upgradeProblems({ eks: steadyInstall("1.30.8", unrevisioned) }, "1.30.8"), []);
    });

    it("refuses to start while a member runs two revisions, naming --resume and --rollback", () => {
      const midway = {
        ...steadyInstall("1.30.3"),
        revisions: [...steadyInstall("1.30.3").revisions, ...steadyInstall("1.30.8").revisions],
      };
      const [problem] = upgradeProblems({ eks: midway, aks: steadyInstall("1.30.3") }, "1.30.8");
      assert.match(problem!, /^eks runs revisions 1-30-3 and 1-30-8: .*--resume.*--rollback/);
    });

    it("every refusal is one of the rules (a property over random pairs)", () => {
      const random = seededRandom(7);
      for (let i = 0; i < 200; i++) {
        const [from, to] = [versions[Math.floor(random() * versions.length)]!, versions[Math.floor(random() * versions.length)]!];
        const [a, b] = [from, to].map((v) => v.split(".").map(Number)) as [number[], number[]];
        const minors = (b[0]! - a[0]!) * 100 + b[1]! - a[1]!;
        const backwards = b[0]! < a[0]! || (b[0] === a[0] && (b[1]! < a[1]! || (b[1] === a[1] && b[2]! < a[2]!)));
        const expected = !backwards && from !== to && minors <= 2;
        assert.equal(upgradeProblems({ eks: steadyInstall(from) }, to).length === 0, expected, `${from} -> ${to}`);
      }
    });
  });

  describe("upgradeOrder: the least traffic first", () => {
    it("takes the member fewest services call home first, then the members' order", () => {
      assert.deepEqual(upgradeOrder(["eks", "aks", "gke"], { eks: 2, gke: 1 }), ["aks", "gke", "eks"]);
      assert.deepEqual(upgradeOrder(["eks", "aks"], {}), ["eks", "aks"]);
    });
  });

  describe("upgradeSteps", () => {
    it("adds the revision everywhere, then moves one member at a time, then removes the old revision everywhere", () => {
      const installs = { eks: steadyInstall("1.30.3"), aks: steadyInstall("1.30.3") };
      const steps = upgradeSteps(installs, "1.30.8", ["aks", "eks"]).map((step) => `${step.phase} ${step.kind} ${step.member}`);
      assert.deepEqual(steps, [
        "1 add-revision aks",
        "1 add-revision eks",
        "2 move-tags aks",
        "2 restart-workloads aks",
        "2 move-gateway aks",
        "2 gate aks",
        "2 move-tags eks",
        "2 restart-workloads eks",
        "2 move-gateway eks",
        "2 gate eks",
        "3 remove-revision aks",
        "3 remove-revision eks",
      ]);
      const planned = upgradeSteps(installs, "1.30.8", ["aks", "eks"]) as Extract<UpgradeStep, { install: unknown }>[];
      const [add, tags, gateway] = ["add-revision", "move-tags", "move-gateway"].map((kind) => planned.find((step) => step.kind === kind));
      assert.deepEqual(add!.install, {
        revisions: [
          { name: "1-30-3", version: "1.30.3" },
          { name: "1-30-8", version: "1.30.8" },
        ],
        tags: { stable: "1-30-3" },
        gateway: "1-30-3",
      });
      assert.deepEqual(tags!.install.tags, { stable: "1-30-8" });
      assert.equal(tags!.install.gateway, "1-30-3");
      assert.equal(gateway!.install.gateway, "1-30-8");
    });

    it("drops a canary tag that points at the revision going away, before the revision goes", () => {
      const installs = { eks: { ...steadyInstall("1.30.3"), tags: { stable: "1-30-3", canary: "1-30-3" } } };
      const steps = upgradeSteps(installs, "1.30.8", ["eks"]);
      const moved = steps.find((step) => step.kind === "move-tags") as Extract<UpgradeStep, { kind: "move-tags" }>;
      assert.deepEqual(moved.install.tags, { stable: "1-30-8" });
      play(new Mesh(installs), steps);
    });

    it("a property over random meshes: one member mid-migration at most, no revision removed under its pods, every deployment a step the program takes, every member steady at the end", () => {
      forRandomUpgrades(22, 300, ({ installs, order, to, plan }) => {
        const mesh = new Mesh(installs);
        play(mesh, plan);
        for (const member of order) assert.deepEqual(mesh.installs[member], steadyInstall(to), `${member} ends on ${revisionName(to)}`);
        assert.equal(mesh.migrating.size, 0, "every migrated member passed its gate");
      });
    });

    it("resumes after an interruption at every step: from the step after the last deployment that landed", () => {
      forRandomUpgrades(31, 60, ({ installs, order, to, plan }) => {
        for (let k = 0; k <= plan.length; k++) {
          const mesh = new Mesh(installs);
          play(mesh, plan.slice(0, k));
          const landed = plan.slice(0, k).reduce((last, step, index) => ("install" in step ? index : last), -1);
          const resumed = upgradeSteps(mesh.installs, to, order);
          assert.deepEqual(resumed, plan.slice(landed + 1), `interrupted after step ${k} of ${plan.length}`);
          play(mesh, resumed);
          for (const member of order) assert.deepEqual(mesh.installs[member], steadyInstall(to));
        }
      });
    });
  });

  describe("rollback", () => {
    it("before phase 3, from every step: back to the old revision everywhere, the new one removed, never under its pods", () => {
      forRandomUpgrades(43, 60, ({ installs, order, plan }) => {
        const phase3 = plan.findIndex((step) => step.phase === 3);
        for (let k = 1; k <= phase3; k++) {
          const mesh = new Mesh(installs);
          play(mesh, plan.slice(0, k));
          assert.deepEqual(rollbackProblems(mesh.installs), [], `rollback after step ${k}`);
          play(mesh, rollbackSteps(mesh.installs, order));
          for (const member of order) assert.deepEqual(mesh.installs[member], installs[member], `${member} back where it was`);
        }
        if (order.length === 1) return;
        const mesh = new Mesh(installs);
        play(mesh, plan.slice(0, phase3 + 1));
        assert.match(rollbackProblems(mesh.installs)[0]!, /removed the old revision already \(phase 3\).*--resume/);
      });
    });

    it("refuses when no upgrade is under way", () => {
      assert.deepEqual(rollbackProblems({ eks: steadyInstall("1.30.8") }), ["no upgrade is under way: no member runs two revisions"]);
    });
  });

  describe("walkProblems", () => {
    it("refuses two members that are each between their tag and their gateway", () => {
      const midway: IstioInstall = {
        revisions: [...steadyInstall("1.30.3").revisions, ...steadyInstall("1.30.8").revisions],
        tags: { stable: "1-30-8" },
        gateway: "1-30-3",
      };
      assert.deepEqual(walkProblems({ eks: midway, aks: steadyInstall("1.30.3") }), []);
      assert.match(walkProblems({ eks: midway, aks: midway })[0]!, /^eks and aks are each between their tag and their gateway/);
    });
  });
});
