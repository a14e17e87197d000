// What the policies read of a resource, the type tokens they look for, and the helpers every domain
// shares. Resource policies see a resource's inputs; stack policies see every resource's outputs (at
// the end of a preview or update). During a preview some values are unknown: reading one through the
// SDK's proxy throws `UnknownValueError`, which the SDK reports as an advisory "can't run during
// preview" instead of a violation. The checks only catch it where one unknown must not hide a
// conclusive answer.

/** The part of a resource that these policies read: the same fields in resource and stack validation. */
export interface ResourceView {
  /** Type token, e.g. `kubernetes:helm.sh/v3:Release`. */
  type: string;
  /** Pulumi (logical) name. */
  name: string;
  urn: string;
  /** Inputs (resource policies) or outputs (stack policies). */
  props: Record<string, unknown>;
  /** Resource options; only `additionalSecretOutputs` is read. */
  opts?: { additionalSecretOutputs?: readonly string[] };
}

/** What a stack policy reads from its arguments. */
export interface StackView {
  resources: readonly ResourceView[];
}

/** Type tokens the policies look for (as @pulumi/kubernetes 4, @pulumi/tls 5, @pulumi/aws 7, azure-native 3 register them). */
export const types = {
  helmRelease: "kubernetes:helm.sh/v3:Release",
  /** `k8s.core.v1.Secret`: the SDK marks `data` and `stringData` secret. */
  secret: "kubernetes:core/v1:Secret",
  /** A Secret created as `apiextensions.CustomResource` (`kubernetes:<apiVersion>:<kind>`): nothing marks it secret. */
  secretAsCustomResource: "kubernetes:v1:Secret",
  /** `apiextensions.CustomResource` registers as `kubernetes:<apiVersion>:<kind>`; a typed CRD class would use the same token. */
  peerAuthentication: ["kubernetes:security.istio.io/v1:PeerAuthentication", "kubernetes:security.istio.io/v1beta1:PeerAuthentication"],
  tlsPrivateKey: "tls:index/privateKey:PrivateKey",
  tlsSelfSignedCert: "tls:index/selfSignedCert:SelfSignedCert",
  tlsLocallySignedCert: "tls:index/locallySignedCert:LocallySignedCert",
  eksCluster: "aws:eks/cluster:Cluster",
  eksNodeGroup: "aws:eks/nodeGroup:NodeGroup",
  eksAddon: "aws:eks/addon:Addon",
  /** Matches `azure-native:containerservice:ManagedCluster` and the API-versioned modules. */
  aksCluster: /^azure-native:containerservice(\/v[\w-]+)?:ManagedCluster$/,
  aksAgentPool: /^azure-native:containerservice(\/v[\w-]+)?:AgentPool$/,
} as const;

/**
 * The chart's name without repository, path, version or archive suffix:
 * `istiod`, `istio/istiod`, `oci://host/istio/istiod` and `https://host/charts/istiod-1.30.3.tgz` all give `istiod`.
 */
export function chartName(chart: unknown): string | undefined {
  if (typeof chart !== "string" || chart === "") return undefined;
  const last = chart.split("/").filter(Boolean).pop() ?? chart;
  return last.replace(/\.tgz$/, "").replace(/-v?\d+\.\d+\.\d+.*$/, "");
}

/** The value as an object to read fields from, or an empty one. */
export function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** The UTF-8 text inside base64, or undefined when the value is not base64 of text. */
export function decodeBase64(value: string): string | undefined {
  const compact = value.replace(/\s+/g, "");
  if (compact.length < 16 || compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) return undefined;
  const text = Buffer.from(compact, "base64").toString("utf8");
  // Mostly printable, or it was binary (or a plain word that happens to be base64-shaped).
  const printable = text.replace(/[^\t\n\r\x20-\x7e]/g, "").length;
  return printable >= text.length * 0.95 ? text : undefined;
}
