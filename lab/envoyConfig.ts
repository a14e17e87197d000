/**
 * The lab's translator: the service's Istio objects (the Sidecar, DestinationRule and
 * VirtualService that components/traffic builds) become the static Envoy bootstraps of the lab's
 * four Envoy processes, field for field as istiod renders them for a sidecar, with the endpoints
 * rewritten to the lab's loopback addresses (lab/topology.ts). Pure: a test reads every field.
 *
 * What istiod renders and the lab keeps (Istio's pilot/pkg/networking/core):
 * - the client's outbound cluster: LEAST_REQUEST (Istio's default), circuit breakers at Istio's
 *   defaults (2^32-1) or the DestinationRule's connection pool, the outlier detection as
 *   applyOutlierDetection writes it (success-rate ejection off, enforcing 100 only for a count
 *   above 0, split local-origin errors), the panic threshold from minHealthPercent;
 * - its load assignment with failoverPriority on the network label: the home pods at priority 0,
 *   the other network's gateway at priority 1, weighted by the endpoints behind it;
 * - the route's retry policy as retry.ConvertPolicy writes it: status codes in retryOn become
 *   retriable_status_codes (adding retriable-status-codes), previous_hosts with 5 host selection
 *   attempts, previous_priorities (update frequency 2) for retryRemoteLocalities, no route timeout;
 * - each pod's inbound cluster with the Sidecar's inboundConnectionPool as its circuit breakers,
 *   and the router without Envoy's debug headers (the pods' ProxyConfig).
 *
 * What the lab leaves out: mTLS and Istio's own filters (metadata exchange, stats, authz), which
 * upstream Envoy does not carry and overflow does not depend on; and the gateway's SNI
 * AUTO_PASSTHROUGH, which becomes plain TCP proxying to the other cloud's pods: the same L4 hop,
 * one upstream pod per connection, without the TLS it would pass through.
 */
import type { PolicyObjects } from "../model/policy";
import { type ConfigDump, dumpedClusters, dumpedRoute, eastWestPort, istioUnlimited, serviceEnvoyConfig } from "../model/configDump";
import type { OutlierDetection } from "../model/istioTypes";
import { durationSeconds } from "../model/units";
import type { Endpoint, LabEnvoy, LabPod, LabTopology } from "./topology";

type Json = Record<string, unknown>;

/** Istio's default connect timeout (MeshConfig connectTimeout). */
const connectTimeout = "10s";
const networkLabel = "topology.istio.io/network";
const types = {
  hcm: "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
  tcpProxy: "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy",
  router: "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router",
  previousHosts: "type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate",
  previousPriorities: "type.googleapis.com/envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig",
};

/** Response headers the lab reads: who answered (the app's), and why a request failed (the client's). */
export const labHeaders = { cluster: "x-lab-cluster", pod: "x-lab-pod", flags: "x-lab-response-flags" } as const;

/** The four bootstraps of one lab, by process. */
type LabBootstraps = Record<LabEnvoy, Json>;

/**
 * What the lab takes over of a service's Envoy config, wherever it came from: the client's route
 * retries, its outbound cluster's settings, the priorities of the home pods and of the other
 * cloud's gateway, and each side's inbound circuit breakers.
 */
export interface LabEnvoyInputs {
  /** Where these came from, for the report. */
  source: string;
  route: { timeout: string; retry_policy: Json };
  /** The outbound cluster's fields but its name, type and endpoints. */
  outbound: Json;
  priorities: { home: number; remote: number };
  inboundThresholds: { home: Json; remote: Json };
}

/** The inputs as istiod renders the program's objects (the home cluster's for the client, each cluster's Sidecar for its pods). */
export function inputsFromObjects(objects: { home: PolicyObjects; standby: PolicyObjects }): LabEnvoyInputs {
  const policy = objects.home.destinationRule.spec.trafficPolicy ?? {};
  const oneNetwork = policy.loadBalancer?.localityLbSetting?.failoverPriority?.[0] === networkLabel;
  return {
    source: "the program's objects (components/traffic: Sidecar, DestinationRule, VirtualService), translated as istiod renders them",
    route: { timeout: "0s", retry_policy: retryPolicy(objects.home) },
    outbound: outboundSettings(objects.home),
    // Without failoverPriority on the network, both networks would share priority 0 by locality.
    priorities: { home: 0, remote: oneNetwork ? 1 : 0 },
    inboundThresholds: { home: inboundThresholds(objects.home), remote: inboundThresholds(objects.standby) },
  };
}

/** Builds every bootstrap of the lab from `inputs`, on the lab's addresses. */
export function labBootstraps(inputs: LabEnvoyInputs, topology: LabTopology): LabBootstraps {
  return {
    client: bootstrap(topology.admin.client, [clientListener(inputs, topology)], [outboundCluster(inputs, topology)]),
    homeSidecars: sidecars(inputs.inboundThresholds.home, topology.homePods, topology.admin.homeSidecars),
    gateway: bootstrap(topology.admin.gateway, [gatewayListener(topology.gateway)], [gatewayCluster(topology.remotePods)]),
    remoteSidecars: sidecars(inputs.inboundThresholds.remote, topology.remotePods, topology.admin.remoteSidecars),
  };
}

function bootstrap(admin: Endpoint, listeners: Json[], clusters: Json[]): Json {
  return {
    admin: { address: socket(admin) },
    static_resources: { listeners, clusters },
  };
}

const socket = (endpoint: Endpoint) => ({ socket_address: { address: endpoint.address, port_value: endpoint.port } });

const lbEndpoint = (endpoint: Endpoint, weight?: number) => ({
  endpoint: { address: socket(endpoint) },
  ...(weight === undefined ? {} : { load_balancing_weight: weight }),
});

function httpListener(name: string, at: Endpoint, routeConfig: Json, suppressEnvoyHeaders: boolean): Json {
  return {
    name,
    address: socket(at),
    filter_chains: [
      {
        filters: [
          {
            name: "envoy.filters.network.http_connection_manager",
            typed_config: {
              "@type": types.hcm,
              stat_prefix: name,
              route_config: routeConfig,
              http_filters: [
                {
                  name: "envoy.filters.http.router",
                  typed_config: { "@type": types.router, ...(suppressEnvoyHeaders ? { suppress_envoy_headers: true } : {}) },
                },
              ],
            },
          },
        ],
      },
    ],
  };
}

// --- the client sidecar --------------------------------------------------------------------------

function clientListener(inputs: LabEnvoyInputs, topology: LabTopology): Json {
  return httpListener(
    "outbound",
    topology.client,
    {
      name: "outbound",
      virtual_hosts: [
        {
          name: "service",
          domains: ["*"],
          include_attempt_count_in_response: true,
          routes: [{ match: { prefix: "/" }, route: { cluster: "outbound", ...inputs.route } }],
        },
      ],
      response_headers_to_add: [{ header: { key: labHeaders.flags, value: "%RESPONSE_FLAGS%" } }],
    },
    false,
  );
}

/** The first HTTP route's retries, as retry.ConvertPolicy renders them. */
function retryPolicy(objects: PolicyObjects): Json {
  const retries = objects.virtualService.spec.http?.[0]?.retries;
  const tokens = (retries?.retryOn ?? "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes")
    .split(",")
    .map((token) => token.trim())
    .filter((token) => token !== "");
  const codes = tokens.filter((token) => /^[1-5][0-9]{2}$/.test(token)).map(Number);
  const conditions = tokens.filter((token) => !/^[1-5][0-9]{2}$/.test(token));
  if (codes.length > 0 && !conditions.includes("retriable-status-codes")) conditions.push("retriable-status-codes");
  return {
    retry_on: conditions.join(","),
    num_retries: retries?.attempts ?? 2,
    ...(codes.length > 0 ? { retriable_status_codes: codes } : {}),
    ...(retries?.perTryTimeout === undefined ? {} : { per_try_timeout: duration(retries.perTryTimeout) }),
    retry_host_predicate: [{ name: "envoy.retry_host_predicates.previous_hosts", typed_config: { "@type": types.previousHosts } }],
    host_selection_retry_max_attempts: 5,
    ...(retries?.retryRemoteLocalities === true
      ? {
          retry_priority: {
            name: "envoy.retry_priorities.previous_priorities",
            typed_config: { "@type": types.previousPriorities, update_frequency: 2 },
          },
        }
      : {}),
  };
}

/** The outbound cluster's settings as istiod renders the home cluster's DestinationRule. */
function outboundSettings(home: PolicyObjects): Json {
  const policy = home.destinationRule.spec.trafficPolicy ?? {};
  const http = policy.connectionPool?.http ?? {};
  return {
    connect_timeout: policy.connectionPool?.tcp?.connectTimeout ? duration(policy.connectionPool.tcp.connectTimeout) : connectTimeout,
    lb_policy: "LEAST_REQUEST",
    circuit_breakers: {
      thresholds: [
        {
          max_connections: policy.connectionPool?.tcp?.maxConnections ?? istioUnlimited,
          max_pending_requests: http.http1MaxPendingRequests ?? istioUnlimited,
          max_requests: http.http2MaxRequests ?? istioUnlimited,
          max_retries: http.maxRetries ?? istioUnlimited,
        },
      ],
    },
    ...(policy.outlierDetection ? outlierDetection(policy.outlierDetection) : {}),
  };
}

function outboundCluster(inputs: LabEnvoyInputs, topology: LabTopology): Json {
  const priority = (level: number) => (level === 0 ? {} : { priority: level });
  return {
    name: "outbound",
    type: "STATIC",
    ...inputs.outbound,
    load_assignment: {
      cluster_name: "outbound",
      endpoints: [
        {
          locality: { region: "home" },
          lb_endpoints: topology.homePods.map((pod) => lbEndpoint(pod.sidecar)),
          ...priority(inputs.priorities.home),
        },
        // The gateway weighs as many as the pods behind it, as istiod weighs a network's gateway.
        {
          locality: { region: "remote" },
          lb_endpoints: [lbEndpoint(topology.gateway, topology.remotePods.length)],
          ...priority(inputs.priorities.remote),
        },
      ],
    },
  };
}

/** The DestinationRule's outlier detection as applyOutlierDetection writes it, and the panic threshold beside it. */
function outlierDetection(outlier: OutlierDetection): Json {
  const enforcing = (count: number) => (count > 0 ? 100 : 0);
  const split = outlier.splitExternalLocalOriginErrors === true;
  const localOrigin = outlier.consecutiveLocalOriginFailures ?? 0;
  return {
    outlier_detection: {
      enforcing_success_rate: 0,
      ...(outlier.consecutive5xxErrors === undefined
        ? {}
        : { consecutive_5xx: outlier.consecutive5xxErrors, enforcing_consecutive_5xx: enforcing(outlier.consecutive5xxErrors) }),
      ...(outlier.consecutiveGatewayErrors === undefined
        ? {}
        : {
            consecutive_gateway_failure: outlier.consecutiveGatewayErrors,
            enforcing_consecutive_gateway_failure: enforcing(outlier.consecutiveGatewayErrors),
          }),
      ...(outlier.interval === undefined ? {} : { interval: duration(outlier.interval) }),
      ...(outlier.baseEjectionTime === undefined ? {} : { base_ejection_time: duration(outlier.baseEjectionTime) }),
      ...(outlier.maxEjectionPercent ? { max_ejection_percent: outlier.maxEjectionPercent } : {}),
      ...(split
        ? {
            split_external_local_origin_errors: true,
            ...(localOrigin > 0 ? { consecutive_local_origin_failure: localOrigin, enforcing_consecutive_local_origin_failure: 100 } : {}),
            enforcing_local_origin_success_rate: 0,
          }
        : {}),
    },
    common_lb_config: { healthy_panic_threshold: { value: outlier.minHealthPercent ?? 0 } },
  };
}

// --- the pods' sidecars and the gateway ----------------------------------------------------------

/** A pod's inbound circuit breakers as istiod renders the Sidecar's inboundConnectionPool. */
function inboundThresholds(objects: PolicyObjects): Json {
  const pool = objects.sidecar?.spec.inboundConnectionPool;
  return {
    max_connections: pool?.tcp?.maxConnections ?? istioUnlimited,
    max_pending_requests: pool?.http?.http1MaxPendingRequests ?? istioUnlimited,
    max_requests: pool?.http?.http2MaxRequests ?? istioUnlimited,
    max_retries: istioUnlimited,
  };
}

/** One Envoy process carrying every pod sidecar of a cluster: a listener and an inbound cluster per pod, limits per pod. */
function sidecars(thresholds: Json, pods: readonly LabPod[], admin: Endpoint): Json {
  return bootstrap(
    admin,
    pods.map((pod) =>
      httpListener(
        `inbound-${pod.name}`,
        pod.sidecar,
        {
          name: `inbound-${pod.name}`,
          virtual_hosts: [
            {
              name: "inbound",
              domains: ["*"],
              routes: [{ match: { prefix: "/" }, route: { cluster: `inbound-${pod.name}`, timeout: "0s" } }],
            },
          ],
        },
        true,
      ),
    ),
    pods.map((pod) => ({
      name: `inbound-${pod.name}`,
      type: "STATIC",
      connect_timeout: connectTimeout,
      circuit_breakers: { thresholds: [thresholds] },
      load_assignment: { cluster_name: `inbound-${pod.name}`, endpoints: [{ lb_endpoints: [lbEndpoint(pod.app)] }] },
    })),
  );
}

function gatewayListener(at: Endpoint): Json {
  return {
    name: "east-west",
    address: socket(at),
    filter_chains: [
      {
        filters: [
          { name: "envoy.filters.network.tcp_proxy", typed_config: { "@type": types.tcpProxy, stat_prefix: "east-west", cluster: "pods" } },
        ],
      },
    ],
  };
}

function gatewayCluster(pods: readonly LabPod[]): Json {
  return {
    name: "pods",
    type: "STATIC",
    connect_timeout: connectTimeout,
    lb_policy: "LEAST_REQUEST",
    circuit_breakers: {
      thresholds: [
        {
          max_connections: istioUnlimited,
          max_pending_requests: istioUnlimited,
          max_requests: istioUnlimited,
          max_retries: istioUnlimited,
        },
      ],
    },
    load_assignment: { cluster_name: "pods", endpoints: [{ lb_endpoints: pods.map((pod) => lbEndpoint(pod.sidecar)) }] },
  };
}

/** An Istio duration (5s, 1m30s, 500ms) as protobuf JSON's seconds. */
function duration(text: string): string {
  const seconds = durationSeconds(text);
  if (seconds === undefined) throw new Error(`'${text}' is not a duration such as 5s or 1m30s`);
  return `${seconds}s`;
}

/**
 * The inputs from what istiod really sent (a config dump of a pod of the service in its home
 * cluster): the route's timeout and retry policy as they are; the outbound cluster's settings as
 * they are but for what the lab does not carry (EDS, TLS transport sockets, Istio's metadata and
 * filters, locality weighting, which needs weighted localities the lab does not have); the priorities
 * of the home pods and of the gateway; the inbound cluster's circuit breakers, with `max_requests`
 * set to the lab's per-pod limit, since the lab runs few requests per pod. Both clusters' pods get
 * the dump's inbound limits, as every member's do (the rehearsal checks that).
 */
export function inputsFromDump(dump: ConfigDump, host: string, port: number, perPodCapacity: number, file: string): LabEnvoyInputs {
  const config = serviceEnvoyConfig(dump, dump, host, port);
  const clusters = dumpedClusters(dump);
  const outbound = clusters.find((cluster) => cluster.name === config.cluster)!;
  const inbound = clusters.find((cluster) => String(cluster.name).startsWith(`inbound|${port}|`));
  if (!inbound) throw new Error(`the dump has no inbound cluster for port ${port}: it must be a dump of a pod of the service`);
  const kept = ["connect_timeout", "lb_policy", "circuit_breakers", "outlier_detection", "upstream_connection_options"];
  const commonLbConfig = { ...((outbound.common_lb_config as Json | undefined) ?? {}) };
  delete commonLbConfig.locality_weighted_lb_config;
  const thresholds = {
    ...(((inbound.circuit_breakers as Json | undefined)?.thresholds as Json[] | undefined)?.[0] ?? {}),
    max_requests: perPodCapacity,
  };
  const homePriority = Math.min(
    ...config.endpoints.filter((endpoint) => endpoint.port !== eastWestPort).map((endpoint) => endpoint.priority),
  );
  const gateway = config.endpoints.find((endpoint) => endpoint.port === eastWestPort);
  if (!gateway) throw new Error(`${config.cluster} has no endpoint behind an east-west gateway (port ${eastWestPort})`);
  return {
    source: `istiod's config for a pod of the service (${file}), its per-pod limit resized to the lab's ${perPodCapacity}`,
    route: dumpedRoute(dump, host, port),
    outbound: {
      ...Object.fromEntries(kept.filter((field) => field in outbound).map((field) => [field, outbound[field]])),
      common_lb_config: commonLbConfig,
    },
    priorities: { home: homePriority, remote: gateway.priority },
    inboundThresholds: { home: thresholds, remote: thresholds },
  };
}
