import type { ServiceMode, ServiceSettings } from "../../config/services";
import { serviceHost } from "../kube/dns";

/**
 * The PromQL of the Overflow dashboard and the alert rules, built from the same few selectors so that
 * a panel and the alert beside it measure the same thing.
 *
 * Metrics and labels: `istio_requests_total` and `istio_request_duration_milliseconds` with Istio's
 * standard labels (`reporter`, `source_cluster`, `destination_cluster`, `destination_service`,
 * `response_code`, `response_flags`), `istio_build` (one series per proxy), and istiod's
 * `istiod_remote_cluster_sync_status` (pkg/kube/multicluster in Istio 1.30: labels `cluster`,
 * `cluster_type`, `status`), and istiod's `citadel_server_cert_chain_expiry_timestamp` (no labels). `cluster`, `namespace`, `app`, `istio` and `job` are added by this
 * project's scrape job (see prometheus.ts); the scrape job's own `cluster` label wins over istiod's,
 * which Prometheus then keeps as `exported_cluster` (the remote cluster's ID).
 */

/** A label matcher: an exact value, or `{ not }` (!=) or `{ regex }` (=~). */
type Matcher = string | { not: string } | { regex: string };

/** A PromQL vector selector. Values are quoted as JSON strings, which PromQL string literals accept. */
function selector(metric: string, matchers: Record<string, Matcher>): string {
  const rendered = Object.entries(matchers).map(([label, matcher]) => {
    if (typeof matcher === "string") return `${label}=${JSON.stringify(matcher)}`;
    if ("not" in matcher) return `${label}!=${JSON.stringify(matcher.not)}`;
    return `${label}=~${JSON.stringify(matcher.regex)}`;
  });
  return `${metric}{${rendered.join(", ")}}`;
}

/** The range of `rate()` on dashboards: Grafana's `$__rate_interval` (at least four scrape intervals). */
const dashboardWindow = "$__rate_interval";
/** The range of `rate()` in alert rules. */
const alertWindow = "5m";

/** The service a query is about: its mesh host (`destination_service`), its pods' namespace and `app` label, its home. */
export interface ObservedService {
  name: string;
  namespace: string;
  host: string;
  homeCluster: string;
  mode: ServiceMode;
}

/** What the queries need of a configured service. */
export function observedService(service: ServiceSettings): ObservedService {
  return {
    name: service.name,
    namespace: service.namespace,
    host: serviceHost(service),
    homeCluster: service.homeCluster,
    mode: service.mode,
  };
}

/** Requests to the service as its clients' sidecars saw them (one per request, retries included in it). */
function clientRequests(service: ObservedService, extra: Record<string, Matcher> = {}): string {
  return selector("istio_requests_total", { reporter: "source", destination_service: service.host, ...extra });
}

/** Attempts that reached one of the service's sidecars (every retry is a new attempt). */
function serverAttempts(service: ObservedService, extra: Record<string, Matcher> = {}): string {
  return selector("istio_requests_total", { reporter: "destination", destination_service: service.host, ...extra });
}

const rate = (series: string, window: string) => `rate(${series}[${window}])`;
const sum = (expression: string, by: string[] = []) => `sum${by.length > 0 ? ` by (${by.join(", ")})` : ""} (${expression})`;

/** Share of the service's requests answered by each cluster (by `destination_cluster`). */
export function servedShareByCluster(service: ObservedService, window = dashboardWindow): string {
  return `${sum(rate(clientRequests(service), window), ["destination_cluster"])} / scalar(${sum(rate(clientRequests(service), window))})`;
}

/** Share of the requests of clients in `clientCluster` answered by another cluster. */
export function crossClusterShare(service: ObservedService, clientCluster: string, window = dashboardWindow): string {
  const crossing = clientRequests(service, { source_cluster: clientCluster, destination_cluster: { not: clientCluster } });
  return `${sum(rate(crossing, window))} / ${sum(rate(clientRequests(service, { source_cluster: clientCluster }), window))}`;
}

/** Share of the service's requests answered outside its home cluster: the overflow. */
export function overflowShare(service: ObservedService, window = alertWindow): string {
  const away = clientRequests(service, { destination_cluster: { not: service.homeCluster } });
  return `${sum(rate(away, window))} / ${sum(rate(clientRequests(service), window))}`;
}

/** Share of the answers from outside the home cluster that were 5xx: the other cloud failing while it takes the overflow. */
export function overflowErrorShare(service: ObservedService, window = alertWindow): string {
  const away = { destination_cluster: { not: service.homeCluster } };
  const failed = clientRequests(service, { ...away, response_code: { regex: "5.." } });
  return `${sum(rate(failed, window))} / ${sum(rate(clientRequests(service, away), window))}`;
}

/** 503s the clients received, by the cluster that answered. */
export function clientServiceUnavailable(service: ObservedService, window = dashboardWindow): string {
  return sum(rate(clientRequests(service, { response_code: "503" }), window), ["destination_cluster"]);
}

/** 503s a full pod's sidecar answered at once (`UO`: its per-pod limit), by cluster: what the retries react to. */
export function podOverflows(service: ObservedService, window = dashboardWindow): string {
  return sum(rate(serverAttempts(service, { response_code: "503", response_flags: "UO" }), window), ["destination_cluster"]);
}

/**
 * Retries per second, as attempts that reached a server minus requests the clients made. Attempts that
 * failed before reaching a sidecar (connect failures) are not counted; clients outside the mesh report
 * no requests, so keep them out of a drill.
 */
export function retries(service: ObservedService, window = dashboardWindow): string {
  return `${sum(rate(serverAttempts(service), window))} - ${sum(rate(clientRequests(service), window))}`;
}

/** Latency quantile of requests from clients in `clientCluster`, answered locally or by another cluster. */
export function latencyQuantile(
  service: ObservedService,
  quantile: number,
  clientCluster: string,
  answeredBy: "local" | "elsewhere",
  window = dashboardWindow,
): string {
  const destination = answeredBy === "local" ? clientCluster : { not: clientCluster };
  const buckets = selector("istio_request_duration_milliseconds_bucket", {
    reporter: "source",
    destination_service: service.host,
    source_cluster: clientCluster,
    destination_cluster: destination,
  });
  return `histogram_quantile(${quantile}, ${sum(rate(buckets, window), ["le"])})`;
}

/** The service's pods per cluster: one `istio_build` series per sidecar, whether or not it serves traffic. */
export function podsPerCluster(service: ObservedService): string {
  return `count by (cluster) (${selector("istio_build", { component: "proxy", namespace: service.namespace, app: service.name })})`;
}

/** Remote clusters an istiod is not in sync with (any state but `synced`). */
export function remoteClusterNotSynced(): string {
  const synced = selector("istiod_remote_cluster_sync_status", { cluster_type: "remote", status: "synced" });
  return `max by (cluster, exported_cluster) (${synced}) == 0`;
}

/** Clusters whose istiod is scraped but none of whose east-west gateway pods is. */
export function eastWestGatewayDown(scrapeJob: string): string {
  const istiod = selector("up", { job: scrapeJob, app: "istiod" });
  const gateway = selector("up", { job: scrapeJob, istio: "eastwestgateway" });
  return `count by (cluster) (${istiod}) unless on (cluster) (${gateway} == 1)`;
}

/**
 * Seconds left, per cluster, until the intermediate CA its istiod signs with expires (the lowest of
 * its istiod replicas). `citadel_server_cert_chain_expiry_timestamp` is the end of the first
 * certificate of istiod's CA chain, the plugged-in `ca-cert.pem`; Istio 1.30 records it when istiod
 * starts and again whenever it reloads `cacerts` (security/pkg/server/ca RecordCertsExpiry).
 */
export function intermediateCaSecondsLeft(scrapeJob: string): string {
  return `min by (cluster) (${selector("citadel_server_cert_chain_expiry_timestamp", { job: scrapeJob, app: "istiod" })}) - time()`;
}

/** Peers whose Prometheus the observer cannot federate. */
export function peerPrometheusUnreachable(federationJob: string): string {
  return `${selector("up", { job: federationJob })} == 0`;
}

/** The burstmesh alerts firing now, by alert and cluster. */
export function firingAlerts(alertNames: readonly string[]): string {
  return `sum by (alertname, cluster, destination_service) (${selector("ALERTS", { alertstate: "firing", alertname: { regex: alertNames.join("|") } })})`;
}
