import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ServiceCapacity, ServiceMode, ServiceSettings } from "../../config/services";
import { serviceHost } from "../kube/dns";
import { overflowObjects, overflowThresholds } from "./serviceSpecs";
import { serviceObjects } from "./versions";

/** Arguments of {@link OverflowService}. None has a default. */
export interface OverflowServiceArgs {
  /** Provider of this cluster; every Kubernetes object goes through it. */
  provider: k8s.Provider;
  /** The service as declared in `burstmesh:services`, defaults applied (the same in every cluster). */
  service: ServiceSettings;
  /**
   * This cluster's name (`burstmesh:clusterName`): the pods answer with it (podinfo's `message`),
   * and it decides the HPA bounds (home bounds when it is the service's `homeCluster`, else standby).
   */
  clusterName: string;
  /**
   * This cluster's region (the EKS region or the AKS location, as the nodes'
   * `topology.kubernetes.io/region` label has it). In distribute mode the weights must include it:
   * it is the locality (`from`) this cluster's clients match.
   */
  region: string;
}

/**
 * One overflow service in one cluster: its namespace (sidecar injection on), Deployment, Service,
 * HPA and PDB, and the traffic policy that keeps traffic at home until the home pods are saturated
 * and sends the excess to the same service in the other cluster (docs/overflow.md: how that works,
 * and what it does not do). The Service and the traffic policy are the
 * same in every cluster; only the HPA bounds and the pods' answer differ.
 *
 * Pass the IstioPrimary's `readyForWorkloads` via `opts.dependsOn`: the pods need the injection
 * webhook and the CNI node agent, the Istio objects istiod's validating webhook.
 */
export class OverflowService extends pulumi.ComponentResource {
  /** The service's mesh host, `<name>.<namespace>.svc.cluster.local`. */
  public readonly host: pulumi.Output<string>;
  /** `overflow`, `failover` or `distribute`. */
  public readonly mode: pulumi.Output<ServiceMode>;
  /** Per-pod limits enforced by the pods' sidecars (overflow mode); undefined in the other modes. */
  public readonly thresholds: pulumi.Output<ServiceCapacity | undefined>;

  constructor(name: string, args: OverflowServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    const { service } = args;
    const objects = serviceObjects(
      service,
      overflowObjects(service, { clusterName: args.clusterName, region: args.region }),
      args.clusterName,
    );
    super("burstmesh:traffic:OverflowService", name, {}, opts);
    const child = { parent: this, provider: args.provider, dependsOn: opts?.dependsOn };

    const namespace = new k8s.core.v1.Namespace(`${name}-namespace`, objects.namespace, child);
    // Every namespaced object names the namespace through the resource, so it is created after it and
    // deleted before it.
    const inNamespace = <T extends object>(object: T): T =>
      ({ ...object, metadata: { ...(object as { metadata?: object }).metadata, namespace: namespace.metadata.name } }) as T;

    new k8s.core.v1.Service(`${name}-service`, inNamespace(objects.service), child);
    for (const workload of objects.workloads) {
      // A service without versions keeps the resource names it always had.
      const prefix = workload.version === undefined ? name : `${name}-${workload.version}`;
      new k8s.apps.v1.Deployment(`${prefix}-deployment`, inNamespace(workload.deployment), child);
      new k8s.autoscaling.v2.HorizontalPodAutoscaler(`${prefix}-hpa`, inNamespace(workload.hpa), child);
      new k8s.policy.v1.PodDisruptionBudget(`${prefix}-pdb`, inNamespace(workload.pdb), child);
    }

    // The traffic policy: plain fields (not a JSON string), so that a preview shows a changed
    // threshold as a one-line diff.
    if (objects.sidecar) new k8s.apiextensions.CustomResource(`${name}-sidecar`, inNamespace(objects.sidecar), child);
    new k8s.apiextensions.CustomResource(`${name}-destinationrule`, inNamespace(objects.destinationRule), child);
    new k8s.apiextensions.CustomResource(`${name}-virtualservice`, inNamespace(objects.virtualService), child);

    this.host = pulumi.output(serviceHost(service));
    this.mode = pulumi.output(service.mode);
    this.thresholds = pulumi.output(overflowThresholds(service));
    this.registerOutputs({ host: this.host, mode: this.mode, thresholds: this.thresholds });
  }
}
