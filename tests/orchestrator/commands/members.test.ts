import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { addMember, type MeshGate } from "../../../orchestrator/commands/addMember";
import { removeMember, servicesOn } from "../../../orchestrator/commands/removeMember";
import { meshUp } from "../../../orchestrator/commands/up";
import type { MeshPlan } from "../../../orchestrator/ports";
import { validateMesh } from "../../../orchestrator/validate";
import { scratchRepo } from "../freshMachine";
import { CapturedLog, clusterProgram, FakeMesh, trustProgram } from "../fakeMesh";

/** A three-member mesh in a scratch copy of the repository: `onprem` beside eks and aks. */
function threeMembers(dir: string): MeshPlan {
  const project = path.join(dir, "Pulumi.yaml");
  fs.writeFileSync(project, fs.readFileSync(project, "utf8").replace("default: [eks, aks]", "default: [eks, aks, onprem]"));
  fs.writeFileSync(
    path.join(dir, "Pulumi.onprem.yaml"),
    [
      "# An existing cluster.",
      "config:",
      "  burstmesh:cloud: existing",
      "  burstmesh:clusterName: onprem",
      "  burstmesh:network: network-onprem",
      "  burstmesh:region: dc1",
      "  burstmesh:egressCidrs: [203.0.113.16/28]",
      "  burstmesh:kubeconfig:",
      "    secure: v1:abc",
      "",
    ].join("\n"),
  );
  const trustFile = path.join(dir, "Pulumi.trust.yaml");
  fs.appendFileSync(trustFile, "  burstmesh:trust:\n    roots: [1]\n    intermediates: { eks: 2, onprem: 1 }\n");
  const { layout, configs } = validateMesh(dir);
  assert.ok(layout);
  return {
    trust: layout.trust,
    clusters: layout.clusters,
    selection: { trust: layout.trust, clusters: layout.clusters },
    configs,
    files: { project, stacks: Object.fromEntries(Object.values(layout.files).map((file) => [file.name, file.file])) },
  };
}

const mesh = () =>
  new FakeMesh({
    trust: trustProgram,
    eks: clusterProgram("eks", ["aks", "onprem"]),
    aks: clusterProgram("aks", ["eks", "onprem"]),
    onprem: clusterProgram("onprem", ["eks", "aks"]),
  });

/** The stacks each step ran, in order: `up eks`, `destroy onprem`, ... (starts only). */
const operations = (workspace: Pick<FakeMesh, "events">) =>
  workspace.events.filter((event) => event.phase === "start" && event.op !== "open").map((event) => `${event.op} ${event.stack}`);

describe("members (fake workspace)", () => {
  let dir: string;
  let gates: MeshPlan[];
  let gate: MeshGate;
  beforeEach(() => {
    dir = scratchRepo();
    gates = [];
    gate = async (plan) => {
      gates.push(plan);
      return { ok: true, problems: [] };
    };
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("add-member runs the trust stack, the new stack, then every other one, then the gate", async () => {
    const workspace = mesh();
    const log = new CapturedLog();
    assert.equal(await addMember({ workspace, log, plan: threeMembers(dir), name: "onprem", gate }), 0);
    const ops = operations(workspace);
    assert.equal(ops[0], "up trust");
    const firstOther = Math.min(ops.indexOf("up aks"), ops.indexOf("up eks"));
    assert.ok(ops.lastIndexOf("up onprem") < firstOther, ops.join(", "));
    assert.equal(ops.lastIndexOf("up trust"), 0, "the trust stack once, first");
    assert.equal(gates.length, 1);
    assert.match(log.all, /add-member: onprem is a member of the mesh/);
  });

  it("add-member refuses a name without a stack file, saying what to create", async () => {
    const log = new CapturedLog();
    assert.equal(await addMember({ workspace: mesh(), log, plan: threeMembers(dir), name: "gke", gate }), 1);
    assert.match(log.all, /create Pulumi\.gke\.yaml and add 'gke' to burstmesh:members/);
  });

  it("remove-member prints its plan, then updates the survivors, destroys the member, updates the trust stack and re-issues the survivors' tokens, in that order", async () => {
    const workspace = mesh();
    const plan = threeMembers(dir);
    await meshUp(workspace, new CapturedLog(), plan);
    const deployed = workspace.events.length;
    const log = new CapturedLog();
    const asked: string[] = [];
    const code = await removeMember({
      workspace,
      log,
      plan,
      name: "onprem",
      confirm: async (question) => (asked.push(question), true),
      gate,
      reread: () => validateMesh(dir).configs,
    });
    assert.equal(code, 0, log.all);
    assert.match(log.lines[0]!, /^remove-member onprem, in order:/);
    assert.equal(asked.length, 1, "it asks once, after the plan");

    const ops = operations({ events: workspace.events.slice(deployed) });
    const at = (op: string) => ops.indexOf(op);
    const survivorsUpdated = Math.max(at("up aks"), at("up eks"));
    assert.ok(survivorsUpdated < at("destroy onprem"), ops.join(", "));
    assert.ok(at("destroy onprem") < at("up trust"), ops.join(", "));
    assert.ok(!ops.slice(at("destroy onprem")).includes("up onprem"), "nothing runs the removed member after its destroy");
    assert.ok(
      ops.lastIndexOf("up eks") > at("up trust") && ops.lastIndexOf("up aks") > at("up trust"),
      "the survivors run again after the trust stack",
    );
    const generation = (stack: string) =>
      (parseYaml(fs.readFileSync(path.join(dir, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> }).config[
        "burstmesh:readerTokenGeneration"
      ];
    assert.deepEqual([generation("eks"), generation("aks")], [2, 2], "each survivor's reader token is re-issued under a new generation");
    assert.equal(gates.length, 2, "the doctor gates the survivors after their update and at the end");
    for (const gated of gates) assert.deepEqual(gated.clusters, ["aks", "eks"]);

    const members = (parseYaml(fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8")) as { config: { members: { default: string[] } } })
      .config.members.default;
    assert.deepEqual(members, ["eks", "aks"]);
    const trust = (
      parseYaml(fs.readFileSync(path.join(dir, "Pulumi.trust.yaml"), "utf8")) as { config: Record<string, { intermediates: object }> }
    ).config["burstmesh:trust"]!;
    assert.deepEqual(trust.intermediates, { eks: 2 }, "the trust stack's generations no longer name it");
    assert.ok(gates[0]!.configs!.get("eks")?.role === "cluster");
  });

  it("remove-member refuses, before asking, while a service is homed on the member", async () => {
    const plan = threeMembers(dir);
    const log = new CapturedLog();
    assert.deepEqual(servicesOn(plan.files!, plan.clusters, "eks"), ["podinfo"]);
    assert.deepEqual(servicesOn(plan.files!, plan.clusters, "onprem"), []);
    const code = await removeMember({
      workspace: mesh(),
      log,
      plan,
      name: "eks",
      confirm: () => assert.fail("must not ask"),
      gate,
      reread: () => assert.fail("must not change the config"),
    });
    assert.equal(code, 1);
    assert.match(log.all, /podinfo still need eks: set their burstmesh:services\[\]\.homeCluster/);
  });

  it("remove-member stops at a failed gate with the way to resume, before destroying anything", async () => {
    const workspace = mesh();
    const log = new CapturedLog();
    gate = async () => ({ ok: false, problems: ["[eks] istiod knows every peer network's east-west gateway: network-aks: no gateway"] });
    const code = await removeMember({
      workspace,
      log,
      plan: threeMembers(dir),
      name: "onprem",
      confirm: async () => true,
      gate,
      reread: () => validateMesh(dir).configs,
    });
    assert.equal(code, 1);
    assert.ok(!operations(workspace).includes("destroy onprem"));
    assert.match(log.all, /run npm run mesh -- remove-member onprem again \(it resumes/);
  });
});
