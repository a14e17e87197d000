import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { chartRelease, observabilityCharts, observabilityReleases } from "./charts";
import { grafanaValues, GrafanaSettings } from "./grafana";

/** Arguments of {@link Observer}. */
export interface ObserverArgs extends GrafanaSettings {
  /** Provider of the observer cluster. */
  provider: k8s.Provider;
  /** The observability namespace (from this cluster's MemberPrometheus). */
  namespace: pulumi.Input<string>;
}

/**
 * The observer's consoles over the federated Prometheus: Grafana with Istio's dashboards and the
 * burstmesh Overflow dashboards. Nothing is published on a public load balancer: the Services are
 * ClusterIP (kubectl port-forward), or internal load balancers when asked for.
 */
export class Observer extends pulumi.ComponentResource {
  /** The Grafana release. */
  public readonly grafana: k8s.helm.v3.Release;

  constructor(name: string, args: ObserverArgs, opts?: pulumi.ComponentResourceOptions) {
    super("burstmesh:observability:Observer", name, {}, opts);
    const child = { parent: this, provider: args.provider };

    this.grafana = new k8s.helm.v3.Release(
      `${name}-grafana`,
      chartRelease(observabilityReleases.grafana, observabilityCharts.grafana, args.namespace, grafanaValues(args)),
      { ...child, dependsOn: opts?.dependsOn },
    );

    this.registerOutputs({});
  }
}
