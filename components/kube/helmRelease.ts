import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { PinnedChart } from "../charts/pinned";

/** One Helm release of a pinned chart: what differs between burstmesh's releases. */
interface ReleaseOf {
  /** The Helm release name, fixed so that the names of the objects it renders are known. */
  name: string;
  chart: PinnedChart;
  namespace: pulumi.Input<string>;
  /** The chart's values. Default: the chart's own. */
  values?: pulumi.Input<Record<string, unknown>>;
  /** Seconds Helm waits for the release to be ready. Default: 600, for first installs that pull images. */
  timeout?: number;
  /** Leave the chart's CRDs out (another release installs them). Default: false. */
  skipCrds?: boolean;
}

/**
 * The arguments of a Helm release of a pinned chart. A chart in an OCI registry (`oci://`) is named
 * by its full reference, as Helm pulls it without a repository; any other is looked up in its repository.
 * Helm keeps 10 revisions, enough to roll back without the history growing forever.
 */
export function helmReleaseArgs(release: ReleaseOf): k8s.helm.v3.ReleaseArgs {
  const { chart } = release;
  const fromRegistry = chart.repo.startsWith("oci://");
  return {
    name: release.name,
    chart: fromRegistry ? `${chart.repo}/${chart.chart}` : chart.chart,
    version: chart.version,
    ...(!fromRegistry && { repositoryOpts: { repo: chart.repo } }),
    namespace: release.namespace,
    ...(release.skipCrds && { skipCrds: true }),
    ...(release.values !== undefined && { values: release.values }),
    timeout: release.timeout ?? 600,
    maxHistory: 10,
  };
}
