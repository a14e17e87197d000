// How people and Pulumi sign in to an AKS cluster's API server (`burstmesh:aksAuth`): `local`
// (Kubernetes RBAC, the static cluster-user credential) or `entra` (Microsoft Entra ID with Azure
// RBAC, local accounts disabled, kubelogin). Kept beside AksCluster so that the cluster component
// only wires what these functions build.
import * as authorization from "@pulumi/azure-native/authorization";
import type * as azureInputs from "@pulumi/azure-native/types/input";
import * as pulumi from "@pulumi/pulumi";
import { roleDefinitionId } from "./aksEgress";
import { ApiServer, buildKubeconfig } from "../kube/kubeconfig";

export type AksAuth = "local" | "entra";

/** The AKS AAD server application: the audience of every Entra token for an AKS API server (kubelogin's `--server-id`). */
const aksServerApplicationId = "6dae42f8-4368-4678-94ff-3960e28e3630";

/** The built-in Azure role "Azure Kubernetes Service RBAC Cluster Admin". */
const aksRbacClusterAdminRoleId = "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b";

/** The managed cluster's sign-in settings for a mode: Entra adds the managed AAD profile with Azure RBAC and turns local accounts off. */
export function aksAuthProfile(
  mode: AksAuth,
  tenantId: pulumi.Input<string>,
): { aadProfile?: azureInputs.containerservice.ManagedClusterAADProfileArgs; disableLocalAccounts: boolean } {
  if (mode === "local") return { disableLocalAccounts: false };
  return { aadProfile: { managed: true, enableAzureRBAC: true, tenantID: tenantId }, disableLocalAccounts: true };
}

/**
 * The admin kubeconfig of an Entra cluster: `kubelogin get-token` with the Azure CLI's sign-in (the
 * `azurecli` login mode), so it holds no credential and works for whoever runs Pulumi after `az login`,
 * in CI after `azure/login`. `kubelogin` must be on PATH (`az aks install-cli` installs it).
 */
export function entraKubeconfig(server: ApiServer): string {
  return buildKubeconfig(server, {
    exec: {
      apiVersion: "client.authentication.k8s.io/v1beta1",
      command: "kubelogin",
      args: ["get-token", "--login", "azurecli", "--server-id", aksServerApplicationId],
    },
  });
}

/** An Entra principal that gets cluster admin on an Entra cluster. */
export interface AksAdminPrincipal {
  /** Its object ID. */
  objectId: string;
  /** What it is; Azure refuses a role assignment whose type does not match the principal. */
  type: "User" | "Group" | "ServicePrincipal";
}

/**
 * Gives each principal cluster admin on an Entra cluster through Azure RBAC (the role "Azure
 * Kubernetes Service RBAC Cluster Admin" on the cluster), as EKS access entries do for IAM
 * principals. The identity that runs Pulumi must be one of them, or the Kubernetes provider could
 * install nothing. A fixed list rather than "whoever runs this": a run by another identity would
 * otherwise take the role from the previous one.
 */
export function clusterAdmins(
  name: string,
  clusterId: pulumi.Input<string>,
  principals: readonly AksAdminPrincipal[],
  parent: pulumi.Resource,
): authorization.RoleAssignment[] {
  const subscriptionId = authorization.getClientConfigOutput({ parent }).subscriptionId;
  return principals.map(
    (principal) =>
      new authorization.RoleAssignment(
        `${name}-cluster-admin-${principal.objectId}`,
        {
          principalId: principal.objectId,
          principalType: principal.type,
          roleDefinitionId: subscriptionId.apply((id) => roleDefinitionId(id, aksRbacClusterAdminRoleId)),
          scope: clusterId,
        },
        { parent },
      ),
  );
}
