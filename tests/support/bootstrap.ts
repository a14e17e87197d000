import { PublishedStack, runScenario, runStack, stackRef, StackRun } from "./harness";
import type { RawConfig } from "../../config";
import { stackFileConfig } from "./stackFiles";
import { ownBookkeepingOutputs } from "../../orchestrator/commands/up";

/** A stack's outputs as a StackReference would see them, secrets flagged. */
export function published(run: StackRun): PublishedStack {
  return {
    outputs: Object.fromEntries(Object.entries(run.outputs).map(([name, output]) => [name, output.value])),
    secretOutputNames: Object.entries(run.outputs)
      .filter(([, output]) => output.secret)
      .map(([name]) => name),
  };
}

/** A run's outputs without those only the stack itself reads: what a further pass could change for a peer. */
export function peerReadOutputs(run: StackRun): StackRun["outputs"] {
  return Object.fromEntries(Object.entries(run.outputs).filter(([name]) => !ownBookkeepingOutputs.includes(name)));
}

/** The runs of a simulated mesh bootstrap, by cluster stack name. */
export interface MeshRuns<Cluster extends string> {
  trust: StackRun;
  /** First cluster pass: no peer has published yet. */
  first: Record<Cluster, StackRun>;
  /** Second cluster pass: each cluster reads the others' first-pass outputs. */
  second: Record<Cluster, StackRun>;
  /** How long each cluster stack's program took under the mocks, in milliseconds, by pass (0 for a run shared from an earlier one). */
  milliseconds: { first: Record<Cluster, number>; second: Record<Cluster, number> };
}

export type Bootstrap = MeshRuns<"eks" | "aks">;

/**
 * Runs the bootstrap the orchestrator runs, under mocks, for any set of cluster stacks: the trust
 * stack, then every cluster stack with no peer outputs, then every one again with every first-pass
 * output (each stack's config says which of them it peers with). `trust` is the trust
 * stack's config, or a run of it to reuse (its certificates take seconds of real crypto).
 */
export async function simulateMesh<Cluster extends string>(
  trust: RawConfig | StackRun,
  clusters: Record<Cluster, RawConfig>,
): Promise<MeshRuns<Cluster>> {
  const trustRun = Array.isArray(trust.resources) ? (trust as StackRun) : await runScenario({ stack: "trust", config: trust as RawConfig });
  const trustOutputs = { [stackRef("trust")]: published(trustRun) };
  const names = Object.keys(clusters) as Cluster[];
  // Every stack of the previous pass, this one included: a stack reads its own last outputs too.
  const pass = async (previous: Partial<Record<Cluster, StackRun>>) => {
    const lastOutputs = Object.fromEntries(
      Object.entries<StackRun>(previous as Record<Cluster, StackRun>).map(([name, run]) => [stackRef(name), published(run)]),
    );
    const runs = {} as Record<Cluster, StackRun>;
    const milliseconds = {} as Record<Cluster, number>;
    for (const stack of names) {
      const start = performance.now();
      runs[stack] = await runScenario({ stack, config: clusters[stack], published: { ...trustOutputs, ...lastOutputs } });
      milliseconds[stack] = performance.now() - start;
    }
    return { runs, milliseconds };
  };
  const first = await pass({});
  const second = await pass(first.runs);
  return {
    trust: trustRun,
    first: first.runs,
    second: second.runs,
    milliseconds: { first: first.milliseconds, second: second.milliseconds },
  };
}

/** The bootstrap of the mesh the stack files describe: trust, eks and aks. */
function simulateBootstrap(): Promise<Bootstrap> {
  return simulateMesh(stackFileConfig("trust"), { eks: stackFileConfig("eks"), aks: stackFileConfig("aks") });
}

let shared: Promise<Bootstrap> | undefined;

/** One simulated bootstrap for every test file that only reads it (it takes seconds of real crypto). */
export function sharedBootstrap(): Promise<Bootstrap> {
  shared ??= simulateBootstrap();
  return shared;
}

/**
 * Reruns one cluster stack of the second pass: with exactly the same inputs (its peer's first-pass
 * outputs, its own second-pass ones), or without its peer's or its own published outputs.
 */
export function rerunSecondPass(
  bootstrap: Bootstrap,
  stack: "eks" | "aks",
  { peerPublished = true, selfPublished = true } = {},
): Promise<StackRun> {
  const peer = stack === "eks" ? "aks" : "eks";
  // With its own outputs it must execute again, or a determinism check could be handed the run it
  // repeats; without them (nor its peer's) it is the first pass, which is shared.
  const run = selfPublished ? runStack : runScenario;
  return run({
    stack,
    config: stackFileConfig(stack),
    published: {
      [stackRef("trust")]: published(bootstrap.trust),
      ...(peerPublished ? { [stackRef(peer)]: published(bootstrap.first[peer]) } : {}),
      ...(selfPublished ? { [stackRef(stack)]: published(bootstrap.second[stack]) } : {}),
    },
  });
}
