import { published, sharedBootstrap } from "./bootstrap";
import { runStack, stackRef, StackRun } from "./harness";
import { withConfig } from "./stackFiles";

/** An air-gapped mesh's chart sources: every chart from an OCI registry, istiod from a Helm repository of its own. */
export const chartMirrors = {
  all: "oci://harbor.mirror.example/burstmesh",
  istiod: "https://artifactory.mirror.example/artifactory/api/helm/istio",
} as const;

/** The first pass of eks and aks (trust published, no peer yet) with {@link chartMirrors}, beside the same pass without. */
export interface MirroredPass {
  upstream: Record<"eks" | "aks", StackRun>;
  mirrored: Record<"eks" | "aks", StackRun>;
}

let shared: Promise<MirroredPass> | undefined;

/** One mirrored first pass for every test file that only reads it, against the shared bootstrap's. */
export function mirroredFirstPass(): Promise<MirroredPass> {
  shared ??= (async () => {
    const bootstrap = await sharedBootstrap();
    const trust = { [stackRef("trust")]: published(bootstrap.trust) };
    const run = (stack: "eks" | "aks") =>
      runStack({ stack, config: withConfig(stack, { "burstmesh:chartSources": chartMirrors }), published: trust });
    return { upstream: bootstrap.first, mirrored: { eks: await run("eks"), aks: await run("aks") } };
  })();
  return shared;
}
