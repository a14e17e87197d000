import { strict as assert } from "node:assert";
import { parseServiceConfig, ServiceSettings } from "../../config";

export const members = ["eks", "aks"];

/** Seed 003: bookinfo's reviews, v1 in the home cluster, v2 and v3 in the other one. */
export const reviews = {
  name: "reviews",
  homeCluster: "eks",
  capacity: { maxConcurrentRequests: 16, maxPendingRequests: 8 },
  versions: [
    { name: "v1", image: "docker.io/istio/examples-bookinfo-reviews-v1:1.20.3", clusters: ["eks"], weight: 80 },
    { name: "v2", image: "docker.io/istio/examples-bookinfo-reviews-v2:1.20.3", clusters: ["aks"], weight: 20 },
    { name: "v3", image: "docker.io/istio/examples-bookinfo-reviews-v3:1.20.3", clusters: ["aks"], weight: 0 },
  ],
};

export function parse(service: Record<string, unknown>): ServiceSettings {
  const result = parseServiceConfig([service], undefined, { members });
  assert.ok(result.ok, result.ok ? "" : result.issues.join("\n"));
  return result.services[0]!;
}
