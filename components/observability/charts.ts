import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";

/**
 * The observability add-ons' Helm charts, pinned here and nowhere else (Istio's own charts follow
 * `burstmesh:istioVersion`). `scripts/fetch-chart-schemas.sh` downloads exactly these versions to check
 * the values against the schemas the charts publish.
 */
export const observabilityCharts = {
  /**
   * prometheus-community `prometheus`: one Prometheus server and nothing else once its sub-charts are
   * off. Istio's own addon (samples/addons/prometheus.yaml in 1.30.3) is rendered from this chart, and
   * its pod-annotation scrape job is exactly how Istio's merged metrics are meant to be collected.
   */
  prometheus: { chart: "prometheus", version: "29.27.0", repo: "https://prometheus-community.github.io/helm-charts" },
  /** Grafana's chart, maintained by grafana-community since January 2026 (grafana/helm-charts deprecated it). */
  grafana: { chart: "grafana", version: "12.11.1", repo: "https://grafana-community.github.io/helm-charts" },
  /** Kiali's server chart (not the operator): the observer's Kiali, and the read-only account in every other member. */
  kiali: { chart: "kiali-server", version: "2.29.0", repo: "https://kiali.org/helm-charts" },
} as const;

export type ObservabilityChart = (typeof observabilityCharts)[keyof typeof observabilityCharts];

/** The Grafana release the pinned grafana chart runs (its appVersion); the dashboards are written for it. */
export const grafanaVersion = "13.2.0";

/** The namespace of every observability object, in every member; sidecar-injected, so that it is in the mesh. */
export const observabilityNamespace = "observability";

/** Helm release names, fixed so that Service names are known (Grafana's and Kiali's follow the release name). */
export const observabilityReleases = {
  prometheus: "prometheus",
  grafana: "grafana",
  kiali: "kiali",
  kialiRemoteAccess: "kiali-remote-access",
} as const;

/** The arguments of a Helm release of one of the pinned charts into the observability namespace. */
export function chartRelease(
  release: string,
  chart: ObservabilityChart,
  namespace: pulumi.Input<string>,
  values: pulumi.Input<Record<string, unknown>>,
): k8s.helm.v3.ReleaseArgs {
  return {
    name: release,
    chart: chart.chart,
    version: chart.version,
    repositoryOpts: { repo: chart.repo },
    namespace,
    values,
    // First installs pull images and (Grafana) download dashboards; Helm still waits for readiness.
    timeout: 600,
    maxHistory: 10,
  };
}
