import type * as k8s from "@pulumi/kubernetes";
import type { ChartSources } from "../../config";
import type { PinnedChart } from "./pinned";

/**
 * How a Helm release names a pinned chart, given where charts come from (`burstmesh:chartSources`):
 * the chart's own source, else the one for all charts, else its upstream repository. The chart keeps
 * its name, so a mirror holds it under the same name as upstream. A chart in an OCI registry
 * (`oci://`) is named by its full reference, as Helm pulls it without a repository; any other is
 * looked up by name in its Helm repository.
 */
export function chartSource(pinned: PinnedChart, sources: ChartSources = {}): Pick<k8s.helm.v3.ReleaseArgs, "chart" | "repositoryOpts"> {
  const repo = sources[pinned.chart] ?? sources.all ?? pinned.repo;
  return repo.startsWith("oci://") ? { chart: `${repo}/${pinned.chart}` } : { chart: pinned.chart, repositoryOpts: { repo } };
}
