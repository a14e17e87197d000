// Calling the pack's checks directly, on resources built by hand, as the policy SDK would hand them over.

import { buildKubeconfig } from "../../components/kube/kubeconfig";
import { ResourceView, StackView, types } from "../../policy/views";

export type ResourceCheck = (args: ResourceView, report: (message: string, urn?: string) => void) => void;
export type StackCheck = (args: StackView, report: (message: string, urn?: string) => void) => void;

/** The violation messages a resource policy reports for one resource. */
export function violations(check: ResourceCheck, resource: ResourceView): string[] {
  const messages: string[] = [];
  check(resource, (message) => messages.push(message));
  return messages;
}

/** The violations (message and URN) a stack policy reports for a set of resources. */
export function stackViolations(check: StackCheck, resources: ResourceView[]): { message: string; urn?: string }[] {
  const found: { message: string; urn?: string }[] = [];
  check({ resources }, (message, urn) => found.push({ message, urn }));
  return found;
}

export function resource(type: string, name: string, props: Record<string, unknown>, additionalSecretOutputs: string[] = []): ResourceView {
  return { type, name, urn: `urn:pulumi:eks::burstmesh::${type}::${name}`, props, opts: { additionalSecretOutputs } };
}

/** The policy SDK's placeholder for an unknown string during preview (see @pulumi/policy proxy.js). */
export const unknownString = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export const release = (name: string, props: Record<string, unknown>) => resource(types.helmRelease, name, props);
export const istiod = release("istiod", { chart: "istiod", name: "istiod", version: "1.30.3", namespace: "istio-system" });

export const caData = Buffer.from("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").toString("base64");
const server = { name: "aks", server: "https://aks.example.test:443", certificateAuthorityData: caData };
export const tokenKubeconfig = buildKubeconfig(server, { token: "reader-token" });
export const execKubeconfig = buildKubeconfig(server, {
  exec: { apiVersion: "client.authentication.k8s.io/v1beta1", command: "aws", args: ["eks", "get-token"] },
});
