/** `npm run mesh -- destroy`: tears the selected stacks down, the trust stack last. */
import { stackOrder } from "../discovery";
import { errorMessage, StackFailedError } from "../errors";
import type { Log, MeshPlan, MeshWorkspace, StackHandle } from "../ports";
import { formatDuration } from "../summary";
import type { StackCommand } from "./command";
import { allStacks, streamed } from "./steps";

interface DestroyReport {
  destroyed: string[];
  missing: string[];
}

/**
 * `destroy`: the selected cluster stacks in parallel, then the trust stack. Missing stacks are
 * skipped, not created. `now` is a monotonic clock in milliseconds, for each stack's duration.
 */
export async function meshDestroy(
  workspace: MeshWorkspace,
  log: Log,
  plan: MeshPlan,
  now: () => number = () => performance.now(),
): Promise<DestroyReport> {
  const { trust, clusters } = plan.selection;
  const handles = new Map<string, StackHandle>();
  const missing: string[] = [];
  for (const name of stackOrder(plan.selection, "trust last")) {
    let handle: StackHandle | undefined;
    try {
      handle = await workspace.open(name, { create: false });
    } catch (err) {
      throw new StackFailedError([{ stack: name, step: "select", message: errorMessage(err) }]);
    }
    if (handle) handles.set(name, handle);
    else {
      missing.push(name);
      log.out(`[${name}] stack does not exist; nothing to destroy`);
    }
  }
  const destroy = async (n: string) => {
    const started = now();
    await streamed(log, n, (s) => handles.get(n)!.destroy(s));
    log.out(`[${n}] destroyed in ${formatDuration(now() - started)}`);
  };
  const liveClusters = clusters.filter((c) => handles.has(c));
  if (liveClusters.length > 0) {
    log.out(`destroy ${liveClusters.join(", ")} in parallel`);
    await allStacks(log, liveClusters, "cluster destroy", destroy);
  }
  if (trust && handles.has(trust)) await allStacks(log, [trust], "trust stack destroy", destroy);
  return { destroyed: [...handles.keys()], missing };
}

export const destroyCommand: StackCommand = {
  name: "destroy",
  asksFirst: true,
  findingsStopIt: false,
  summary: ["Destroy the cluster stacks in parallel, then the trust stack."],
  options: [],
  confirmation: (plan) => `This destroys every resource of ${stackOrder(plan.selection, "trust last").join(", ")}.`,
  async run({ workspace, log, plan }) {
    const report = await meshDestroy(workspace, log, plan);
    log.out(`destroy finished: ${report.destroyed.join(", ") || "nothing to destroy"}`);
    return 0;
  },
};
