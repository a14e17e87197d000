/**
 * The gate of each trust change: the doctor finds nothing wrong, and every member runs with the
 * trust the trust stack now publishes: its `cacerts` and the roots istiod distributes
 * (`istio-ca-root-cert`) hold exactly the published roots, and its intermediate is signed by the
 * signing root.
 */
import { X509Certificate } from "node:crypto";
import { blockingProblems } from "../doctor/check";
import type { DoctorRun } from "../doctor/run";
import { certificates, fingerprints } from "../doctor/trustChecks";
import { errorMessage } from "./errors";
import type { MeshWorkspace } from "./ports";

/** The trust a gate holds the members to, as the trust stack published it. */
export interface PublishedTrust {
  /** Every trusted root certificate, oldest first (the trust stack's `rootCertPem`). */
  roots: X509Certificate[];
  /** The one that signs the intermediates. */
  signer: X509Certificate;
  /** Per member, when its intermediate became valid (ms since the epoch). */
  issuedAt: Record<string, number>;
}

export interface GateOutcome {
  ok: boolean;
  /** What stands in the way, one line each; empty when it passes. */
  problems: string[];
}

/** A PEM document's certificates as a set, by fingerprint; an unreadable document is an empty set. */
const fingerprintSet = (pem: string | undefined) => fingerprints(certificates(pem) ?? []).join();

/** The trust the trust stack published: its `rootCertPem`, its `trustGenerations` and the intermediates of its `cacerts`. */
export async function readPublishedTrust(workspace: MeshWorkspace, trustStack: string): Promise<PublishedTrust> {
  const outputs = await (await workspace.open(trustStack, { create: false }))?.outputs();
  const roots = certificates(outputs?.rootCertPem?.value as string | undefined) ?? [];
  const generations = outputs?.trustGenerations?.value as { roots: number[]; signingRoot: number } | undefined;
  const bundles = (outputs?.cacerts?.value ?? {}) as Record<string, { "ca-cert.pem": string }>;
  const signer = generations ? roots[generations.roots.indexOf(generations.signingRoot)] : roots[0];
  if (!signer) throw new Error(`the trust stack ${trustStack} has published no root certificate: run npm run mesh -- up first`);
  const issuedAt = Object.fromEntries(
    Object.entries(bundles).map(([member, bundle]) => [member, Date.parse(new X509Certificate(bundle["ca-cert.pem"]).validFrom)]),
  );
  return { roots, signer, issuedAt };
}

/** Whether the doctor's run shows every member on the published trust; see the module comment. */
export function trustGate(run: DoctorRun, trust: PublishedTrust): GateOutcome {
  const problems = blockingProblems(run.results);
  const wanted = fingerprints(trust.roots).join();
  for (const facts of run.members) {
    try {
      if (fingerprintSet(facts.cacerts?.["root-cert.pem"]) !== wanted)
        problems.push(`[${facts.member}] cacerts does not hold the ${trust.roots.length} published root(s) yet`);
      if (fingerprintSet(facts.distributedRoots) !== wanted)
        problems.push(`[${facts.member}] istio-ca-root-cert does not equal the ${trust.roots.length} published root(s) yet`);
      const intermediate = certificates(facts.cacerts?.["ca-cert.pem"])?.[0];
      if (!intermediate?.verify(trust.signer.publicKey))
        problems.push(`[${facts.member}] its intermediate is not signed by the signing root yet`);
    } catch (err) {
      problems.push(`[${facts.member}] ${errorMessage(err)}`);
    }
  }
  return { ok: problems.length === 0, problems };
}
