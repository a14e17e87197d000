import { parse as parseYaml, stringify as toYaml } from "yaml";

/** Where a kubeconfig points: the API server and the CA that signs its serving certificate. */
export interface ApiServer {
  /** Cluster (and context) name inside the kubeconfig. */
  name: string;
  /** API server URL, `https://...`. */
  server: string;
  /** The cluster CA certificate, PEM, base64-encoded once (as EKS returns it and kubeconfigs hold it). */
  certificateAuthorityData: string;
}

/** How a kubeconfig user authenticates: a bearer token, or an exec credential plugin. */
type KubeconfigUser =
  { token: string } | { exec: { apiVersion: string; command: string; args: string[]; env?: { name: string; value: string }[] } };

/** Builds a single-cluster, single-context kubeconfig. */
export function buildKubeconfig(server: ApiServer, user: KubeconfigUser): string {
  return toYaml({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: server.name, cluster: { server: server.server, "certificate-authority-data": server.certificateAuthorityData } }],
    contexts: [{ name: server.name, context: { cluster: server.name, user: server.name } }],
    "current-context": server.name,
    preferences: {},
    users: [{ name: server.name, user }],
  });
}

/** The API server behind a kubeconfig's current context. */
export function apiServerOf(kubeconfig: string): ApiServer {
  const config = parseYaml(kubeconfig) as {
    "current-context"?: string;
    contexts?: { name: string; context: { cluster: string } }[];
    clusters?: { name: string; cluster: { server: string; "certificate-authority-data"?: string } }[];
  };
  const context = config.contexts?.find((c) => c.name === config["current-context"]) ?? config.contexts?.[0];
  const cluster = config.clusters?.find((c) => c.name === context?.context.cluster) ?? config.clusters?.[0];
  if (!cluster?.cluster.server || !cluster.cluster["certificate-authority-data"]) {
    throw new Error("kubeconfig has no cluster with a server and certificate-authority-data");
  }
  return { name: cluster.name, server: cluster.cluster.server, certificateAuthorityData: cluster.cluster["certificate-authority-data"] };
}
