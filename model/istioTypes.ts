/**
 * Typed models of the Istio 1.30 API objects burstmesh creates: the subset of each spec it uses,
 * with Istio's own field names (networking.istio.io/v1, security.istio.io/v1). Writing specs
 * against these types makes a misspelt or misplaced field a compile error.
 */

/** An Istio object as it is applied to a cluster. */
interface IstioObject<Kind extends string, Spec> {
  apiVersion: Kind extends "PeerAuthentication" ? "security.istio.io/v1" : "networking.istio.io/v1";
  kind: Kind;
  metadata: { name: string; namespace: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: Spec;
}

/** A Go duration string as Istio accepts it, such as "5s" or "1m30s". */
type Duration = string;

interface PortSelector {
  number: number;
}

// --- security.istio.io/v1 ----------------------------------------------------------------------

export interface PeerAuthenticationSpec {
  selector?: { matchLabels: Record<string, string> };
  mtls: { mode: "UNSET" | "DISABLE" | "PERMISSIVE" | "STRICT" };
}

// --- networking.istio.io/v1: Gateway -------------------------------------------------------------

export interface GatewaySpec {
  selector: Record<string, string>;
  servers: {
    name?: string;
    port: { number: number; name: string; protocol: "HTTP" | "HTTPS" | "GRPC" | "HTTP2" | "MONGO" | "TCP" | "TLS" };
    hosts: string[];
    tls?: { mode: "PASSTHROUGH" | "SIMPLE" | "MUTUAL" | "AUTO_PASSTHROUGH" | "ISTIO_MUTUAL" | "OPTIONAL_MUTUAL" };
  }[];
}

// --- networking.istio.io/v1: connection pools (DestinationRule and Sidecar) ----------------------

interface TcpKeepalive {
  probes?: number;
  time?: Duration;
  interval?: Duration;
}

interface ConnectionPoolSettings {
  tcp?: {
    maxConnections?: number;
    connectTimeout?: Duration;
    tcpKeepalive?: TcpKeepalive;
    maxConnectionDuration?: Duration;
    idleTimeout?: Duration;
  };
  http?: {
    http1MaxPendingRequests?: number;
    http2MaxRequests?: number;
    maxRequestsPerConnection?: number;
    maxRetries?: number;
    idleTimeout?: Duration;
    h2UpgradePolicy?: "DEFAULT" | "DO_NOT_UPGRADE" | "UPGRADE";
    maxConcurrentStreams?: number;
  };
}

// --- networking.istio.io/v1: DestinationRule -----------------------------------------------------

export interface LocalityLbSetting {
  enabled?: boolean;
  /** Weighted distribution from a source locality to destination localities (weights sum to 100). */
  distribute?: { from: string; to: Record<string, number> }[];
  failover?: { from: string; to: string }[];
  /** Ordered label keys; endpoints matching the client on the first N labels get priority N. */
  failoverPriority?: string[];
}

export interface OutlierDetection {
  consecutive5xxErrors?: number;
  consecutiveGatewayErrors?: number;
  consecutiveLocalOriginFailures?: number;
  splitExternalLocalOriginErrors?: boolean;
  interval?: Duration;
  baseEjectionTime?: Duration;
  maxEjectionPercent?: number;
  minHealthPercent?: number;
}

export interface TrafficPolicy {
  connectionPool?: ConnectionPoolSettings;
  loadBalancer?: {
    simple?: "UNSPECIFIED" | "LEAST_CONN" | "RANDOM" | "PASSTHROUGH" | "ROUND_ROBIN" | "LEAST_REQUEST";
    localityLbSetting?: LocalityLbSetting;
  };
  outlierDetection?: OutlierDetection;
  retryBudget?: { percent?: number; minRetryConcurrency?: number };
}

/** A named set of a service's endpoints, selected by pod labels, with its own traffic policy. */
export interface Subset {
  name: string;
  labels: Record<string, string>;
  trafficPolicy?: TrafficPolicy;
}

export interface DestinationRuleSpec {
  host: string;
  trafficPolicy?: TrafficPolicy;
  subsets?: Subset[];
  exportTo?: string[];
}

// --- networking.istio.io/v1: VirtualService ------------------------------------------------------

interface HttpRetry {
  attempts: number;
  perTryTimeout?: Duration;
  /** Comma-separated Envoy retry conditions, such as "503,reset,connect-failure". */
  retryOn?: string;
  retryRemoteLocalities?: boolean;
  backoff?: Duration;
}

/** A request match; only header matches are used here. */
interface HttpMatchRequest {
  headers?: Record<string, { exact?: string; prefix?: string; regex?: string }>;
}

export interface HttpRoute {
  name?: string;
  match?: HttpMatchRequest[];
  route: { destination: { host: string; port?: PortSelector; subset?: string }; weight?: number }[];
  retries?: HttpRetry;
  timeout?: Duration;
}

export interface VirtualServiceSpec {
  hosts: string[];
  gateways?: string[];
  http?: HttpRoute[];
  exportTo?: string[];
}

// --- networking.istio.io/v1: Sidecar ------------------------------------------------------------

export interface SidecarSpec {
  workloadSelector?: { labels: Record<string, string> };
  /** Limits for every inbound connection to the selected workloads (per pod, server side). */
  inboundConnectionPool?: ConnectionPoolSettings;
}

export type PeerAuthentication = IstioObject<"PeerAuthentication", PeerAuthenticationSpec>;
export type Gateway = IstioObject<"Gateway", GatewaySpec>;
export type DestinationRule = IstioObject<"DestinationRule", DestinationRuleSpec>;
export type VirtualService = IstioObject<"VirtualService", VirtualServiceSpec>;
export type Sidecar = IstioObject<"Sidecar", SidecarSpec>;
