import { strict as assert } from "node:assert";
import { X509Certificate } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { MemberFacts } from "../../doctor/facts";
import { type PublishedTrust, trustGate } from "../../orchestrator/trustGate";

const pem = (name: string) => fs.readFileSync(path.join(__dirname, "..", "fixtures", "cacerts", `${name}.pem`), "utf8");
const cert = (name: string) => new X509Certificate(pem(name));

/** A member's trust as the doctor read it: its cacerts roots and intermediate, and what istiod distributes. */
const member = (name: string, roots: string, intermediate: string, distributed = roots) =>
  ({
    member: name,
    cacerts: { "root-cert.pem": roots, "ca-cert.pem": intermediate },
    distributedRoots: distributed,
  }) as unknown as MemberFacts;

describe("trust gate", () => {
  const bothRoots = pem("root1") + pem("root2");
  const phase1: PublishedTrust = { roots: [cert("root1"), cert("root2")], signer: cert("root1"), issuedAt: {} };

  it("passes when every member holds and distributes exactly the published roots, its intermediate signed by the signer", () => {
    const run = { results: [], members: [member("eks", bothRoots, pem("eks")), member("aks", pem("root2") + pem("root1"), pem("aks"))] };
    assert.deepEqual(trustGate(run, phase1), { ok: true, problems: [] });
  });

  it("names each member that has not taken the change yet, and each check the doctor failed or could not run", () => {
    const run = {
      results: [
        { id: "gateway", member: "eks", title: "east-west gateway", status: "fail" as const, detail: "no address" },
        { id: "istiod.syncz", member: "aks", title: "no stale proxies", status: "unknown" as const, detail: "not read" },
        { id: "member.clock", member: "aks", title: "clock skew", status: "warn" as const, detail: "soon" },
      ],
      members: [member("eks", pem("root1"), pem("eks")), member("aks", bothRoots, pem("eks-g2"), pem("root1"))],
    };
    assert.deepEqual(trustGate(run, phase1).problems, [
      "[eks] east-west gateway: no address",
      "[aks] no stale proxies: not read",
      "[eks] cacerts does not hold the 2 published root(s) yet",
      "[eks] istio-ca-root-cert does not equal the 2 published root(s) yet",
      "[aks] istio-ca-root-cert does not equal the 2 published root(s) yet",
      "[aks] its intermediate is not signed by the signing root yet",
    ]);
  });
});
