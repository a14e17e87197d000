/** `npm run mesh -- preview`: what `up` would change, one pass. */
import type { Log, MeshPlan, MeshWorkspace, OpCounts } from "../ports";
import { describeChanges } from "../summary";
import type { StackCommand } from "./command";
import { allStacks, openAll, streamed } from "./steps";

interface PreviewReport {
  changes: Map<string, OpCounts | undefined>;
}

/** `preview`: the trust stack, then every selected cluster stack in parallel; one pass. */
export async function meshPreview(workspace: MeshWorkspace, log: Log, plan: MeshPlan): Promise<PreviewReport> {
  const handles = await openAll(workspace, log, plan);
  const { trust, clusters } = plan.selection;
  const changes = new Map<string, OpCounts | undefined>();
  const preview = async (n: string) => {
    const outcome = await streamed(log, n, (s) => handles.get(n)!.preview(s));
    changes.set(n, outcome.changes);
    return outcome;
  };
  if (trust) await allStacks(log, [trust], "trust stack preview", preview);
  if (clusters.length > 0) {
    log.out(`preview ${clusters.join(", ")} in parallel`);
    await allStacks(log, clusters, "cluster preview", preview);
  }
  log.out("preview summary:");
  for (const [n, c] of changes) log.out(`[${n}] ${describeChanges(c)}`);
  if (clusters.length > 0) {
    log.out(
      "note: a cluster stack's preview uses the outputs its peers have now; on a fresh mesh the peer wiring appears in the second pass of 'up'",
    );
  }
  return { changes };
}

export const previewCommand: StackCommand = {
  name: "preview",
  findingsStopIt: true,
  summary: ["Preview the trust stack, then every cluster stack in parallel (one pass), and print", "each stack's change summary."],
  options: [],
  async run({ workspace, log, plan }) {
    await meshPreview(workspace, log, plan);
    return 0;
  },
};
