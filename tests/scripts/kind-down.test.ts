import { strict as assert } from "node:assert";
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import * as fs from "node:fs";
import * as path from "node:path";
import { skipBecause } from "../support/skip";
import { Sandbox } from "../support/scripts";

describe("scripts/kind-down.sh", () => {
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

  it("destroys the stacks however kind lists its clusters: a member found first does not cut kind off (pipefail)", () => {
    // kind still writing when grep has found the member: an early-exiting grep would kill it with SIGPIPE.
    fs.writeFileSync(
      path.join(sandbox.bin, "kind"),
      `#!/usr/bin/env bash\necho "kind $*" >>"$FAKE_TOOLS_LOG"\n[ "$1 $2" = "get clusters" ] && { echo kind-home; sleep 0.2; echo kind-burst; }\nexit 0\n`,
      { mode: 0o755 },
    );
    const run = sandbox.bash("kind-down.sh", ["--yes"]);
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(sandbox.calls(), teardown);
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
