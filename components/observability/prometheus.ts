import type * as k8s from "@pulumi/kubernetes";
import { observabilityReleases } from "./charts";
import { observabilityNamespace } from "../../model/namespaces";
import type { RuleGroup } from "./alerts";

/**
 * Values of the prometheus-community `prometheus` chart for a member cluster's Prometheus, the
 * per-cluster Services that make one member's Prometheus addressable from another, and the scrape
 * jobs: Istio's merged metrics in every member, and `/federate` of every other member in the observer.
 *
 * How the observer reaches a peer's Prometheus without a public endpoint: every member runs its
 * Prometheus with a sidecar (the namespace is injected) and creates, for every member `m`, a Service
 * `prometheus-m` that selects Prometheus pods labelled `burstmesh.io/cluster: m`. In cluster `m` that
 * is its own Prometheus; everywhere else it selects nothing but gives the host a ClusterIP, so that
 * DNS resolves it. istiod merges a host's endpoints from every cluster, so from the observer the only
 * endpoint of `prometheus-aks` is the Prometheus pod in `aks`, behind `aks`'s east-west gateway: the
 * observer's sidecar opens Istio mTLS to it through the gateway (AUTO_PASSTHROUGH), as it would for
 * any cross-network service. One Service per cluster rather than one shared Service plus a
 * DestinationRule subset on `topology.istio.io/cluster`: a subset needs a VirtualService that picks
 * it per request, and Prometheus cannot mark its federation requests per target.
 *
 * The observer's Prometheus sidecar intercepts outbound traffic on the Prometheus port only
 * (`includeOutboundIPRanges: ""` plus `includeOutboundPorts`): its scrapes of pods, whose merged
 * metrics Istio serves in plain text on 15020 whatever the mTLS mode, go straight to the pods, and
 * only federation goes through the mesh.
 */

/** The port of Prometheus's HTTP API and `/federate`, on the server container and on every Service in front of it. */
const prometheusPort = 9090;

/** Pod label that says which member a Prometheus server runs in; the per-cluster Services select on it. */
const clusterPodLabel = "burstmesh.io/cluster";

/** The scrape job of Istio's merged metrics (istiod, gateways, every sidecar) in every member. */
export const istioScrapeJob = "istio-pods";
/** The observer's scrape job of the other members' `/federate`. */
export const federationJob = "federate";

/**
 * The series the observer federates: everything Istio's proxies and istiod emit (`istio_*`, `istiod_*`,
 * `pilot_*`, and istiod's CA metrics `citadel_*`, which the intermediate CA's alert needs) and the
 * scrape health (`up`) of the Istio scrape job, which the gateway alert needs.
 */
export const federatedSeries = [`{job="${istioScrapeJob}", __name__=~"istio_.*|istiod_.*|pilot_.*|citadel_.*|up"}`];

/** Name of the Service that reaches the Prometheus of member `clusterName` from any member. */
function clusterPrometheusServiceName(clusterName: string): string {
  return `prometheus-${clusterName}`;
}

/** The in-mesh address (host:port) of member `clusterName`'s Prometheus. */
export function clusterPrometheusAddress(clusterName: string): string {
  return `${clusterPrometheusServiceName(clusterName)}.${observabilityNamespace}.svc.cluster.local:${prometheusPort}`;
}

/** The URL Grafana and Kiali query: the observer's own Prometheus, which holds every member's series. */
export function federatedPrometheusUrl(observer: string): string {
  return `http://${clusterPrometheusAddress(observer)}`;
}

/** The Service `prometheus-<member>`: selects the Prometheus server pods of that member only (see above). */
export function clusterPrometheusService(member: string): k8s.types.input.core.v1.Service {
  return {
    metadata: {
      name: clusterPrometheusServiceName(member),
      namespace: observabilityNamespace,
      labels: { "app.kubernetes.io/part-of": "burstmesh", [clusterPodLabel]: member },
    },
    spec: {
      type: "ClusterIP",
      // The chart's server pod labels (prometheus.server.matchLabels) plus the member's own.
      selector: {
        "app.kubernetes.io/name": "prometheus",
        "app.kubernetes.io/component": "server",
        "app.kubernetes.io/instance": observabilityReleases.prometheus,
        [clusterPodLabel]: member,
      },
      // `http-` so that Istio treats it as HTTP (mTLS, metrics, retries) rather than opaque TCP.
      ports: [{ name: "http-web", port: prometheusPort, targetPort: prometheusPort, protocol: "TCP", appProtocol: "http" }],
    },
  };
}

/**
 * The scrape job of every pod that asks to be scraped with the `prometheus.io/*` annotations: istiod
 * (15014), the gateways and every sidecar (Istio's merged metrics, 15020 `/stats/prometheus`). Every
 * series gets `cluster`, the member it was scraped in, and the pod's labels, namespace and name.
 * `honor_labels` stays false so that `cluster` is always ours: istiod's own `cluster` label (the remote
 * cluster of `istiod_remote_cluster_sync_status`) is then kept as `exported_cluster`.
 */
function istioScrapeConfig(clusterName: string): Record<string, unknown> {
  const annotation = (name: string) => `__meta_kubernetes_pod_annotation_prometheus_io_${name}`;
  return {
    job_name: istioScrapeJob,
    honor_labels: false,
    kubernetes_sd_configs: [{ role: "pod" }],
    relabel_configs: [
      { source_labels: [annotation("scrape")], action: "keep", regex: "true" },
      { source_labels: [annotation("scheme")], action: "replace", regex: "(https?)", target_label: "__scheme__" },
      { source_labels: [annotation("path")], action: "replace", regex: "(.+)", target_label: "__metrics_path__" },
      {
        source_labels: [annotation("port"), "__meta_kubernetes_pod_ip"],
        action: "replace",
        regex: "(\\d+);(([A-Fa-f0-9]{1,4}::?){1,7}[A-Fa-f0-9]{1,4})",
        replacement: "[$2]:$1",
        target_label: "__address__",
      },
      {
        source_labels: [annotation("port"), "__meta_kubernetes_pod_ip"],
        action: "replace",
        regex: "(\\d+);((([0-9]+?)(\\.|$)){4})",
        replacement: "$2:$1",
        target_label: "__address__",
      },
      { source_labels: ["__meta_kubernetes_pod_phase"], action: "drop", regex: "Pending|Succeeded|Failed|Completed" },
      { action: "labelmap", regex: "__meta_kubernetes_pod_label_(.+)" },
      { source_labels: ["__meta_kubernetes_namespace"], action: "replace", target_label: "namespace" },
      { source_labels: ["__meta_kubernetes_pod_name"], action: "replace", target_label: "pod" },
      { action: "replace", target_label: "cluster", replacement: clusterName },
    ],
  };
}

/**
 * The observer's job that federates every other member's Istio series through the mesh (see above).
 * `honor_labels` keeps each series' own `cluster`; the job's own `up` gets the observer's.
 */
function federationScrapeConfig(observer: string, peers: readonly string[]): Record<string, unknown> {
  return {
    job_name: federationJob,
    honor_labels: true,
    metrics_path: "/federate",
    params: { "match[]": federatedSeries },
    scrape_interval: "30s",
    scrape_timeout: "25s",
    static_configs: [{ targets: peers.map(clusterPrometheusAddress) }],
    relabel_configs: [{ action: "replace", target_label: "cluster", replacement: observer }],
  };
}

/**
 * The chart's own scrape jobs (its `scrapeConfigs` map), all turned off: they would scrape the same
 * pods again without the `cluster` label, and the API server, nodes and cAdvisor, which no dashboard
 * here reads.
 */
export const chartDefaultScrapeJobs = [
  "prometheus",
  "kubernetes-api-servers",
  "kubernetes-nodes",
  "kubernetes-nodes-cadvisor",
  "kubernetes-service-endpoints",
  "kubernetes-service-endpoints-slow",
  "prometheus-pushgateway",
  "kubernetes-services",
  "kubernetes-pods",
  "kubernetes-pods-slow",
] as const;

/** A container that passes the restricted Pod Security level (with the pod's non-root user and seccomp profile). */
const restrictedContainer = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } };

/** What one member's Prometheus needs to know. */
interface PrometheusSettings {
  clusterName: string;
  /** The member running the federated view; the other members are its federation targets. */
  observer: string;
  members: readonly string[];
  retention: string;
  resources: { requests: { cpu: string; memory: string }; limits: { memory: string } };
  /** Alert rule groups, evaluated by the observer only (where every member's series are). */
  ruleGroups: RuleGroup[];
}

/** Values of the `prometheus` chart for one member. */
export function prometheusValues(settings: PrometheusSettings): Record<string, unknown> {
  const isObserver = settings.clusterName === settings.observer;
  const peers = settings.members.filter((member) => member !== settings.observer);
  const jobs = Object.fromEntries(chartDefaultScrapeJobs.map((job) => [job, { enabled: false }]));
  return {
    // A Prometheus server only: no Alertmanager, exporters or Pushgateway (Istio's addon turns them off too).
    alertmanager: { enabled: false },
    "kube-state-metrics": { enabled: false },
    "prometheus-node-exporter": { enabled: false },
    "prometheus-pushgateway": { enabled: false },
    scrapeConfigs: jobs,
    // The namespace enforces the restricted Pod Security level; the chart's defaults do not meet it.
    configmapReload: { prometheus: { containerSecurityContext: restrictedContainer } },
    server: {
      fullnameOverride: observabilityReleases.prometheus,
      retention: settings.retention,
      resources: settings.resources,
      podLabels: { [clusterPodLabel]: settings.clusterName },
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 65534,
        runAsGroup: 65534,
        fsGroup: 65534,
        seccompProfile: { type: "RuntimeDefault" },
      },
      containerSecurityContext: restrictedContainer,
      podAnnotations: {
        "traffic.sidecar.istio.io/includeOutboundIPRanges": "",
        "traffic.sidecar.istio.io/includeOutboundPorts": String(prometheusPort),
      },
      // Every series leaving this Prometheus (federation) says where it was scraped, besides the scrape label.
      global: {
        scrape_interval: "15s",
        scrape_timeout: "10s",
        evaluation_interval: "30s",
        external_labels: { cluster: settings.clusterName },
      },
      service: { servicePort: prometheusPort },
      // No persistent volume: EKS has no EBS CSI driver here, so a claim would stay Pending; samples live
      // as long as the pod (README, "Observability").
      persistentVolume: { enabled: false },
    },
    serverFiles: {
      "prometheus.yml": {
        scrape_configs: [
          istioScrapeConfig(settings.clusterName),
          ...(isObserver && peers.length > 0 ? [federationScrapeConfig(settings.observer, peers)] : []),
        ],
      },
      ...(isObserver ? { "alerting_rules.yml": { groups: settings.ruleGroups } } : {}),
    },
  };
}
