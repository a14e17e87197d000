import type { Cloud } from "../../config/schema";
import { buildKubeconfig } from "../kube/kubeconfig";
import type { TokenAccount } from "../kube/serviceAccountToken";
import type { MeshPeer } from "../stackOutputs";
import { observabilityReleases } from "./charts";
import { observabilityNamespace } from "../../model/namespaces";
import { consoleService } from "./grafana";
import { federatedPrometheusUrl } from "./prometheus";

/**
 * Kiali across the members, the way Kiali documents a multi-cluster install (kiali.io, "Multi-cluster",
 * and its kiali-prepare-remote-cluster.sh): in every other member, the kiali-server chart's
 * remote-cluster resources only (a service account bound to the chart's view-only ClusterRole) and a
 * long-lived token for it; in the observer, one Secret per member, labelled `kiali.io/multiCluster`,
 * holding a token-only kubeconfig, and Kiali itself, reading the federated Prometheus.
 */

/** The read-only service account in every other member (the chart's fullname is its instance name). */
export const kialiRemoteAccount: TokenAccount = {
  namespace: observabilityNamespace,
  serviceAccount: observabilityReleases.kialiRemoteAccess,
  secretName: observabilityReleases.kialiRemoteAccess,
  createdBy: "the kiali-server chart with deployment.remote_cluster_resources_only",
};

/** Values of the kiali-server chart that render only the remote cluster's service account and view-only role. */
export function kialiRemoteAccessValues(): Record<string, unknown> {
  return {
    // `view_only_mode` selects the chart's viewer ClusterRole (get, list, watch; no writes, no secrets).
    deployment: { instance_name: kialiRemoteAccount.serviceAccount, remote_cluster_resources_only: true, view_only_mode: true },
    auth: { strategy: "anonymous" },
  };
}

/** The name of the observer's Secret that lets Kiali read member `clusterName`. */
function kialiRemoteSecretName(clusterName: string): string {
  return `kiali-remote-cluster-secret-${clusterName}`;
}

/**
 * The observer's remote cluster Secret for one member, as kiali-prepare-remote-cluster.sh writes it:
 * label `kiali.io/multiCluster: "true"`, annotation `kiali.io/cluster`, and one key, the cluster's
 * name, holding the kubeconfig of {@link kialiRemoteKubeconfig}.
 */
export function kialiRemoteSecretMetadata(clusterName: string) {
  return {
    name: kialiRemoteSecretName(clusterName),
    namespace: observabilityNamespace,
    labels: { "kiali.io/multiCluster": "true" },
    annotations: { "kiali.io/cluster": clusterName },
  };
}

/** A token-only kubeconfig for a member's API server (as its peers reach it), keyed by the member's name. */
export function kialiRemoteKubeconfig(
  clusterName: string,
  peer: Pick<MeshPeer, "apiServerUrl" | "certificateAuthorityData">,
  token: string,
): Record<string, string> {
  if (!token) throw new Error(`Kiali remote secret for '${clusterName}': the member published an empty token`);
  const server = { name: clusterName, server: peer.apiServerUrl, certificateAuthorityData: peer.certificateAuthorityData };
  return { [clusterName]: buildKubeconfig(server, { token }) };
}

/** What the observer's Kiali needs. */
interface KialiSettings {
  observer: string;
  /** The members whose remote Secrets exist in the observer. */
  remoteClusters: readonly string[];
  cloud: Cloud;
  internalLoadBalancer: boolean;
}

/**
 * Values of the kiali-server chart in the observer. Anonymous and view-only: Kiali's unified
 * multi-cluster view supports only the anonymous, OpenID and OpenShift strategies, and here it is
 * reached through kubectl port-forward (or an internal load balancer), never publicly. The remote
 * Secrets are listed rather than auto-detected, so that the Deployment does not depend on what Helm's
 * `lookup` finds at install time.
 */
export function kialiValues(settings: KialiSettings): Record<string, unknown> {
  const service = consoleService(settings.cloud, settings.internalLoadBalancer);
  return {
    auth: { strategy: "anonymous" },
    deployment: {
      instance_name: observabilityReleases.kiali,
      view_only_mode: true,
      service_type: service.type,
      service_annotations: service.annotations,
    },
    clustering: {
      autodetect_secrets: { enabled: false },
      clusters: settings.remoteClusters.map((name) => ({ name, secret_name: kialiRemoteSecretName(name) })),
    },
    external_services: {
      prometheus: { url: federatedPrometheusUrl(settings.observer) },
      grafana: {
        enabled: true,
        internal_url: `http://${observabilityReleases.grafana}.${observabilityNamespace}.svc.cluster.local`,
        external_url: "http://localhost:3000",
      },
      // No tracing backend is installed; Kiali would otherwise report it unreachable.
      tracing: { enabled: false },
    },
  };
}
