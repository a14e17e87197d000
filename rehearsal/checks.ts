/**
 * What the rehearsal checks against the real API servers and the real state once the mesh is up:
 * the declared objects exist (so the real CRD validation accepted the Istio ones), the Helm releases
 * are deployed, each remote secret authenticates at its peer with reads only, every `cacerts` chains
 * to the one root, and the state holds no secret in plain text.
 */
import { X509Certificate } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { KubeApi } from "../doctor/kubeApi";
import { apiResources, collectionPath, type ApiResource } from "./snapshot";

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
}

/** A resource as `pulumi stack export` records it. */
export interface StateResource {
  type: string;
  urn: string;
  outputs?: Record<string, unknown>;
}

/** The Kubernetes objects a stack's state declares: kind, apiVersion, namespace and name (Helm releases and providers aside). */
export function declaredObjects(
  resources: readonly StateResource[],
): { apiVersion: string; kind: string; namespace?: string; name: string }[] {
  return resources.flatMap((resource) => {
    if (!resource.type.startsWith("kubernetes:") || resource.type.startsWith("kubernetes:helm.sh/") || resource.type.startsWith("pulumi:"))
      return [];
    const outputs = resource.outputs ?? {};
    const metadata = (outputs.metadata ?? {}) as { name?: string; namespace?: string };
    if (typeof outputs.kind !== "string" || typeof outputs.apiVersion !== "string" || typeof metadata.name !== "string") return [];
    return [{ apiVersion: outputs.apiVersion, kind: outputs.kind, namespace: metadata.namespace, name: metadata.name }];
  });
}

/** Every object the member's stack declares, read back from its API server. */
export async function checkDeclaredObjects(member: string, api: KubeApi, resources: readonly StateResource[]): Promise<CheckResult> {
  const kinds = new Map<string, ApiResource>((await apiResources(api)).map((r) => [`${r.groupVersion} ${r.kind}`, r]));
  const declared = declaredObjects(resources);
  const missing: string[] = [];
  for (const object of declared) {
    const resource = kinds.get(`${object.apiVersion} ${object.kind}`);
    const where = `${object.kind} ${object.namespace ? `${object.namespace}/` : ""}${object.name}`;
    if (!resource) {
      missing.push(`${where} (the API server serves no ${object.apiVersion} ${object.kind})`);
      continue;
    }
    if (!(await api.get(`${collectionPath(resource, object.namespace)}/${object.name}`))) missing.push(where);
  }
  const istio = declared.filter((object) => object.apiVersion.includes("istio.io")).length;
  return {
    name: `${member}: every declared object exists`,
    ok: declared.length > 0 && missing.length === 0,
    detail:
      missing.length > 0
        ? `missing: ${missing.join(", ")}`
        : `${declared.length} objects, ${istio} of them Istio's (accepted by the CRDs' validation)`,
  };
}

/** Every Helm release of the stack, deployed: as the provider recorded it and as Helm's own release record in the cluster says. */
export async function checkHelmReleases(member: string, api: KubeApi, resources: readonly StateResource[]): Promise<CheckResult> {
  const releases = resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release");
  const problems: string[] = [];
  for (const release of releases) {
    const outputs = release.outputs ?? {};
    const status = outputs.status as { name?: string; namespace?: string; status?: string } | undefined;
    const name = status?.name ?? String(outputs.name);
    const namespace = status?.namespace ?? String(outputs.namespace);
    if (status?.status !== "deployed") problems.push(`${name}: the provider recorded '${status?.status ?? "no status"}'`);
    const selector = encodeURIComponent(`owner=helm,name=${name},status=deployed`);
    const records = await api.list(`/api/v1/namespaces/${namespace}/secrets?labelSelector=${selector}`);
    if (records.length === 0) problems.push(`${name}: no deployed release record in ${namespace}`);
  }
  return {
    name: `${member}: the Helm releases are deployed`,
    ok: releases.length > 0 && problems.length === 0,
    detail: problems.length > 0 ? problems.join("; ") : `${releases.length} releases deployed`,
  };
}

/** What istiod reads of a peer, and what no reader may do. */
const expectedReads = [
  ["", "pods", "list"],
  ["", "pods", "watch"],
  ["", "services", "list"],
  ["", "namespaces", "list"],
  ["", "nodes", "list"],
  ["discovery.k8s.io", "endpointslices", "list"],
  ["networking.istio.io", "gateways", "list"],
] as const;
const forbiddenWrites = [
  ["", "pods", "create"],
  ["", "secrets", "create"],
  ["", "secrets", "update"],
  ["", "services", "delete"],
  ["", "configmaps", "patch"],
  ["", "namespaces", "delete"],
  ["apps", "deployments", "create"],
  ["networking.istio.io", "virtualservices", "create"],
  ["admissionregistration.k8s.io", "validatingwebhookconfigurations", "update"],
  ["rbac.authorization.k8s.io", "clusterrolebindings", "create"],
] as const;

async function allowed(api: KubeApi, [group, resource, verb]: readonly [string, string, string]): Promise<boolean> {
  const response = await api.request("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", {
    apiVersion: "authorization.k8s.io/v1",
    kind: "SelfSubjectAccessReview",
    spec: { resourceAttributes: { group, resource, verb } },
  });
  if (response.status !== 201) throw new Error(`SelfSubjectAccessReview: ${response.status} ${response.body.slice(0, 200)}`);
  return (JSON.parse(response.body) as { status: { allowed: boolean } }).status.allowed;
}

/** The remote secret member `holder` keeps for `peer`: it reaches the peer's API server, may read what istiod reads, and may write nothing. */
export async function checkRemoteSecret(holder: string, holderApi: KubeApi, peer: string, peerServer: string): Promise<CheckResult> {
  const name = `${holder}: the remote secret for ${peer} reads ${peer} and writes nothing`;
  const secret = await holderApi.get<{ data?: Record<string, string> }>(
    `/api/v1/namespaces/istio-system/secrets/istio-remote-secret-${peer}`,
  );
  const kubeconfig = secret?.data?.[peer];
  if (!kubeconfig) return { name, ok: false, detail: `no istio-system/istio-remote-secret-${peer} with a '${peer}' key` };
  const reader = KubeApi.fromKubeconfig(Buffer.from(kubeconfig, "base64").toString("utf8"));
  if (reader.server !== peerServer) return { name, ok: false, detail: `it points at ${reader.server}, not ${peerServer}` };
  const deniedReads = [];
  for (const read of expectedReads) if (!(await allowed(reader, read))) deniedReads.push(read.join("/"));
  const grantedWrites = [];
  for (const write of forbiddenWrites) if (await allowed(reader, write)) grantedWrites.push(write.join("/"));
  const ok = deniedReads.length === 0 && grantedWrites.length === 0;
  const detail = ok
    ? `authenticated at ${peerServer}; ${expectedReads.length} reads allowed, ${forbiddenWrites.length} writes denied`
    : [
        deniedReads.length > 0 ? `reads denied: ${deniedReads.join(", ")}` : "",
        grantedWrites.length > 0 ? `writes granted: ${grantedWrites.join(", ")}` : "",
      ]
        .filter(Boolean)
        .join("; ");
  return { name, ok, detail };
}

/** Each member's `cacerts`: its intermediate signed by the root, and that root the trust stack's, the same everywhere. */
export async function checkCacerts(members: readonly { name: string; api: KubeApi }[], rootCertPem: string): Promise<CheckResult> {
  const root = new X509Certificate(rootCertPem);
  const problems: string[] = [];
  for (const { name, api } of members) {
    const secret = await api.get<{ data?: Record<string, string> }>("/api/v1/namespaces/istio-system/secrets/cacerts");
    const file = (key: string) => Buffer.from(secret?.data?.[key] ?? "", "base64").toString("utf8");
    if (!secret?.data) {
      problems.push(`${name}: no istio-system/cacerts`);
      continue;
    }
    const intermediate = new X509Certificate(file("ca-cert.pem"));
    if (!new X509Certificate(file("root-cert.pem")).raw.equals(root.raw))
      problems.push(`${name}: root-cert.pem is not the trust stack's root`);
    if (!intermediate.verify(root.publicKey) || intermediate.issuer !== root.subject)
      problems.push(`${name}: ca-cert.pem is not signed by the root`);
    if (!intermediate.ca) problems.push(`${name}: ca-cert.pem is not a CA certificate`);
  }
  return {
    name: "every member's cacerts chains to the one root",
    ok: problems.length === 0,
    detail: problems.length > 0 ? problems.join("; ") : `${members.length} intermediates under ${root.subject.replace(/\n/g, ", ")}`,
  };
}

/** Every file of the state backend, searched for private keys and for the given secret values in plain text. */
export function checkStateHoldsNoSecret(stateDir: string, secrets: Record<string, string>): CheckResult {
  const found = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(file);
        continue;
      }
      const text = fs.readFileSync(file, "utf8");
      if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) found.add(`a PEM private key (${path.relative(stateDir, file)})`);
      for (const [what, value] of Object.entries(secrets))
        if (value && text.includes(value)) found.add(`${what} (${path.relative(stateDir, file)})`);
    }
  };
  walk(stateDir);
  return {
    name: "the state holds no private key, token or kubeconfig in plain text",
    ok: found.size === 0,
    detail:
      found.size > 0
        ? `in plain text: ${[...found].join(", ")}`
        : `searched for PEM private keys and ${Object.keys(secrets).length} secret values`,
  };
}
