/**
 * A trust rotation for real: `npm run mesh -- rotate-intermediate` on one member, through the real
 * engine and providers and gated by the doctor. The member's `cacerts` must then hold a new
 * intermediate under the same root, written in place: the same Secret (its UID unchanged), so that
 * istiod's mount and watch stay on it.
 */
import { X509Certificate } from "node:crypto";
import type { CheckResult } from "./checks";
import type { RunningMember } from "./controlPlane";

const cacertsPath = "/api/v1/namespaces/istio-system/secrets/cacerts";

interface CacertsSecret {
  metadata: { uid: string };
  data: Record<string, string>;
}

const pem = (secret: CacertsSecret, key: string) => Buffer.from(secret.data[key] ?? "", "base64").toString("utf8");

export async function checkIntermediateRotation(
  member: RunningMember,
  rotate: () => Promise<{ code: number; log: string }>,
): Promise<CheckResult> {
  const before = await member.api.get<CacertsSecret>(cacertsPath);
  const run = await rotate();
  const after = await member.api.get<CacertsSecret>(cacertsPath);
  const problems: string[] = [];
  let issued = "";
  if (run.code !== 0) problems.push(`exit ${run.code}; see ${run.log}`);
  if (!before || !after) problems.push("no cacerts Secret to compare");
  else {
    if (after.metadata.uid !== before.metadata.uid) problems.push("the cacerts Secret was replaced, not updated in place");
    const [old, renewed] = [new X509Certificate(pem(before, "ca-cert.pem")), new X509Certificate(pem(after, "ca-cert.pem"))];
    if (old.raw.equals(renewed.raw)) problems.push("ca-cert.pem is unchanged");
    if (old.publicKey.export({ format: "der", type: "spki" }).equals(renewed.publicKey.export({ format: "der", type: "spki" })))
      problems.push("the new intermediate certifies the old key");
    if (pem(before, "root-cert.pem") !== pem(after, "root-cert.pem")) problems.push("root-cert.pem changed");
    if (!renewed.verify(new X509Certificate(pem(after, "root-cert.pem")).publicKey))
      problems.push("the new intermediate is not signed by the root");
    issued = renewed.validFrom;
  }
  return {
    name: `npm run mesh -- rotate-intermediate --member ${member.name}: a new intermediate and key under the same root, cacerts updated in place, the doctor's gate passed`,
    ok: problems.length === 0,
    detail:
      problems.length > 0
        ? problems.join("; ")
        : `the same cacerts Secret (UID ${after!.metadata.uid}), its new intermediate valid from ${issued}`,
  };
}
