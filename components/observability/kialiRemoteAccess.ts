import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ChartSources } from "../../config";
import { issueServiceAccountToken } from "../kube/serviceAccountToken";
import { helmReleaseArgs } from "../kube/helmRelease";
import { observabilityReleases } from "./charts";
import { observabilityCharts } from "../charts/pinned";
import { kialiRemoteAccessValues, kialiRemoteAccount } from "./kiali";

/** Arguments of {@link KialiRemoteAccess}. */
export interface KialiRemoteAccessArgs {
  /** Provider of this member (not the observer). */
  provider: k8s.Provider;
  /** The observability namespace (from this member's MemberPrometheus). */
  namespace: pulumi.Input<string>;
  /** Where the charts come from (`burstmesh:chartSources`). Default: each chart's upstream repository (components/charts/pinned.ts). */
  chartSources?: ChartSources;
}

/**
 * What the observer's Kiali reads this member with: the kiali-server chart's remote-cluster resources
 * (service account `kiali-remote-access` bound to the view-only ClusterRole) and a long-lived token
 * for it, published (secret) as this stack's `kialiToken` output. It runs no pods, so it waits for
 * nothing but its namespace (through `namespace`).
 */
export class KialiRemoteAccess extends pulumi.ComponentResource {
  /** The service account's token (a JWT); a Pulumi secret. */
  public readonly token: pulumi.Output<string>;

  constructor(name: string, args: KialiRemoteAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("burstmesh:observability:KialiRemoteAccess", name, {}, opts);
    const release = new k8s.helm.v3.Release(
      `${name}-release`,
      helmReleaseArgs({
        name: observabilityReleases.kialiRemoteAccess,
        chart: observabilityCharts.kiali,
        sources: args.chartSources,
        namespace: args.namespace,
        values: kialiRemoteAccessValues(),
      }),
      { parent: this, provider: args.provider, dependsOn: opts?.dependsOn },
    );
    this.token = issueServiceAccountToken(name, kialiRemoteAccount, {
      parent: this,
      component: "KialiRemoteAccess",
      provider: args.provider,
      // The service account comes from the release.
      dependsOn: [release],
    });
    this.registerOutputs({ token: this.token });
  }
}
