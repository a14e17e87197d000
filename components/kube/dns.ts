/** The cluster-local DNS name of a Service: the same in every member, which is what lets Istio merge its endpoints. */
export function serviceHost(service: { name: string; namespace: string }): string {
  return `${service.name}.${service.namespace}.svc.cluster.local`;
}
