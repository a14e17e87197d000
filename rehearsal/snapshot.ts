/**
 * Every object a member's API server holds, found through its discovery documents: taken before
 * `up` and after `destroy`, the difference is what a teardown left behind.
 */
import type { KubeApi } from "../doctor/kubeApi";

/** One listable kind of the API server, and where its objects are. */
export interface ApiResource {
  groupVersion: string;
  kind: string;
  /** The resource's plural name (`pods`), as its REST path has it. */
  name: string;
  namespaced: boolean;
}

/** Objects that come and go by themselves, not by anything burstmesh declares. */
const ephemeralKinds = new Set(["Event", "Lease", "EndpointSlice", "Endpoints", "Node"]);

interface ResourceList {
  groupVersion: string;
  resources: { name: string; kind: string; namespaced: boolean; verbs: string[] }[];
}

/** The API server's listable kinds (preferred versions only, no subresources). */
export async function apiResources(api: KubeApi): Promise<ApiResource[]> {
  const groups = (await api.get<{ groups: { preferredVersion: { groupVersion: string } }[] }>("/apis"))?.groups ?? [];
  const versions = ["v1", ...groups.map((group) => group.preferredVersion.groupVersion)];
  const resources: ApiResource[] = [];
  for (const groupVersion of versions) {
    const list = await api.get<ResourceList>(groupVersion === "v1" ? "/api/v1" : `/apis/${groupVersion}`);
    for (const resource of list?.resources ?? []) {
      if (resource.name.includes("/") || !resource.verbs.includes("list")) continue;
      resources.push({ groupVersion, kind: resource.kind, name: resource.name, namespaced: resource.namespaced });
    }
  }
  return resources;
}

/** The REST path of a resource's collection, in every namespace. */
export function collectionPath(resource: ApiResource, namespace?: string): string {
  const base = resource.groupVersion === "v1" ? "/api/v1" : `/apis/${resource.groupVersion}`;
  return namespace && resource.namespaced ? `${base}/namespaces/${namespace}/${resource.name}` : `${base}/${resource.name}`;
}

/** Every lasting object of a member, by key; and those that outlive an uninstall on purpose. */
export interface Snapshot {
  /** `<groupVersion> <Kind> <namespace>/<name>` of every lasting object. */
  objects: string[];
  /**
   * Objects a Helm uninstall keeps by design: those annotated `helm.sh/resource-policy: keep` (Istio's
   * CRDs, whose deletion would delete every Istio object in the cluster), the API services the
   * API server registers for their groups, and the {@link istiodNamespaceCopies} istiod leaves in
   * namespaces that outlive the mesh.
   */
  keptByDesign: string[];
}

/**
 * What istiod writes into every namespace as it runs: its root and its revocation list. No chart owns
 * these copies, so no uninstall removes those in namespaces that outlive the mesh.
 */
export const istiodNamespaceCopies: readonly string[] = ["istio-ca-root-cert", "istio-ca-crl"];

function keptOnUninstall(kind: string, item: Record<string, unknown>): boolean {
  const metadata = (item.metadata ?? {}) as { name?: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  return (
    metadata.annotations?.["helm.sh/resource-policy"] === "keep" ||
    (kind === "ConfigMap" && istiodNamespaceCopies.includes(metadata.name ?? "")) ||
    metadata.labels?.["kube-aggregator.kubernetes.io/automanaged"] !== undefined
  );
}

export async function snapshot(api: KubeApi): Promise<Snapshot> {
  const objects: string[] = [];
  const keptByDesign: string[] = [];
  for (const resource of await apiResources(api)) {
    if (ephemeralKinds.has(resource.kind)) continue;
    for (const item of await api.list(collectionPath(resource))) {
      const metadata = (item.metadata ?? {}) as { name?: string; namespace?: string };
      const key = objectKey(resource.groupVersion, resource.kind, metadata.namespace, metadata.name ?? "?");
      objects.push(key);
      if (keptOnUninstall(resource.kind, item)) keptByDesign.push(key);
    }
  }
  return { objects: objects.sort(), keptByDesign: keptByDesign.sort() };
}

export function objectKey(groupVersion: string, kind: string, namespace: string | undefined, name: string): string {
  return `${groupVersion} ${kind} ${namespace ? `${namespace}/` : ""}${name}`;
}

/** What `after` holds that `before` did not: left behind, or kept by design (see {@link Snapshot.keptByDesign}). */
export function leftovers(before: readonly string[], after: Snapshot): { left: string[]; keptByDesign: string[] } {
  const existed = new Set(before);
  const added = after.objects.filter((key) => !existed.has(key));
  const kept = new Set(after.keptByDesign);
  return { left: added.filter((key) => !kept.has(key)), keptByDesign: added.filter((key) => kept.has(key)) };
}
