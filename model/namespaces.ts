/**
 * The namespaces burstmesh installs its own parts into, and what no service may take: a service owns
 * its namespace (its labels, its pod security, its deletion with the service), so it must not be one
 * the cluster or the mesh already owns.
 */

/** Istio's control plane, east-west gateway, `cacerts` and remote secrets. */
export const istioNamespace = "istio-system";

/** Prometheus in every member, Grafana and Kiali in the observer; sidecar-injected, so that it is in the mesh. */
export const observabilityNamespace = "observability";

/** Why a service cannot own `namespace`, or undefined when it can. */
export function reservedNamespace(namespace: string): string | undefined {
  if (namespace === "default") return "is the cluster's default namespace";
  if (namespace.startsWith("kube-")) return "is a namespace of Kubernetes itself (kube-*)";
  if (namespace === istioNamespace) return "is Istio's namespace";
  if (namespace === observabilityNamespace) return "is the observability namespace (Prometheus, Grafana, Kiali)";
  return undefined;
}
