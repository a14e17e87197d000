/**
 * One overflow service as the model and the lab see it: the Sidecar, DestinationRule,
 * VirtualService and HPA that serviceSpecs.ts builds for its home and a standby cluster, and the
 * traffic policy the model reads from them (model/policy.ts). `npm run overflow` and `npm run lab`
 * both start here, so neither holds a copy of the settings.
 */
import type { ServiceSettings } from "../../config/services";
import { ejectionRecipe, PolicyObjects, readPolicy, ServicePolicy } from "../../model/policy";
import { overflowObjects } from "./serviceSpecs";

/** `retry`: the objects as deployed; `ejection`: the old recipe (eject on 5xx), kept to show why it was replaced. */
export type Recipe = "retry" | "ejection";

/** The service's objects in its home cluster and in a standby cluster, as plain values. */
interface ServiceObjects {
  home: PolicyObjects;
  standby: PolicyObjects;
}

export function serviceObjects(service: ServiceSettings, members: readonly string[], recipe: Recipe = "retry"): ServiceObjects {
  const standbyCluster = members.find((member) => member !== service.homeCluster) ?? `${service.homeCluster}-standby`;
  const objects = (clusterName: string) => {
    // Only distribute mode reads the region, and the model refuses distribute mode.
    const built = JSON.parse(JSON.stringify(overflowObjects(service, { clusterName, region: clusterName }))) as PolicyObjects;
    return recipe === "ejection" ? ejectionRecipe(built) : built;
  };
  return { home: objects(service.homeCluster), standby: objects(standbyCluster) };
}

/** The service's policy as the model reads it from those objects. */
export function servicePolicy(service: ServiceSettings, members: readonly string[], recipe: Recipe = "retry"): ServicePolicy {
  const { home, standby } = serviceObjects(service, members, recipe);
  return readPolicy(home, standby);
}
