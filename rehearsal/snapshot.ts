/**
 * Every object a member's API server holds, found through its discovery documents: taken before
 * `up` and after `destroy`, the difference is what a teardown left behind.
 */
import type { KubeApi } from "./kubeApi";

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

/** `<groupVersion> <Kind> <namespace>/<name>` of every lasting object. */
export async function snapshot(api: KubeApi): Promise<string[]> {
  const keys: string[] = [];
  for (const resource of await apiResources(api)) {
    if (ephemeralKinds.has(resource.kind)) continue;
    for (const item of await api.list(collectionPath(resource))) {
      const metadata = (item.metadata ?? {}) as { name?: string; namespace?: string };
      keys.push(objectKey(resource.groupVersion, resource.kind, metadata.namespace, metadata.name ?? "?"));
    }
  }
  return keys.sort();
}

export function objectKey(groupVersion: string, kind: string, namespace: string | undefined, name: string): string {
  return `${groupVersion} ${kind} ${namespace ? `${namespace}/` : ""}${name}`;
}

/** What `after` holds that `before` did not. */
export function leftovers(before: readonly string[], after: readonly string[]): string[] {
  const existed = new Set(before);
  return after.filter((key) => !existed.has(key));
}
