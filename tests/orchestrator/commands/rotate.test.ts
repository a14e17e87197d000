import { strict as assert } from "node:assert";
import { X509Certificate } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { parseTrustConfig, trustKey, type TrustSettings } from "../../../config";
import { meshUp } from "../../../orchestrator/commands/up";
import { rotateIntermediate } from "../../../orchestrator/commands/rotateIntermediate";
import { everyStack, rotateRoot, type RotationContext } from "../../../orchestrator/commands/rotateRoot";
import type { GateOutcome, PublishedTrust } from "../../../orchestrator/trustGate";
import { CapturedLog, clusterProgram, FakeMesh, fullPlan, plain, secret, type Program } from "../fakeMesh";

const cacertsFixture = (name: string) => fs.readFileSync(path.join(__dirname, "..", "..", "fixtures", "cacerts", `${name}.pem`), "utf8");
const roots: Record<number, string> = { 1: cacertsFixture("root1"), 2: cacertsFixture("root2") };
/** The intermediates the fake trust stack issues: under root 1, or root 2 from generation 2 on. */
const intermediateUnder = (signingRoot: number, member: string) => cacertsFixture(signingRoot === 1 ? member : "eks-g2");
const members = ["aks", "eks"];
const issued = Date.parse(new X509Certificate(cacertsFixture("eks-g2")).validFrom);
const hour = 3_600_000;

/** The trust stack file's `burstmesh:trust`, read back as the program would. */
function readTrust(file: string): TrustSettings {
  const config = (parseYaml(fs.readFileSync(file, "utf8")) as { config: Record<string, unknown> }).config;
  const parsed = parseTrustConfig(config[trustKey], members);
  assert.ok(parsed.ok, JSON.stringify(parsed));
  return parsed.trust;
}

/** A fake trust stack that publishes what its stack file's generations say, as the real one does. */
function trustProgramOf(file: string): Program {
  return () => {
    const trust = readTrust(file);
    return {
      resources: { generations: JSON.stringify(trust) },
      outputs: {
        rootCertPem: plain(trust.roots.map((root) => roots[root]).join("")),
        trustGenerations: plain({ roots: trust.roots, signingRoot: trust.signingRoot, intermediates: trust.intermediates }),
        cacerts: secret(Object.fromEntries(members.map((m) => [m, { "ca-cert.pem": intermediateUnder(trust.signingRoot, m) }]))),
      },
    };
  };
}

describe("trust rotation commands (fake workspace)", () => {
  let dir: string;
  let file: string;
  let mesh: FakeMesh;
  let gates: PublishedTrust[];
  let gateAnswer: (published: PublishedTrust) => GateOutcome;
  let restarts: number;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "burstmesh-rotate-"));
    file = path.join(dir, "Pulumi.trust.yaml");
    fs.writeFileSync(file, "# The trust stack.\nconfig:\n  burstmesh:role: trust\n");
    mesh = new FakeMesh({ trust: trustProgramOf(file), eks: clusterProgram("eks", ["aks"]), aks: clusterProgram("aks", ["eks"]) });
    gates = [];
    gateAnswer = () => ({ ok: true, problems: [] });
    restarts = 0;
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function context(log: CapturedLog, now: Date): RotationContext {
    const plan = fullPlan();
    return {
      workspace: mesh,
      log,
      plan,
      trustFile: file,
      trust: readTrust(file),
      deploy: async () => void (await meshUp(mesh, log, everyStack(plan))),
      gate: async (published) => {
        gates.push(published);
        return gateAnswer(published);
      },
      restartStaleSidecars: async () => {
        restarts++;
        return ["eks shop/cart"];
      },
      now,
    };
  }

  const ups = () => mesh.events.filter((e) => e.op === "up" && e.phase === "end" && e.stack === "trust").length;

  it("runs the three phases, one per run, each gated, and waits retireAfterHours before the last", async () => {
    await meshUp(mesh, new CapturedLog(), fullPlan());
    const idle = new CapturedLog();
    assert.equal(await rotateRoot(context(idle, new Date(issued)), false), 0);
    assert.match(idle.all, /no rotation in progress \(the mesh trusts root 1 only\); --start begins one/);
    assert.equal(ups(), 1, "without --start nothing is deployed");

    const phase1 = new CapturedLog();
    assert.equal(await rotateRoot(context(phase1, new Date(issued)), true), 0);
    assert.deepEqual(readTrust(file), { roots: [1, 2], signingRoot: 1, intermediates: { aks: 1, eks: 1 }, retireAfterHours: 24 });
    assert.match(fs.readFileSync(file, "utf8"), /^# The trust stack\./, "the rest of the stack file is kept");
    assert.equal(gates.at(-1)!.roots.length, 2, "the gate holds the members to both roots");
    assert.match(
      phase1.all,
      /phase 1 of 3 done: every member trusts the old and the new root; the old one still signs\. Next: run npm run mesh -- rotate-root again for phase 2/,
    );

    const phase2 = new CapturedLog();
    assert.equal(await rotateRoot(context(phase2, new Date(issued)), false), 0);
    assert.deepEqual(readTrust(file), { roots: [1, 2], signingRoot: 2, intermediates: { aks: 2, eks: 2 }, retireAfterHours: 24 });
    assert.equal(gates.at(-1)!.signer.subject, new X509Certificate(roots[2]!).subject);
    assert.match(phase2.all, /phase 2 of 3 done/);
    assert.equal(restarts, 1, "only phase 1 restarts");

    const early = new CapturedLog();
    assert.equal(await rotateRoot(context(early, new Date(issued + 1.5 * hour)), false), 0);
    assert.match(early.all, /phase 3 waits 24 h after phase 2 \(burstmesh:trust\.retireAfterHours\), until .*: 22 h 30 min left/);
    assert.equal(readTrust(file).roots.length, 2, "nothing changes while the wait runs");

    const phase3 = new CapturedLog();
    const deploysBefore = ups();
    assert.equal(await rotateRoot(context(phase3, new Date(issued + 25 * hour)), false), 0);
    assert.deepEqual(readTrust(file), { roots: [2], signingRoot: 2, intermediates: { aks: 2, eks: 2 }, retireAfterHours: 24 });
    assert.equal(ups(), deploysBefore + 1);
    assert.match(phase3.all, /phase 3 of 3 done: every member trusts the new root only: the rotation is complete/);
  });

  it("stops at a failed gate with the way to resume, and resumes the same phase on the next run", async () => {
    await meshUp(mesh, new CapturedLog(), fullPlan());
    gateAnswer = () => ({ ok: false, problems: ["[eks] istio-ca-root-cert does not equal the 2 published root(s) yet"] });
    const failed = new CapturedLog();
    assert.equal(await rotateRoot(context(failed, new Date(issued)), true), 1);
    assert.match(failed.errors.join("\n"), /× \[eks\] istio-ca-root-cert does not equal/);
    assert.match(failed.errors.join("\n"), /phase 1 has not landed.*rotate-root again: it resumes phase 1/);

    // The next run finds phase 1 not landed: it deploys phase 1 again rather than going on to phase 2.
    let calls = 0;
    gateAnswer = () => (++calls === 1 ? { ok: false, problems: ["not yet"] } : { ok: true, problems: [] });
    const resumed = new CapturedLog();
    assert.equal(await rotateRoot(context(resumed, new Date(issued)), false), 0);
    assert.match(resumed.all, /phase 1 has not landed everywhere yet; resuming it/);
    assert.equal(readTrust(file).signingRoot, 1, "still phase 1");
  });

  it("refuses --start while a rotation is in progress", async () => {
    await meshUp(mesh, new CapturedLog(), fullPlan());
    await rotateRoot(context(new CapturedLog(), new Date(issued)), true);
    const log = new CapturedLog();
    assert.equal(await rotateRoot(context(log, new Date(issued)), true), 1);
    assert.match(log.errors.join("\n"), /a rotation is already in progress \(burstmesh:trust\.roots is \[1, 2\]\)/);
  });

  it("rotate-intermediate bumps one member's generation, deploys the trust stack and that member only, and gates", async () => {
    await meshUp(mesh, new CapturedLog(), fullPlan());
    const before = mesh.events.length;
    const log = new CapturedLog();
    const plan = fullPlan();
    const code = await rotateIntermediate({
      workspace: mesh,
      log,
      plan,
      trustFile: file,
      trust: readTrust(file),
      member: "aks",
      deploy: async () => void (await meshUp(mesh, log, { ...plan, selection: { trust: "trust", clusters: ["aks"] } })),
      gate: async (published) => gateAnswer(published),
    });
    assert.equal(code, 0);
    assert.deepEqual(readTrust(file).intermediates, { aks: 2, eks: 1 });
    const deployed = new Set(
      mesh.events
        .slice(before)
        .filter((e) => e.op === "up")
        .map((e) => e.stack),
    );
    assert.deepEqual([...deployed].sort(), ["aks", "trust"]);
    assert.match(log.all, /burstmesh:trust\.intermediates\.aks 1 → 2/);
  });
});
