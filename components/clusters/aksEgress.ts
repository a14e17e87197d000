// The AKS cluster's egress address, known before the cluster exists: a static Standard public IP
// that the cluster's load balancer uses as its outbound IP, and the control-plane identity that may
// use it. Kept beside AksCluster so that the cluster component only wires what this creates.
import * as authorization from "@pulumi/azure-native/authorization";
import * as containerservice from "@pulumi/azure-native/containerservice";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as network from "@pulumi/azure-native/network";
import * as pulumi from "@pulumi/pulumi";
import type * as azureInputs from "@pulumi/azure-native/types/input";
import { hostCidr } from "../kube/allowlists";

/** The built-in Azure role "Network Contributor". */
const networkContributorRoleId = "4d97b98b-1d4f-4787-a291-c67834d212e7";

/** The full ID of a built-in role definition in a subscription. */
export function roleDefinitionId(subscriptionId: string, roleId: string): string {
  return `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${roleId}`;
}

interface AksEgressArgs {
  clusterName: string;
  location: pulumi.Input<string>;
  /** The cluster's resource group: the outbound IP and the identity live in it. */
  resourceGroup: { name: pulumi.Input<string>; id: pulumi.Input<string> };
  /** Tags on the outbound IP and the identity. */
  tags: Record<string, string>;
}

/** What the cluster is created with: its identity and load-balancer profile, and its egress CIDRs. */
interface AksEgress {
  outboundIp: network.PublicIPAddress;
  identity: managedidentity.UserAssignedIdentity;
  /** Network Contributor for the identity on the resource group; the cluster must come after it. */
  networkAccess: authorization.RoleAssignment;
  /** `identity` of the managed cluster: the user-assigned identity above. */
  clusterIdentity: azureInputs.containerservice.ManagedClusterIdentityArgs;
  /** `networkProfile.loadBalancerProfile` of the managed cluster: the outbound IP above, nothing managed. */
  loadBalancerProfile: azureInputs.containerservice.ManagedClusterLoadBalancerProfileArgs;
  /** The outbound IP as a /32. */
  egressCidrs: pulumi.Output<string[]>;
}

/**
 * Creates the outbound IP and a user-assigned control-plane identity with Network Contributor on the
 * resource group, as children of `parent`. The IP lives outside the node resource group, where AKS
 * only uses it if the cluster identity may (AKS documents Network Contributor on the IP's resource
 * group); a system-assigned identity would not exist before the cluster, so it could not be granted
 * the role in time.
 */
export function aksEgress(name: string, args: AksEgressArgs, parent: pulumi.Resource): AksEgress {
  const opts = { parent };
  const outboundIp = new network.PublicIPAddress(
    `${name}-outbound-ip`,
    {
      publicIpAddressName: `${args.clusterName}-outbound`,
      resourceGroupName: args.resourceGroup.name,
      location: args.location,
      // The cluster's Standard load balancer takes Standard, static addresses only.
      sku: { name: network.PublicIPAddressSkuName.Standard, tier: network.PublicIPAddressSkuTier.Regional },
      publicIPAllocationMethod: network.IPAllocationMethod.Static,
      publicIPAddressVersion: network.IPVersion.IPv4,
      tags: args.tags,
    },
    opts,
  );
  const identity = new managedidentity.UserAssignedIdentity(
    `${name}-identity`,
    {
      resourceName: `${args.clusterName}-control-plane`,
      resourceGroupName: args.resourceGroup.name,
      location: args.location,
      tags: args.tags,
    },
    opts,
  );
  const subscriptionId = authorization.getClientConfigOutput(opts).subscriptionId;
  const networkAccess = new authorization.RoleAssignment(
    `${name}-network-contributor`,
    {
      principalId: identity.principalId,
      principalType: authorization.PrincipalType.ServicePrincipal,
      roleDefinitionId: subscriptionId.apply((id) => roleDefinitionId(id, networkContributorRoleId)),
      scope: args.resourceGroup.id,
    },
    opts,
  );
  return {
    outboundIp,
    identity,
    networkAccess,
    clusterIdentity: { type: containerservice.ResourceIdentityType.UserAssigned, userAssignedIdentities: [identity.id] },
    loadBalancerProfile: { outboundIPs: { publicIPs: [{ id: outboundIp.id }] } },
    egressCidrs: outboundIp.ipAddress.apply((address) => {
      if (!address) throw new Error(`AKS ${args.clusterName}: the outbound public IP has no address yet`);
      return [hostCidr(address)];
    }),
  };
}
