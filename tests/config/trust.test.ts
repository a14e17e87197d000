import { strict as assert } from "node:assert";
import { loadConfig, parseTrustConfig } from "../../config";
import { stackFileConfig, withConfig } from "../support/stackFiles";

const members = ["eks", "aks"];

function issuesOf(raw: unknown): string[] {
  const result = parseTrustConfig(raw, members);
  assert.ok(!result.ok, "expected the trust settings to be rejected");
  return result.issues;
}

describe("config: burstmesh:trust", () => {
  it("defaults to one root, generation 1, signing every member's generation-1 intermediate, and 24 hours before a retirement", () => {
    const expected = { roots: [1], signingRoot: 1, intermediates: { eks: 1, aks: 1 }, retireAfterHours: 24 };
    assert.deepEqual(parseTrustConfig(undefined, members), { ok: true, trust: expected });
    assert.deepEqual(parseTrustConfig({}, members), { ok: true, trust: expected });
    assert.deepEqual(parseTrustConfig("{}", members), { ok: true, trust: expected }, "raw JSON text, as a stack file holds it");
  });

  it("takes a rotation's state: two roots with the signing root named, some intermediates moved on", () => {
    const result = parseTrustConfig({ roots: [1, 2], signingRoot: 2, intermediates: { aks: 2 }, retireAfterHours: 48 }, members);
    assert.deepEqual(result, {
      ok: true,
      trust: { roots: [1, 2], signingRoot: 2, intermediates: { eks: 1, aks: 2 }, retireAfterHours: 48 },
    });
  });

  it("defaults the signing root to the only root", () => {
    const result = parseTrustConfig({ roots: [3] }, members);
    assert.ok(result.ok && result.trust.signingRoot === 3);
  });

  it("requires the signing root when two roots are trusted", () => {
    assert.deepEqual(issuesOf({ roots: [1, 2] }), [
      "burstmesh:trust.signingRoot: is required when burstmesh:trust.roots lists two roots (1, 2): it says which phase of the rotation " +
        "the mesh is in (the old root signs after phase 1, the new one after phase 2)",
    ]);
  });

  it("refuses a signing root outside the trusted roots, more than two roots, roots out of order", () => {
    assert.match(
      issuesOf({ roots: [1], signingRoot: 2 })[0]!,
      /^burstmesh:trust\.signingRoot: generation 2 is not one of burstmesh:trust\.roots/,
    );
    assert.match(issuesOf({ roots: [1, 2, 3], signingRoot: 1 })[0]!, /^burstmesh:trust\.roots: lists 3 roots/);
    assert.match(issuesOf({ roots: [2, 1], signingRoot: 1 })[0]!, /^burstmesh:trust\.roots: must be ascending/);
    assert.deepEqual(issuesOf({ roots: [] }), ["burstmesh:trust.roots: must list at least one root generation"]);
  });

  it("refuses generations that are not positive whole numbers", () => {
    assert.deepEqual(issuesOf({ roots: [0] }), ["burstmesh:trust.roots[0]: must be a positive whole number"]);
    assert.deepEqual(issuesOf({ roots: [1.5] }), ["burstmesh:trust.roots[0]: must be a whole number"]);
    assert.deepEqual(issuesOf({ intermediates: { eks: "2" } }), ["burstmesh:trust.intermediates.eks: must be a whole number"]);
    assert.deepEqual(issuesOf({ retireAfterHours: -1 }), ["burstmesh:trust.retireAfterHours: must be a positive whole number"]);
    assert.deepEqual(issuesOf({ roots: 1 }), ["burstmesh:trust.roots: must be a list of generations such as [1, 2]"]);
  });

  it("refuses an intermediate of a cluster that is not a member, and unknown keys", () => {
    assert.deepEqual(issuesOf({ intermediates: { gke: 2 } }), [
      "burstmesh:trust.intermediates.gke: 'gke' is not one of burstmesh:members (eks, aks)",
    ]);
    assert.deepEqual(issuesOf({ signingroot: 1 }), ["burstmesh:trust.signingroot: is not a known setting; did you mean 'signingRoot'?"]);
    assert.deepEqual(issuesOf("{nope"), ["burstmesh:trust: must be a list or object (got '{nope')"]);
  });

  it("is the trust stack's: loadConfig gives the trust stack its settings, and refuses them in a cluster stack", () => {
    const config = loadConfig({ ...stackFileConfig("trust"), "burstmesh:trust": JSON.stringify({ roots: [1, 2], signingRoot: 1 }) });
    assert.ok(config.role === "trust");
    assert.deepEqual(config.trust, { roots: [1, 2], signingRoot: 1, intermediates: { eks: 1, aks: 1 }, retireAfterHours: 24 });
    assert.throws(
      () => loadConfig({ ...stackFileConfig("trust"), "burstmesh:trust": JSON.stringify({ roots: [1, 2] }) }),
      /- burstmesh:trust\.signingRoot: is required/,
    );
    assert.throws(
      () => loadConfig(withConfig("eks", { "burstmesh:trust": { roots: [1] } })),
      /- burstmesh:trust: applies only to the trust stack \(burstmesh:role trust\)/,
    );
  });
});
