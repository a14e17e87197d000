/**
 * A root rotation, phase by phase, with real cryptography (the tls mocks): the trust stack's SharedCA
 * built for each state, workload certificates issued under each member's intermediate of the state
 * and of the one before it, each checked against every member's trusted roots (its root-cert.pem).
 */
import { strict as assert } from "node:assert";
import * as crypto from "node:crypto";
import { SharedCA } from "../../../components/trust/sharedCa";
import type { CaBundle } from "../../../components/stackOutputs";
import { nextRotationStep, type TrustGenerations } from "../../../model/trust";
import { resolve, settle, startMockedRun } from "../../support/harness";
import { certsIn, issueBelow } from "../../support/sharedCa";

const clusters = ["eks", "aks"];

async function bundlesFor(generations: TrustGenerations): Promise<Record<string, CaBundle>> {
  const { restoreLogs } = await startMockedRun({ stack: "trust" });
  try {
    const ca = new SharedCA("mesh-ca", {
      organization: "burstmesh",
      clusters,
      rootValidityHours: 87600,
      intermediateValidityHours: 17520,
      generations,
    });
    const bundles = await resolve(ca.bundles);
    await settle();
    return bundles;
  } finally {
    restoreLogs();
  }
}

/** A workload certificate issued under a member's intermediate, with the chain its proxy presents. */
interface Leaf {
  label: string;
  cert: crypto.X509Certificate;
  chain: crypto.X509Certificate[];
}

async function leafUnder(bundle: CaBundle, label: string): Promise<Leaf> {
  const { certPem } = await issueBelow(bundle["ca-cert.pem"], bundle["ca-key.pem"], "workload", false);
  return { label, cert: new crypto.X509Certificate(certPem), chain: certsIn(bundle["cert-chain.pem"]) };
}

/**
 * Whether a peer that trusts the roots of `rootCertPem` accepts the leaf: the leaf signed by the
 * chain's intermediate, and the intermediate by one of the trusted roots (as a verifier builds the
 * path to a trust anchor, whatever root the chain carries).
 */
function verifies(leaf: Leaf, rootCertPem: string): boolean {
  const intermediate = leaf.chain[0]!;
  if (!leaf.cert.checkIssued(intermediate) || !leaf.cert.verify(intermediate.publicKey)) return false;
  return certsIn(rootCertPem).some((root) => intermediate.checkIssued(root) && intermediate.verify(root.publicKey));
}

describe("a root rotation under the tls mocks, with real cryptography", function () {
  this.timeout(120_000);
  const start: TrustGenerations = { roots: [1], signingRoot: 1, intermediates: { eks: 1, aks: 1 } };
  const states: { name: string; generations: TrustGenerations }[] = [{ name: "start", generations: start }];
  for (const name of ["phase 1 (add)", "phase 2 (sign)", "phase 3 (retire)"]) {
    states.push({ name, generations: nextRotationStep(states[states.length - 1]!.generations).next });
  }
  const bundles: Record<string, CaBundle>[] = [];
  /** Per state, a leaf under each member's intermediate of that state. */
  const leaves: Leaf[][] = [];

  before(async () => {
    for (const { name, generations } of states) {
      const built = await bundlesFor(generations);
      bundles.push(built);
      leaves.push(await Promise.all(clusters.map((cluster) => leafUnder(built[cluster]!, `${cluster} leaf of ${name}`))));
    }
  });

  it("moves the generations as the planner says", () => {
    assert.deepEqual(
      states.map(({ generations: g }) => [g.roots, g.signingRoot, g.intermediates.eks]),
      [
        [[1], 1, 1],
        [[1, 2], 1, 1],
        [[1, 2], 2, 2],
        [[2], 2, 2],
      ],
    );
    for (const [index, built] of bundles.entries()) {
      for (const cluster of clusters) {
        assert.equal(certsIn(built[cluster]!["root-cert.pem"]).length, states[index]!.generations.roots.length);
      }
    }
  });

  for (const [index, name] of ["start", "phase 1 (add)", "phase 2 (sign)", "phase 3 (retire)"].entries()) {
    it(`${name}: leaves from every member's current intermediate verify against every member's trusted roots`, () => {
      for (const leaf of leaves[index]!) {
        for (const cluster of clusters)
          assert.ok(verifies(leaf, bundles[index]![cluster]!["root-cert.pem"]), `${leaf.label} at ${cluster}`);
      }
    });

    if (index === 0) continue;
    it(`${name}: leaves from the previous state's intermediates still verify everywhere`, () => {
      for (const leaf of leaves[index - 1]!) {
        for (const cluster of clusters)
          assert.ok(verifies(leaf, bundles[index]![cluster]!["root-cert.pem"]), `${leaf.label} at ${cluster}`);
      }
    });
  }

  it("phase 3: leaves from a generation-1 intermediate (issued at the start or in phase 1) verify nowhere any more", () => {
    // Root 1 is gone: a workload still holding a certificate from a generation-1 intermediate is
    // refused. That is why phase 3 waits retireAfterHours after phase 2 (at least the workload
    // certificates' lifetime): by then every workload holds one from a generation-2 intermediate.
    for (const leaf of [...leaves[0]!, ...leaves[1]!]) {
      for (const cluster of clusters)
        assert.equal(verifies(leaf, bundles[3]![cluster]!["root-cert.pem"]), false, `${leaf.label} at ${cluster}`);
    }
  });
});
