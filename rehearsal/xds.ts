/**
 * The Envoy config istiod really generates for each service, read as a sidecar would read it: the
 * toolchain's xDS client (`xds-dump`, on Istio's own adsc) connects to each member's istiod as a pod
 * of the service there, and writes what it received as Envoy's config_dump. The home member's pod is
 * also the client in the home cluster: its sidecar's outbound cluster, endpoints and route for the
 * service are what any client pod of that namespace and zone receives. The dumps stay in the work
 * folder; the checks hold them to docs/overflow.md's sentences (model/trafficClaims.ts), and for
 * overflow mode feed them to the traffic model, which must read the same policy from them as from
 * the objects the program deployed.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { isDeepStrictEqual, promisify } from "node:util";
import { ConfigDump, envoyPolicy, istioUnlimited, serviceEnvoyConfig } from "../model/configDump";
import type { DestinationRule, Sidecar, VirtualService } from "../model/istioTypes";
import { type ClaimContext, trafficClaims, type TrafficMode } from "../model/trafficClaims";
import { type PolicyObjects, readPolicy } from "../model/policy";
import type { CheckResult } from "./checks";
import type { RunningMember } from "./controlPlane";
import { injectedNamespacesPath } from "./istiod";

const run = promisify(execFile);

/** One dump: the pod the xDS client posed as, and the file it wrote. */
export interface XdsDump {
  member: string;
  service: string;
  mode: TrafficMode;
  pod: string;
  file: string;
}

interface Pod {
  metadata: { name: string; labels?: Record<string, string> };
  spec?: { serviceAccountName?: string; nodeName?: string };
  status?: { podIP?: string; conditions?: { type: string; status: string }[] };
}

/** The services the program deployed into the injected namespaces: one DestinationRule each. */
async function deployedServices(member: RunningMember): Promise<{ name: string; namespace: string }[]> {
  const namespaces = (await member.api.list(injectedNamespacesPath)).map((namespace) => (namespace.metadata as { name: string }).name);
  const found: { name: string; namespace: string }[] = [];
  for (const namespace of namespaces) {
    for (const rule of await member.api.list(`/apis/networking.istio.io/v1/namespaces/${namespace}/destinationrules`)) {
      found.push({ name: (rule.metadata as { name: string }).name, namespace });
    }
  }
  return found;
}

/** The mode the objects implement: a per-pod limit is overflow, distribute rules distribute, else failover. */
export function modeOf(objects: PolicyObjects): TrafficMode {
  if (objects.sidecar?.spec.inboundConnectionPool?.http?.http2MaxRequests !== undefined) return "overflow";
  return objects.destinationRule.spec.trafficPolicy?.loadBalancer?.localityLbSetting?.distribute ? "distribute" : "failover";
}

/** The service's objects in one member, as the program deployed them (a Sidecar only in overflow mode). */
async function deployedObjects(member: RunningMember, service: { name: string; namespace: string }): Promise<PolicyObjects> {
  const get = async <T>(group: string, kind: string): Promise<T> => {
    const found = await member.api.get<T>(`/apis/${group}/namespaces/${service.namespace}/${kind}/${service.name}`);
    if (!found) throw new Error(`${member.name}: no ${kind} ${service.namespace}/${service.name}`);
    return found;
  };
  return {
    sidecar: await member.api.get<Sidecar>(`/apis/networking.istio.io/v1/namespaces/${service.namespace}/sidecars/${service.name}`),
    destinationRule: await get<DestinationRule>("networking.istio.io/v1", "destinationrules"),
    virtualService: await get<VirtualService>("networking.istio.io/v1", "virtualservices"),
    hpa: await get<PolicyObjects["hpa"]>("autoscaling/v2", "horizontalpodautoscalers"),
  };
}

async function readyPods(member: RunningMember, service: { name: string; namespace: string }): Promise<Pod[]> {
  const pods = (await member.api.list(
    `/api/v1/namespaces/${service.namespace}/pods?labelSelector=app%3D${service.name}`,
  )) as unknown as Pod[];
  return pods.filter(
    (pod) => pod.status?.podIP && pod.status.conditions?.some((condition) => condition.type === "Ready" && condition.status === "True"),
  );
}

interface DumpOptions {
  members: readonly RunningMember[];
  /** The services' home: the rehearsal homes every service in its first member. */
  home: RunningMember;
  bin: string;
  workRoot: string;
  istioVersion: string;
}

/** Runs the xDS client once, bounded: `xds-dump` waits for every type of configuration, then exits. */
async function dump(
  options: DumpOptions,
  member: RunningMember,
  node: { ip: string; namespace: string; workload: string; labels: Record<string, string>; serviceAccount: string },
  file: string,
): Promise<ConfigDump> {
  const labels = Object.entries(node.labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(",");
  await run(
    path.join(options.bin, "xds-dump"),
    [
      `-xds=${member.network.hostAddress}:15010`,
      `-ip=${node.ip}`,
      `-namespace=${node.namespace}`,
      `-workload=${node.workload}`,
      `-cluster=${member.name}`,
      `-network=network-${member.name}`,
      `-labels=${labels}`,
      `-service-account=${node.serviceAccount}`,
      `-istio-version=${options.istioVersion}`,
      "-timeout=30s",
      `-out=${file}`,
    ],
    { timeout: 60_000 },
  );
  return JSON.parse(fs.readFileSync(file, "utf8")) as ConfigDump;
}

/**
 * Dumps until the service's config is whole in the dump, at most three times: the xDS client's wait
 * takes the first response of each type, and a route configuration a listener names can come in a
 * later response (one CI run had no route '9898').
 */
async function completeDump(read: () => Promise<ConfigDump>, host: string, port: number): Promise<ConfigDump> {
  let incomplete: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const received = await read();
    try {
      serviceEnvoyConfig(received, received, host, port);
      return received;
    } catch (error) {
      incomplete = error;
    }
  }
  throw incomplete;
}

/** A pod's locality: its node's region and zone labels. */
async function locality(member: RunningMember, pod: Pod): Promise<{ region: string; zone: string }> {
  const node = await member.api.get<{ metadata: { labels?: Record<string, string> } }>(`/api/v1/nodes/${pod.spec?.nodeName ?? ""}`);
  const labels = node?.metadata.labels ?? {};
  return { region: labels["topology.kubernetes.io/region"] ?? "", zone: labels["topology.kubernetes.io/zone"] ?? "" };
}

/** Dumps every service's config as a pod of it in every member, and checks it; returns the checks and the dumps written. */
export async function checkGeneratedConfig(options: DumpOptions): Promise<{ checks: CheckResult[]; dumps: XdsDump[] }> {
  const checks: CheckResult[] = [];
  const dumps: XdsDump[] = [];
  const { home } = options;
  for (const service of await deployedServices(home)) {
    const dir = path.join(options.workRoot, "xds", service.name);
    fs.mkdirSync(dir, { recursive: true });
    const host = `${service.name}.${service.namespace}.svc.cluster.local`;
    const homeObjects = await deployedObjects(home, service);
    const mode = modeOf(homeObjects);
    const port = homeObjects.virtualService.spec.http?.[0]?.route?.[0]?.destination.port?.number;
    if (port === undefined) throw new Error(`${home.name}: the VirtualService ${service.namespace}/${service.name} routes to no port`);

    const received = new Map<RunningMember, { dump: ConfigDump; pods: Pod[]; file: string }>();
    for (const member of options.members) {
      const pods = await readyPods(member, service);
      const [pod] = pods;
      if (!pod) throw new Error(`${member.name}: no ready pod of ${service.namespace}/${service.name} to pose as`);
      const file = path.join(dir, `${member.name}-${pod.metadata.name}.json`);
      const node = {
        ip: pod.status!.podIP!,
        namespace: service.namespace,
        workload: pod.metadata.name,
        labels: pod.metadata.labels ?? {},
        serviceAccount: pod.spec?.serviceAccountName ?? "default",
      };
      received.set(member, { dump: await completeDump(() => dump(options, member, node, file), host, port), pods, file });
      dumps.push({ member: member.name, service: service.name, mode, pod: pod.metadata.name, file });
    }

    const own = received.get(home)!;
    const config = serviceEnvoyConfig(own.dump, own.dump, host, port);
    const pool = homeObjects.sidecar?.spec.inboundConnectionPool?.http;
    const retries = homeObjects.virtualService.spec.http![0]!.retries;
    const trafficPolicy = homeObjects.destinationRule.spec.trafficPolicy;
    const distribute = trafficPolicy?.loadBalancer?.localityLbSetting?.distribute?.[0]?.to;
    const context: ClaimContext = {
      config,
      client: await locality(home, own.pods[0]!),
      homePods: await Promise.all(own.pods.map(async (pod) => ({ address: pod.status!.podIP!, zone: (await locality(home, pod)).zone }))),
      peers: await Promise.all(
        options.members
          .filter((member) => member !== home)
          .map(async (member) => {
            const { pods } = received.get(member)!;
            return {
              member: member.name,
              gateway: member.network.memberAddress,
              region: (await locality(member, pods[0]!)).region,
              pods: pods.length,
            };
          }),
      ),
      declared: {
        maxRequests: pool?.http2MaxRequests,
        maxPendingRequests: pool?.http1MaxPendingRequests,
        attempts: retries?.attempts ?? 2,
        perTryTimeout: retries?.perTryTimeout,
        outlierDetection: trafficPolicy?.outlierDetection ?? {},
        clientPool: trafficPolicy?.connectionPool?.http !== undefined,
        distribute: distribute && Object.fromEntries(Object.entries(distribute).map(([to, weight]) => [to.replace(/\/.*$/, ""), weight])),
      },
    };
    const source = path.relative(options.workRoot, own.file);
    const { config: _config, ...recorded } = context;
    const record: RecordedService = { service: service.name, mode, host, port, home: home.name, dump: source, context: recorded };
    fs.writeFileSync(path.join(dir, "context.json"), `${JSON.stringify(record, null, 2)}\n`);
    for (const claim of trafficClaims[mode]) {
      const problems = claim.problems(context);
      checks.push({
        name: `${service.name} (${mode}): istiod's config for a pod in ${home.name} bears out docs/overflow.md: "${claim.sentence}"`,
        ok: problems.length === 0,
        detail: problems.length > 0 ? problems.join("; ") : `in ${source}`,
      });
    }
    for (const member of options.members.filter((m) => m !== home)) {
      const { dump: podDump, file } = received.get(member)!;
      const limit = serviceEnvoyConfig(podDump, podDump, host, port).inboundMaxRequests;
      const expected = mode === "overflow" ? context.declared.maxRequests : undefined;
      checks.push({
        name: `${service.name} (${mode}): istiod gives each pod in ${member.name} the same per-pod limit (the inbound cluster's max_requests)`,
        ok: limit === expected || (expected === undefined && limit === istioUnlimited),
        detail: `${limit ?? "none"}, the Sidecar sets ${expected ?? "none"} (in ${path.relative(options.workRoot, file)})`,
      });
    }
    if (mode !== "overflow") continue;

    // The model, fed from what Envoy received, must read the policy it reads from the deployed objects.
    const standbyMember = options.members.find((m) => m !== home)!;
    const expected = readPolicy(homeObjects, await deployedObjects(standbyMember, service));
    const fromEnvoy = envoyPolicy(
      config,
      context.homePods.map((pod) => pod.address),
    );
    const fields = Object.keys(fromEnvoy) as (keyof typeof fromEnvoy)[];
    const differing = fields.filter((key) => !isDeepStrictEqual(fromEnvoy[key], expected[key]));
    checks.push({
      name: `${service.name}: the traffic model reads the same policy from istiod's config as from the deployed objects`,
      ok: differing.length === 0,
      detail:
        differing.length > 0
          ? differing.map((key) => `${key}: Envoy ${JSON.stringify(fromEnvoy[key])}, objects ${JSON.stringify(expected[key])}`).join("; ")
          : fields.join(", "),
    });
  }
  if (dumps.length === 0) checks.push({ name: "istiod's generated config", ok: false, detail: "no service to read it for" });
  return { checks, dumps };
}

/** What a rehearsal recorded of one service: the home pod's dump (relative to the work folder) and what its checks held it to. */
interface RecordedService {
  service: string;
  mode: TrafficMode;
  host: string;
  port: number;
  home: string;
  dump: string;
  context: Omit<ClaimContext, "config">;
}

/** A test fixture of one service: the record, with the dump itself trimmed to the service's clusters, endpoints and route. */
export interface ServiceFixture extends Omit<RecordedService, "dump"> {
  dump: ConfigDump;
}

/**
 * Keeps of a dump only what the checks and the model read for `host:port`: its outbound cluster
 * and endpoints, its virtual host of the port's route configuration, and the inbound cluster of
 * the port. The rest (other services, listeners, TLS contexts) is left out, so that a fixture stays small.
 */
export function trimDump(dump: ConfigDump, host: string, port: number): ConfigDump {
  const outbound = `outbound|${port}||${host}`;
  const kept = (cluster: { name?: unknown }) => cluster.name === outbound || String(cluster.name).startsWith(`inbound|${port}|`);
  const configs = (dump.configs ?? []).flatMap((config): Record<string, unknown>[] => {
    const type = String(config["@type"]).replace(/^.*\./, "");
    const list = <T>(field: string) => (config[field] as T[] | undefined) ?? [];
    if (type === "ClustersConfigDump")
      return [
        {
          ...config,
          dynamic_active_clusters: list<{ cluster: { name?: unknown } }>("dynamic_active_clusters").filter((entry) => kept(entry.cluster)),
        },
      ];
    if (type === "EndpointsConfigDump")
      return [
        {
          ...config,
          dynamic_endpoint_configs: list<{ endpoint_config: { cluster_name?: string } }>("dynamic_endpoint_configs").filter(
            (entry) => entry.endpoint_config.cluster_name === outbound,
          ),
        },
      ];
    if (type === "RoutesConfigDump")
      return [
        {
          ...config,
          dynamic_route_configs: list<{ route_config: { name?: string; virtual_hosts?: { name: string }[] } }>("dynamic_route_configs")
            .filter((entry) => entry.route_config.name === String(port))
            .map((entry) => ({
              ...entry,
              route_config: {
                ...entry.route_config,
                virtual_hosts: (entry.route_config.virtual_hosts ?? []).filter((vhost) => vhost.name === `${host}:${port}`),
              },
            })),
        },
      ];
    return [];
  });
  return { configs };
}

/** The fixtures of the last rehearsal's services (`npm run rehearse -- fixtures`), from its work folder. */
export function recordedFixtures(workRoot: string): ServiceFixture[] {
  const root = path.join(workRoot, "xds");
  if (!fs.existsSync(root)) throw new Error(`no ${root}: run a rehearsal first (npm run rehearse)`);
  return fs.readdirSync(root).map((service) => {
    const record = JSON.parse(fs.readFileSync(path.join(root, service, "context.json"), "utf8")) as RecordedService;
    const dump = JSON.parse(fs.readFileSync(path.join(workRoot, record.dump), "utf8")) as ConfigDump;
    return { ...record, dump: trimDump(dump, record.host, record.port) };
  });
}
