/**
 * The scripts in scripts/ as a person runs them: each answers --help with its usage, exit 0 and
 * nothing else; bad arguments get a message, not a stack trace; kind-down asks before it tears
 * anything down. The bash scripts run from a copy of scripts/ against fake tools first on PATH
 * that record every call, so a test sees what a script would have run: nothing here runs kind,
 * docker, pulumi or a download.
 */
import { strict as assert } from "node:assert";
import { stackTrace, tsScript } from "../support/scripts";
describe("scripts/overflow.ts (npm run overflow)", () => {
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
});
