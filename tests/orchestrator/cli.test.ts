import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LOCAL_STATE_DIR } from "../../orchestrator/backend";
import { CliDeps, main, parseCommandLine, USAGE } from "../../orchestrator/cli";
import { meshUp } from "../../orchestrator/commands/up";
import type { MeshWorkspace } from "../../orchestrator/ports";
import { checkPulumiCli, LOCAL_CLI_DIR } from "../../orchestrator/pulumiCli";
import type { WorkspaceOptions } from "../../orchestrator/workspace";
import { repoRoot } from "../support/stackFiles";
import { CapturedLog, fullPlan, twoClusterMesh } from "./fakeMesh";
import { installedCli, noCliOnPath, PINNED, scratchRepo } from "./freshMachine";

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

  it("runs up end to end over the stack files and never prints the passphrase", async () => {
    const mesh = twoClusterMesh();
    const d = deps(mesh);
    assert.equal(await main(["up", "--max-passes", "3", "--yes"], d), 0);
    assert.equal(mesh.starts("up", "eks").length, 2);
    assert.ok(mesh.event("trust", "up", "end").seq < mesh.event("eks", "up", "start").seq);
    assert.equal(await main(["status"], d), 0);
    assert.equal(await main(["--help"], d), 0);
    assert.match(d.log.all, /PULUMI_CONFIG_PASSPHRASE/);
    assert.ok(!d.log.all.includes(PASSPHRASE));
  });

  it("exits non-zero and names the stack when a stack fails", async () => {
    const mesh = twoClusterMesh();
    mesh.fail = (stack, op) => (stack === "aks" && op === "up" ? "AuthorizationFailed" : undefined);
    const d = deps(mesh);
    assert.equal(await main(["up", "--stacks", "aks,eks", "--yes"], d), 1);
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
      ["status", "--json"],
      ["up", "eks"],
      ["add-member"],
      ["add-member", "a", "b"],
    ]) {
      const d = deps(undefined);
      assert.equal(await main(argv, d), 2, argv.join(" "));
      assert.ok(d.log.errors.includes(USAGE));
    }
    assert.equal(parseCommandLine(["add-member", "onprem"]).argument, "onprem");
    assert.equal(parseCommandLine(["rotate-intermediate", "--member", "eks"]).member, "eks");
    assert.deepEqual(parseCommandLine(["up", "--stacks", "eks, aks,eks", "--max-passes", "6"]), {
      command: "up",
      argument: undefined,
      help: false,
      stacks: ["eks", "aks"],
      maxPasses: 6,
      yes: false,
      json: false,
      verbose: false,
      member: undefined,
      pre: false,
      start: false,
      istiodUrls: [],
      to: undefined,
      resume: false,
      rollback: false,
    });
    assert.equal(parseCommandLine(["upgrade", "--to", "1.30.8"]).to, "1.30.8");
    assert.equal(parseCommandLine(["upgrade", "--resume"]).resume, true);
    assert.throws(() => parseCommandLine(["up", "--rollback"]), /--rollback/);
  });

  it("keeps each stack's engine output in its own log file, printing the path once, and streams it with --verbose", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "burstmesh-engine-logs-"));
    try {
      const quiet = deps(twoClusterMesh(), { engineLogDir: dir });
      assert.equal(await main(["up", "--yes"], quiet), 0);
      assert.ok(!quiet.log.all.includes("Updating (eks)"), "the engine's output is not on the screen");
      assert.equal(quiet.log.lines.filter((line) => line.startsWith("[eks] engine output: ")).length, 1);
      assert.match(
        fs.readFileSync(path.join(dir, "eks.log"), "utf8"),
        /Previewing update \(eks\)[\s\S]*Updating \(eks\)[\s\S]*Updating \(eks\)/,
      );
      const verbose = deps(twoClusterMesh(), { engineLogDir: dir });
      assert.equal(await main(["up", "--yes", "--verbose"], verbose), 0);
      assert.match(verbose.log.all, /\[eks\] Updating \(eks\)/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("on a terminal, draws a live status line per running stack and leaves none behind", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "burstmesh-engine-logs-"));
    try {
      const drawn: string[] = [];
      const d = deps(twoClusterMesh(), { engineLogDir: dir, statusTerminal: { write: (text: string) => drawn.push(text), columns: 100 } });
      assert.equal(await main(["up", "--yes"], d), 0);
      assert.ok(
        drawn.some((text) => /^\[eks\] [0-9.]+s · 3 done$/m.test(text)),
        `no status line counted eks's three creates:\n${drawn.join("")}`,
      );
      // eslint-disable-next-line no-control-regex -- the erase sequence is made of control characters
      assert.match(drawn[drawn.length - 1]!, /^\u001b\[\d+A\r\u001b\[J$/, "the last write erases the status lines");
      assert.ok(!d.log.all.includes("done ·"), "status lines never reach the log");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reports unknown stacks with the known ones", async () => {
    const d = deps(twoClusterMesh());
    assert.equal(await main(["preview", "--stacks", "gke"], d), 1);
    assert.match(d.log.all, /unknown stack\(s\) gke; the stack files define trust, aks, eks/);
  });

  describe("npm run mesh -- up on a fresh machine", () => {
    let dir: string;
    beforeEach(() => (dir = scratchRepo()));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    const TYPED = "first-run-passphrase-never-printed";

    /** A run's environment without its private temporary folder, which every run has (see below). */
    const withoutRunTemp = ({ TMPDIR: _runTemp, ...rest }: Record<string, string>) => rest;

    function freshMachine(overrides: Partial<Omit<CliDeps, "log">> = {}) {
      const log = new CapturedLog();
      const opened: WorkspaceOptions[] = [];
      const installs: string[] = [];
      const questions: string[] = [];
      const mesh = twoClusterMesh();
      const deps: CliDeps = {
        repoRoot: dir,
        env: {},
        log,
        findCli: noCliOnPath,
        installCli: async ({ root }) => (installs.push(root), installedCli(root)),
        storedLogin: () => undefined,
        workspace: (options) => (opened.push(options), mesh),
        askHidden: async () => TYPED,
        confirm: async (question) => (questions.push(question), true),
        ...overrides,
      };
      return { deps, log, opened, installs, mesh, questions };
    }

    it("installs the CLI, keeps the state in the project, asks for the passphrase and converges", async () => {
      const run = freshMachine();
      assert.equal(await main(["up"], run.deps), 0, run.log.all);
      const cliRoot = path.join(dir, LOCAL_CLI_DIR, PINNED);
      assert.deepEqual(run.installs, [cliRoot]);
      assert.equal(run.opened.length, 1);
      const options = run.opened[0]!;
      assert.equal(options.pulumiCommand?.command, path.join(cliRoot, "bin", "pulumi"));
      assert.deepEqual(withoutRunTemp(options.envVars), {
        PULUMI_BACKEND_URL: `file://${path.join(dir, LOCAL_STATE_DIR)}`,
        PULUMI_CONFIG_PASSPHRASE: TYPED,
      });
      assert.ok(fs.statSync(path.join(dir, LOCAL_STATE_DIR)).isDirectory());
      assert.equal(run.mesh.starts("up", "eks").length, 2);
      assert.match(run.log.all, /installing the Pulumi CLI/);
      assert.match(run.log.all, /no Pulumi backend is configured/);
      assert.match(run.log.lines.at(-1)!, /^mesh converged .* after up started \(2 cluster passes\)$/);
      assert.ok(!run.log.all.includes(TYPED), "the passphrase is never printed");
      assert.deepEqual(run.questions, ["Deploy this plan?"]);
      assert.ok(run.mesh.event("eks", "preview", "end").seq < run.mesh.event("trust", "up", "start").seq, "the plan comes first");
    });

    it("gives the engine and its providers a temporary folder of the run's own, private, and removes it when the run ends", async () => {
      let during: fs.Stats | undefined;
      const run = freshMachine({
        workspace: (options) => {
          during = fs.statSync(options.envVars.TMPDIR!);
          run.opened.push(options);
          return run.mesh;
        },
      });
      assert.equal(await main(["up"], run.deps), 0, run.log.all);
      const runTemp = run.opened[0]!.envVars.TMPDIR!;
      assert.equal(path.dirname(runTemp), os.tmpdir());
      assert.match(path.basename(runTemp), /^burstmesh-run-/);
      assert.ok(during?.isDirectory());
      assert.equal(during!.mode & 0o777, 0o700, "only the user reads the kubeconfigs the provider writes there");
      assert.ok(!fs.existsSync(runTemp), "removed when the run ends");
    });

    it("ends with a one-line JSON summary with --json", async () => {
      const run = freshMachine();
      assert.equal(await main(["up", "--json"], run.deps), 0, run.log.all);
      const summary = JSON.parse(run.log.lines.at(-1)!) as { preview: Record<string, unknown>; clusterPasses: number; updates: unknown[] };
      assert.deepEqual(Object.keys(summary.preview), ["trust", "aks", "eks"]);
      assert.equal(summary.clusterPasses, 2);
      assert.equal(summary.updates.length, 5);
    });

    it("deploys nothing when the plan is declined", async () => {
      const run = freshMachine({ confirm: async () => false });
      assert.equal(await main(["up"], run.deps), 1);
      assert.match(run.log.all, /^plan:$/m);
      assert.match(run.log.errors.join("\n"), /up cancelled: nothing was deployed/);
      assert.equal(run.mesh.starts("up").length, 0);
    });

    it("off a terminal, needs --yes, and says so before it installs or opens anything", async () => {
      const run = freshMachine({ confirm: undefined, askHidden: undefined });
      assert.equal(await main(["up"], run.deps), 1);
      assert.match(run.log.errors.join("\n"), /error: up asks before it changes anything; re-run with --yes/);
      assert.deepEqual([run.installs, run.opened], [[], []]);
    });

    it("without a terminal, stops before any stack with the passphrase error", async () => {
      const run = freshMachine({ askHidden: undefined, confirm: undefined });
      assert.equal(await main(["up", "--yes"], run.deps), 1);
      assert.match(run.log.errors.join("\n"), /error: the stacks use the passphrase secrets provider: set PULUMI_CONFIG_PASSPHRASE/);
      assert.equal(run.opened.length, 0);
    });

    it("in CI without a backend, stops before any stack", async () => {
      const run = freshMachine({ env: { CI: "true", PULUMI_CONFIG_PASSPHRASE: TYPED }, confirm: undefined });
      assert.equal(await main(["up", "--yes"], run.deps), 1);
      assert.match(run.log.errors.join("\n"), /in CI a state kept in the checkout would be lost/);
      assert.equal(run.opened.length, 0);
      assert.ok(!fs.existsSync(path.join(dir, LOCAL_STATE_DIR)));
    });

    it("keeps the backend Pulumi.yaml names", async () => {
      fs.appendFileSync(path.join(dir, "Pulumi.yaml"), "backend:\n  url: s3://project-state\n");
      const run = freshMachine({ env: { PULUMI_CONFIG_PASSPHRASE: TYPED } });
      assert.equal(await main(["up"], run.deps), 0, run.log.all);
      assert.deepEqual(withoutRunTemp(run.opened[0]!.envVars), {});
      assert.doesNotMatch(run.log.all, /no Pulumi backend/);
    });

    it("with a CLI on PATH and a login, changes nothing about the environment", async () => {
      const run = freshMachine({
        findCli: async () => "v3.250.0",
        installCli: () => assert.fail("installed although a CLI is on PATH"),
        storedLogin: () => "https://api.pulumi.com",
        askHidden: () => assert.fail("asked although Pulumi Cloud encrypts the secrets"),
      });
      assert.equal(await main(["up"], run.deps), 0, run.log.all);
      assert.deepEqual(
        { ...run.opened[0], envVars: withoutRunTemp(run.opened[0]!.envVars) },
        { workDir: dir, secretsProvider: undefined, pulumiCommand: undefined, envVars: {} },
      );
      assert.doesNotMatch(run.log.all, /installing|no Pulumi backend/);
    });
  });
});
