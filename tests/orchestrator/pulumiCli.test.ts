import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import * as semver from "semver";
import { parse as parseYaml } from "yaml";
import {
  checkPulumiCli,
  LOCAL_CLI_DIR,
  MissingPulumiCliError,
  NO_CLI_INSTALL_VARIABLE,
  PULUMI_VERSION_FILE,
  pinnedPulumiVersion,
  resolvePulumiCli,
} from "../../orchestrator/pulumiCli";
import { repoRoot } from "../support/stackFiles";
import { CapturedLog, tick } from "./fakeMesh";
import { installedCli, noCliOnPath, PINNED, scratchRepo } from "./freshMachine";

describe("the Pulumi CLI", () => {
  let dir: string;
  beforeEach(() => (dir = scratchRepo()));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("uses the CLI on PATH when there is one, and installs nothing", async () => {
    const log = new CapturedLog();
    const cli = await resolvePulumiCli({
      root: dir,
      env: {},
      log,
      findOnPath: async () => "v3.250.0",
      install: () => assert.fail("installed although a CLI is on PATH"),
    });
    assert.equal(cli, undefined);
    assert.deepEqual(log.lines, []);
  });

  it("installs the pinned version into the project when none is on PATH, and says so", async () => {
    const log = new CapturedLog();
    const installs: { root: string; version: string }[] = [];
    const cli = await resolvePulumiCli({
      root: dir,
      env: {},
      log,
      findOnPath: noCliOnPath,
      install: async (options) => (installs.push(options), installedCli(options.root)),
    });
    const root = path.join(dir, LOCAL_CLI_DIR, PINNED);
    assert.deepEqual(installs, [{ root, version: PINNED }]);
    assert.equal(cli?.command, path.join(root, "bin", "pulumi"));
    assert.deepEqual(log.lines, [
      `no Pulumi CLI on PATH: installing the Pulumi CLI ${PINNED} (pinned in .pulumi.version) into ${path.join(".pulumi-cli", PINNED)} ` +
        `(set ${NO_CLI_INSTALL_VARIABLE}=1 to install it yourself instead)`,
    ]);
  });

  it("says it reuses an earlier installation", async () => {
    const root = path.join(dir, LOCAL_CLI_DIR, PINNED);
    fs.mkdirSync(path.join(root, "bin"), { recursive: true });
    fs.writeFileSync(path.join(root, "bin", process.platform === "win32" ? "pulumi.exe" : "pulumi"), "");
    const log = new CapturedLog();
    await resolvePulumiCli({ root: dir, env: {}, log, findOnPath: noCliOnPath, install: async (o) => installedCli(o.root) });
    assert.deepEqual(log.lines, [`no Pulumi CLI on PATH: using the Pulumi CLI ${PINNED} in ${path.join(".pulumi-cli", PINNED)}`]);
  });

  it(`keeps the missing-CLI error when ${NO_CLI_INSTALL_VARIABLE} is set`, async () => {
    await assert.rejects(
      resolvePulumiCli({
        root: dir,
        env: { [NO_CLI_INSTALL_VARIABLE]: "1" },
        log: new CapturedLog(),
        findOnPath: noCliOnPath,
        install: () => assert.fail("installed although installing is off"),
      }),
      (e: unknown) =>
        e instanceof MissingPulumiCliError &&
        /not found on PATH, and BURSTMESH_NO_CLI_INSTALL keeps the orchestrator from installing it/.test(e.message) &&
        /install the Pulumi CLI \(https:\/\/www\.pulumi\.com\/docs\/install\/\) and put it on PATH/.test(e.message),
    );
  });

  it("reports a CLI on PATH that fails instead of installing another", async () => {
    await assert.rejects(
      resolvePulumiCli({
        root: dir,
        env: {},
        log: new CapturedLog(),
        findOnPath: () => Promise.reject(new Error("'pulumi version' failed (exit code 2): broken")),
        install: () => assert.fail("installed over a broken CLI"),
      }),
      /'pulumi version' failed \(exit code 2\): broken/,
    );
  });

  it("names the version, the folder and the way out when the installation fails", async () => {
    await assert.rejects(
      resolvePulumiCli({
        root: dir,
        env: {},
        log: new CapturedLog(),
        findOnPath: noCliOnPath,
        install: () => Promise.reject(new Error("getaddrinfo ENOTFOUND get.pulumi.com\n")),
      }),
      new RegExp(
        `could not install the Pulumi CLI ${PINNED.replace(/\./g, "\\.")} into \\.pulumi-cli/${PINNED.replace(/\./g, "\\.")}: ` +
          "getaddrinfo ENOTFOUND get\\.pulumi\\.com\\. Install the Pulumi CLI .* put it on PATH",
      ),
    );
  });

  it("reads one exact version from .pulumi.version and refuses anything else", () => {
    assert.match(PINNED, /^\d+\.\d+\.\d+$/);
    for (const bad of ["^3", "3.248", "latest", ""]) {
      fs.writeFileSync(path.join(dir, PULUMI_VERSION_FILE), `${bad}\n`);
      assert.throws(() => pinnedPulumiVersion(dir), /\.pulumi\.version must hold one exact version x\.y\.z/);
    }
    fs.rmSync(path.join(dir, PULUMI_VERSION_FILE));
    assert.throws(() => pinnedPulumiVersion(dir), /cannot read the pinned Pulumi CLI version/);
  });

  it("is the version the workflows install, and not older than the Pulumi SDK", () => {
    const sdk = (JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { dependencies: Record<string, string> })
      .dependencies["@pulumi/pulumi"]!;
    assert.ok(semver.valid(sdk), `@pulumi/pulumi is pinned to an exact version (got ${sdk})`);
    assert.ok(semver.gte(PINNED, sdk), `the pinned CLI ${PINNED} is at least the SDK ${sdk}`);
    for (const name of ["deploy", "preview", "kind"]) {
      const workflow = parseYaml(fs.readFileSync(path.join(repoRoot, ".github", "workflows", `${name}.yml`), "utf8")) as {
        jobs: Record<string, { steps: { uses?: string; with?: Record<string, unknown> }[] }>;
      };
      const pulumiSteps = Object.values(workflow.jobs)
        .flatMap((job) => job.steps)
        .filter((step) => step.uses?.startsWith("pulumi/actions@"));
      assert.ok(pulumiSteps.length > 0, `${name}.yml installs the Pulumi CLI`);
      for (const step of pulumiSteps) {
        assert.equal(
          step.with?.["pulumi-version-file"],
          PULUMI_VERSION_FILE,
          `${name}.yml reads the CLI version from ${PULUMI_VERSION_FILE}`,
        );
        assert.equal(step.with?.["pulumi-version"], undefined, `${name}.yml pins no second version`);
      }
    }
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
});
