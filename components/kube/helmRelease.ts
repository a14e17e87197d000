import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { ChartSources } from "../../config";
import type { PinnedChart } from "../charts/pinned";
import { chartSource } from "../charts/sources";

/** One Helm release of a pinned chart: what differs between burstmesh's releases. */
interface ReleaseOf {
  /** The Helm release name, fixed so that the names of the objects it renders are known. */
  name: string;
  chart: PinnedChart;
  /** Where charts come from (`burstmesh:chartSources`). Default: the chart's upstream repository. */
  sources?: ChartSources;
  namespace: pulumi.Input<string>;
  /** The chart's values. Default: the chart's own. */
  values?: pulumi.Input<Record<string, unknown>>;
  /** Seconds Helm waits for the release to be ready. Default: 600, for first installs that pull images. */
  timeout?: number;
  /** Leave the chart's CRDs out (another release installs them). Default: false. */
  skipCrds?: boolean;
}

/**
 * The arguments of a Helm release of a pinned chart, at its pinned version from its source (see
 * {@link chartSource}). Helm keeps 10 revisions, enough to roll back without the history growing forever.
 */
export function helmReleaseArgs(release: ReleaseOf): k8s.helm.v3.ReleaseArgs {
  return {
    name: release.name,
    ...chartSource(release.chart, release.sources),
    version: release.chart.version,
    namespace: release.namespace,
    ...(release.skipCrds && { skipCrds: true }),
    ...(release.values !== undefined && { values: release.values }),
    timeout: release.timeout ?? 600,
    maxHistory: 10,
  };
}
