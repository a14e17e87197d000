/**
 * istiod for real: one pilot-discovery per member, run as a local process with the settings its
 * Helm release gave the istiod Deployment, against that member's API server. It loads the member's
 * plugged-in CA from the `cacerts` Secret and reads the remote secrets the program created, so its
 * debug endpoints show whether the mesh the program declared is one that istiod can actually build.
 *
 * It runs on this host, not inside the member's network namespace: only the host routes to every
 * member's API server, as istiod must reach its peers' through the remote secrets. Each istiod
 * listens on the host's own end of its member's veth pair and on a loopback address of its own,
 * addresses no other istiod uses.
 */
import { X509Certificate } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { CheckResult } from "./checks";
import type { RunningMember } from "./controlPlane";
import type { MemberNetwork } from "./network";
import { type ProcessGroup, waitUntil } from "./processes";

/** Where a running istiod serves its debug endpoints (`/debug/...`), plain HTTP on its own address. */
export interface RunningIstiod {
  member: string;
  /** Its name in the rehearsal's process group. */
  process: string;
  debugUrl: string;
}

/** One container env entry of a Deployment; the chart sets those from the pod's fields with `valueFrom`. */
interface EnvVar {
  name: string;
  value?: string;
}

/** The plain env entries of the istiod Deployment's discovery container: what the chart configured. */
export function chartEnvironment(deployment: unknown): Record<string, string> {
  const containers =
    (deployment as { spec?: { template?: { spec?: { containers?: { name: string; env?: EnvVar[] }[] } } } }).spec?.template?.spec
      ?.containers ?? [];
  const discovery = containers.find((container) => container.name === "discovery");
  if (!discovery) throw new Error("the istiod Deployment has no 'discovery' container");
  return Object.fromEntries((discovery.env ?? []).filter((env) => env.value !== undefined).map((env) => [env.name, env.value!]));
}

/**
 * Where a member's istiod serves plain HTTP, debug endpoints included: a loopback address of its own
 * (`127.213.<n>.1` beside the veth's `10.213.<n>.1`), as istiod answers `/debug/` unauthenticated
 * only to loopback clients.
 */
export function debugAddress(network: MemberNetwork): string {
  return network.hostAddress.replace(/^10\./, "127.");
}

/** The command line of one member's istiod: every listener on the member's own addresses, the mesh config from the cluster's ConfigMap. */
export function istiodArgs(network: MemberNetwork, kubeconfigFile: string, dir: string): string[] {
  const address = network.hostAddress;
  return [
    "discovery",
    `--kubeconfig=${kubeconfigFile}`,
    // Files that do not exist: istiod then reads the mesh config and networks from the `istio` ConfigMap.
    `--meshConfig=${path.join(dir, "no-mesh-file")}`,
    `--networksConfig=${path.join(dir, "no-networks-file")}`,
    `--httpAddr=${debugAddress(network)}:8080`,
    `--grpcAddr=${address}:15010`,
    `--secureGRPCAddr=${address}:15012`,
    `--monitoringAddr=${address}:15014`,
    `--httpsAddr=${address}:15017`,
    `--ctrlz_address=${address}`,
    "--log_output_level=default:info",
  ];
}

/** Starts every member's istiod and waits, bounded, until each serves its debug endpoints with every peer known. */
export async function startIstiods(options: {
  members: readonly RunningMember[];
  bin: string;
  workRoot: string;
  processes: ProcessGroup;
}): Promise<RunningIstiod[]> {
  const running: RunningIstiod[] = [];
  for (const member of options.members) {
    const dir = path.join(options.workRoot, "members", member.name, "istiod");
    fs.mkdirSync(path.join(dir, "cacerts"), { recursive: true });
    const deployment = await member.api.get("/apis/apps/v1/namespaces/istio-system/deployments/istiod");
    if (!deployment) throw new Error(`${member.name}: no istio-system/istiod Deployment to take istiod's settings from`);
    const processName = `${member.name} istiod`;
    options.processes.start(
      processName,
      path.join(options.bin, "pilot-discovery"),
      istiodArgs(member.network, member.kubeconfigFile, dir),
      {
        log: path.join(dir, "istiod.log"),
        // istiod writes files it makes for itself (such as its DNS certificate) under its working folder.
        cwd: dir,
        env: {
          PATH: process.env.PATH,
          HOME: dir,
          ...chartEnvironment(deployment),
          POD_NAME: `istiod-${member.name}`,
          POD_NAMESPACE: "istio-system",
          SERVICE_ACCOUNT: "istiod",
          // The Deployment mounts `cacerts` at ROOT_CA_DIR; a local process has istiod copy it from the cluster instead.
          ROOT_CA_DIR: path.join(dir, "cacerts"),
          USE_REMOTE_CERTS: "true",
        },
      },
    );
    running.push({ member: member.name, process: processName, debugUrl: `http://${debugAddress(member.network)}:8080/debug` });
  }
  for (const istiod of running) {
    await waitUntil(
      `${istiod.member}'s istiod to sync every peer`,
      120_000,
      async () => {
        options.processes.assertRunning();
        const clusters = await debugJson<RemoteCluster[]>(istiod, "clusterz").catch(() => undefined);
        return (clusters ?? []).filter((cluster) => cluster.syncStatus === "synced").length >= options.members.length;
      },
      1000,
    );
  }
  return running;
}

async function debugJson<T>(istiod: RunningIstiod, endpoint: string): Promise<T> {
  const response = await fetch(`${istiod.debugUrl}/${endpoint}`, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`${istiod.member}: /debug/${endpoint} answered ${response.status}`);
  return (await response.json()) as T;
}

/** One entry of `/debug/clusterz`. */
interface RemoteCluster {
  id: string;
  syncStatus: string;
}

/** One entry of `/debug/networkz`: istiod's NetworkGateway, whose Go fields carry no JSON names. */
interface NetworkGateway {
  Network: string;
  Cluster: string;
  Addr: string;
  Port: number;
}

/** `/debug/clusterz`: the member itself and every peer, synced: the remote secrets work for istiod, not only for a client. */
export function clusterzCheck(member: string, peers: readonly string[], clusters: readonly RemoteCluster[]): CheckResult {
  const status = new Map(clusters.map((cluster) => [cluster.id, cluster.syncStatus]));
  const problems = [member, ...peers].filter((id) => status.get(id) !== "synced").map((id) => `${id}: ${status.get(id) ?? "absent"}`);
  return {
    name: `${member}: istiod has synced itself and every peer (/debug/clusterz)`,
    ok: problems.length === 0,
    detail: problems.length > 0 ? problems.join(", ") : clusters.map((cluster) => `${cluster.id} ${cluster.syncStatus}`).join(", "),
  };
}

/** `/debug/networkz`: each peer network's gateway at the address its stack published, on 15443. */
export function networkzCheck(
  member: string,
  expected: readonly { network: string; address: string }[],
  gateways: readonly NetworkGateway[],
): CheckResult {
  const problems = expected
    .filter(
      ({ network, address }) =>
        !gateways.some((gateway) => gateway.Network === network && gateway.Addr === address && gateway.Port === 15443),
    )
    .map(({ network, address }) => `${network}: no gateway at ${address}:15443`);
  return {
    name: `${member}: istiod knows every network's east-west gateway (/debug/networkz)`,
    ok: problems.length === 0,
    detail:
      problems.length > 0
        ? `${problems.join(", ")}; istiod has ${gateways.map((g) => `${g.Network} ${g.Addr}:${g.Port}`).join(", ") || "none"}`
        : gateways.map((g) => `${g.Network} ${g.Addr}:${g.Port}`).join(", "),
  };
}

/**
 * The label the sidecar injector gives every pod it injects. istiod sends a proxy the endpoints of
 * another network only for pods that carry it (they can take mTLS through the east-west gateway),
 * and the injection webhook cannot run here: the rehearsal labels the pods as injection would.
 */
export const injectedPodLabels = { "security.istio.io/tlsMode": "istio" } as const;

const metadataName = (object: Record<string, unknown>) => (object.metadata as { name: string }).name;

/** The namespaces the program labelled for injection. */
async function injectedNamespaces(member: RunningMember): Promise<string[]> {
  return (await member.api.list("/api/v1/namespaces?labelSelector=istio-injection%3Denabled")).map(metadataName);
}

/** Labels every pod of the injected namespaces as the injector would have ({@link injectedPodLabels}). */
export async function markInjectedPods(member: RunningMember): Promise<void> {
  for (const namespace of await injectedNamespaces(member)) {
    for (const pod of (await member.api.list(`/api/v1/namespaces/${namespace}/pods`)).map(metadataName)) {
      await member.api.mergePatch(`/api/v1/namespaces/${namespace}/pods/${pod}`, { metadata: { labels: injectedPodLabels } });
    }
  }
}

/** The ready addresses of one Service in one member, as its EndpointSlices list them. */
export interface ServiceEndpoints {
  hostname: string;
  cluster: string;
  network: string;
  addresses: string[];
}

interface EndpointSlice {
  metadata: { labels?: Record<string, string> };
  endpoints?: { addresses: string[]; conditions?: { ready?: boolean } }[];
}

/** The ready endpoints of every Service in the member's injected namespaces. */
export async function serviceEndpoints(member: RunningMember, network: string): Promise<ServiceEndpoints[]> {
  const found: ServiceEndpoints[] = [];
  for (const namespace of await injectedNamespaces(member)) {
    const slices = (await member.api.list(
      `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`,
    )) as unknown as EndpointSlice[];
    const byService = new Map<string, string[]>();
    for (const slice of slices) {
      const service = slice.metadata.labels?.["kubernetes.io/service-name"];
      if (!service) continue;
      const ready = (slice.endpoints ?? []).filter((endpoint) => endpoint.conditions?.ready !== false).flatMap((e) => e.addresses);
      byService.set(service, [...(byService.get(service) ?? []), ...ready]);
    }
    for (const [service, addresses] of byService) {
      if (addresses.length > 0)
        found.push({ hostname: `${service}.${namespace}.svc.cluster.local`, cluster: member.name, network, addresses: addresses.sort() });
    }
  }
  return found;
}

/** `/debug/endpointShardz`: per service hostname and namespace, the endpoints istiod holds from each registry ("<provider>/<cluster>"). */
type EndpointShardz = Record<
  string,
  Record<string, { Shards?: Record<string, { Addresses?: string[]; Network?: string; TLSMode?: string }[]> }>
>;

/**
 * `/debug/endpointShardz`: istiod holds every member's endpoints of every service, each on its
 * member's network and able to take mTLS. This is what it builds a proxy's load assignment from:
 * the peers' pods, reached through their network's gateway.
 */
export function endpointShardzCheck(member: string, expected: readonly ServiceEndpoints[], shardz: EndpointShardz): CheckResult {
  const problems: string[] = [];
  for (const { hostname, cluster, network, addresses } of expected) {
    const shards = Object.values(shardz[hostname] ?? {}).map((namespace) => namespace.Shards?.[`Kubernetes/${cluster}`]);
    const endpoints = shards.find((shard) => shard !== undefined) ?? [];
    const held = endpoints.flatMap((endpoint) => endpoint.Addresses ?? []).sort();
    if (held.join(",") !== addresses.join(","))
      problems.push(`${hostname} from ${cluster}: holds [${held.join(", ")}], the EndpointSlices list [${addresses.join(", ")}]`);
    for (const endpoint of endpoints) {
      if (endpoint.Network !== network)
        problems.push(`${hostname} from ${cluster}: ${endpoint.Addresses?.[0]} on network '${endpoint.Network}', not ${network}`);
      if (endpoint.TLSMode !== injectedPodLabels["security.istio.io/tlsMode"])
        problems.push(`${hostname} from ${cluster}: ${endpoint.Addresses?.[0]} has tlsMode '${endpoint.TLSMode}', not istio`);
    }
  }
  const peers = expected.filter((endpoints) => endpoints.cluster !== member);
  if (peers.length === 0) problems.push("no peer has a ready endpoint to look for");
  return {
    name: `${member}: istiod holds every member's endpoints of each service, on its network and mTLS-capable (/debug/endpointShardz)`,
    ok: problems.length === 0,
    detail:
      problems.length > 0
        ? problems.join("; ")
        : expected.map((e) => `${e.hostname} from ${e.cluster} (${e.network}): ${e.addresses.length}`).join(", "),
  };
}

/** The root istiod distributes is the trust stack's, and istiod made no self-signed CA of its own. */
async function rootCertCheck(member: RunningMember, rootCertPem: string): Promise<CheckResult> {
  const root = new X509Certificate(rootCertPem);
  const problems: string[] = [];
  const configMap = await member.api.get<{ data?: Record<string, string> }>(
    "/api/v1/namespaces/istio-system/configmaps/istio-ca-root-cert",
  );
  const distributed = configMap?.data?.["root-cert.pem"];
  if (!distributed) problems.push("no istio-system/istio-ca-root-cert");
  else if (!new X509Certificate(distributed).raw.equals(root.raw))
    problems.push("istio-ca-root-cert holds another root than the trust stack's");
  if (await member.api.get("/api/v1/namespaces/istio-system/secrets/istio-ca-secret"))
    problems.push("istiod created a self-signed istio-ca-secret: it did not accept the plugged-in CA");
  return {
    name: `${member.name}: istiod distributes the trust stack's root (istio-ca-root-cert)`,
    ok: problems.length === 0,
    detail: problems.length > 0 ? problems.join("; ") : `root ${root.subject.replace(/\n/g, ", ")}, no istio-ca-secret`,
  };
}

/** The checks above for every member, read from its istiod's debug endpoints and its API server. */
export async function checkIstiods(
  istiods: readonly RunningIstiod[],
  members: readonly RunningMember[],
  networks: readonly { member: string; network: string; gatewayAddress: string }[],
  rootCertPem: string,
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const endpoints: ServiceEndpoints[] = [];
  for (const member of members)
    endpoints.push(...(await serviceEndpoints(member, networks.find((n) => n.member === member.name)!.network)));
  for (const istiod of istiods) {
    const member = members.find((m) => m.name === istiod.member)!;
    const peers = members.filter((m) => m !== member).map((m) => m.name);
    results.push(clusterzCheck(member.name, peers, await debugJson<RemoteCluster[]>(istiod, "clusterz")));
    const peerNetworks = networks.filter((n) => n.member !== member.name).map((n) => ({ network: n.network, address: n.gatewayAddress }));
    results.push(networkzCheck(member.name, peerNetworks, await debugJson<NetworkGateway[]>(istiod, "networkz")));
    results.push(await rootCertCheck(member, rootCertPem));
    results.push(endpointShardzCheck(member.name, endpoints, await debugJson<EndpointShardz>(istiod, "endpointShardz")));
  }
  return results;
}
