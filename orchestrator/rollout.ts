/**
 * Restarting the mesh's workloads when their sidecars must take a setting only a new pod gets: a
 * rollout of each Deployment through a pod-template annotation (as `kubectl rollout restart` does),
 * so that each Deployment's own strategy and PodDisruptionBudgets pace it, then a bounded wait until
 * every one is available again.
 */
import type { KubeApi } from "../doctor/kubeApi";

/** The pod-template annotation a restart sets; its value is when. */
export const restartedAtAnnotation = "burstmesh.io/restartedAt";

interface Deployment {
  metadata: { name: string; namespace: string; generation?: number };
  spec: { replicas?: number; selector: { matchLabels?: Record<string, string> } };
  status?: { observedGeneration?: number; updatedReplicas?: number; availableReplicas?: number; replicas?: number };
}

export interface Pod {
  metadata?: { name?: string; namespace?: string; annotations?: Record<string, string> };
  spec: { containers: { name: string; env?: { name: string; value?: string }[] }[] };
}

/**
 * The istiod revision that injected a pod's sidecar, from the injector's `sidecar.istio.io/status`
 * annotation (`default` for the non-revisioned istiod); undefined for a pod without a sidecar.
 */
export function sidecarRevision(pod: Pod): string | undefined {
  const status = pod.metadata?.annotations?.["sidecar.istio.io/status"];
  if (status === undefined) return undefined;
  try {
    return (JSON.parse(status) as { revision?: string }).revision || "default";
  } catch {
    return "default";
  }
}

/** Whether an injected pod's sidecar runs with a proxy-config setting (the injector writes the mesh's proxy config into `PROXY_CONFIG`). */
export function sidecarHas(pod: Pod, proxyMetadataKey: string): boolean {
  const proxy = pod.spec.containers.find((container) => container.name === "istio-proxy");
  if (!proxy) return true; // not injected: nothing for a restart to change
  const config = proxy.env?.find((env) => env.name === "PROXY_CONFIG")?.value ?? "";
  try {
    return (JSON.parse(config) as { proxyMetadata?: Record<string, string> }).proxyMetadata?.[proxyMetadataKey] !== undefined;
  } catch {
    return false;
  }
}

/** Whether a Deployment has rolled out its current template and every replica is available. */
export function rolledOut(deployment: Deployment): boolean {
  const wanted = deployment.spec.replicas ?? 1;
  const status = deployment.status ?? {};
  return (
    (status.observedGeneration ?? 0) >= (deployment.metadata.generation ?? 0) &&
    (status.updatedReplicas ?? 0) === wanted &&
    (status.availableReplicas ?? 0) === wanted &&
    (status.replicas ?? 0) === wanted
  );
}

const labelSelector = (labels: Record<string, string> = {}) =>
  encodeURIComponent(
    Object.entries(labels)
      .map(([key, value]) => `${key}=${value}`)
      .join(","),
  );

/**
 * Restarts the Deployments of `namespaces` that have a pod whose sidecar is `stale`, and waits (at
 * most `timeoutMs`) until each has rolled out; resolves with the restarted ones as `namespace/name`.
 * Deployments whose pods are all fresh are left alone, so a second run restarts nothing.
 */
export async function restartStaleSidecars(options: {
  api: Pick<KubeApi, "list" | "get" | "mergePatch">;
  namespaces: readonly string[];
  stale: (pod: Pod) => boolean;
  now: Date;
  timeoutMs: number;
  sleep?: (ms: number) => Promise<void>;
}): Promise<string[]> {
  const { api } = options;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const restarted: Deployment[] = [];
  for (const namespace of options.namespaces) {
    for (const deployment of (await api.list(`/apis/apps/v1/namespaces/${namespace}/deployments`)) as unknown as Deployment[]) {
      const pods = (await api.list(
        `/api/v1/namespaces/${namespace}/pods?labelSelector=${labelSelector(deployment.spec.selector.matchLabels)}`,
      )) as unknown as Pod[];
      if (!pods.some(options.stale)) continue;
      await api.mergePatch(`/apis/apps/v1/namespaces/${namespace}/deployments/${deployment.metadata.name}`, {
        spec: { template: { metadata: { annotations: { [restartedAtAnnotation]: options.now.toISOString() } } } },
      });
      restarted.push(deployment);
    }
  }
  const deadline = Date.now() + options.timeoutMs;
  for (const { metadata } of restarted) {
    const path = `/apis/apps/v1/namespaces/${metadata.namespace}/deployments/${metadata.name}`;
    for (;;) {
      const current = await api.get<Deployment>(path);
      if (!current || rolledOut(current)) break;
      if (Date.now() > deadline)
        throw new Error(`${metadata.namespace}/${metadata.name} has not rolled out within ${Math.round(options.timeoutMs / 60_000)} min`);
      await sleep(5000);
    }
  }
  return restarted.map(({ metadata }) => `${metadata.namespace}/${metadata.name}`);
}
