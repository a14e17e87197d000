import * as containerservice from "@pulumi/azure-native/containerservice";
import * as resources from "@pulumi/azure-native/resources";
import { memberProvider } from "../kube/provider";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, projectName } from "../../config";
import { aksNodeResourceGroupSuffix } from "../../config/schema";
import { checkedFor } from "../invariant";
import { apiAllowlist } from "../kube/allowlists";
import * as authorization from "@pulumi/azure-native/authorization";
import { AksAdminPrincipal, AksAuth, aksAuthProfile, clusterAdmins, entraKubeconfig } from "./aksAuth";
import { aksEgress } from "./aksEgress";
import { apiServerOf } from "../kube/kubeconfig";
import type { AksNodePool } from "../stackOutputs";
import { MemberClusterComponent, NodePoolSize } from "./memberCluster";

/** The AKS system node pool, autoscaled by the AKS cluster autoscaler. */
interface AksNodePoolArgs extends NodePoolSize {
  /** VM size of the nodes, such as `Standard_D4s_v5`. */
  vmSize: pulumi.Input<string>;
}

export interface AksClusterArgs {
  /** Name of the AKS cluster in Azure; also its DNS prefix. */
  clusterName: string;
  /** Tags on every Azure resource this component creates that takes tags (the default tags included). */
  tags: Record<string, string>;
  /** Azure location of the resource group and the cluster, such as `westeurope`. */
  location: pulumi.Input<string>;
  /** Name of the resource group this component creates for the cluster; AKS creates `<name>-nodes` for the nodes. */
  resourceGroupName: pulumi.Input<string>;
  /** Kubernetes version of the control plane and the node pool, such as `1.34`. */
  kubernetesVersion: pulumi.Input<string>;
  /**
   * CIDRs allowed to reach the Kubernetes API server. Empty sets no authorized ranges (the API server
   * is open to all addresses); a restricted list also gets the cluster's own outbound IP.
   */
  apiAllowedCidrs: pulumi.Input<string[]>;
  /** The system node pool (autoscaled between `minCount` and `maxCount`). */
  nodePool: AksNodePoolArgs;
  /** How people and Pulumi sign in: `local` accounts, or `entra` (Entra ID, Azure RBAC, kubelogin). */
  aksAuth: AksAuth;
  /** With `entra`: who gets cluster admin, the identities that run Pulumi among them. */
  aksAdminPrincipals: AksAdminPrincipal[];
  /** The cluster autoscaler's timing. Default: AKS's own (scan every 10s, scale down 10m after a scale-up). */
  autoscaling?: AksAutoscalerTiming;
}

/** The cluster autoscaler settings burstmesh exposes (AKS `autoScalerProfile`). */
interface AksAutoscalerTiming {
  /** How often the autoscaler looks for pending pods and unneeded nodes, `<n>s`. */
  scanInterval: pulumi.Input<string>;
  /** How long after a scale-up scale-down is considered again, `<n>m`. */
  scaleDownDelayAfterAdd: pulumi.Input<string>;
}

/** Name of the system node pool (Linux pool names: lowercase letters and digits, at most 12). */
const systemPoolName = "system";

/**
 * The API server access profile, always sent: the authorized ranges, or an explicit empty list for
 * none. Leaving the profile out would not clear ranges set earlier (an update keeps what it does not
 * mention), and stale ranges would lock the peer's istiod out of this API server.
 */
export function apiServerAccessProfile<T>(allowed: readonly T[]): { authorizedIPRanges: T[] } {
  return { authorizedIPRanges: [...allowed] };
}

/** The API server URL of an AKS cluster, from its `fqdn`. */
export function aksEndpoint(fqdn: string): string {
  return `https://${fqdn}:443`;
}

/** The kubeconfig in a `listManagedClusterUserCredentials` result: the first credential, base64-decoded. */
export function decodeCredential(credentials: { kubeconfigs?: { name: string; value: string }[] }): string {
  const first = credentials.kubeconfigs?.[0];
  if (!first?.value) throw new Error("AKS returned no user credentials");
  return Buffer.from(first.value, "base64").toString("utf8");
}

/**
 * An AKS cluster on @pulumi/azure-native: a resource group, a managed cluster with a user-assigned
 * identity, Kubernetes RBAC and an autoscaled system node pool, its user kubeconfig (secret), and a
 * Kubernetes provider that depends on the cluster (whose node pool is part of it).
 */
/**
 * Refuses a change to what AKS fixes when it creates a node pool: its VM size and OS disk size. The
 * update would fail in Azure halfway through a run, after other resources have changed; and a new
 * pool under the same cluster is not something the cluster's own pool list can express. `deployed`
 * is the pool the stack's last run published (none before the first).
 */
export function refuseNodePoolChange(deployed: AksNodePool | undefined, wanted: AksNodePool): void {
  if (deployed === undefined) return;
  const refused: string[] = [];
  if (deployed.vmSize !== wanted.vmSize) {
    refused.push(
      `${projectName}:nodePool.vmSize: the deployed pool runs ${deployed.vmSize}; this run asks for ${wanted.vmSize}. ` +
        `Set it back to ${deployed.vmSize}. For more capacity raise ${projectName}:nodePool.maxCount; for another size, ` +
        "add a member cluster with it and retire this one.",
    );
  }
  if (deployed.diskSizeGb !== wanted.diskSizeGb) {
    refused.push(
      `${projectName}:nodePool.diskSizeGb: the deployed pool's OS disks have ${deployed.diskSizeGb} GB; this run asks for ${wanted.diskSizeGb}. ` +
        `Set it back to ${deployed.diskSizeGb}; another disk size takes a new member cluster.`,
    );
  }
  if (refused.length > 0) {
    throw new ConfigError(
      `Refusing to change the AKS system node pool: AKS cannot change a pool's VM size or OS disk in place; nothing has been changed:\n${refused.map((issue) => `  - ${issue}`).join("\n")}`,
    );
  }
}

export class AksCluster extends MemberClusterComponent {
  readonly cloud = "azure" as const;

  readonly resourceGroup: resources.ResourceGroup;
  readonly cluster: containerservice.ManagedCluster;

  constructor(name: string, args: AksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("burstmesh:clusters:AksCluster", name, {}, opts);
    const { clusterName } = args;

    this.resourceGroup = new resources.ResourceGroup(
      `${name}-rg`,
      { resourceGroupName: args.resourceGroupName, location: args.location, tags: args.tags },
      { parent: this },
    );

    // The outbound IP exists before the cluster, so its address is known (and published) from the first pass.
    const entra = args.aksAuth === "entra";
    const egress = aksEgress(name, { clusterName, location: args.location, resourceGroup: this.resourceGroup, tags: args.tags }, this);
    this.cluster = new containerservice.ManagedCluster(
      `${name}-aks`,
      {
        resourceName: clusterName,
        tags: args.tags,
        resourceGroupName: this.resourceGroup.name,
        location: args.location,
        dnsPrefix: clusterName,
        // Named after the cluster's group rather than AKS's `MC_<group>_<cluster>_<location>`, which
        // outgrows the 80 characters AKS takes for it when the names are long.
        nodeResourceGroup: pulumi.interpolate`${args.resourceGroupName}${aksNodeResourceGroupSuffix}`,
        kubernetesVersion: args.kubernetesVersion,
        identity: egress.clusterIdentity,
        enableRBAC: true,
        // `local`: local accounts on, and the user credential below is a static kubeconfig. `entra`:
        // Entra ID with Azure RBAC and no local accounts, so no static credential exists at all.
        ...aksAuthProfile(args.aksAuth, entra ? authorization.getClientConfigOutput({ parent: this }).tenantId : ""),
        agentPoolProfiles: [
          {
            name: systemPoolName,
            mode: containerservice.AgentPoolMode.System,
            type: containerservice.AgentPoolType.VirtualMachineScaleSets,
            osType: containerservice.OSType.Linux,
            vmSize: args.nodePool.vmSize,
            osDiskSizeGB: args.nodePool.diskSizeGb,
            orchestratorVersion: args.kubernetesVersion,
            enableAutoScaling: true,
            minCount: args.nodePool.minCount,
            maxCount: args.nodePool.maxCount,
            count: args.nodePool.desiredCount,
          },
        ],
        networkProfile: {
          loadBalancerSku: containerservice.LoadBalancerSku.Standard,
          networkPlugin: containerservice.NetworkPlugin.Azure,
          networkPluginMode: containerservice.NetworkPluginMode.Overlay,
          loadBalancerProfile: egress.loadBalancerProfile,
        },
        // A restricted API server also admits the cluster's own outbound IP: the nodes reach it through that.
        apiServerAccessProfile: pulumi
          .all([args.apiAllowedCidrs, egress.egressCidrs])
          .apply(([allowed, own]) => apiServerAccessProfile(apiAllowlist(allowed, own))),
        ...(args.autoscaling
          ? {
              autoScalerProfile: {
                scanInterval: args.autoscaling.scanInterval,
                scaleDownDelayAfterAdd: args.autoscaling.scaleDownDelayAfterAdd,
              },
            }
          : {}),
      },
      // The autoscaler owns the node count after creation; without this every update would reset it.
      // The identity's Network Contributor on the outbound IP comes first: AKS uses that IP as it starts.
      { parent: this, ignoreChanges: ["agentPoolProfiles[0].count"], dependsOn: [egress.networkAccess] },
    );

    // Taking the name from the cluster's output makes the invoke wait for the cluster (and skip it
    // in a preview where the cluster does not exist yet).
    // With Entra, AKS hands out a kubelogin kubeconfig (format `exec`); only its server and CA are kept.
    const credentials = containerservice.listManagedClusterUserCredentialsOutput(
      { resourceGroupName: this.resourceGroup.name, resourceName: this.cluster.name, ...(entra ? { format: "exec" } : {}) },
      { parent: this, dependsOn: [this.cluster] },
    );
    const admins = entra ? clusterAdmins(name, this.cluster.id, args.aksAdminPrincipals, this) : [];

    const kubeconfig = pulumi.secret(
      credentials.apply((answer) =>
        checkedFor(this, () => (entra ? entraKubeconfig(apiServerOf(decodeCredential(answer))) : decodeCredential(answer))),
      ),
    );
    // The CA certificate is public (every TLS client of the API server sees it), so it need not
    // inherit the kubeconfig's secrecy.
    const certificateAuthorityData = pulumi.unsecret(
      kubeconfig.apply((k) => checkedFor(this, () => apiServerOf(k).certificateAuthorityData)),
    );
    // After the Entra admins' role assignments: a listed principal that runs Pulumi (CI) reaches the API only through its own.
    const provider = memberProvider(`${name}-k8s`, kubeconfig, { parent: this, dependsOn: [this.cluster, ...admins] });
    this.publishMember({
      clusterName: this.cluster.name,
      region: pulumi.output(args.location),
      endpoint: this.cluster.fqdn.apply(aksEndpoint),
      certificateAuthorityData,
      kubeconfig,
      provider,
      egressCidrs: egress.egressCidrs,
      // The managed cluster resource includes its node pool, so nothing can start before the nodes.
      apiProvider: provider,
    });
  }
}
