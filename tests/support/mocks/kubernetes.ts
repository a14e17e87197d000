/**
 * Mocked Kubernetes: what the provider and the clusters would return for the objects the mesh
 * components create and read back. Every value is derived from its inputs (hashes, no randomness, no
 * clock), so the same program always gets the same values.
 *
 * Which cluster a call goes to: each call carries its provider reference (`<provider URN>::<id>`).
 * The `pulumi:providers:kubernetes` mock remembers every provider's kubeconfig by stack and name;
 * the cloud of a provider is then, first, what its kubeconfig says (server `*.eks.amazonaws.com` or an
 * `aws eks get-token` exec → aws; server `*.azmk8s.io` → azure), else the first of the provider's
 * name, its parent types and its stack name that reads `eks`/`aws` or `aks`/`azure` as a word; a
 * provider of an `ExistingCluster` is an existing cluster's (a LoadBalancer IP on a private network).
 * A call that fits neither fails, saying so, rather than guessing.
 */
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import type { MockResourceArgs } from "@pulumi/pulumi/runtime";
import type { ResourceMock } from ".";
import { revealSecrets } from "../sdkInternals";

/** The token Secrets the clusters' token controller fills, by `<namespace>/<name>`: their service accounts. */
const tokenSecrets: Record<string, string> = {
  "istio-system/istio-reader-service-account-istio-remote-secret-token": "istio-reader-service-account",
  "observability/kiali-remote-access": "kiali-remote-access",
};
const eastWestGatewayServiceId = "istio-system/istio-eastwestgateway";

type Cloud = "aws" | "azure" | "existing";

function digest(...parts: unknown[]): Buffer {
  return createHash("sha256").update(JSON.stringify(parts)).digest();
}

function base64url(value: string | Buffer): string {
  return Buffer.from(value).toString("base64url");
}

/** Kubeconfigs of the providers registered so far, by `<stack>::<provider name>`. */
const kubeconfigs = new Map<string, string>();

/** The parts of a provider reference `urn:pulumi:<stack>::<project>::<types>::<name>::<id>`. */
function parseProviderRef(ref: string | undefined): { stack: string; types: string; name: string } {
  const parts = (ref ?? "").split("::");
  if (parts.length < 4 || !parts[0]!.startsWith("urn:pulumi:")) {
    throw new Error(`kubernetes mock: a call without an explicit Kubernetes provider (provider reference '${ref ?? ""}')`);
  }
  return { stack: parts[0]!.slice("urn:pulumi:".length), types: parts[2]!, name: parts[3]! };
}

function cloudOfText(text: string): Cloud | undefined {
  const lower = text.toLowerCase();
  const aws = /(^|[^a-z])(eks|aws)/.test(lower);
  const azure = /(^|[^a-z])(aks|azure)/.test(lower);
  return aws === azure ? undefined : aws ? "aws" : "azure";
}

/** The cluster a provider reference points at: its cloud and a stable key for derived values. */
function clusterOf(ref: string | undefined): { cloud: Cloud; key: string; kubeconfig?: string } {
  const { stack, types, name } = parseProviderRef(ref);
  const key = `${stack}::${name}`;
  const kubeconfig = kubeconfigs.get(key);
  if (kubeconfig) {
    if (/\.eks\.amazonaws\.com(\.cn)?\b/.test(kubeconfig) || /\beks\b[\s\S]*\bget-token\b/.test(kubeconfig))
      return { cloud: "aws", key, kubeconfig };
    if (/\.azmk8s\.io\b/.test(kubeconfig)) return { cloud: "azure", key, kubeconfig };
  }
  if (types.split("$").includes("burstmesh:clusters:ExistingCluster")) return { cloud: "existing", key, kubeconfig };
  const cloud = cloudOfText(name) ?? cloudOfText(types) ?? cloudOfText(stack);
  if (!cloud) {
    throw new Error(
      `kubernetes mock: cannot tell the cloud of provider '${name}' (stack '${stack}'): give it a kubeconfig with an ` +
        "EKS or AKS server, or a name with eks/aws or aks/azure in it",
    );
  }
  return { cloud, key, kubeconfig };
}

/** The AWS region of an EKS provider: from its API server host or `--region`, else `aws:region`. */
function awsRegion(kubeconfig: string | undefined): string {
  const fromServer = /\.([a-z]{2}(?:-gov)?-[a-z]+-\d)\.eks\.amazonaws\.com/.exec(kubeconfig ?? "")?.[1];
  const fromArgs = /--region["',\s\]-]*([a-z]{2}(?:-gov)?-[a-z]+-\d)/.exec(kubeconfig ?? "")?.[1];
  return fromServer ?? fromArgs ?? new pulumi.Config("aws").get("region") ?? "us-east-1";
}

/**
 * The legacy service-account token the token controller would write into token Secret `secretId`
 * (`<namespace>/<name>`, by default the istio reader's) of the cluster behind `clusterKey`: a JWT with
 * the controller's claims and a signature derived from the cluster and the account, so that
 * different clusters and accounts get different tokens.
 */
export function fakeReaderToken(clusterKey: string, secretId = Object.keys(tokenSecrets)[0]!): string {
  const { namespace, name } = metadataOf(secretId);
  const account = tokenSecrets[secretId]!;
  const seed = secretId === Object.keys(tokenSecrets)[0] ? clusterKey : `${clusterKey}::${secretId}`;
  const uid = digest("sa-uid", seed).toString("hex");
  const header = base64url(JSON.stringify({ alg: "RS256", kid: digest("kid", clusterKey).toString("hex").slice(0, 43) }));
  const payload = base64url(
    JSON.stringify({
      iss: "kubernetes/serviceaccount",
      "kubernetes.io/serviceaccount/namespace": namespace,
      "kubernetes.io/serviceaccount/secret.name": name,
      "kubernetes.io/serviceaccount/service-account.name": account,
      "kubernetes.io/serviceaccount/service-account.uid": `${uid.slice(0, 8)}-${uid.slice(8, 12)}-${uid.slice(12, 16)}-${uid.slice(16, 20)}-${uid.slice(20, 32)}`,
      sub: `system:serviceaccount:${namespace}:${account}`,
    }),
  );
  const signature = base64url(Buffer.concat([digest("sig", seed, header, payload), digest("sig2", seed, header, payload)]));
  return `${header}.${payload}.${signature}`;
}

/** The load-balancer ingress the cloud would give the east-west gateway Service of a cluster. */
export function fakeGatewayIngress(ref: string | undefined): { hostname: string } | { ip: string } {
  const { cloud, key, kubeconfig } = clusterOf(ref);
  const h = digest("lb", key);
  if (cloud === "aws") {
    // The in-tree NLB's DNS name: `a` + the Service UID without dashes (32), `-`, 16 hex, `.elb.<region>.amazonaws.com`.
    return { hostname: `a${h.toString("hex").slice(0, 31)}-${h.toString("hex").slice(32, 48)}.elb.${awsRegion(kubeconfig)}.amazonaws.com` };
  }
  // Azure: a public IP in 20.0.0.0/8 (Azure's); an existing cluster: an address of a private
  // network such as kind's 172.18.0.0/16. Last octet never 0 or 255.
  return { ip: `${cloud === "azure" ? `20.${h[0]}` : "172.18"}.${h[1]}.${(h[2]! % 254) + 1}` };
}

function tokenData(ref: string | undefined, secretId: string): Record<string, string> {
  const { stack, name } = parseProviderRef(ref);
  const key = `${stack}::${name}`;
  const token = fakeReaderToken(key, secretId);
  return { token: Buffer.from(token).toString("base64"), namespace: Buffer.from(metadataOf(secretId).namespace).toString("base64") };
}

function metadataOf(id: string): { namespace: string; name: string } {
  const [namespace, name] = id.includes("/") ? (id.split("/", 2) as [string, string]) : ["default", id];
  return { namespace, name };
}

export const resourceMocks: Record<string, ResourceMock> = {
  "pulumi:providers:kubernetes": ({ name, inputs }: MockResourceArgs) => {
    const kubeconfig = revealSecrets(inputs.kubeconfig);
    if (typeof kubeconfig === "string") kubeconfigs.set(`${pulumi.getStack()}::${name}`, kubeconfig);
    else if (kubeconfig !== undefined) kubeconfigs.set(`${pulumi.getStack()}::${name}`, JSON.stringify(kubeconfig));
    return {};
  },

  // What the provider reports for an installed release.
  "kubernetes:helm.sh/v3:Release": ({ name, inputs }: MockResourceArgs) => ({
    status: {
      name: inputs.name ?? name,
      namespace: inputs.namespace ?? "default",
      chart: inputs.chart,
      version: inputs.version,
      revision: 1,
      status: "deployed",
    },
  }),

  "kubernetes:core/v1:Secret": ({ id, inputs, provider }: MockResourceArgs) => {
    // A created service-account token Secret: the provider waits until the token controller has
    // filled `data`, so its outputs hold the token.
    if (!id) {
      if (revealSecrets(inputs.type) !== "kubernetes.io/service-account-token") return {};
      const metadata = revealSecrets(inputs.metadata) as { name: string; namespace: string };
      return { data: tokenData(provider, `${metadata.namespace}/${metadata.name}`) };
    }
    const account = tokenSecrets[id];
    if (!account) return {};
    return {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { ...metadataOf(id), annotations: { "kubernetes.io/service-account.name": account } },
      type: "kubernetes.io/service-account-token",
      data: tokenData(provider, id),
    };
  },

  "kubernetes:core/v1:Service": ({ id, provider }: MockResourceArgs) => {
    if (id !== eastWestGatewayServiceId) return {};
    return {
      apiVersion: "v1",
      kind: "Service",
      metadata: metadataOf(id),
      spec: { type: "LoadBalancer" },
      status: { loadBalancer: { ingress: [fakeGatewayIngress(provider)] } },
    };
  },
};
