/**
 * The first run on a fresh machine: no Pulumi CLI, no backend, no passphrase in the environment.
 * Everything runs against injected fakes; nothing is downloaded.
 */
import { strict as assert } from "node:assert";
import { PassThrough } from "node:stream";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { PulumiCommand } from "@pulumi/pulumi/automation";
import * as semver from "semver";
import { parse as parseYaml } from "yaml";
import {
  chooseBackend,
  LOCAL_STATE_DIR,
  passphraseByDefault,
  prepareBackend,
  readStoredLogin,
  strandedStateWarning,
} from "../orchestrator/backend";
import { CliDeps, main } from "../orchestrator/cli";
import { LayoutError } from "../orchestrator/discovery";
import { providePassphrase } from "../orchestrator/passphrase";
import {
  LOCAL_CLI_DIR,
  MissingPulumiCliError,
  NO_CLI_INSTALL_VARIABLE,
  PULUMI_VERSION_FILE,
  pinnedPulumiVersion,
  resolvePulumiCli,
} from "../orchestrator/pulumiCli";
import { CancelledError, readHidden, TerminalInput } from "../orchestrator/terminal";
import type { WorkspaceOptions } from "../orchestrator/workspace";
import { CapturedLog, twoClusterMesh } from "./support/fakeMesh";
import { repoRoot } from "./support/stackFiles";

const PINNED = pinnedPulumiVersion(repoRoot);

/** A scratch copy of the project files the orchestrator reads, removed after each test. */
function scratchRepo(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "burstmesh-firstrun-"));
  for (const file of fs.readdirSync(repoRoot).filter((f) => /^Pulumi(\..+)?\.yaml$/.test(f) || f === PULUMI_VERSION_FILE)) {
    fs.copyFileSync(path.join(repoRoot, file), path.join(dir, file));
  }
  return dir;
}

/** What `PulumiCommand.install` resolves with: the CLI under the install root. */
function installedCli(root: string): PulumiCommand {
  return { command: path.join(root, "bin", "pulumi"), version: new semver.SemVer(PINNED) } as PulumiCommand;
}

const missing = () => Promise.reject(new MissingPulumiCliError("pulumi"));

describe("first run", () => {
  let dir: string;
  beforeEach(() => (dir = scratchRepo()));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe("the Pulumi CLI", () => {
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
        findOnPath: missing,
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
      await resolvePulumiCli({ root: dir, env: {}, log, findOnPath: missing, install: async (o) => installedCli(o.root) });
      assert.deepEqual(log.lines, [`no Pulumi CLI on PATH: using the Pulumi CLI ${PINNED} in ${path.join(".pulumi-cli", PINNED)}`]);
    });

    it(`keeps the missing-CLI error when ${NO_CLI_INSTALL_VARIABLE} is set`, async () => {
      await assert.rejects(
        resolvePulumiCli({
          root: dir,
          env: { [NO_CLI_INSTALL_VARIABLE]: "1" },
          log: new CapturedLog(),
          findOnPath: missing,
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
          findOnPath: missing,
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
  });

  describe("the backend", () => {
    it("uses what is configured, in the Pulumi CLI's order", () => {
      const all = { PULUMI_BACKEND_URL: "s3://from-env", PULUMI_ACCESS_TOKEN: "pul-token" };
      const pick = (env: Record<string, string>, projectBackendUrl?: string, storedLogin?: string) =>
        chooseBackend({ root: dir, env, projectBackendUrl, storedLogin });
      assert.deepEqual(pick(all, "azblob://from-project", "https://api.pulumi.com"), {
        url: "s3://from-env",
        source: "PULUMI_BACKEND_URL",
        envVars: {},
      });
      assert.equal(pick({ PULUMI_ACCESS_TOKEN: "t" }, "azblob://from-project", "file:///login").url, "azblob://from-project");
      assert.equal(pick({ PULUMI_ACCESS_TOKEN: "t" }, undefined, "file:///login").source, "pulumi login");
      const cloud = pick({ PULUMI_ACCESS_TOKEN: "t" });
      assert.deepEqual([cloud.url, cloud.envVars, cloud.notice], [undefined, {}, undefined]);
      assert.ok(!JSON.stringify(cloud).includes("pul-token"));
    });

    it("falls back to a file backend in the project, and says where and how to switch", () => {
      const backend = chooseBackend({ root: dir, env: { PULUMI_BACKEND_URL: "" } });
      const stateDir = path.join(dir, LOCAL_STATE_DIR);
      assert.equal(backend.url, `file://${stateDir}`);
      assert.deepEqual(backend.envVars, { PULUMI_BACKEND_URL: `file://${stateDir}` });
      const notice = backend.notice ?? "";
      assert.ok(notice.includes(`keeping the state in ${stateDir}`), notice);
      assert.match(notice, /set PULUMI_BACKEND_URL or run 'pulumi login <url>'/);
      assert.match(notice, /'pulumi stack export' .* 'pulumi stack import'/);
      assert.ok(notice.endsWith(`export PULUMI_BACKEND_URL=file://${stateDir}`), notice);
      assert.ok(!fs.existsSync(stateDir), "choosing creates nothing");
      prepareBackend(backend);
      assert.ok(fs.statSync(stateDir).isDirectory());
      const ignored = fs.readFileSync(path.join(repoRoot, ".gitignore"), "utf8").split("\n");
      assert.ok(
        ignored.includes(`${LOCAL_STATE_DIR}/`) && ignored.includes(`${LOCAL_CLI_DIR}/`),
        "both project-local folders are git-ignored",
      );
    });

    it("refuses the fallback in CI, where the state would be lost with the runner", () => {
      assert.throws(
        () => chooseBackend({ root: dir, env: { CI: "true" } }),
        (e: unknown) => e instanceof LayoutError && /no Pulumi backend is configured.*in CI.*set PULUMI_BACKEND_URL/.test(e.message),
      );
    });

    it("warns when an earlier run's local state is left behind by another backend", () => {
      const configured = chooseBackend({ root: dir, env: { PULUMI_BACKEND_URL: "s3://team-state" } });
      assert.equal(strandedStateWarning(dir, configured), undefined);
      fs.mkdirSync(path.join(dir, LOCAL_STATE_DIR, ".pulumi", "stacks", "burstmesh"), { recursive: true });
      assert.match(
        strandedStateWarning(dir, configured) ?? "",
        /holds state from an earlier run .* this run uses s3:\/\/team-state \(PULUMI_BACKEND_URL\)/,
      );
      assert.equal(strandedStateWarning(dir, chooseBackend({ root: dir, env: {} })), undefined, "not while using it");
    });

    it("knows which backends encrypt new stacks with a passphrase", () => {
      const url = (u?: string) => passphraseByDefault({ url: u, source: "test", envVars: {} });
      assert.deepEqual(["file:///x", "s3://b", "azblob://c", "gs://d", "https://api.pulumi.com", undefined].map(url), [
        true,
        true,
        true,
        true,
        false,
        false,
      ]);
    });

    it("reads the login from the CLI's credentials file, wherever the environment puts it", () => {
      const write = (folder: string, text: string) => {
        fs.mkdirSync(folder, { recursive: true });
        fs.writeFileSync(path.join(folder, "credentials.json"), text);
      };
      const home = path.join(dir, "home");
      assert.equal(readStoredLogin({}, home), undefined, "no file");
      write(path.join(home, ".pulumi"), JSON.stringify({ current: "https://api.pulumi.com", accessTokens: { x: "secret" } }));
      assert.equal(readStoredLogin({}, home), "https://api.pulumi.com");
      write(path.join(dir, "pulumi-home"), JSON.stringify({ current: "s3://home-state" }));
      assert.equal(readStoredLogin({ PULUMI_HOME: path.join(dir, "pulumi-home") }, home), "s3://home-state");
      write(path.join(dir, "creds"), JSON.stringify({ accessTokens: {} }));
      assert.equal(
        readStoredLogin({ PULUMI_HOME: path.join(dir, "pulumi-home"), PULUMI_CREDENTIALS_PATH: path.join(dir, "creds") }, home),
        undefined,
      );
      write(path.join(dir, "creds"), "");
      assert.equal(readStoredLogin({ PULUMI_CREDENTIALS_PATH: path.join(dir, "creds") }, home), undefined, "an empty file");
      write(path.join(dir, "creds"), "{not json");
      assert.throws(
        () => readStoredLogin({ PULUMI_CREDENTIALS_PATH: path.join(dir, "creds") }, home),
        /cannot read the Pulumi credentials file .*; fix or delete it/,
      );
    });
  });

  describe("the passphrase", () => {
    const PASSPHRASE = "typed-passphrase-never-printed";
    const asker = (...answers: string[]) => {
      const prompts: string[] = [];
      return {
        prompts,
        ask: async (prompt: string) => (prompts.push(prompt), answers.shift() ?? assert.fail(`unexpected prompt: ${prompt}`)),
      };
    };

    it("is not asked for when the backend does not use one, or the environment has it", async () => {
      const { prompts, ask } = asker();
      assert.deepEqual(await providePassphrase({ env: {}, passphraseByDefault: false, askHidden: ask }), {});
      assert.deepEqual(
        await providePassphrase({ env: {}, recordedProvider: "awskms://alias/x", passphraseByDefault: true, askHidden: ask }),
        {},
      );
      for (const env of [{ PULUMI_CONFIG_PASSPHRASE: "p" }, { PULUMI_CONFIG_PASSPHRASE_FILE: "/p" }]) {
        assert.deepEqual(await providePassphrase({ env, recordedProvider: "passphrase", passphraseByDefault: false, askHidden: ask }), {});
      }
      assert.deepEqual(prompts, []);
    });

    it("is asked once for existing stacks and handed to the CLI", async () => {
      const { prompts, ask } = asker(PASSPHRASE);
      const env = await providePassphrase({ env: {}, recordedProvider: "passphrase", passphraseByDefault: false, askHidden: ask });
      assert.deepEqual(env, { PULUMI_CONFIG_PASSPHRASE: PASSPHRASE });
      assert.deepEqual(prompts, ["Passphrase of the stacks' secrets (PULUMI_CONFIG_PASSPHRASE): "]);
    });

    it("is asked twice for new stacks, which must match", async () => {
      const twice = asker(PASSPHRASE, PASSPHRASE);
      assert.deepEqual(await providePassphrase({ env: {}, passphraseByDefault: true, askHidden: twice.ask }), {
        PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
      });
      assert.match(twice.prompts[0]!, /^Choose the passphrase that encrypts every stack's secrets/);
      assert.equal(twice.prompts[1], "The same passphrase again: ");
      await assert.rejects(
        providePassphrase({ env: {}, passphraseByDefault: true, askHidden: asker(PASSPHRASE, "typo").ask }),
        /the two passphrases differ; nothing was created/,
      );
      await assert.rejects(providePassphrase({ env: {}, passphraseByDefault: true, askHidden: asker("").ask }), /no passphrase given/);
    });

    it("off a terminal, fails with the variable to set", async () => {
      for (const inputs of [{ recordedProvider: "passphrase", passphraseByDefault: false }, { passphraseByDefault: true }]) {
        await assert.rejects(
          providePassphrase({ env: {}, ...inputs }),
          (e: unknown) => e instanceof LayoutError && /passphrase secrets provider: set PULUMI_CONFIG_PASSPHRASE/.test(e.message),
        );
      }
    });
  });

  describe("hidden input on a terminal", () => {
    function terminal(): { input: TerminalInput & PassThrough; output: PassThrough; written: () => string; rawModes: boolean[] } {
      const rawModes: boolean[] = [];
      const input = Object.assign(new PassThrough(), {
        isRaw: false,
        setRawMode(raw: boolean) {
          rawModes.push(raw);
          input.isRaw = raw;
          return input;
        },
      });
      const output = new PassThrough();
      const chunks: string[] = [];
      output.on("data", (c: Buffer) => chunks.push(c.toString()));
      return { input, output, written: () => chunks.join(""), rawModes };
    }

    it("echoes nothing, edits with backspace, ignores cursor keys and restores the terminal", async () => {
      const t = terminal();
      const answer = readHidden("Passphrase: ", t.input, t.output);
      t.input.write("sec");
      t.input.write("x\u007f\u001b[Dre");
      t.input.write("t\r");
      assert.equal(await answer, "secret");
      assert.equal(t.written(), "Passphrase: \n");
      assert.deepEqual(t.rawModes, [true, false]);
      assert.equal(t.input.listenerCount("data"), 0);
    });

    it("cancels on Ctrl-C, and on Ctrl-D at the start of the line", async () => {
      for (const keys of ["abc\u0003", "\u0004"]) {
        const t = terminal();
        const answer = readHidden("Passphrase: ", t.input, t.output);
        t.input.write(keys);
        await assert.rejects(answer, CancelledError);
        assert.deepEqual(t.rawModes, [true, false]);
      }
    });
  });

  describe("npm run mesh -- up on a fresh machine", () => {
    const TYPED = "first-run-passphrase-never-printed";

    function freshMachine(overrides: Partial<Omit<CliDeps, "log">> = {}) {
      const log = new CapturedLog();
      const opened: WorkspaceOptions[] = [];
      const installs: string[] = [];
      const mesh = twoClusterMesh();
      const deps: CliDeps = {
        repoRoot: dir,
        env: {},
        log,
        findCli: missing,
        installCli: async ({ root }) => (installs.push(root), installedCli(root)),
        storedLogin: () => undefined,
        workspace: (options) => (opened.push(options), mesh),
        askHidden: async () => TYPED,
        ...overrides,
      };
      return { deps, log, opened, installs, mesh };
    }

    it("installs the CLI, keeps the state in the project, asks for the passphrase and converges", async () => {
      const run = freshMachine();
      assert.equal(await main(["up"], run.deps), 0, run.log.all);
      const cliRoot = path.join(dir, LOCAL_CLI_DIR, PINNED);
      assert.deepEqual(run.installs, [cliRoot]);
      assert.equal(run.opened.length, 1);
      const options = run.opened[0]!;
      assert.equal(options.pulumiCommand?.command, path.join(cliRoot, "bin", "pulumi"));
      assert.deepEqual(options.envVars, {
        PULUMI_BACKEND_URL: `file://${path.join(dir, LOCAL_STATE_DIR)}`,
        PULUMI_CONFIG_PASSPHRASE: TYPED,
      });
      assert.ok(fs.statSync(path.join(dir, LOCAL_STATE_DIR)).isDirectory());
      assert.equal(run.mesh.starts("up", "eks").length, 2);
      assert.match(run.log.all, /installing the Pulumi CLI/);
      assert.match(run.log.all, /no Pulumi backend is configured/);
      assert.match(run.log.lines.at(-1)!, /^mesh converged .* after up started \(2 cluster passes\)$/);
      assert.ok(!run.log.all.includes(TYPED), "the passphrase is never printed");
    });

    it("without a terminal, stops before any stack with the passphrase error", async () => {
      const run = freshMachine({ askHidden: undefined });
      assert.equal(await main(["up"], run.deps), 1);
      assert.match(run.log.errors.join("\n"), /error: the stacks use the passphrase secrets provider: set PULUMI_CONFIG_PASSPHRASE/);
      assert.equal(run.opened.length, 0);
    });

    it("in CI without a backend, stops before any stack", async () => {
      const run = freshMachine({ env: { CI: "true", PULUMI_CONFIG_PASSPHRASE: TYPED } });
      assert.equal(await main(["up"], run.deps), 1);
      assert.match(run.log.errors.join("\n"), /in CI a state kept in the checkout would be lost/);
      assert.equal(run.opened.length, 0);
      assert.ok(!fs.existsSync(path.join(dir, LOCAL_STATE_DIR)));
    });

    it("keeps the backend Pulumi.yaml names", async () => {
      fs.appendFileSync(path.join(dir, "Pulumi.yaml"), "backend:\n  url: s3://project-state\n");
      const run = freshMachine({ env: { PULUMI_CONFIG_PASSPHRASE: TYPED } });
      assert.equal(await main(["up"], run.deps), 0, run.log.all);
      assert.deepEqual(run.opened[0]!.envVars, {});
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
      assert.deepEqual(run.opened[0], { workDir: dir, secretsProvider: undefined, pulumiCommand: undefined, envVars: {} });
      assert.doesNotMatch(run.log.all, /installing|no Pulumi backend/);
    });
  });
});
