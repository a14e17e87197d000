/**
 * What docs/overflow.md says istiod makes of each mode's objects, each sentence as the docs print it,
 * with the check of that sentence against what Envoy received (model/configDump.ts). The rehearsal
 * holds its istiods to them; a test holds the docs to the sentences, so that the docs, the checks
 * and istiod cannot drift apart unnoticed.
 */
import { eastWestPort, istioUnlimited, type ServiceEnvoyConfig } from "./configDump";
import type { OutlierDetection } from "./istioTypes";
import { durationSeconds } from "./units";

export type TrafficMode = "overflow" | "failover" | "distribute";

/** What a claim is checked against: one service's Envoy config as a pod of it in its home cluster receives it, and what the objects declare. */
export interface ClaimContext {
  config: ServiceEnvoyConfig;
  /** The client pod's locality: the home member's region and the pod's zone. */
  client: { region: string; zone: string };
  /** The home cluster's ready pods of the service, with their zones. */
  homePods: readonly { address: string; zone: string }[];
  /** Each other member's east-west gateway as its stack published it, its region and its ready pods of the service. */
  peers: readonly { member: string; gateway: string; region: string; pods: number }[];
  /** The objects' settings the config must carry: the Sidecar's per-pod limit, the VirtualService's retries, the DestinationRule's ejection and weights. */
  declared: {
    maxRequests?: number;
    maxPendingRequests?: number;
    attempts: number;
    perTryTimeout?: string;
    outlierDetection: OutlierDetection;
    clientPool: boolean;
    distribute?: Record<string, number>;
  };
}

interface Claim {
  /** The sentence in docs/overflow.md, whitespace aside. */
  sentence: string;
  /** What in the config contradicts it; empty when it holds. */
  problems: (context: ClaimContext) => string[];
}

const expect = (ok: boolean, problem: string) => (ok ? [] : [problem]);
const sorted = (values: readonly string[]) => [...values].sort().join(", ");

const perPodLimit: Claim = {
  sentence: "Beyond that, the pod's own sidecar answers `503` at once.",
  problems: ({ config, declared }) => [
    ...expect(
      config.inboundMaxRequests === declared.maxRequests,
      `the pod's inbound cluster allows ${config.inboundMaxRequests ?? "unlimited"} requests in flight, not ${declared.maxRequests}`,
    ),
    ...expect(
      declared.maxPendingRequests === undefined || config.inboundMaxPendingRequests === declared.maxPendingRequests,
      `the pod's inbound cluster allows ${config.inboundMaxPendingRequests} pending requests, not ${declared.maxPendingRequests}`,
    ),
  ],
};

/** The Modes table's row: no per-pod limit in `mode`. */
const noLimit = (mode: TrafficMode): Claim => ({
  sentence: `| \`${mode}\` | none |`,
  problems: ({ config }) =>
    expect(
      config.inboundMaxRequests === undefined || config.inboundMaxRequests === istioUnlimited,
      `the pod's inbound cluster allows only ${config.inboundMaxRequests} requests in flight`,
    ),
});

const noEjectionFor503: Claim = {
  sentence: "with `consecutive5xxErrors: 0` (Istio's default would be 5) and no `consecutiveGatewayErrors`",
  problems: ({ config, declared }) => {
    const outlier = config.outlierDetection ?? {};
    const localOrigin = declared.outlierDetection.consecutiveLocalOriginFailures ?? 5;
    return [
      ...expect(config.outlierDetection !== undefined, `${config.cluster} has no outlier_detection`),
      ...expect(
        Number(outlier.enforcing_consecutive_5xx ?? 100) === 0 || Number(outlier.consecutive_5xx ?? 5) === 0,
        `5xx ejection is on: consecutive_5xx ${outlier.consecutive_5xx ?? 5}, enforced ${outlier.enforcing_consecutive_5xx ?? 100}%`,
      ),
      ...expect(
        Number(outlier.enforcing_consecutive_gateway_failure ?? 0) === 0,
        `gateway-error ejection is enforced at ${outlier.enforcing_consecutive_gateway_failure}%`,
      ),
      ...expect(Number(outlier.enforcing_success_rate ?? 100) === 0, "success-rate ejection is on"),
      ...expect(outlier.split_external_local_origin_errors === true, "local-origin errors are not split from 5xx"),
      ...expect(
        Number(outlier.consecutive_local_origin_failure ?? 5) === localOrigin &&
          Number(outlier.enforcing_consecutive_local_origin_failure ?? 100) === 100,
        `local-origin ejection after ${outlier.consecutive_local_origin_failure} failures, enforced ` +
          `${outlier.enforcing_consecutive_local_origin_failure ?? 100}%, not after ${localOrigin} at 100%`,
      ),
    ];
  },
};

const ejectionOnHealth: Claim = {
  sentence:
    "pods that answer `consecutive5xxErrors` 5xx (or `consecutiveGatewayErrors` 502/503/504) in a row are ejected for `baseEjectionTime` x their ejection count, up to 100% of the pool",
  problems: ({ config, declared }) => {
    const outlier = config.outlierDetection ?? {};
    const { consecutive5xxErrors, consecutiveGatewayErrors, baseEjectionTime } = declared.outlierDetection;
    return [
      ...expect(
        Number(outlier.consecutive_5xx) === consecutive5xxErrors && Number(outlier.enforcing_consecutive_5xx ?? 100) === 100,
        `5xx ejection after ${outlier.consecutive_5xx} at ${outlier.enforcing_consecutive_5xx ?? 100}%, not ${consecutive5xxErrors} at 100%`,
      ),
      ...expect(
        Number(outlier.consecutive_gateway_failure) === consecutiveGatewayErrors &&
          Number(outlier.enforcing_consecutive_gateway_failure ?? 0) === 100,
        `gateway-error ejection after ${outlier.consecutive_gateway_failure} at ${outlier.enforcing_consecutive_gateway_failure ?? 0}%, ` +
          `not ${consecutiveGatewayErrors} at 100%`,
      ),
      ...expect(
        baseEjectionTime === undefined || durationSeconds(String(outlier.base_ejection_time)) === durationSeconds(baseEjectionTime),
        `base_ejection_time ${outlier.base_ejection_time}, not ${baseEjectionTime}`,
      ),
      ...expect(Number(outlier.max_ejection_percent ?? 10) === 100, `max_ejection_percent ${outlier.max_ejection_percent ?? 10}, not 100`),
    ];
  },
};

const homeIsOnePriority: Claim = {
  sentence: "puts every home pod in priority 0 and the other cluster (its east-west gateway, as the client sees it) in priority 1.",
  problems: ({ config, homePods, peers }) => {
    const at = (priority: number) =>
      config.endpoints.filter((endpoint) => endpoint.priority === priority).map((endpoint) => endpoint.address);
    const gateways = config.endpoints.filter((endpoint) => endpoint.port === eastWestPort);
    return [
      ...expect(
        sorted(at(0)) === sorted(homePods.map((pod) => pod.address)),
        `priority 0 holds [${sorted(at(0))}], not the home pods [${sorted(homePods.map((pod) => pod.address))}]`,
      ),
      ...expect(
        sorted(at(1)) === sorted(peers.map((peer) => peer.gateway)),
        `priority 1 holds [${sorted(at(1))}], not the peers' gateways`,
      ),
      ...expect(gateways.length === peers.length, `${gateways.length} endpoints on ${eastWestPort} for ${peers.length} peers`),
      ...gateways.flatMap((gateway) => {
        const peer = peers.find((candidate) => candidate.gateway === gateway.address);
        return expect(
          peer !== undefined && gateway.weight === peer.pods,
          `the gateway ${gateway.address} weighs ${gateway.weight}, not its ${peer?.pods} pods`,
        );
      }),
      ...expect(
        config.endpoints.every((endpoint) => endpoint.priority <= 1),
        "endpoints below priority 1",
      ),
    ];
  },
};

const zoneThenClusterThenCloud: Claim = {
  sentence: "`failoverPriority: [network, region, zone]`: own zone, own cluster, then the other cluster",
  problems: ({ config, client, homePods, peers }) => {
    const priorityOf = (address: string) => config.endpoints.find((endpoint) => endpoint.address === address)?.priority;
    const ownZone = homePods.filter((pod) => pod.zone === client.zone).map((pod) => priorityOf(pod.address));
    const otherZones = homePods.filter((pod) => pod.zone !== client.zone).map((pod) => priorityOf(pod.address));
    const gateways = peers.map((peer) => priorityOf(peer.gateway));
    const highest = (priorities: (number | undefined)[]) => Math.max(...priorities.map((priority) => priority ?? Infinity));
    const lowest = (priorities: (number | undefined)[]) => Math.min(...priorities.map((priority) => priority ?? -Infinity));
    return [
      ...expect(
        ownZone.length > 0 && ownZone.every((priority) => priority === 0),
        `the client's own zone's pods are at [${ownZone.join(", ")}], not 0`,
      ),
      ...expect(
        otherZones.length === 0 || lowest(otherZones) > highest(ownZone),
        `the home pods of other zones (priorities [${otherZones.join(", ")}]) are not behind the own zone's`,
      ),
      ...expect(
        gateways.every((priority) => priority !== undefined) && lowest(gateways) > highest([...ownZone, ...otherZones]),
        `the other cluster's gateways (priorities [${gateways.join(", ")}]) are not behind every home pod`,
      ),
    ];
  },
};

const panicOff = (sentence: string): Claim => ({
  sentence,
  problems: ({ config }) => expect(config.panicThresholdPercent === 0, `the panic threshold is ${config.panicThresholdPercent}%`),
});

const weightsPerRegion: Claim = {
  sentence: "`distribute`: weights per region, scaled by each region's health",
  problems: ({ config, client, declared }) => {
    const weights = declared.distribute ?? {};
    // A locality's weight is the locality's, once, however many endpoints it holds.
    const localities = new Map(config.endpoints.map((endpoint) => [`${endpoint.region}/${endpoint.zone}`, endpoint]));
    const byRegion = new Map<string, number>();
    for (const endpoint of localities.values())
      byRegion.set(endpoint.region, (byRegion.get(endpoint.region) ?? 0) + (endpoint.localityWeight ?? 0));
    const total = [...byRegion.values()].reduce((sum, weight) => sum + weight, 0);
    const share = (region: string) => (total > 0 ? (100 * (byRegion.get(region) ?? 0)) / total : 0);
    return [
      ...expect(
        config.endpoints.every((endpoint) => endpoint.priority === 0),
        "distribute mode puts endpoints at several priorities",
      ),
      ...Object.entries(weights).flatMap(([region, weight]) =>
        expect(
          Math.abs(share(region) - weight) < 1,
          `a client in ${client.region} sends ${share(region).toFixed(1)}% to ${region}, not ${weight}%`,
        ),
      ),
    ];
  },
};

const retries503: Claim = {
  sentence: "The VirtualService retries `503` (Istio turns the code into `retriable-status-codes`)",
  problems: ({ config, declared }) => [
    ...expect(
      config.retry.retryOn.includes("retriable-status-codes") && config.retry.retriableStatusCodes.includes(503),
      `retry_on '${config.retry.retryOn.join(",")}' with codes [${config.retry.retriableStatusCodes.join(", ")}] does not retry a 503`,
    ),
    ...expect(config.retry.numRetries === declared.attempts, `num_retries is ${config.retry.numRetries}, not ${declared.attempts}`),
    ...expect(
      declared.perTryTimeout === undefined || config.retry.perTryTimeoutSeconds === durationSeconds(declared.perTryTimeout),
      `per_try_timeout is ${config.retry.perTryTimeoutSeconds ?? "unset"} s, not ${declared.perTryTimeout}`,
    ),
  ],
};

const retryPredicates: Claim = {
  sentence:
    "Istio gives every retry policy the `previous_hosts` predicate (5 host selection attempts), and `retryRemoteLocalities` installs Envoy's `previous_priorities` with update frequency 2.",
  problems: ({ config }) => [
    ...expect(config.retry.previousHosts, "the route's retries have no previous_hosts predicate"),
    ...expect(
      config.retry.hostSelectionRetryMaxAttempts === 5,
      `host_selection_retry_max_attempts is ${config.retry.hostSelectionRetryMaxAttempts}`,
    ),
    ...expect(
      config.retry.previousPrioritiesUpdateFrequency === 2,
      config.retry.previousPrioritiesUpdateFrequency === undefined
        ? "the route's retries have no previous_priorities"
        : `previous_priorities updates every ${config.retry.previousPrioritiesUpdateFrequency} tries`,
    ),
  ],
};

const clientPoolsAlone: Claim = {
  sentence: "The client-side circuit breakers stay at Istio's defaults (unlimited) unless you set `clientPool`.",
  problems: ({ config, declared }) =>
    Object.entries(declared.clientPool ? {} : config.clientLimits)
      .filter(([, limit]) => limit !== istioUnlimited)
      .map(([name, limit]) => `the client's ${name} is ${limit}, not unlimited`),
};

/** Each mode's claims: what docs/overflow.md says the Envoy config of a service in that mode holds. */
export const trafficClaims: Record<TrafficMode, readonly Claim[]> = {
  overflow: [
    perPodLimit,
    noEjectionFor503,
    homeIsOnePriority,
    panicOff("Panic mode is off (`minHealthPercent: 0`)."),
    retries503,
    retryPredicates,
    clientPoolsAlone,
  ],
  failover: [
    noLimit("failover"),
    ejectionOnHealth,
    zoneThenClusterThenCloud,
    panicOff("Panic mode stays off (`minHealthPercent: 0`), so ejected pods get nothing."),
    retries503,
    retryPredicates,
    clientPoolsAlone,
  ],
  distribute: [noLimit("distribute"), ejectionOnHealth, weightsPerRegion, retries503, retryPredicates, clientPoolsAlone],
};
