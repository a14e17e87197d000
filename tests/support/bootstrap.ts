import { PublishedStack, runStack, stackRef, StackRun } from "./harness";
import { stackFileConfig } from "./stackFiles";

/** A stack's outputs as a StackReference would see them, secrets flagged. */
export function published(run: StackRun): PublishedStack {
  return {
    outputs: Object.fromEntries(Object.entries(run.outputs).map(([name, output]) => [name, output.value])),
    secretOutputNames: Object.entries(run.outputs)
      .filter(([, output]) => output.secret)
      .map(([name]) => name),
  };
}

export interface Bootstrap {
  trust: StackRun;
  /** First cluster pass: no peer has published yet. */
  first: { eks: StackRun; aks: StackRun };
  /** Second cluster pass: each cluster reads the other's first-pass outputs. */
  second: { eks: StackRun; aks: StackRun };
}

/**
 * Runs the bootstrap the orchestrator runs, under mocks: the trust stack, then both cluster stacks
 * with no peer outputs, then both again with each other's outputs.
 */
export async function simulateBootstrap(): Promise<Bootstrap> {
  const trustRun = await runStack({ stack: "trust", config: stackFileConfig("trust") });
  const trust = { [stackRef("trust")]: published(trustRun) };
  const cluster = (stack: string, peers: Record<string, StackRun> = {}) =>
    runStack({
      stack,
      config: stackFileConfig(stack),
      published: { ...trust, ...Object.fromEntries(Object.entries(peers).map(([name, run]) => [stackRef(name), published(run)])) },
    });
  const first = { eks: await cluster("eks"), aks: await cluster("aks") };
  const second = { eks: await cluster("eks", { aks: first.aks }), aks: await cluster("aks", { eks: first.eks }) };
  return { trust: trustRun, first, second };
}

let shared: Promise<Bootstrap> | undefined;

/** One simulated bootstrap for every test file that only reads it (it takes seconds of real crypto). */
export function sharedBootstrap(): Promise<Bootstrap> {
  shared ??= simulateBootstrap();
  return shared;
}

/** Reruns one cluster stack of the second pass with exactly the same inputs. */
export function rerunSecondPass(bootstrap: Bootstrap, stack: "eks" | "aks"): Promise<StackRun> {
  const peer = stack === "eks" ? "aks" : "eks";
  return runStack({
    stack,
    config: stackFileConfig(stack),
    published: { [stackRef("trust")]: published(bootstrap.trust), [stackRef(peer)]: published(bootstrap.first[peer]) },
  });
}
