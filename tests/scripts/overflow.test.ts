import { strict as assert } from "node:assert";
import { runOverflow } from "../../scripts/overflow";
import { stackTrace, tsScript } from "../support/scripts";

describe("scripts/overflow.ts (npm run overflow)", () => {
  it("--help prints the usage and exits 0", () => {
    const run = tsScript("overflow.ts", ["--help"]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^Usage: npm run overflow -- <command> --service <name> \[options\]\n/);
  });

  it("a missing --service is named as required, with the usage, exit 2", () => {
    let stderr = "";
    const written: string[] = [];
    const status = runOverflow(["sweep"], {
      out: (text) => written.push(text),
      err: (text) => (stderr += text),
      writeFile: (file) => written.push(file),
      readFile: (file) => {
        throw new Error(`read ${file}`);
      },
    });
    assert.equal(status, 2);
    assert.deepEqual(written, []);
    assert.match(stderr, /^--service is required: the name of one of burstmesh:services \(podinfo\)\n\nUsage: /);
    assert.doesNotMatch(stderr, stackTrace);
  });
});
