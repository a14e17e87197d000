import { strict as assert } from "node:assert";
import { stackTrace, tsScript } from "../support/scripts";

describe("scripts/check.ts (npm test's type-check and lint)", () => {
  it("--help prints its usage and checks nothing; an argument gets a message and exit 2", () => {
    const help = tsScript("check.ts", ["--help"]);
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /^Usage: ts-node --transpile-only scripts\/check\.ts \[--help\]\n/);
    const wrong = tsScript("check.ts", ["src"]);
    assert.equal(wrong.status, 2);
    assert.match(wrong.stderr, /^check\.ts: takes no arguments, got 'src' \(see --help\)\n$/);
    assert.doesNotMatch(wrong.stderr, stackTrace);
  });
});
