import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { PinnedChart } from "../charts/pinned";

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
  chart: PinnedChart,
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
