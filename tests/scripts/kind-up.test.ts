import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { Sandbox } from "../support/scripts";

describe("scripts/kind-up.sh", () => {
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
