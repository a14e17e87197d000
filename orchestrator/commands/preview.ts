/** `npm run mesh -- preview`: the plan, what `up` would change, one pass. */
import { costNote, describeFootprint, footprintOf } from "../footprint";
import type { Log, MeshPlan, MeshWorkspace, OpCounts } from "../ports";
import { describeChanges } from "../summary";
import type { StackCommand } from "./command";
import { allStacks, openAll, streamed } from "./steps";

interface PreviewReport {
  changes: Map<string, OpCounts | undefined>;
}

/**
 * `preview`: the trust stack, then every selected cluster stack in parallel; one pass. Ends with the
 * plan: each stack's changes, then what each cluster stack gets in its cloud and its estimated cost.
 */
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
  printPlan(log, plan, changes);
  return { changes };
}

function printPlan(log: Log, plan: MeshPlan, changes: Map<string, OpCounts | undefined>): void {
  log.out("plan:");
  for (const [n, c] of changes) log.out(`[${n}] ${describeChanges(c)}`);
  const footprints = plan.selection.clusters.flatMap((stack) => {
    const config = plan.configs?.get(stack);
    return config?.role === "cluster" ? [footprintOf(stack, config)] : [];
  });
  if (footprints.length > 0) {
    log.out("in the clouds:");
    for (const footprint of footprints) for (const line of describeFootprint(footprint)) log.out(line);
    const total = footprints.reduce((sum, f) => sum + (f.hourlyCost ?? 0), 0);
    log.out(`estimated total ≈ $${total.toFixed(2)}/h; ${costNote()}`);
  }
  if (plan.selection.clusters.length > 0) {
    log.out(
      "note: a cluster stack's preview uses the outputs its peers have now; on a fresh mesh the peer wiring appears in the second pass of 'up'",
    );
  }
}

export const previewCommand: StackCommand = {
  name: "preview",
  asksFirst: false,
  findingsStopIt: true,
  summary: [
    "Preview the trust stack, then every cluster stack in parallel (one pass), and print the",
    "plan: each stack's changes, what each cluster gets in its cloud, the estimated cost.",
  ],
  options: ["json"],
  async run({ workspace, log, plan }, { json }) {
    const { changes } = await meshPreview(workspace, log, plan);
    if (json) log.out(JSON.stringify({ preview: Object.fromEntries(changes) }));
    return 0;
  },
};
