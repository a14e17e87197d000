/**
 * What the doctor reads of a member, gathered once per run so that every check is a pure function
 * of it: the objects through the member's API server, the peers' answers to its reader tokens, and
 * istiod's debug endpoints when they are reachable.
 */
import { istioNamespace } from "../model/namespaces";
import type { KubeApi } from "./kubeApi";

/** The parts of a Kubernetes object the checks read. */
export interface KubeObject {
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    creationTimestamp?: string;
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  data?: Record<string, string>;
  type?: string;
  webhooks?: { name: string; namespaceSelector?: unknown; objectSelector?: unknown }[];
  endpoints?: { addresses: string[]; conditions?: { ready?: boolean } }[];
  ports?: { name?: string; port: number; protocol?: string }[];
}

/** What istiod's debug endpoints answered; each undefined when it could not be read, with the reason in `error`. */
export interface IstiodDebug {
  clusterz?: { id: string; syncStatus: string }[];
  networkz?: { Network: string; Cluster: string; Addr: string; Port: number }[];
  endpointShardz?: Record<
    string,
    Record<string, { Shards?: Record<string, { Addresses?: string[]; Network?: string; TLSMode?: string }[]> }>
  >;
  syncz?: SynczEntry[];
  error?: string;
}

/** One proxy of `/debug/syncz`: what istiod last sent it and what it acknowledged, per xDS type. */
interface SynczEntry {
  proxy: string;
  cluster_id?: string;
  cluster_sent?: string;
  cluster_acked?: string;
  listener_sent?: string;
  listener_acked?: string;
  route_sent?: string;
  route_acked?: string;
  endpoint_sent?: string;
  endpoint_acked?: string;
}

/** How a member's remote secret for a peer fared at that peer, when the doctor used its token there. */
interface TokenUse {
  peer: string;
  /** Whether the peer's API server accepted the token and allowed it to list Services cluster-wide. */
  allowed?: boolean;
  /** Why the review could not be made or was refused. */
  error?: string;
}

export interface MemberFacts {
  member: string;
  /** `/version`'s `gitVersion`. */
  kubernetesVersion: string;
  /** The API server's `Date` header and this machine's clock in the middle of that request, for the skew. */
  clock: { serverDate?: string; localMs: number };
  namespaces: KubeObject[];
  istiodDeployments: KubeObject[];
  injectorWebhooks: KubeObject[];
  /** The `mesh` key of the `istio` ConfigMap of each revision (`istio` or `istio-<revision>`), by ConfigMap name. */
  meshConfigs: Record<string, string>;
  /** `cacerts`, decoded; undefined when the Secret is missing. */
  cacerts?: Record<string, string>;
  /** `istio-ca-root-cert`'s `root-cert.pem` in istio-system. */
  distributedRoots?: string;
  /** Whether istiod made its own self-signed CA (`istio-ca-secret`). */
  selfSignedCa: boolean;
  gatewayService?: KubeObject;
  gatewayEndpointSlices: KubeObject[];
  /** The Secrets labelled `istio/multiCluster: true`, with `data` decoded. */
  remoteSecrets: KubeObject[];
  readerServiceAccount?: KubeObject;
  /** The names of the reader account's token Secrets, whose tokens the peers' remote secrets hold. */
  readerTokenSecrets: string[];
  /** The Services of the namespaces labelled for injection, and their EndpointSlices. */
  meshServices: KubeObject[];
  meshEndpointSlices: KubeObject[];
  tokenUses: TokenUse[];
  istiod?: IstiodDebug;
}

/** The Service and service account names the program's charts create, as the checks look for them. */
const meshObjects = {
  gatewayService: "istio-eastwestgateway",
  readerServiceAccount: "istio-reader-service-account",
  remoteSecretLabel: "istio/multiCluster=true",
} as const;

const decoded = (data: Record<string, string> | undefined) =>
  Object.fromEntries(Object.entries(data ?? {}).map(([key, value]) => [key, Buffer.from(value, "base64").toString("utf8")]));

/** Whether a namespace carries an injection label: `istio-injection: enabled` or `istio.io/rev`. */
export function injectedNamespace(namespace: KubeObject): boolean {
  const labels = namespace.metadata.labels ?? {};
  return labels["istio-injection"] === "enabled" || labels["istio.io/rev"] !== undefined;
}

/** Reads a member's facts through its API server; the token reviews and istiod's endpoints are added by the caller. */
export async function gatherMember(member: string, api: KubeApi): Promise<MemberFacts> {
  const localBefore = Date.now();
  const version = await api.request("GET", "/version");
  const clock = { serverDate: version.date, localMs: Math.round((localBefore + Date.now()) / 2) };
  if (version.status !== 200) throw new Error(`GET /version answered ${version.status}`);
  const list = async (path: string) => (await api.list(path)) as unknown as KubeObject[];
  const get = (path: string) => api.get<KubeObject>(path);
  const ns = `/api/v1/namespaces/${istioNamespace}`;
  const [namespaces, istiodDeployments, injectorWebhooks, configMaps, cacerts, rootConfigMap, caSecret, gatewayService] = await Promise.all(
    [
      list("/api/v1/namespaces"),
      list(`/apis/apps/v1/namespaces/${istioNamespace}/deployments?labelSelector=app%3Distiod`),
      list("/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations?labelSelector=app%3Dsidecar-injector"),
      list(`${ns}/configmaps`),
      get(`${ns}/secrets/cacerts`),
      get(`${ns}/configmaps/istio-ca-root-cert`),
      get(`${ns}/secrets/istio-ca-secret`),
      get(`${ns}/services/${meshObjects.gatewayService}`),
    ],
  );
  const [gatewayEndpointSlices, remoteSecrets, readerServiceAccount, tokenSecrets] = await Promise.all([
    list(
      `/apis/discovery.k8s.io/v1/namespaces/${istioNamespace}/endpointslices?labelSelector=${encodeURIComponent(`kubernetes.io/service-name=${meshObjects.gatewayService}`)}`,
    ),
    list(`${ns}/secrets?labelSelector=${encodeURIComponent(meshObjects.remoteSecretLabel)}`),
    get(`${ns}/serviceaccounts/${meshObjects.readerServiceAccount}`),
    list(`${ns}/secrets?fieldSelector=${encodeURIComponent("type=kubernetes.io/service-account-token")}`),
  ]);
  const injected = namespaces.filter(injectedNamespace).map((namespace) => namespace.metadata.name);
  const [meshServices, meshEndpointSlices] = await Promise.all(
    [
      (namespace: string) => `/api/v1/namespaces/${namespace}/services`,
      (namespace: string) => `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`,
    ].map(async (collection) => (await Promise.all(injected.map((namespace) => list(collection(namespace))))).flat()),
  );
  return {
    member,
    kubernetesVersion: String((JSON.parse(version.body) as { gitVersion?: string }).gitVersion),
    clock,
    namespaces,
    istiodDeployments,
    injectorWebhooks,
    meshConfigs: Object.fromEntries(
      configMaps
        .filter((configMap) => /^istio(-.+)?$/.test(configMap.metadata.name) && configMap.data?.mesh !== undefined)
        .map((configMap) => [configMap.metadata.name, configMap.data!.mesh!]),
    ),
    cacerts: cacerts ? decoded(cacerts.data) : undefined,
    distributedRoots: rootConfigMap?.data?.["root-cert.pem"],
    selfSignedCa: caSecret !== undefined,
    gatewayService,
    gatewayEndpointSlices,
    remoteSecrets: remoteSecrets.map((secret) => ({ ...secret, data: decoded(secret.data) })),
    readerServiceAccount,
    // Only their names: the tokens are not the doctor's to hold.
    readerTokenSecrets: tokenSecrets
      .filter((secret) => secret.metadata.annotations?.["kubernetes.io/service-account.name"] === meshObjects.readerServiceAccount)
      .map((secret) => secret.metadata.name),
    meshServices: meshServices!,
    meshEndpointSlices: meshEndpointSlices!,
    tokenUses: [],
  };
}

/**
 * Whether a token may do what istiod does with a remote secret, asked of the API server it names with
 * the token itself: a SelfSubjectAccessReview for listing Services cluster-wide.
 */
export async function reviewToken(api: KubeApi): Promise<{ allowed: boolean; reason?: string }> {
  const response = await api.request("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", {
    apiVersion: "authorization.k8s.io/v1",
    kind: "SelfSubjectAccessReview",
    spec: { resourceAttributes: { verb: "list", resource: "services" } },
  });
  if (response.status === 401) return { allowed: false, reason: "the API server rejected the token (401 Unauthorized)" };
  if (response.status !== 201 && response.status !== 200) return { allowed: false, reason: `the review answered ${response.status}` };
  const status = (JSON.parse(response.body) as { status?: { allowed?: boolean; reason?: string } }).status;
  return { allowed: status?.allowed === true, reason: status?.reason };
}

/** Reads istiod's debug endpoints at `debugUrl` (`http://…/debug`); what cannot be read leaves an error, not a throw. */
export async function readIstiodDebug(debugUrl: string): Promise<IstiodDebug> {
  const read = async <T>(endpoint: string): Promise<T> => {
    const response = await fetch(`${debugUrl}/${endpoint}`, { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new Error(`/debug/${endpoint} answered ${response.status}`);
    return (await response.json()) as T;
  };
  try {
    const [clusterz, networkz, endpointShardz, syncz] = await Promise.all([
      read<IstiodDebug["clusterz"]>("clusterz"),
      read<IstiodDebug["networkz"]>("networkz"),
      read<IstiodDebug["endpointShardz"]>("endpointShardz"),
      read<SynczEntry[]>("syncz"),
    ]);
    return { clusterz, networkz, endpointShardz, syncz };
  } catch (err) {
    return { error: `istiod's debug endpoints at ${debugUrl}: ${err instanceof Error ? err.message : String(err)}` };
  }
}
