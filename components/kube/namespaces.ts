import { stableTag } from "../../model/istioRevisions";

/**
 * Pod Security admission labels of every namespace burstmesh runs workloads in: pods must meet the
 * `restricted` level (the injected sidecar does, with the Istio CNI agent doing what istio-init did).
 */
export const restrictedPodSecurity = {
  "pod-security.kubernetes.io/enforce": "restricted",
  "pod-security.kubernetes.io/enforce-version": "latest",
  "pod-security.kubernetes.io/warn": "restricted",
  "pod-security.kubernetes.io/warn-version": "latest",
} as const;

/**
 * Labels of a namespace whose pods get the sidecar and meet the restricted level: the services' and
 * the observability's. They ask for the stable revision tag, which an upgrade moves, rather than for
 * `istio-injection`, which only the non-revisioned istiod serves.
 */
export const meshWorkloadNamespaceLabels = {
  "istio.io/rev": stableTag,
  "app.kubernetes.io/part-of": "burstmesh",
  ...restrictedPodSecurity,
} as const;
