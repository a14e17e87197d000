import * as eks from "@pulumi/aws/eks";
import * as pulumi from "@pulumi/pulumi";

/** The EKS add-ons burstmesh installs beside the three a cluster bootstraps (vpc-cni, kube-proxy, coredns). */
export const eksAddonNames = {
  /** Resource metrics for every HPA: EKS does not deploy it by default. */
  metricsServer: "metrics-server",
  /** Hands pods the IAM roles of their pod identity associations (Karpenter's controller). */
  podIdentityAgent: "eks-pod-identity-agent",
} as const;

/**
 * An EKS add-on at the version AWS pairs by default with the cluster's Kubernetes version. The
 * Kubernetes minor is pinned in config, and so is, through it, the add-on: an upgrade of the cluster
 * moves the add-on along, after the cluster (the version is read from the cluster's output), and a
 * change of AWS's default for the same minor shows up in a preview as an add-on update.
 *
 * Both add-ons run pods, so pass `dependsOn` the node group: an add-on created before any node can
 * run it stays degraded and fails the create.
 */
export function eksAddon(
  name: string,
  addonName: (typeof eksAddonNames)[keyof typeof eksAddonNames],
  cluster: eks.Cluster,
  region: pulumi.Input<string>,
  opts: pulumi.CustomResourceOptions,
): eks.Addon {
  const { version } = eks.getAddonVersionOutput({ addonName, kubernetesVersion: cluster.version, region }, { parent: opts.parent });
  return new eks.Addon(name, { region, clusterName: cluster.name, addonName, addonVersion: version }, opts);
}
