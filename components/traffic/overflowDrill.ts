import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { DrillSettings } from "../../config/drill";
import type { ServiceSettings } from "../../config/services";
import { drillJobManifest, drillLogsCommand, drillReportConfigMap } from "./drillJob";

/** Arguments of {@link OverflowDrill}. None has a default. */
export interface OverflowDrillArgs {
  /** Provider of the service's home cluster (create the drill there only; see `drillTarget`). */
  provider: k8s.Provider;
  /** The service to load, as declared in `burstmesh:services`, defaults applied. */
  service: ServiceSettings;
  /** `burstmesh:drill`, defaults applied: load rate, connections, duration and images. */
  drill: DrillSettings;
  /** Where the report says the same split shows live: the observer's Overflow dashboard panel. */
  livePanel: string;
}

/**
 * The overflow drill: a Job in the service's namespace, in its home cluster, that loads the service
 * through the mesh above its home capacity (fortio) and reports how many answers came from each
 * cluster, with the report script from a ConfigMap beside it. `pulumi up` does not wait for it; read the report with
 * `kubectl logs job/overflow-drill -n <namespace> -c report` (the {@link logsCommand} output).
 *
 * Create it after the service (`opts.dependsOn: [overflowService]`): it loads the service's running
 * pods, and its own pod, injected in the service's namespace, comes after what the service's pods wait
 * for (istiod and the CNI agent) that way. It needs nothing of observability.
 * The Job is replaced (the drill runs again) when any drill setting changes; Kubernetes deletes the
 * finished Job after a day.
 */
export class OverflowDrill extends pulumi.ComponentResource {
  /** Namespace and name of the Job, `<namespace>/overflow-drill`. */
  public readonly job: pulumi.Output<string>;
  /** The command that prints the drill's report. */
  public readonly logsCommand: pulumi.Output<string>;

  constructor(name: string, args: OverflowDrillArgs, opts?: pulumi.ComponentResourceOptions) {
    if (!args.drill.enabled) throw new Error(`OverflowDrill '${name}': burstmesh:drill.enabled is false; do not create the drill`);
    if (args.drill.service !== args.service.name) {
      throw new Error(`OverflowDrill '${name}': burstmesh:drill.service is '${args.drill.service}', not '${args.service.name}'`);
    }
    super("burstmesh:traffic:OverflowDrill", name, {}, opts);
    const child = { parent: this, provider: args.provider };
    const script = new k8s.core.v1.ConfigMap(`${name}-report`, drillReportConfigMap(args.service), {
      ...child,
      dependsOn: opts?.dependsOn,
    });
    const job = new k8s.batch.v1.Job(`${name}-job`, drillJobManifest(args.service, args.drill, args.livePanel, script.metadata.name), {
      ...child,
      dependsOn: opts?.dependsOn,
      // The Job has a fixed name: the old one must go before the new one can be created.
      deleteBeforeReplace: true,
    });
    this.job = pulumi.interpolate`${job.metadata.namespace}/${job.metadata.name}`;
    this.logsCommand = pulumi.output(drillLogsCommand(args.service));
    this.registerOutputs({ job: this.job, logsCommand: this.logsCommand });
  }
}
