import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { repoRoot } from "../support/stackFiles";

describe("scripts/test.sh (npm test)", () => {
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
