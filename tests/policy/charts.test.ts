import { strict as assert } from "node:assert";
import { validatePinnedChartVersion } from "../../policy/charts";
import { istiod, release, violations } from "./checks";

describe("policy pack: charts", () => {
  describe("helm-release-pinned-version", () => {
    it("passes an exact version", () => {
      assert.deepEqual(violations(validatePinnedChartVersion, istiod), []);
    });

    it("fails a missing version", () => {
      assert.deepEqual(violations(validatePinnedChartVersion, release("base", { chart: "base" })), [
        "Helm release 'base' (chart 'base') sets no version: pin the exact chart version (e.g. 1.30.3).",
      ]);
    });

    it("fails ranges, partial versions and 'latest'", () => {
      for (const version of ["^1.30.3", "~1.30.3", ">=1.30.0", "1.30", "1.30.x", "latest", "*"]) {
        assert.deepEqual(violations(validatePinnedChartVersion, release("base", { chart: "base", version })), [
          `Helm release 'base' (chart 'base') uses version '${version}', which is not one exact version (e.g. 1.30.3).`,
        ]);
      }
    });
  });
});
