import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ChartSources, ObservabilitySettings, ServiceSettings } from "../../config";
import { alertRuleGroups } from "./alerts";
import { helmReleaseArgs } from "../kube/helmRelease";
import { observabilityReleases } from "./charts";
import { observabilityNamespace } from "../../model/namespaces";
import { observabilityCharts } from "../charts/pinned";
import { clusterPrometheusService, prometheusValues } from "./prometheus";
import { observedService } from "./promql";
import { meshWorkloadNamespaceLabels } from "../kube/namespaces";

/** Arguments of {@link MemberPrometheus}. */
export interface MemberPrometheusArgs {
  /** Provider of this member cluster. */
  provider: k8s.Provider;
  /** This member's cluster name: the `cluster` label of every series it scrapes. */
  clusterName: string;
  /** Every member of the mesh; each gets a `prometheus-<member>` Service here. */
  members: readonly string[];
  /** `burstmesh:observability`: the observer, retention, resources, the sustained-overflow delay. */
  settings: ObservabilitySettings;
  /** The services; the observer's alert rules watch those in overflow mode. */
  services: readonly ServiceSettings[];
  /** `burstmesh:intermediateCertValidityHours`: when the observer's alert counts an intermediate CA's renewal overdue. */
  intermediateCertValidityHours: number;
  /** Where the charts come from (`burstmesh:chartSources`). Default: each chart's upstream repository (components/charts/pinned.ts). */
  chartSources?: ChartSources;
}

/**
 * A member's Prometheus: the sidecar-injected `observability` namespace, the `prometheus` release that
 * scrapes Istio's merged metrics (and, in the observer, federates the other members and evaluates the
 * alert rules), and one `prometheus-<member>` Service per member, through which the observer reaches
 * each member's Prometheus across the mesh (see prometheus.ts). Create it after the IstioPrimary's
 * `readyForWorkloads` (`dependsOn`): the namespace's pods need the injector and the CNI node agent.
 */
export class MemberPrometheus extends pulumi.ComponentResource {
  /** The observability namespace's name, once it exists. */
  public readonly namespace: pulumi.Output<string>;
  /** The Prometheus release. */
  public readonly release: k8s.helm.v3.Release;

  constructor(name: string, args: MemberPrometheusArgs, opts?: pulumi.ComponentResourceOptions) {
    super("burstmesh:observability:MemberPrometheus", name, {}, opts);
    const child = { parent: this, provider: args.provider };

    const namespace = new k8s.core.v1.Namespace(
      `${name}-namespace`,
      {
        metadata: {
          name: observabilityNamespace,
          labels: { ...meshWorkloadNamespaceLabels },
        },
      },
      { ...child, dependsOn: opts?.dependsOn },
    );

    const { observer, retention, resources, sustainedOverflowFor } = args.settings;
    const overflowing = args.services.filter((service) => service.mode === "overflow").map(observedService);
    const values = prometheusValues({
      clusterName: args.clusterName,
      members: args.members,
      observer,
      retention,
      resources,
      ruleGroups: alertRuleGroups({
        services: overflowing,
        sustainedOverflowFor,
        intermediateCertValidityHours: args.intermediateCertValidityHours,
      }),
    });
    this.release = new k8s.helm.v3.Release(
      `${name}-release`,
      helmReleaseArgs({
        name: observabilityReleases.prometheus,
        chart: observabilityCharts.prometheus,
        sources: args.chartSources,
        namespace: namespace.metadata.name,
        values,
      }),
      { ...child, dependsOn: [namespace] },
    );

    for (const member of args.members) {
      new k8s.core.v1.Service(`${name}-${member}`, clusterPrometheusService(member), { ...child, dependsOn: [namespace] });
    }

    this.namespace = namespace.metadata.name;
    this.registerOutputs({ namespace: this.namespace });
  }
}
