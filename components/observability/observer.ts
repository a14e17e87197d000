import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ChartSources } from "../../config";
import { helmReleaseArgs } from "../kube/helmRelease";
import { observabilityReleases } from "./charts";
import { observabilityCharts } from "../charts/pinned";
import { checkedFor } from "../invariant";
import type { MeshPeer } from "../stackOutputs";
import { grafanaValues, GrafanaSettings } from "./grafana";
import { kialiRemoteKubeconfig, kialiRemoteSecretMetadata, kialiValues } from "./kiali";

/** A member the observer's Kiali reads: its mesh outputs (API server, CA) and its Kiali token. */
interface KialiRemoteCluster {
  name: string;
  peer: pulumi.Input<MeshPeer>;
  kialiToken: pulumi.Input<string>;
}

/** Arguments of {@link Observer}. */
export interface ObserverArgs extends GrafanaSettings {
  /** Provider of the observer cluster. */
  provider: k8s.Provider;
  /** The observability namespace (from this cluster's MemberPrometheus). */
  namespace: pulumi.Input<string>;
  /** The other members that have published their Kiali token. */
  remoteClusters: readonly KialiRemoteCluster[];
  /** Where the charts come from (`burstmesh:chartSources`). Default: each chart's upstream repository (components/charts/pinned.ts). */
  chartSources?: ChartSources;
}

/**
 * The observer's consoles over the federated Prometheus: Grafana with Istio's dashboards and the
 * burstmesh Overflow dashboards, and Kiali with one remote Secret (a Pulumi secret) per member it
 * reads. Nothing is published on a public load balancer: the Services are
 * ClusterIP (kubectl port-forward), or internal load balancers when asked for.
 *
 * Create it after the IstioPrimary's `readyForWorkloads` (`dependsOn`), for its pods' sidecars; it
 * waits for its namespace through `namespace`, the MemberPrometheus output. Not after Prometheus, and
 * Kiali not after Grafana: Grafana only provisions the data source's URL, Kiali only its links to
 * Grafana, and both query them when someone looks.
 */
export class Observer extends pulumi.ComponentResource {
  /** The Grafana release. */
  public readonly grafana: k8s.helm.v3.Release;
  /** The Kiali release. */
  public readonly kiali: k8s.helm.v3.Release;

  constructor(name: string, args: ObserverArgs, opts?: pulumi.ComponentResourceOptions) {
    super("burstmesh:observability:Observer", name, {}, opts);
    const child = { parent: this, provider: args.provider };

    this.grafana = new k8s.helm.v3.Release(
      `${name}-grafana`,
      helmReleaseArgs({
        name: observabilityReleases.grafana,
        chart: observabilityCharts.grafana,
        sources: args.chartSources,
        namespace: args.namespace,
        values: grafanaValues(args),
      }),
      { ...child, dependsOn: opts?.dependsOn },
    );

    const remoteSecrets = args.remoteClusters.map(
      (remote) =>
        new k8s.core.v1.Secret(
          `${name}-kiali-${remote.name}`,
          {
            // The namespace as its component outputs it, so that the Secret waits for the namespace.
            metadata: { ...kialiRemoteSecretMetadata(remote.name), namespace: args.namespace },
            type: "Opaque",
            stringData: pulumi.secret(
              pulumi
                .all([remote.peer, remote.kialiToken])
                .apply(([peer, token]) => checkedFor(this, () => kialiRemoteKubeconfig(remote.name, peer, token))),
            ),
          },
          { ...child, dependsOn: opts?.dependsOn },
        ),
    );
    this.kiali = new k8s.helm.v3.Release(
      `${name}-kiali`,
      helmReleaseArgs({
        name: observabilityReleases.kiali,
        chart: observabilityCharts.kiali,
        sources: args.chartSources,
        namespace: args.namespace,
        values: kialiValues({ ...args, remoteClusters: args.remoteClusters.map((remote) => remote.name) }),
      }),
      // The Deployment mounts the remote Secrets: they must exist first.
      { ...child, dependsOn: remoteSecrets },
    );

    this.registerOutputs({});
  }
}
