/**
 * What Envoy really received for one service, read from a config dump: Envoy's admin
 * `/config_dump?include_eds` (`istioctl proxy-config all -o json` writes the same), or the
 * rehearsal's xDS client, which asks istiod as a sidecar would. Two dumps make one service: the
 * client's (a sidecar in the home cluster: the outbound cluster, its endpoints and the route) and a
 * pod's of the service (its inbound cluster). Pure: JSON in, plain values out.
 */
import type { OutlierSettings } from "./envoy";
import { defaultOverprovisioningFactor } from "./envoy";
import type { ServicePolicy } from "./policy";
import { durationSeconds } from "./units";

type Json = Record<string, unknown>;

/** An Envoy config dump (envoy.admin.v3.ConfigDump) as JSON, with proto field names. */
export interface ConfigDump {
  configs?: Json[];
}

/** One endpoint of the outbound cluster's load assignment, with its locality's. */
interface DumpedEndpoint {
  address: string;
  port: number;
  priority: number;
  weight: number;
  region: string;
  zone: string;
  /** Its locality's load_balancing_weight (distribute mode's weights), when set. */
  localityWeight?: number;
}

/** The Envoy fields the traffic modes rest on, from the two dumps of one service (or one pod's, which is both). */
export interface ServiceEnvoyConfig {
  /** `outbound|<port>||<host>`. */
  cluster: string;
  lbPolicy: string;
  /** The outlier detection as Envoy holds it; absent when the cluster has none. */
  outlierDetection?: Json;
  panicThresholdPercent: number;
  retry: {
    retryOn: string[];
    numRetries: number;
    retriableStatusCodes: number[];
    perTryTimeoutSeconds?: number;
    previousHosts: boolean;
    hostSelectionRetryMaxAttempts: number;
    /** previous_priorities' update_frequency, when the route has that retry priority. */
    previousPrioritiesUpdateFrequency?: number;
  };
  endpoints: DumpedEndpoint[];
  overprovisioningFactor: number;
  /** The outbound cluster's circuit breakers (Envoy's defaults, 1024 and 3 retries, where unset). */
  clientLimits: { maxConnections: number; maxPendingRequests: number; maxRequests: number; maxRetries: number };
  /** The pod's inbound cluster's `max_requests`: requests in flight before it answers 503. */
  inboundMaxRequests?: number;
  /** Its `max_pending_requests`: requests waiting for a connection to the app. */
  inboundMaxPendingRequests?: number;
}

const typeSuffix = (json: Json) => String(json["@type"] ?? "").replace(/^.*\//, "");

function section(dump: ConfigDump, type: string): Json {
  const found = (dump.configs ?? []).find((config) => typeSuffix(config) === type);
  if (!found) throw new Error(`the config dump has no ${type}`);
  return found;
}

/** Every cluster of a dump. */
export function dumpedClusters(dump: ConfigDump): Json[] {
  const clustersDump = section(dump, "envoy.admin.v3.ClustersConfigDump");
  const entries = [...((clustersDump.dynamic_active_clusters as Json[]) ?? []), ...((clustersDump.static_clusters as Json[]) ?? [])];
  return entries.map((entry) => entry.cluster as Json);
}

function cluster(dump: ConfigDump, name: string): Json {
  const found = dumpedClusters(dump).find((candidate) => candidate.name === name);
  if (!found) throw new Error(`the config dump has no cluster '${name}'`);
  return found;
}

function loadAssignment(dump: ConfigDump, name: string): Json {
  const endpointsDump = section(dump, "envoy.admin.v3.EndpointsConfigDump");
  const entries = [
    ...((endpointsDump.dynamic_endpoint_configs as Json[]) ?? []),
    ...((endpointsDump.static_endpoint_configs as Json[]) ?? []),
  ];
  const found = entries.map((entry) => entry.endpoint_config as Json).find((assignment) => assignment?.cluster_name === name);
  if (!found) throw new Error(`the config dump has no endpoints of '${name}' (dump it with include_eds)`);
  return found;
}

/** The route of the outbound HTTP route configuration named by the port, virtual host `<host>:<port>`: its timeout (Envoy's 15 s when unset) and retries. */
export function dumpedRoute(dump: ConfigDump, host: string, port: number): { timeout: string; retry_policy: Json } {
  const routesDump = section(dump, "envoy.admin.v3.RoutesConfigDump");
  const configs = ((routesDump.dynamic_route_configs as Json[]) ?? []).map((entry) => entry.route_config as Json);
  const config = configs.find((candidate) => candidate.name === String(port));
  if (!config) throw new Error(`the config dump has no route configuration '${port}'`);
  const virtualHost = ((config.virtual_hosts as Json[]) ?? []).find((candidate) => candidate.name === `${host}:${port}`);
  if (!virtualHost) throw new Error(`route configuration '${port}' has no virtual host '${host}:${port}'`);
  const first = ((virtualHost.routes as Json[]) ?? [])[0];
  if (!first?.route) throw new Error(`virtual host '${host}:${port}' has no route`);
  const route = first.route as Json;
  return { timeout: String(route.timeout ?? "15s"), retry_policy: (route.retry_policy as Json | undefined) ?? {} };
}

function seconds(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  return durationSeconds(value);
}

/** Reads the overflow fields of `host:port` from the client's dump and, when given, a pod's. */
export function serviceEnvoyConfig(client: ConfigDump, pod: ConfigDump | undefined, host: string, port: number): ServiceEnvoyConfig {
  const name = `outbound|${port}||${host}`;
  const outbound = cluster(client, name);
  const retryPolicy = dumpedRoute(client, host, port).retry_policy;
  const priority = retryPolicy.retry_priority as Json | undefined;
  const assignment = loadAssignment(client, name);
  const endpoints = ((assignment.endpoints as Json[]) ?? []).flatMap((locality) =>
    ((locality.lb_endpoints as Json[]) ?? []).map((lbEndpoint) => {
      const socket = ((lbEndpoint.endpoint as Json).address as Json).socket_address as Json;
      const where = (locality.locality as Json | undefined) ?? {};
      return {
        address: String(socket.address),
        port: Number(socket.port_value),
        priority: Number(locality.priority ?? 0),
        weight: Number(lbEndpoint.load_balancing_weight ?? 1),
        region: String(where.region ?? ""),
        zone: String(where.zone ?? ""),
        ...(locality.load_balancing_weight === undefined ? {} : { localityWeight: Number(locality.load_balancing_weight) }),
      };
    }),
  );
  const overprovisioning = (assignment.policy as Json | undefined)?.overprovisioning_factor;
  const inbound = pod ? dumpedClusters(pod).find((candidate) => String(candidate.name).startsWith(`inbound|${port}|`)) : undefined;
  if (pod && !inbound) throw new Error(`the pod's config dump has no inbound cluster for port ${port}`);
  const thresholds = firstThresholds(inbound);
  const limits = firstThresholds(outbound);
  return {
    cluster: name,
    lbPolicy: String(outbound.lb_policy ?? "ROUND_ROBIN"),
    outlierDetection: outbound.outlier_detection as Json | undefined,
    panicThresholdPercent: panicThreshold(outbound),
    retry: {
      retryOn: String(retryPolicy.retry_on ?? "")
        .split(",")
        .filter((token) => token !== ""),
      numRetries: Number(retryPolicy.num_retries ?? 1),
      retriableStatusCodes: ((retryPolicy.retriable_status_codes as number[]) ?? []).map(Number),
      perTryTimeoutSeconds: seconds(retryPolicy.per_try_timeout),
      previousHosts: ((retryPolicy.retry_host_predicate as Json[]) ?? []).some(
        (predicate) => predicate.name === "envoy.retry_host_predicates.previous_hosts",
      ),
      hostSelectionRetryMaxAttempts: Number(retryPolicy.host_selection_retry_max_attempts ?? 1),
      previousPrioritiesUpdateFrequency:
        priority?.name === "envoy.retry_priorities.previous_priorities"
          ? Number((priority.typed_config as Json | undefined)?.update_frequency ?? 0)
          : undefined,
    },
    endpoints,
    // Envoy keeps the factor in percent (140 = 1.4).
    overprovisioningFactor: overprovisioning === undefined ? defaultOverprovisioningFactor : Number(overprovisioning) / 100,
    clientLimits: {
      maxConnections: Number(limits?.max_connections ?? 1024),
      maxPendingRequests: Number(limits?.max_pending_requests ?? 1024),
      maxRequests: Number(limits?.max_requests ?? 1024),
      maxRetries: Number(limits?.max_retries ?? 3),
    },
    inboundMaxRequests: thresholds?.max_requests === undefined ? undefined : Number(thresholds.max_requests),
    inboundMaxPendingRequests: thresholds?.max_pending_requests === undefined ? undefined : Number(thresholds.max_pending_requests),
  };
}

/** A cluster's circuit breakers of the default priority. */
function firstThresholds(cluster: Json | undefined): Json | undefined {
  return ((cluster?.circuit_breakers as Json | undefined)?.thresholds as Json[] | undefined)?.[0];
}

/** The cluster's panic threshold: Envoy's 50% when unset; a set one without a value is 0 (JSON leaves zeros out). */
function panicThreshold(cluster: Json): number {
  const threshold = (cluster.common_lb_config as Json | undefined)?.healthy_panic_threshold as Json | undefined;
  return threshold === undefined ? 50 : Number(threshold.value ?? 0);
}

/** Envoy's outlier detection as the model's settings, with Envoy's defaults for what the cluster leaves unset. */
function outlierSettings(outlier: Json): OutlierSettings {
  const count = (field: string, fallback: number) => Number(outlier[field] ?? fallback);
  const enforced = (field: string, fallback: number) => count(field, fallback) > 0;
  const baseEjectionSeconds = seconds(outlier.base_ejection_time) ?? 30;
  return {
    consecutive5xx: enforced("enforcing_consecutive_5xx", 100) ? count("consecutive_5xx", 5) : 0,
    consecutiveGatewayFailure: enforced("enforcing_consecutive_gateway_failure", 0) ? count("consecutive_gateway_failure", 5) : undefined,
    splitExternalLocalOriginErrors: outlier.split_external_local_origin_errors === true,
    consecutiveLocalOriginFailure: count("consecutive_local_origin_failure", 5),
    intervalSeconds: seconds(outlier.interval) ?? 10,
    baseEjectionSeconds,
    maxEjectionSeconds: Math.max(seconds(outlier.max_ejection_time) ?? 300, baseEjectionSeconds),
    maxEjectionPercent: count("max_ejection_percent", 10),
  };
}

/** Istio's "no limit" for a circuit breaker it does not set (2^32-1). */
export const istioUnlimited = 4294967295;

/** Istio's east-west gateway port: an endpoint on it is another network's gateway, not a pod. */
export const eastWestPort = 15443;

/** The addresses of the outbound cluster's pods in the client's own network: every endpoint not behind a gateway. */
export function podAddresses(config: ServiceEnvoyConfig): string[] {
  return config.endpoints.filter((endpoint) => endpoint.port !== eastWestPort).map((endpoint) => endpoint.address);
}

/** The part of the model's policy that Envoy's config decides (the HPAs are not in it). */
type EnvoyPolicy = Omit<ServicePolicy, "home" | "standby">;

/**
 * The model's policy fields as Envoy holds them: the per-pod capacity from the inbound cluster,
 * retries and their predicates from the route, ejection from the outlier detection, whether home
 * is one priority from the endpoints (every home endpoint at the lowest priority, every other one
 * below it). `homeAddresses` are the home cluster's pod IPs.
 */
export function envoyPolicy(config: ServiceEnvoyConfig, homeAddresses: readonly string[]): EnvoyPolicy {
  if (config.inboundMaxRequests === undefined) throw new Error("no per-pod capacity: the pod's dump is needed (its inbound cluster)");
  if (config.inboundMaxRequests >= istioUnlimited)
    throw new Error("the pod's inbound cluster has no per-pod limit (max_requests unlimited): only overflow mode can be modelled");
  if (!config.outlierDetection)
    throw new Error(`${config.cluster} has no outlier detection: Istio would not enable locality load balancing`);
  const home = config.endpoints.filter((endpoint) => homeAddresses.includes(endpoint.address));
  const away = config.endpoints.filter((endpoint) => !homeAddresses.includes(endpoint.address));
  const homePriority = Math.min(...config.endpoints.map((endpoint) => endpoint.priority));
  const { retry } = config;
  return {
    perPodCapacity: config.inboundMaxRequests,
    retries: retry.numRetries,
    retriesOn503:
      retry.retryOn.includes("5xx") ||
      retry.retryOn.includes("gateway-error") ||
      (retry.retryOn.includes("retriable-status-codes") && retry.retriableStatusCodes.includes(503)),
    retryRemoteLocalities: retry.previousPrioritiesUpdateFrequency === 2,
    homeIsOnePriority:
      home.length > 0 &&
      home.every((endpoint) => endpoint.priority === homePriority) &&
      away.every((endpoint) => endpoint.priority > homePriority),
    outlier: outlierSettings(config.outlierDetection),
    panicThresholdPercent: config.panicThresholdPercent,
    overprovisioningFactor: config.overprovisioningFactor,
  };
}
