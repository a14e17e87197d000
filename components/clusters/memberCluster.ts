import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Cloud } from "../../config/schema";

/** What the rest of the stack needs from a member cluster, whichever cloud it runs on. */
export interface MemberCluster {
  /** The cloud the cluster runs on; `existing` for a cluster burstmesh did not create. */
  readonly cloud: Cloud;
  /** The cluster's name (the cloud's, or the member name for an existing cluster). */
  readonly clusterName: pulumi.Output<string>;
  /** AWS region / Azure location / an existing cluster's `burstmesh:region` (= the nodes' `topology.kubernetes.io/region` label). */
  readonly region: pulumi.Output<string>;
  /** API server URL, `https://...`, as peers reach it. */
  readonly endpoint: pulumi.Output<string>;
  /** The cluster CA, PEM base64-encoded once, as in a kubeconfig's `certificate-authority-data`. */
  readonly certificateAuthorityData: pulumi.Output<string>;
  /** Admin kubeconfig, a Pulumi secret. */
  readonly kubeconfig: pulumi.Output<string>;
  /** Kubernetes provider for the cluster; it depends on the node pool where burstmesh creates one: for everything that runs pods. */
  readonly provider: k8s.Provider;
  /** The CIDRs (/32s) the cluster's traffic to the internet leaves from, known before the cluster exists. */
  readonly egressCidrs: pulumi.Output<string[]>;
  /**
   * Kubernetes provider that needs only the API server, not the nodes: for objects that run no pods
   * (namespaces, Secrets, CRDs), so that they are created while the nodes boot. The same as
   * `provider` where the cluster and its nodes come up as one resource (AKS).
   */
  readonly apiProvider: k8s.Provider;
}

/** How many nodes a cluster's node pool runs and how big their disks are; the same on every cloud. */
export interface NodePoolSize {
  /** Fewest nodes the pool scales down to (at least 1). */
  minCount: pulumi.Input<number>;
  /** Nodes the pool starts with, between `minCount` and `maxCount`. */
  desiredCount: pulumi.Input<number>;
  /** Most nodes the pool scales up to. */
  maxCount: pulumi.Input<number>;
  /** Disk size of each node, in GB. */
  diskSizeGb: pulumi.Input<number>;
}

/**
 * The base of the member cluster components (EKS, AKS, existing): the {@link MemberCluster} fields,
 * declared once, set by {@link publishMember} when the component's resources exist.
 */
export abstract class MemberClusterComponent extends pulumi.ComponentResource implements MemberCluster {
  abstract readonly cloud: Cloud;
  declare readonly clusterName: pulumi.Output<string>;
  declare readonly region: pulumi.Output<string>;
  declare readonly endpoint: pulumi.Output<string>;
  declare readonly certificateAuthorityData: pulumi.Output<string>;
  declare readonly kubeconfig: pulumi.Output<string>;
  declare readonly provider: k8s.Provider;
  declare readonly egressCidrs: pulumi.Output<string[]>;
  declare readonly apiProvider: k8s.Provider;

  /** Sets the member fields and registers them as the component's outputs (the providers aside). */
  protected publishMember(member: Omit<MemberCluster, "cloud">): void {
    Object.assign(this, member);
    const { clusterName, region, endpoint, certificateAuthorityData, kubeconfig, egressCidrs } = member;
    this.registerOutputs({ clusterName, region, endpoint, certificateAuthorityData, kubeconfig, egressCidrs });
  }
}
