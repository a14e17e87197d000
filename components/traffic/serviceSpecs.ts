/**
 * Pure builders of everything an overflow service is made of in one cluster: the workload
 * (Namespace, Deployment, Service, HPA, PDB) and the traffic policy (Sidecar, DestinationRule,
 * VirtualService). No Pulumi resources here: the components wire these objects into resources, and
 * tests call the builders directly.
 *
 * Overflow mode spills by retries, not by ejection (docs/overflow.md): each pod's own sidecar
 * enforces the per-pod capacity and answers 503 at once when the pod is full; clients retry, the
 * first two tries on two home pods, the third, with `retryRemoteLocalities`, in the other cluster.
 * Nobody is ejected for a 503 (ejecting full pods concentrates the load on the rest, which then
 * fill and are ejected in turn); only pods that are gone (connect failures, resets) are ejected.
 * The traffic model in model/ reads these same objects.
 */
import type * as k8s from "@pulumi/kubernetes";
import { isHomeCluster, ServiceCapacity, ServiceSettings } from "../../config/services";
import { burstHpaBehavior } from "../kube/burstScaling";
import { serviceHost } from "../kube/dns";
import { meshWorkloadNamespaceLabels } from "../kube/namespaces";
import type { DestinationRule, LocalityLbSetting, OutlierDetection, Sidecar, TrafficPolicy, VirtualService } from "../../model/istioTypes";

/** Node and endpoint labels Istio's locality load balancing reads. */
export const topologyLabels = {
  /** Set by istiod on every endpoint from the cluster's network (`global.network`). */
  network: "topology.istio.io/network",
  region: "topology.kubernetes.io/region",
  zone: "topology.kubernetes.io/zone",
} as const;

/**
 * Ejection may take every host of the pool out (Envoy counts this over all priorities together):
 * the default 10% would keep dead pods in the pool and block failover.
 */
const maxEjectionPercent = 100;

/**
 * The Istio ProxyConfig every server pod gets: no Envoy debug headers (`x-envoy-overloaded` and
 * friends) toward callers. Tidiness only: Envoy retries responses that carry the header anyway
 * (since envoyproxy/envoy#10847).
 */
const serverProxyConfig = { proxyHeaders: { envoyDebugHeaders: { disabled: true } } } as const;

/** Pod labels: `app` selects the pods (and names them to Istio), `version` is the image tag. */
function workloadLabels(service: ServiceSettings): { app: string; version: string } {
  return { app: service.name, version: imageVersion(service.image) };
}

/** Service and container port name: the protocol first, which is how Istio picks the protocol. */
function portName(service: ServiceSettings): string {
  return service.protocol;
}

/** The per-pod limits of overflow mode, or undefined in the other modes (no per-pod limit). */
export function overflowThresholds(service: ServiceSettings): ServiceCapacity | undefined {
  if (service.mode !== "overflow") return undefined;
  if (!service.capacity) throw new Error(`service '${service.name}': overflow mode needs capacity (config validation should have said so)`);
  return { ...service.capacity };
}

/** The HPA bounds for this cluster: home bounds in the home cluster, standby bounds elsewhere. */
function replicaBounds(service: ServiceSettings, clusterName: string): { minReplicas: number; maxReplicas: number } {
  const bounds = isHomeCluster(service, clusterName) ? service.home : service.standby;
  return { minReplicas: bounds.minReplicas, maxReplicas: bounds.maxReplicas };
}

function metadata(service: ServiceSettings, name = service.name) {
  return { name, namespace: service.namespace, labels: { app: service.name, "app.kubernetes.io/part-of": "burstmesh" } };
}

// --- workload -----------------------------------------------------------------------------------

/**
 * The user and group the service's containers run as. podinfo's image declares `USER app`, a name
 * the kubelet cannot check against `runAsNonRoot`, so the pod names a non-root ID itself.
 */
const serviceRunAsId = 10001;

/** The service's namespace, with sidecar injection on and the restricted Pod Security level enforced. */
function namespaceManifest(service: ServiceSettings): k8s.types.input.core.v1.Namespace {
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name: service.namespace,
      labels: { ...meshWorkloadNamespaceLabels },
    },
  };
}

/**
 * The Deployment. No `replicas`: the HPA owns the count (a declared count would be reset on every
 * `pulumi up`). Each cluster's copy answers with its own cluster name (podinfo's `message`).
 */
export function deploymentManifest(service: ServiceSettings, clusterName: string): k8s.types.input.apps.v1.Deployment {
  const probe = (path: string) =>
    service.protocol === "grpc" ? { grpc: { port: service.port } } : { httpGet: { path, port: service.port } };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: metadata(service),
    spec: {
      selector: { matchLabels: { app: service.name } },
      template: {
        metadata: {
          labels: workloadLabels(service),
          annotations: { "proxy.istio.io/config": JSON.stringify(serverProxyConfig) },
        },
        spec: {
          securityContext: {
            runAsNonRoot: true,
            runAsUser: serviceRunAsId,
            runAsGroup: serviceRunAsId,
            seccompProfile: { type: "RuntimeDefault" },
          },
          containers: [
            {
              name: service.name,
              image: service.image,
              ports: [{ name: portName(service), containerPort: service.port, protocol: "TCP" }],
              env: [
                // podinfo reads its flags from PODINFO_<FLAG>: `message` in its JSON answer, and the port.
                { name: "PODINFO_UI_MESSAGE", value: clusterName },
                { name: "PODINFO_PORT", value: String(service.port) },
              ],
              resources: {
                requests: { cpu: service.resources.requests.cpu, memory: service.resources.requests.memory },
                limits: { cpu: service.resources.limits.cpu, memory: service.resources.limits.memory },
              },
              readinessProbe: { ...probe(service.probes.readinessPath), periodSeconds: 5, failureThreshold: 3 },
              livenessProbe: { ...probe(service.probes.livenessPath), initialDelaySeconds: 5, periodSeconds: 10, failureThreshold: 3 },
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
            },
          ],
        },
      },
    },
  };
}

/** The Service: same name, namespace and port in every cluster, so Istio merges the endpoints. */
function serviceManifest(service: ServiceSettings): k8s.types.input.core.v1.Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: metadata(service),
    spec: {
      selector: { app: service.name },
      ports: [{ name: portName(service), port: service.port, targetPort: service.port, protocol: "TCP", appProtocol: service.protocol }],
    },
  };
}

/**
 * The HPA, the first capacity lever: it scales on the app container's CPU (not the sidecar's, which
 * also burns CPU answering 503s), within home bounds at home and standby bounds elsewhere, and
 * with the mesh's burst behavior (fast up, slow down).
 */
export function hpaManifest(service: ServiceSettings, clusterName: string): k8s.types.input.autoscaling.v2.HorizontalPodAutoscaler {
  return {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: metadata(service),
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: service.name },
      ...replicaBounds(service, clusterName),
      metrics: [
        {
          type: "ContainerResource",
          containerResource: {
            name: "cpu",
            container: service.name,
            target: { type: "Utilization", averageUtilization: service.targetCpuUtilization },
          },
        },
      ],
      behavior: burstHpaBehavior(),
    },
  };
}

/** At most one pod down at a time for node drains; `maxUnavailable` so that a 1-pod standby can still drain. */
export function pdbManifest(service: ServiceSettings): k8s.types.input.policy.v1.PodDisruptionBudget {
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: metadata(service),
    spec: { maxUnavailable: 1, selector: { matchLabels: { app: service.name } } },
  };
}

// --- traffic policy (identical in every cluster) ----------------------------------------------------

/**
 * Overflow mode only: the per-pod capacity, enforced by the pod's own sidecar on inbound traffic.
 * Beyond `maxConcurrentRequests` in flight the pod answers 503 at once and the client retries
 * elsewhere. (`http1MaxPendingRequests` only bounds requests waiting for a connection to the app,
 * set when the user sets `maxPendingRequests`.) Undefined in the other modes.
 */
function capacitySidecar(service: ServiceSettings): Sidecar | undefined {
  const thresholds = overflowThresholds(service);
  if (!thresholds) return undefined;
  return {
    apiVersion: "networking.istio.io/v1",
    kind: "Sidecar",
    metadata: metadata(service),
    spec: {
      workloadSelector: { labels: { app: service.name } },
      inboundConnectionPool: {
        http: {
          http2MaxRequests: thresholds.maxConcurrentRequests,
          ...(thresholds.maxPendingRequests === undefined ? {} : { http1MaxPendingRequests: thresholds.maxPendingRequests }),
        },
      },
    },
  };
}

/** Locality load balancing per mode (see the DestinationRule). */
function localityLbSetting(service: ServiceSettings): LocalityLbSetting {
  switch (service.mode) {
    case "overflow":
      // The own network (cluster) is one priority: it spills as a whole once too few of its pods are
      // healthy. Zone priorities here would cut the home capacity into per-zone slices that each
      // spill on their own, long before the cluster is full.
      return { enabled: true, failoverPriority: [topologyLabels.network] };
    case "failover":
      // Health only: stay in the own zone, then the own cluster, then the other cluster.
      return { enabled: true, failoverPriority: [topologyLabels.network, topologyLabels.region, topologyLabels.zone] };
    case "distribute":
      return { enabled: true, distribute: distributeRules(service) };
  }
}

/**
 * One rule per weighted region, each from that region (`<region>/*`, any zone) to every weighted
 * region with the configured weights: the same list in every cluster, and each cluster's clients
 * match the rule of their own region. Istio takes the first rule whose `from` matches the client's
 * locality and sends nothing to regions the rule does not list.
 */
function distributeRules(service: ServiceSettings): { from: string; to: Record<string, number> }[] {
  const weights = service.distribute;
  if (!weights)
    throw new Error(`service '${service.name}': distribute mode needs distribute weights (config validation should have said so)`);
  const to = Object.fromEntries(Object.entries(weights).map(([region, weight]) => [`${region}/*`, weight]));
  return Object.keys(weights).map((region) => ({ from: `${region}/*`, to: { ...to } }));
}

/**
 * Who gets ejected. Overflow: only pods that fail locally (connect failure, reset: the pod is gone),
 * with 5xx ejection explicitly off (Istio's default is 5) and no gateway-error counter (Istio would
 * enforce it, and a 503 counts as a gateway error). Failover and distribute: pods that answer 5xx
 * are ejected, which is what moves traffic there. Panic mode is off in every mode
 * (`minHealthPercent: 0`): below a threshold Envoy would send to ejected pods again.
 */
function outlierDetection(service: ServiceSettings): OutlierDetection {
  const settings = service.outlierDetection;
  const timing = { interval: settings.interval, baseEjectionTime: settings.baseEjectionTime, maxEjectionPercent, minHealthPercent: 0 };
  if (service.mode === "overflow") {
    return {
      consecutive5xxErrors: 0,
      splitExternalLocalOriginErrors: true,
      consecutiveLocalOriginFailures: settings.consecutiveLocalOriginFailures,
      ...timing,
    };
  }
  return { consecutive5xxErrors: settings.consecutive5xxErrors, consecutiveGatewayErrors: settings.consecutiveGatewayErrors, ...timing };
}

/**
 * The client-side policy: locality load balancing, ejection, keepalive, and client circuit breakers
 * only where the user set them (Istio's defaults are unlimited). Self-contained, so that it can be
 * applied as it is to a subset.
 */
export function trafficPolicy(service: ServiceSettings): TrafficPolicy {
  return {
    connectionPool: {
      tcp: {
        ...(service.clientPool?.maxConnections === undefined ? {} : { maxConnections: service.clientPool.maxConnections }),
        // Keeps idle connections to the other cluster's east-west gateway alive through the cloud
        // load balancers (AWS NLB idle timeout 350 s, Azure load balancer 4 minutes).
        tcpKeepalive: { time: service.tcpKeepalive.time, interval: service.tcpKeepalive.interval, probes: service.tcpKeepalive.probes },
      },
      ...clientHttpPool(service),
    },
    loadBalancer: { localityLbSetting: localityLbSetting(service) },
    // Istio enables locality load balancing only when outlier detection is set.
    outlierDetection: outlierDetection(service),
  };
}

function clientHttpPool(service: ServiceSettings): Pick<NonNullable<TrafficPolicy["connectionPool"]>, "http"> {
  const { maxConnections: _tcpField, ...http } = service.clientPool ?? {};
  const set = Object.fromEntries(Object.entries(http).filter(([, value]) => value !== undefined));
  return Object.keys(set).length > 0 ? { http: set } : {};
}

export function destinationRule(service: ServiceSettings): DestinationRule {
  return {
    apiVersion: "networking.istio.io/v1",
    kind: "DestinationRule",
    metadata: metadata(service),
    spec: { host: serviceHost(service), trafficPolicy: trafficPolicy(service) },
  };
}

/**
 * Retries carry the overflow. `attempts` counts retries (3 means 4 tries). Istio gives every retry
 * policy the `previous_hosts` predicate, and `retryRemoteLocalities` adds `previous_priorities`
 * with update frequency 2: tries 1 and 2 go to two different home pods, try 3 excludes the home
 * priority and goes to the other cluster. In the fluid limit the home cluster then serves exactly
 * its capacity and the other cluster the excess (docs/overflow.md derives it).
 */
export function virtualService(service: ServiceSettings): VirtualService {
  const host = serviceHost(service);
  return {
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    metadata: metadata(service),
    spec: {
      hosts: [host],
      http: [
        {
          name: service.mode,
          route: [{ destination: { host, port: { number: service.port } } }],
          retries: {
            attempts: service.retries.attempts,
            perTryTimeout: service.retries.perTryTimeout,
            retryOn: service.retries.retryOn,
            retryRemoteLocalities: true,
          },
        },
      ],
    },
  };
}

/** Everything one cluster gets for one service. */
export interface OverflowObjects {
  namespace: k8s.types.input.core.v1.Namespace;
  deployment: k8s.types.input.apps.v1.Deployment;
  service: k8s.types.input.core.v1.Service;
  hpa: k8s.types.input.autoscaling.v2.HorizontalPodAutoscaler;
  pdb: k8s.types.input.policy.v1.PodDisruptionBudget;
  /** Overflow mode only. */
  sidecar?: Sidecar;
  destinationRule: DestinationRule;
  virtualService: VirtualService;
}

/**
 * All objects of one service in one cluster. `region` is this cluster's region: in distribute mode
 * it must be one of the weighted regions, or this cluster's clients would match no rule.
 */
export function overflowObjects(service: ServiceSettings, cluster: { clusterName: string; region: string }): OverflowObjects {
  if (service.mode === "distribute" && service.distribute && !(cluster.region in service.distribute)) {
    throw new Error(
      `service '${service.name}': distribute weights (${Object.keys(service.distribute).join(", ")}) do not include ` +
        `this cluster's region '${cluster.region}'`,
    );
  }
  return {
    namespace: namespaceManifest(service),
    deployment: deploymentManifest(service, cluster.clusterName),
    service: serviceManifest(service),
    hpa: hpaManifest(service, cluster.clusterName),
    pdb: pdbManifest(service),
    sidecar: capacitySidecar(service),
    destinationRule: destinationRule(service),
    virtualService: virtualService(service),
  };
}

/** A label-safe version from an image reference: its tag, else `unversioned`. */
function imageVersion(image: string): string {
  const withoutDigest = image.split("@")[0]!;
  const lastColon = withoutDigest.lastIndexOf(":");
  const tag = lastColon > withoutDigest.lastIndexOf("/") ? withoutDigest.slice(lastColon + 1) : "";
  const safe = tag
    .replace(/[^A-Za-z0-9._-]/g, "-")
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "");
  return safe || "unversioned";
}
