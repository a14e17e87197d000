import { strict as assert } from "node:assert";
import {
  installIssues,
  type IstioInstall,
  istioStepIssues,
  newestVersion,
  revisionName,
  stableRevision,
  steadyInstall,
  unrevisioned,
} from "../../model/istioRevisions";

const both = (from: string, to: string, at: string = revisionName(from), gateway = at): IstioInstall => ({
  revisions: [...steadyInstall(from).revisions, ...steadyInstall(to).revisions],
  tags: { stable: at },
  gateway,
});

describe("model/istioRevisions", () => {
  it("names a revision from its version, as Istio's docs do", () => {
    assert.equal(revisionName("1.30.8"), "1-30-8");
    assert.deepEqual(steadyInstall("1.30.8"), {
      revisions: [{ name: "1-30-8", version: "1.30.8" }],
      tags: { stable: "1-30-8" },
      gateway: "1-30-8",
    });
  });

  it("takes the base chart and CNI from the newest revision, defaultRevision from the stable tag", () => {
    const install = both("1.30.3", "1.30.8");
    assert.equal(newestVersion(install), "1.30.8");
    assert.equal(stableRevision(install).name, "1-30-3");
  });

  describe("installIssues", () => {
    it("accepts a steady install, one mid-upgrade and a non-revisioned one", () => {
      for (const install of [steadyInstall("1.30.8"), both("1.30.3", "1.30.8", "1-30-8"), steadyInstall("1.29.4", unrevisioned)]) {
        assert.deepEqual(installIssues(install), []);
      }
    });

    const table: [string, IstioInstall, RegExp][] = [
      ["no revision", { revisions: [], tags: { stable: "x" }, gateway: "x" }, /^revisions: must list at least one/],
      [
        "three revisions",
        { ...both("1.30.3", "1.30.8"), revisions: [...both("1.30.3", "1.30.8").revisions, { name: "1-31-0", version: "1.31.0" }] },
        /at most 2 istiod revisions/,
      ],
      [
        "a name that is not its version's",
        { ...steadyInstall("1.30.8"), revisions: [{ name: "1-30-3", version: "1.30.8" }] },
        /revisions\[0\]\.name: must be '1-30-8'/,
      ],
      [
        "the non-revisioned istiod after another",
        {
          ...both("1.30.3", "1.30.8"),
          revisions: [
            { name: "1-30-3", version: "1.30.3" },
            { name: unrevisioned, version: "1.30.8" },
          ],
        },
        /revisions\[1\]: 'default' .* can only be the oldest/,
      ],
      ["newest first", { ...both("1.30.3", "1.30.8"), revisions: both("1.30.3", "1.30.8").revisions.reverse() }, /oldest first/],
      [
        "a tag at no revision",
        { ...steadyInstall("1.30.8"), tags: { stable: "1-30-8", canary: "1-31-0" } },
        /^tags\.canary: '1-31-0' is not an installed revision \(1-30-8\)/,
      ],
      ["the gateway at no revision", { ...steadyInstall("1.30.8"), gateway: "1-30-3" }, /^gateway: '1-30-3' is not an installed revision/],
    ];
    for (const [what, install, issue] of table) {
      it(`refuses ${what}`, () => assert.match(installIssues(install).join("\n"), issue));
    }
  });

  describe("istioStepIssues: one step per deployment", () => {
    const hint = "run npm run mesh -- upgrade";
    it("takes each step an upgrade makes", () => {
      const steps = [
        [steadyInstall("1.30.3"), both("1.30.3", "1.30.8")],
        [both("1.30.3", "1.30.8"), both("1.30.3", "1.30.8", "1-30-8", "1-30-3")],
        [both("1.30.3", "1.30.8", "1-30-8", "1-30-3"), both("1.30.3", "1.30.8", "1-30-8")],
        [both("1.30.3", "1.30.8", "1-30-8"), steadyInstall("1.30.8")],
        [steadyInstall("1.29.4", unrevisioned), steadyInstall("1.30.3", unrevisioned)],
      ];
      for (const [last, next] of steps) assert.deepEqual(istioStepIssues(last!, next!, hint), []);
    });

    it("refuses an edited istioVersion: the old revision removed and the new one added at once", () => {
      const [issue] = istioStepIssues(steadyInstall("1.30.3"), steadyInstall("1.30.8"), hint);
      assert.match(issue!, /would remove istiod revision 1-30-3 and add 1-30-8 in one deployment.*run npm run mesh -- upgrade$/);
    });

    it("refuses to remove a revision a tag or the gateway pointed to in the last deployment", () => {
      const issues = istioStepIssues(both("1.30.3", "1.30.8", "1-30-8", "1-30-3"), steadyInstall("1.30.8"), hint);
      assert.match(issues.join("\n"), /would remove istiod revision 1-30-3, which a tag or the gateway pointed to/);
    });

    it("refuses the non-revisioned istiod moved back, or forward by more than one minor in place", () => {
      assert.match(
        istioStepIssues(steadyInstall("1.30.3", unrevisioned), steadyInstall("1.29.4", unrevisioned), hint)[0]!,
        /back from 1.30.3 to 1.29.4: its control plane would fall behind the proxies/,
      );
      assert.match(
        istioStepIssues(steadyInstall("1.28.2", unrevisioned), steadyInstall("1.30.3", unrevisioned), hint)[0]!,
        /in place from 1.28.2 to 1.30.3, 2 minor versions; Istio supports one minor in place/,
      );
    });
  });
});
