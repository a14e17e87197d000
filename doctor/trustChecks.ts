/**
 * The checks of the mesh's trust: each member's `cacerts` verifies and is not near its end, istiod
 * distributes the roots `cacerts` holds (an ignored root change shows here), and every member trusts
 * the same roots.
 */
import { X509Certificate } from "node:crypto";
import { type CheckResult, fromProblems } from "./check";
import type { MemberFacts } from "./facts";

/** A certificate ending sooner than this is a warning: time enough to run the renewal's `up`. */
const expiryWarningDays = 60;
const dayMs = 86_400_000;

/** The certificates of a PEM document, in order; undefined when one does not parse. */
export function certificates(pem: string | undefined): X509Certificate[] | undefined {
  try {
    return (pem?.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((block) => new X509Certificate(block));
  } catch {
    return undefined;
  }
}

/** The set of certificates a PEM document holds, by SHA-256 fingerprint, sorted. */
export function fingerprints(certs: readonly X509Certificate[]): string[] {
  return certs.map((cert) => cert.fingerprint256).sort();
}

/** A cacerts problem is fixed by delivering the trust stack's bundle again. */
const cacertsHint = (member: string) =>
  `run npm run mesh -- up (the trust stack, then ${member}) to deliver the trust stack's bundle; docs/operations.md, "Rotating trust"`;

/**
 * `cacerts`: the intermediate (`ca-cert.pem`) is a CA issued by one of the trusted roots
 * (`root-cert.pem`), `cert-chain.pem` is the intermediate and then its issuer, and nothing of it ends
 * within {@link expiryWarningDays} days (a warning) or has ended (a failure).
 */
export function cacertsCheck(facts: MemberFacts, now: Date): CheckResult {
  const base = { id: "trust.cacerts", member: facts.member, title: "cacerts chain and validity" };
  const hint = cacertsHint(facts.member);
  if (!facts.cacerts) return { ...base, status: "fail", detail: "no istio-system/cacerts Secret", hint };
  const intermediate = certificates(facts.cacerts["ca-cert.pem"]);
  const roots = certificates(facts.cacerts["root-cert.pem"]);
  const chain = certificates(facts.cacerts["cert-chain.pem"]);
  if (!intermediate?.[0] || !roots?.length || !chain?.length)
    return { ...base, status: "fail", detail: "ca-cert.pem, root-cert.pem or cert-chain.pem holds no readable certificate", hint };
  const ca = intermediate[0];
  const problems: string[] = [];
  const issuer = roots.find((root) => ca.checkIssued(root) && ca.verify(root.publicKey));
  if (!ca.ca) problems.push("ca-cert.pem is not a CA certificate");
  if (!issuer) problems.push("ca-cert.pem is not signed by any root in root-cert.pem");
  if (!chain[0]!.raw.equals(ca.raw)) problems.push("cert-chain.pem does not start with ca-cert.pem");
  else if (issuer && !chain.slice(1).some((cert) => cert.raw.equals(issuer.raw)))
    problems.push("cert-chain.pem does not include ca-cert.pem's issuer");
  const ending = [ca, ...roots].map((cert) => ({ cert, left: Date.parse(cert.validTo) - now.getTime() }));
  for (const { cert, left } of ending) if (left <= 0) problems.push(`${cert.subject.replace(/\n/g, ", ")} ended on ${cert.validTo}`);
  if (problems.length > 0) return { ...base, status: "fail", detail: problems.join("; "), hint };
  const soonest = ending.reduce((a, b) => (b.left < a.left ? b : a));
  const days = Math.floor(soonest.left / dayMs);
  const detail = `intermediate signed by ${issuer!.subject.split("\n").find((part) => part.startsWith("CN=")) ?? "a trusted root"}; ${roots.length} trusted root(s); soonest end in ${days} days`;
  if (days < expiryWarningDays)
    return {
      ...base,
      status: "warn",
      detail,
      hint: `renew it: npm run mesh -- up (the trust stack re-issues certificates in their last third), or npm run mesh -- rotate-intermediate ${facts.member}`,
    };
  return { ...base, status: "ok", detail };
}

/**
 * `istio-ca-root-cert`, what istiod gives every proxy to trust, holds exactly the roots of `cacerts`:
 * a root change istiod ignored (a step from one root set to another neither contains) shows here.
 * And istiod has made no self-signed CA of its own, which it does when `cacerts` was missing at start.
 */
export function distributedRootsCheck(facts: MemberFacts): CheckResult {
  const problems: string[] = [];
  const held = certificates(facts.cacerts?.["root-cert.pem"]) ?? [];
  const distributed = certificates(facts.distributedRoots);
  if (!facts.distributedRoots || !distributed) problems.push("no readable istio-system/istio-ca-root-cert");
  else if (fingerprints(distributed).join() !== fingerprints(held).join())
    problems.push(
      `istio-ca-root-cert holds ${distributed.length} root(s) that differ from cacerts' ${held.length}: istiod has not loaded the current cacerts`,
    );
  if (facts.selfSignedCa) problems.push("istiod made a self-signed istio-ca-secret: it did not use cacerts");
  return fromProblems(
    { id: "trust.distributed", member: facts.member, title: "istiod distributes the cacerts roots" },
    problems,
    `istio-ca-root-cert equals cacerts' ${held.length} root(s); no istio-ca-secret`,
    `restart istiod (kubectl -n istio-system rollout restart deployment -l app=istiod) after checking cacerts; a root change must go through npm run mesh -- rotate-root`,
  );
}

/** Every member's `cacerts` trusts the same roots: the condition for mTLS between any two of them. */
export function rootsAgreeCheck(members: readonly MemberFacts[]): CheckResult {
  const sets = members.map((facts) => ({
    member: facts.member,
    roots: fingerprints(certificates(facts.cacerts?.["root-cert.pem"]) ?? []).join(),
  }));
  const first = sets[0];
  const differing = sets.filter((set) => set.roots !== first?.roots).map((set) => set.member);
  return fromProblems(
    { id: "trust.roots-agree", title: "every member trusts the same roots" },
    differing.length > 0 ? [`${differing.join(", ")} trust other roots than ${first!.member}`] : [],
    `${members.length} member(s), one root set`,
    "run npm run mesh -- up so that every cluster stack delivers the trust stack's current bundle",
  );
}
