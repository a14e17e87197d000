/**
 * Every Helm chart burstmesh installs, pinned here and nowhere else. Istio's own charts (`base`,
 * `cni`, `istiod`, `gateway`) follow `burstmesh:istioVersion` from Pulumi.yaml; the EKS add-ons
 * follow AWS's default version for the cluster's Kubernetes version (docs/capacity.md). The
 * repositories here are the upstream ones: `burstmesh:chartSources` puts a mirror in their place
 * (sources.ts), at the same versions.
 */
import type { ChartName } from "../../config";

/** Where Istio publishes its Helm charts. */
export const istioChartRepo = "https://istio-release.storage.googleapis.com/charts";

/** A chart from a Helm repository, at an exact version. */
export interface PinnedChart {
  /** The chart's name in its repository, which a mirror keeps. */
  chart: ChartName;
  version: string;
  repo: string;
}

/** Karpenter's two charts (`karpenter-crd` and `karpenter`), one release; Kubernetes 1.34 needs >= 1.6. */
export const karpenterChart = {
  /** An OCI registry: Helm pulls `oci://` charts without a repository. */
  registry: "oci://public.ecr.aws/karpenter",
  version: "1.14.1",
} as const;

/** The observability add-ons' charts. `scripts/fetch-chart-schemas.ts` downloads exactly these versions. */
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
} as const satisfies Record<string, PinnedChart>;
