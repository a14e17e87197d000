/**
 * The checks across members: the links between them (remote secrets and the reader tokens in them),
 * their clocks, and what must be equal everywhere (mesh ID, trust domain, distinct networks, Istio
 * versions close enough, each mesh Service the same shape).
 */
import { parse as parseYaml } from "yaml";
import { type CheckResult, fromProblems } from "./check";
import { type ExpectedMember, type ExpectedMesh, stackKey } from "./expected";
import type { KubeObject, MemberFacts } from "./facts";
import { istiodVersion } from "./memberChecks";

/** istiod backdates the certificates it issues by this much; a larger skew makes fresh ones not yet valid. */
const clockSkewLimitMs = 2 * 60_000;

const remoteSecretName = (peer: string) => `istio-remote-secret-${peer}`;

/** The server, CA and token of the one kubeconfig a remote secret holds under the peer's name. */
export function remoteKubeconfig(secret: KubeObject, peer: string): { server?: string; ca?: string; token?: string } {
  const text = secret.data?.[peer];
  if (!text) return {};
  const config = parseYaml(text) as {
    clusters?: { cluster?: { server?: string; "certificate-authority-data"?: string } }[];
    users?: { user?: { token?: string } }[];
  };
  return {
    server: config.clusters?.[0]?.cluster?.server,
    ca: config.clusters?.[0]?.cluster?.["certificate-authority-data"],
    token: config.users?.[0]?.user?.token,
  };
}

/** Remote secrets: exactly one per peer, each naming the server and CA the peer published, and none for a cluster that is no peer. */
export function remoteSecretsCheck(facts: MemberFacts, expected: ExpectedMember, members: readonly ExpectedMember[]): CheckResult {
  const problems: string[] = [];
  for (const peer of expected.peers) {
    const secret = facts.remoteSecrets.find((s) => s.metadata.name === remoteSecretName(peer));
    if (!secret) {
      problems.push(`no remote secret for ${peer}`);
      continue;
    }
    const { server, ca } = remoteKubeconfig(secret, peer);
    const published = members.find((m) => m.name === peer)?.published;
    if (!server) problems.push(`${secret.metadata.name} holds no kubeconfig under '${peer}'`);
    else if (published && server !== published.apiServerUrl)
      problems.push(`${secret.metadata.name} points at ${server}, ${peer} publishes ${published.apiServerUrl}`);
    if (published && ca !== published.certificateAuthorityData) problems.push(`${secret.metadata.name} holds another CA than ${peer}'s`);
  }
  const leftovers = facts.remoteSecrets
    .map((s) => s.metadata.name)
    .filter((name) => !expected.peers.some((peer) => remoteSecretName(peer) === name));
  if (leftovers.length > 0) problems.push(`leftover remote secret(s) for no peer: ${leftovers.join(", ")}`);
  return fromProblems(
    { id: "links.remote-secrets", member: facts.member, title: "one remote secret per peer" },
    problems,
    expected.peers.length === 0 ? "no peers" : `${expected.peers.join(", ")}, each at its published API server and CA`,
    `run npm run mesh -- up --stacks ${facts.member} (it writes the remote secrets from the peers' outputs; ${stackKey(facts.member, "peers")} lists them)`,
  );
}

/** The claims of a service-account token that say whose it is and until when (legacy and bound tokens). */
export function tokenClaims(token: string): { serviceAccountUid?: string; secretName?: string; expiresMs?: number } | undefined {
  try {
    const payload = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as Record<string, unknown>;
    const bound = payload["kubernetes.io"] as { serviceaccount?: { uid?: string } } | undefined;
    const uid = (payload["kubernetes.io/serviceaccount/service-account.uid"] as string | undefined) ?? bound?.serviceaccount?.uid;
    return {
      serviceAccountUid: uid,
      // A legacy token names the Secret it lives in; it is valid only while that Secret holds it.
      secretName: payload["kubernetes.io/serviceaccount/secret.name"] as string | undefined,
      expiresMs: typeof payload.exp === "number" ? payload.exp * 1000 : undefined,
    };
  } catch {
    return undefined;
  }
}

/**
 * Each reader token this member holds for a peer: not expired, of the peer's reader service account
 * as it exists now (same UID: a re-created account invalidates older tokens), and accepted by the
 * peer's API server for the reads istiod makes, asked with the token itself.
 */
export function readerTokensCheck(facts: MemberFacts, expected: ExpectedMember, all: readonly MemberFacts[], now: Date): CheckResult {
  const problems: string[] = [];
  for (const peer of expected.peers) {
    const secret = facts.remoteSecrets.find((s) => s.metadata.name === remoteSecretName(peer));
    const token = secret && remoteKubeconfig(secret, peer).token;
    if (!token) continue; // remoteSecretsCheck reports the missing secret
    const claims = tokenClaims(token);
    if (!claims) {
      problems.push(`${peer}: the token is not a readable JWT`);
      continue;
    }
    if (claims.expiresMs !== undefined && claims.expiresMs <= now.getTime())
      problems.push(`${peer}: the token expired on ${new Date(claims.expiresMs).toISOString()}`);
    const peerFacts = all.find((f) => f.member === peer);
    const account = peerFacts?.readerServiceAccount;
    if (peerFacts && !account) problems.push(`${peer}: its istio-reader-service-account no longer exists`);
    // The peer's API server still accepts the token for a few seconds (it caches token reviews, 10 s by default).
    if (peerFacts && claims.secretName !== undefined && !peerFacts.readerTokenSecrets.includes(claims.secretName))
      problems.push(`${peer}: its reader token Secret ${claims.secretName} was deleted, which revokes the token this member holds`);
    else if (account && claims.serviceAccountUid !== account.metadata.uid)
      problems.push(`${peer}: the token is of an istio-reader-service-account that was since re-created (UID ${claims.serviceAccountUid})`);
    const use = facts.tokenUses.find((u) => u.peer === peer);
    if (use?.allowed === false) problems.push(`${peer}: ${use.error ?? "the token may not list Services there"}`);
    if (!use) problems.push(`${peer}: the token was not tried against ${peer}'s API server`);
  }
  return fromProblems(
    { id: "links.reader-tokens", member: facts.member, title: "reader tokens accepted by the peers" },
    problems,
    expected.peers.length === 0 ? "no peers" : `${expected.peers.join(", ")} accept this member's tokens for reads`,
    `re-issue them: npm run mesh -- up --stacks <peer>,${facts.member} (the peer's stack issues the token, this member's stack stores it); ` +
      "after a deleted token Secret, first pulumi refresh --stack <peer> --yes, since its state still holds the Secret",
  );
}

/** Each API server's clock against this machine's, from its `Date` header. */
export function clockSkewCheck(facts: MemberFacts): CheckResult {
  const base = { id: "member.clock", member: facts.member, title: "clock skew" };
  if (!facts.clock.serverDate)
    return { ...base, status: "unknown", detail: "the API server sent no Date header", hint: "check the node clocks' NTP" };
  // The header has whole seconds: up to a second of the difference is its rounding.
  const skew = Date.parse(facts.clock.serverDate) - facts.clock.localMs;
  const seconds = Math.round(skew / 1000);
  return fromProblems(
    base,
    Math.abs(skew) > clockSkewLimitMs
      ? [`the API server's clock is ${seconds} s off this machine's (more than istiod's 2-minute backdate)`]
      : [],
    `${seconds} s`,
    "fix the clocks (NTP on the nodes and on this machine); certificates issued by istiod are valid from 2 minutes before issue",
  );
}

/** Mesh ID and trust domain from a mesh config (the `istio` ConfigMap's `mesh`). */
function meshIdentity(meshConfig: string): { meshId?: string; trustDomain?: string } {
  const parsed = (parseYaml(meshConfig) ?? {}) as { trustDomain?: string; defaultConfig?: { meshId?: string } };
  return { meshId: parsed.defaultConfig?.meshId, trustDomain: parsed.trustDomain };
}

/** Mesh ID and trust domain as config sets them in every member's mesh config, and no network named by two members. */
export function meshIdentityCheck(all: readonly MemberFacts[], mesh: ExpectedMesh): CheckResult {
  const problems: string[] = [];
  for (const facts of all) {
    for (const [name, config] of Object.entries(facts.meshConfigs)) {
      const found = meshIdentity(config);
      if (found.meshId !== mesh.meshId) problems.push(`${facts.member} ${name}: mesh ID '${found.meshId}', config says '${mesh.meshId}'`);
      if (found.trustDomain !== mesh.trustDomain)
        problems.push(`${facts.member} ${name}: trust domain '${found.trustDomain}', config says '${mesh.trustDomain}'`);
    }
    if (Object.keys(facts.meshConfigs).length === 0) problems.push(`${facts.member}: no istio ConfigMap with a mesh config`);
  }
  const networks = new Map<string, string[]>();
  for (const member of mesh.members.filter((m) => m.network !== ""))
    networks.set(member.network, [...(networks.get(member.network) ?? []), member.name]);
  for (const [network, names] of networks) if (names.length > 1) problems.push(`network '${network}' is named by ${names.join(" and ")}`);
  return fromProblems(
    { id: "mesh.identity", title: "mesh ID, trust domain and networks" },
    problems,
    `mesh ${mesh.meshId}, trust domain ${mesh.trustDomain}, ${networks.size} distinct network(s)`,
    "burstmesh:meshId and burstmesh:trustDomain are mesh-wide (Pulumi.yaml); each member's burstmesh:network must be its own; then npm run mesh -- up",
  );
}

/** Istio versions between members: one minor apart is an upgrade under way (a warning), more is refused by Istio's support. */
export function versionSkewCheck(all: readonly MemberFacts[]): CheckResult {
  const versions = all.flatMap((facts) =>
    facts.istiodDeployments.map((d) => ({ member: facts.member, version: istiodVersion(d) ?? "unknown" })),
  );
  const minors = [...new Set(versions.map((v) => v.version.split(".").slice(0, 2).join(".")))];
  const spread = minors.map((m) => Number(m.split(".")[1])).filter(Number.isFinite);
  const detail = [...new Set(versions.map((v) => `${v.member} ${v.version}`))].join(", ");
  const base = { id: "istio.version-skew", title: "Istio versions across members" };
  const hint =
    "finish an upgrade under way with npm run mesh -- upgrade --resume; otherwise npm run mesh -- up brings every member to burstmesh:istioVersion (Pulumi.yaml)";
  if (spread.length > 1 && Math.max(...spread) - Math.min(...spread) > 1) return { ...base, status: "fail", detail, hint };
  if (minors.length > 1 || new Set(versions.map((v) => v.version)).size > 1) return { ...base, status: "warn", detail, hint };
  return { ...base, status: "ok", detail: detail || "no istiod" };
}

/** A Service's shape as Istio's IST0170 compares it across clusters: its type and its ports. */
function serviceShape(service: KubeObject): string {
  const ports = ((service.spec?.ports as { name?: string; port: number; protocol?: string }[] | undefined) ?? [])
    .map((p) => `${p.name ?? ""}:${p.port}/${p.protocol ?? "TCP"}`)
    .sort();
  return `${String(service.spec?.type ?? "ClusterIP")} ${ports.join(",")}`;
}

/**
 * Every mesh Service present in several members has the same type and ports in each: istiod merges
 * them into one service, and a mismatch (Istio's analysis IST0170) sends requests to ports some
 * members do not serve.
 */
export function serviceConsistencyCheck(all: readonly MemberFacts[]): CheckResult {
  const shapes = new Map<string, Map<string, string[]>>();
  for (const facts of all) {
    for (const service of facts.meshServices) {
      const key = `${service.metadata.namespace}/${service.metadata.name}`;
      const byShape = shapes.get(key) ?? new Map<string, string[]>();
      const shape = serviceShape(service);
      byShape.set(shape, [...(byShape.get(shape) ?? []), facts.member]);
      shapes.set(key, byShape);
    }
  }
  const problems = [...shapes]
    .filter(([, byShape]) => byShape.size > 1)
    .map(([key, byShape]) => `${key}: ${[...byShape].map(([shape, members]) => `${members.join(",")} ${shape}`).join(" vs ")}`);
  return fromProblems(
    { id: "mesh.services", title: "mesh Services consistent across members (IST0170)" },
    problems,
    `${shapes.size} Service(s)`,
    "a service's ports come from burstmesh:services (Pulumi.yaml); run npm run mesh -- up so every member has the same",
  );
}
