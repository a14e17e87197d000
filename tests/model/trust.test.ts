import { strict as assert } from "node:assert";
import {
  checkGenerations,
  checkTrustStep,
  istiodRootSetUpdate,
  nextRotationStep,
  rotationPhase,
  type RootSetUpdate,
  type RotationPhase,
  type RotationStep,
  type TrustGenerations,
} from "../../model/trust";

const key = "burstmesh:trust";
const state = (roots: number[], signingRoot: number, intermediates: Record<string, number> = { eks: 1, aks: 1 }): TrustGenerations => ({
  roots,
  signingRoot,
  intermediates,
});

describe("model/trust", () => {
  describe("istiodRootSetUpdate: istiod's rule for a changed root-cert.pem (handleEvent, pemBundleHasSubsetRelation)", () => {
    const table: [string[], string[], boolean, RootSetUpdate][] = [
      [["a"], ["a"], true, "unchanged"],
      [["a"], ["a"], false, "unchanged"],
      [["a", "b"], ["a", "b"], true, "unchanged"],
      [["a"], ["a", "b"], true, "accepted"],
      [["a", "b"], ["b"], true, "accepted"],
      [["a", "b"], ["a"], true, "accepted"],
      [["a", "b"], ["b", "a"], true, "accepted"],
      [["a"], ["b"], true, "ignored"],
      [["a", "b"], ["b", "c"], true, "ignored"],
      [["a"], [], true, "ignored"],
      [[], ["a"], true, "ignored"],
      [["a"], ["a", "b"], false, "ignored"],
      [["a", "b"], ["b"], false, "ignored"],
    ];
    for (const [loaded, next, multiRoot, expected] of table) {
      it(`[${loaded.join(", ")}] -> [${next.join(", ")}] with ISTIO_MULTIROOT_MESH ${multiRoot ? "on" : "off"}: ${expected}`, () => {
        assert.equal(istiodRootSetUpdate(loaded, next, multiRoot), expected);
      });
    }
  });

  describe("the rotation planner", () => {
    const start = state([1], 1);
    const phase1 = state([1, 2], 1);
    const phase2 = state([1, 2], 2, { eks: 2, aks: 2 });
    const phase3 = state([2], 2, { eks: 2, aks: 2 });

    it("says which phase a state is in", () => {
      const phases: RotationPhase[] = ["steady", "added", "signed", "steady"];
      assert.deepEqual([start, phase1, phase2, phase3].map(rotationPhase), phases);
    });

    it("steps add, sign, retire, and each step passes the checker", () => {
      const steps: RotationStep[] = [];
      let now = start;
      for (const expected of [phase1, phase2, phase3]) {
        const { step, next } = nextRotationStep(now);
        steps.push(step);
        assert.deepEqual(next, expected);
        assert.deepEqual(checkTrustStep(now, next, key), [], `${step}`);
        now = next;
      }
      assert.deepEqual(steps, ["add", "sign", "retire"]);
      assert.deepEqual(nextRotationStep(phase3).next, state([2, 3], 2, { eks: 2, aks: 2 }), "the next rotation adds generation 3");
    });

    it("bumps every member's intermediate in the sign step, whatever generation each is at", () => {
      assert.deepEqual(nextRotationStep(state([3, 4], 3, { eks: 5, aks: 3 })).next.intermediates, { eks: 6, aks: 4 });
    });

    it("passes what changes no root: an intermediate bump, the same state", () => {
      assert.deepEqual(checkTrustStep(start, state([1], 1, { eks: 2, aks: 1 }), key), []);
      assert.deepEqual(checkTrustStep(phase1, phase1, key), []);
      assert.deepEqual(checkTrustStep(phase2, phase1, key), [], "back from phase 2 to phase 1: both roots still trusted");
    });

    it("refuses a one-step root swap, naming the keys", () => {
      const issues = checkTrustStep(start, state([2], 2, { eks: 2, aks: 2 }), key);
      assert.equal(issues.length, 3, issues.join("\n"));
      assert.match(
        issues[0]!,
        /^burstmesh:trust\.roots: from \[1\] to \[2\] is a change istiod ignores while it runs: neither set holds the other/,
      );
      assert.match(issues[0]!, /npm run mesh -- rotate-root/);
      assert.match(
        issues[1]!,
        /^burstmesh:trust\.signingRoot: root 2 is not trusted by the deployed mesh \(burstmesh:trust\.roots is \[1\]\)/,
      );
      assert.match(issues[2]!, /^burstmesh:trust\.roots: retires root 1, which signs the deployed intermediates/);
    });

    it("refuses a root set neither of whose sets holds the other", () => {
      const issues = checkTrustStep(state([1, 2], 2), state([2, 3], 2), key);
      assert.deepEqual(issues.length, 1);
      assert.match(issues[0]!, /from \[1, 2\] to \[2, 3\] is a change istiod ignores/);
    });

    it("refuses adding a root and signing with it in one run", () => {
      const issues = checkTrustStep(start, state([1, 2], 2), key);
      assert.deepEqual(issues.length, 1);
      assert.match(issues[0]!, /^burstmesh:trust\.signingRoot: root 2 is not trusted by the deployed mesh/);
    });

    it("refuses signing with the new root and retiring the old one in one run", () => {
      const issues = checkTrustStep(phase1, phase3, key);
      assert.deepEqual(issues.length, 1);
      assert.match(issues[0]!, /^burstmesh:trust\.roots: retires root 1, which signs the deployed intermediates, in the same run/);
      assert.match(issues[0]!, /burstmesh:trust\.retireAfterHours later/);
    });

    it("checkGenerations refuses more than two roots, roots out of order, and a signing root outside the trusted set", () => {
      assert.deepEqual(checkGenerations(state([], 1), key), ["burstmesh:trust.roots: must list at least one root generation"]);
      assert.match(
        checkGenerations(state([1, 2, 3], 1), key)[0]!,
        /^burstmesh:trust\.roots: lists 3 roots \(1, 2, 3\); a rotation trusts at most 2/,
      );
      assert.match(checkGenerations(state([2, 1], 1), key)[0]!, /^burstmesh:trust\.roots: must be ascending, each generation once/);
      assert.match(checkGenerations(state([1, 1], 1), key)[0]!, /must be ascending/);
      assert.match(
        checkGenerations(state([1], 2), key)[0]!,
        /^burstmesh:trust\.signingRoot: generation 2 is not one of burstmesh:trust\.roots \(1\)/,
      );
      assert.deepEqual(checkTrustStep(start, state([1, 2, 3], 1), key), checkGenerations(state([1, 2, 3], 1), key));
    });
  });
});
