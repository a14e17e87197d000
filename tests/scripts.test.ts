/**
 * The scripts in scripts/ as a person runs them: each answers --help with its usage, exit 0 and
 * nothing else; bad arguments get a message, not a stack trace; kind-down asks before it tears
 * anything down. The bash scripts run from a copy of scripts/ against fake tools first on PATH
 * that record every call, so a test sees what a script would have run: nothing here runs kind,
 * docker, pulumi or a download.
 */
import { strict as assert } from "node:assert";
import { spawn, spawnSync, SpawnSyncReturns } from "node:child_process";
import { once } from "node:events";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { istioChartRepo, observabilityCharts } from "../components/charts/pinned";
import { skipBecause } from "./support/skip";
import { repoRoot } from "./support/stackFiles";

/** A node process's stack trace, which bad input must never print. */
const stackTrace = /\n\s+at .+:\d+:\d+\)?\n/;

/** A scratch folder holding a copy of scripts/, fake tools and the log they write their calls to. */
class Sandbox {
  readonly root = fs.mkdtempSync(path.join(os.tmpdir(), "burstmesh-scripts-"));
  readonly bin = path.join(this.root, "bin");
  readonly log = path.join(this.root, "calls.log");

  constructor(tools: readonly string[]) {
    fs.mkdirSync(this.bin);
    fs.mkdirSync(path.join(this.root, "scripts"));
    for (const script of ["kind-up.sh", "kind-down.sh"]) {
      fs.copyFileSync(path.join(repoRoot, "scripts", script), path.join(this.root, "scripts", script));
    }
    for (const tool of tools) {
      // `kind get clusters` answers with the two kind members, as once kind-up has run.
      const clusters = tool === "kind" ? `[ "$1 $2" = "get clusters" ] && printf '%s\\n' kind-home kind-burst\n` : "";
      fs.writeFileSync(path.join(this.bin, tool), `#!/usr/bin/env bash\necho "${tool} $*" >>"$FAKE_TOOLS_LOG"\n${clusters}exit 0\n`, {
        mode: 0o755,
      });
    }
  }

  /** Every call the fake tools recorded, one "tool args" per call. */
  calls(): string[] {
    return fs.existsSync(this.log) ? fs.readFileSync(this.log, "utf8").trimEnd().split("\n") : [];
  }

  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return { PATH: `${this.bin}:/usr/bin:/bin`, HOME: this.root, FAKE_TOOLS_LOG: this.log, ...extra };
  }

  /** Runs a copied script with its standard input a pipe (no terminal), fed `input`. */
  bash(script: string, args: string[], options: { input?: string; env?: Record<string, string> } = {}): SpawnSyncReturns<string> {
    return spawnSync("bash", [path.join(this.root, "scripts", script), ...args], {
      cwd: this.root,
      env: this.env(options.env),
      input: options.input ?? "",
      encoding: "utf8",
    });
  }

  remove(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

/** Runs one of the TypeScript scripts as its npm script does (ts-node, transpile-only), preloading `preloads`. */
function tsScript(script: string, args: string[], preloads: string[] = [], env: Record<string, string> = {}): SpawnSyncReturns<string> {
  const required = ["ts-node/register/transpile-only", ...preloads].flatMap((module) => ["--require", module]);
  return spawnSync(process.execPath, [...required, path.join(repoRoot, "scripts", script), ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    encoding: "utf8",
  });
}

describe("scripts", () => {
  describe("kind-down.sh", () => {
    let sandbox: Sandbox;
    beforeEach(() => (sandbox = new Sandbox(["kind", "npm"])));
    afterEach(() => sandbox.remove());

    const teardown = [
      "kind get clusters",
      "npm run mesh -- destroy --yes --stacks kind-home,kind-burst",
      "kind delete cluster --name kind-home",
      "kind delete cluster --name kind-burst",
    ];

    it("--help prints its usage, exits 0 and calls neither kind nor npm", () => {
      for (const flag of ["--help", "-h"]) {
        const run = sandbox.bash("kind-down.sh", [flag]);
        assert.equal(run.status, 0, run.stderr);
        assert.match(run.stdout, /^Usage: bash scripts\/kind-down\.sh \[--yes\] \[--help\]\n\nTears down the local mesh/);
        assert.match(run.stdout, /elsewhere it needs --yes/);
      }
      assert.deepEqual(sandbox.calls(), []);
    });

    it("off a terminal and without --yes, refuses, saying so, and tears nothing down", () => {
      const run = sandbox.bash("kind-down.sh", [], { input: "y\n" });
      assert.equal(run.status, 1);
      assert.match(
        run.stderr,
        /^kind-down: this would destroy the stacks kind-home and kind-burst and delete their kind clusters; there is no terminal to ask on, so re-run with --yes to confirm\n$/,
      );
      assert.deepEqual(sandbox.calls(), []);
    });

    it("rejects an unknown argument before anything else", () => {
      const run = sandbox.bash("kind-down.sh", ["--force"]);
      assert.equal(run.status, 2);
      assert.match(run.stderr, /kind-down: unknown argument '--force' \(see --help\)/);
      assert.deepEqual(sandbox.calls(), []);
    });

    it("with --yes destroys the kind stacks, deletes both clusters and stops the cloud-provider-kind kind-up started", async () => {
      const cloudProviderKind = spawn("sleep", ["60"], { stdio: "ignore" });
      const exited = once(cloudProviderKind, "exit");
      fs.mkdirSync(path.join(sandbox.root, ".kind"));
      const pidFile = path.join(sandbox.root, ".kind", "cloud-provider-kind.pid");
      fs.writeFileSync(pidFile, `${cloudProviderKind.pid}\n`);
      try {
        const run = sandbox.bash("kind-down.sh", ["--yes"]);
        assert.equal(run.status, 0, run.stderr);
        assert.deepEqual(sandbox.calls(), teardown);
        assert.equal(fs.existsSync(pidFile), false);
        const [code, signal] = (await exited) as [number | null, string | null];
        assert.deepEqual([code, signal], [null, "SIGTERM"]);
      } finally {
        cloudProviderKind.kill();
      }
    });

    describe("on a terminal", () => {
      /** Runs kind-down on a pseudo-terminal (util-linux `script`), typing `answer` at its prompt. */
      const onTerminal = (answer: string) =>
        spawnSync("script", ["-qec", `bash ${path.join(sandbox.root, "scripts", "kind-down.sh")}`, "/dev/null"], {
          cwd: sandbox.root,
          env: sandbox.env(),
          input: `${answer}\n`,
          encoding: "utf8",
        });
      before(function () {
        if (spawnSync("script", ["--version"]).status !== 0)
          skipBecause(this, "util-linux's script, which gives kind-down a terminal, is not installed");
      });

      it("asks y/N and, unless the answer is yes, changes nothing", () => {
        for (const answer of ["", "n", "no"]) {
          const run = onTerminal(answer);
          assert.equal(run.status, 1, `answer '${answer}'`);
          assert.match(run.stdout, /kind-down: destroy the stacks kind-home and kind-burst and delete their kind clusters\? \[y\/N\] /);
          assert.match(run.stdout, /kind-down: cancelled, nothing changed/);
        }
        assert.deepEqual(sandbox.calls(), []);
      });

      it("tears down once the answer is y", () => {
        const run = onTerminal("y");
        assert.equal(run.status, 0, run.stdout);
        assert.deepEqual(sandbox.calls(), teardown);
      });
    });
  });

  describe("kind-up.sh", () => {
    let sandbox: Sandbox;
    beforeEach(() => (sandbox = new Sandbox(["docker", "kind", "kubectl", "cloud-provider-kind", "pulumi", "npx"])));
    afterEach(() => sandbox.remove());

    it("--help prints its usage, exits 0 and calls none of its tools", () => {
      const run = sandbox.bash("kind-up.sh", ["--help"], { env: { PULUMI_CONFIG_PASSPHRASE: "x" } });
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stdout, /^Usage: bash scripts\/kind-up\.sh \[--help\]\n\nA local mesh for trying burstmesh on one machine/);
      assert.match(run.stdout, /Remove everything with scripts\/kind-down\.sh\.\n$/);
      assert.deepEqual(sandbox.calls(), []);
      assert.equal(fs.existsSync(path.join(sandbox.root, ".kind")), false);
    });

    it("rejects an unknown argument before anything else", () => {
      const run = sandbox.bash("kind-up.sh", ["--yes"], { env: { PULUMI_CONFIG_PASSPHRASE: "x" } });
      assert.equal(run.status, 2);
      assert.match(run.stderr, /kind-up: unknown argument '--yes' \(see --help\)/);
      assert.deepEqual(sandbox.calls(), []);
    });

    it("stops before creating anything when no secrets passphrase is set, naming the variable", () => {
      const run = sandbox.bash("kind-up.sh", []);
      assert.equal(run.status, 1);
      assert.match(run.stderr, /kind-up: set PULUMI_CONFIG_PASSPHRASE \(or PULUMI_CONFIG_PASSPHRASE_FILE\)/);
      assert.deepEqual(sandbox.calls(), []);
    });
  });

  describe("localMesh.ts", () => {
    it("--help prints its usage with every command and exits 0", () => {
      const run = tsScript("localMesh.ts", ["--help"]);
      assert.equal(run.status, 0, run.stderr);
      assert.equal(run.stderr, "");
      assert.match(run.stdout, /^Usage: npx ts-node --transpile-only scripts\/localMesh\.ts <command>\n/);
      for (const command of ["stack-file <member> <peer>", "members", "check --report <file> [--tolerance 0.1]"]) {
        assert.ok(run.stdout.includes(`\n  ${command}`), command);
      }
    });

    it("answers bad input with the problem and the usage, exit 2, not a stack trace", () => {
      for (const [args, problem] of [
        [["--bogus"], /^localMesh: Unknown option '--bogus'/],
        [["check"], /^localMesh: check: --report <file> is required/],
        [["check", "--report", "no-such-report.txt"], /^localMesh: --report: there is no file 'no-such-report.txt'/],
        [["stack-file", "kind-home"], /^localMesh: unknown command or wrong arguments: 'stack-file kind-home'/],
        [[], /^localMesh: a command is required/],
      ] as const) {
        const run = tsScript("localMesh.ts", [...args]);
        assert.equal(run.status, 2, args.join(" "));
        assert.match(run.stderr, problem);
        assert.match(run.stderr, /\n\nUsage: /);
        assert.doesNotMatch(run.stderr, stackTrace);
      }
    });
  });

  describe("fetch-chart-schemas.ts", () => {
    const offline = path.join(repoRoot, "tests", "support", "offlineFetch.ts");
    let fetchLog: string;
    beforeEach(() => (fetchLog = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "burstmesh-fetch-")), "urls.log")));
    afterEach(() => fs.rmSync(path.dirname(fetchLog), { recursive: true, force: true }));
    const asked = () => (fs.existsSync(fetchLog) ? fs.readFileSync(fetchLog, "utf8").trimEnd().split("\n") : []);

    it("--help prints what it downloads and what skips without it, exits 0 and downloads nothing", () => {
      const run = tsScript("fetch-chart-schemas.ts", ["--help"], [offline], { OFFLINE_FETCH_LOG: fetchLog });
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stdout, /^Usage: npm run fetch-chart-schemas/);
      assert.match(run.stdout, /Without a file the tests that need it skip/);
      assert.deepEqual(asked(), []);
    });

    it("rejects an argument it does not take", () => {
      const run = tsScript("fetch-chart-schemas.ts", ["prometheus"], [offline], { OFFLINE_FETCH_LOG: fetchLog });
      assert.equal(run.status, 2);
      assert.match(run.stderr, /^fetch-chart-schemas: Unexpected argument 'prometheus'/);
      assert.deepEqual(asked(), []);
    });

    it("offline, names each URL that failed and why, says which tests will skip, and exits 1", () => {
      const run = tsScript("fetch-chart-schemas.ts", [], [offline], { OFFLINE_FETCH_LOG: fetchLog });
      assert.equal(run.status, 1, run.stdout);
      const indexes = [...Object.values(observabilityCharts).map((chart) => chart.repo), istioChartRepo].map(
        (repo) => `${repo}/index.yaml`,
      );
      assert.deepEqual(asked(), indexes);
      for (const url of indexes) {
        assert.ok(run.stderr.includes(`: GET ${url}: getaddrinfo ENOTFOUND ${new URL(url).hostname}\n`), url);
      }
      assert.match(run.stderr, /4 of 4 downloads failed \(no network access to the chart repositories\?\); until they succeed:/);
      assert.match(run.stderr, /- the test of the prometheus values against the chart's values schema skips/);
      assert.match(run.stderr, /- the Istio \d+\.\d+\.\d+ reference tests skip\n$/);
      assert.doesNotMatch(run.stderr, stackTrace);
    });
  });

  describe("overflow.ts (npm run overflow)", () => {
    it("--help prints the usage and exits 0", () => {
      const run = tsScript("overflow.ts", ["--help"]);
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stdout, /^Usage: npm run overflow -- <command> --service <name> \[options\]\n/);
    });

    it("a missing --service is named as required, with the usage, exit 2", () => {
      const run = tsScript("overflow.ts", ["sweep"]);
      assert.equal(run.status, 2);
      assert.match(run.stderr, /^--service is required: the name of one of burstmesh:services \(podinfo\)\n\nUsage: /);
      assert.doesNotMatch(run.stderr, stackTrace);
    });
  });

  describe("test.sh (npm test)", () => {
    it("--help prints its usage and runs nothing", () => {
      const run = spawnSync("bash", [path.join(repoRoot, "scripts", "test.sh"), "--help"], { encoding: "utf8" });
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stdout, /^Usage: npm test \(bash scripts\/test\.sh \[--help\]\)\n/);
      assert.doesNotMatch(run.stdout, /passing/);
    });

    it("ends mocha's report with one line per reason tests were skipped, after the counts .ci/run reads", () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "burstmesh-skips-"));
      const skip = JSON.stringify(path.join(repoRoot, "tests", "support", "skip.ts"));
      const fixture = path.join(dir, "skips.test.js");
      fs.writeFileSync(
        fixture,
        `const { skipBecause } = require(${skip});
describe("a suite", () => {
  it("passes", () => {});
  it("needs a tool", function () { skipBecause(this, "the tool is not installed"); });
  it("needs the tool too", function () { skipBecause(this, "the tool is not installed"); });
  it("is not written yet");
});
describe("a suite skipped whole", function () {
  before(function () { skipBecause(this, "no reference files"); });
  it("one", () => {});
  it("two", () => {});
});
`,
      );
      try {
        const run = spawnSync(
          process.execPath,
          [
            path.join(repoRoot, "node_modules", "mocha", "bin", "mocha.js"),
            "--no-config",
            "--require",
            "ts-node/register/transpile-only",
            "--reporter",
            path.join(repoRoot, "tests", "support", "skipReporter.ts"),
            fixture,
          ],
          { cwd: repoRoot, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } },
        );
        assert.equal(run.status, 0, run.stderr);
        // The last lines: mocha's counts, then the reasons.
        const end = run.stdout.trimEnd().split("\n").slice(-7);
        assert.deepEqual(
          end.slice(0, 2).map((line) => line.trim().replace(/\(\d+m?s\)/, "(time)")),
          ["1 passing (time)", "5 pending"],
        );
        assert.deepEqual(end.slice(2), [
          "",
          "  skipped, and why:",
          "    2 tests: the tool is not installed",
          `    1 test: no reason given (${path.relative(repoRoot, fixture)})`,
          "    2 tests: no reference files",
        ]);
        // .ci/run takes the last "N passing" and "N pending" of the output as the counts.
        assert.deepEqual(run.stdout.match(/\d+ (passing|pending)/g), ["1 passing", "5 pending"]);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
