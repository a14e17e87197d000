/** `npm run mesh -- up`: the trust stack, then the cluster passes until the mesh converges. */
import { createHash } from "node:crypto";
import type { Selection } from "../discovery";
import { NotConvergedError } from "../errors";
import type { Log, MeshPlan, MeshWorkspace, OpCounts, StackHandle, StackOutputs, UpOutcome } from "../ports";
import { clusterPasses, describeChanges, formatDuration, printUpSummary, type UpdateRecord } from "../summary";
import type { StackCommand } from "./command";
import { meshPreview } from "./preview";
import { allStacks, openAll, streamed } from "./steps";

export const DEFAULT_MAX_PASSES = 4;

/**
 * The cluster-stack outputs that only the stack itself reads, on its next run (the peers it links,
 * an AKS member's node pool and its Istio revisions, `clusterOutputNames.linkedPeers`, `.aksNodePool`
 * and `.istio`): no other stack's program depends on them, so a change in them cannot make another
 * pass change anything.
 */
export const ownBookkeepingOutputs: readonly string[] = ["linkedPeers", "aksNodePool", "istio"];

/**
 * A digest of the outputs other stacks read, values (secret ones included) and secretness,
 * independent of key order. Used only for comparison; neither it nor the values are printed.
 */
export function outputsDigest(outputs: StackOutputs): string {
  const read = Object.fromEntries(Object.entries(outputs).filter(([name]) => !ownBookkeepingOutputs.includes(name)));
  return createHash("sha256").update(canonicalJson(read)).digest("hex");
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record)
      .filter((k) => record[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** The operations that change nothing: `same`, and `read`, which every run of a stack reference reports. */
export const unchangingOps: readonly string[] = ["same", "read"];

/** True when the counts report no operation that changes something (unknown counts are not). */
export function onlySame(changes: OpCounts | undefined): boolean {
  if (!changes) return false;
  return Object.entries(changes).every(([op, count]) => unchangingOps.includes(op) || !count);
}

interface UpOptions {
  maxPasses?: number;
  /** A monotonic clock in milliseconds, for the summary's durations. */
  now?: () => number;
}

interface UpReport {
  /** Cluster passes run (0 when no cluster stack was selected). */
  clusterPasses: number;
  /** Every update, in the order they finished. */
  updates: UpdateRecord[];
  /** From the start of `up` to the converged mesh. */
  durationMs: number;
}

/**
 * `up`: the trust stack, then every selected cluster stack in parallel, repeated until a pass
 * changes no cluster stack's outputs that peers read (a cluster stack's program is a function of its config and
 * the trust and peer stacks' outputs, so then another pass would change nothing) or every update
 * of the pass reports only `same`. Ends, converged or not, with a summary: per stack, the changes
 * and duration of each update, then the time from the start.
 */
export async function meshUp(workspace: MeshWorkspace, log: Log, plan: MeshPlan, options: UpOptions = {}): Promise<UpReport> {
  const maxPasses = options.maxPasses ?? DEFAULT_MAX_PASSES;
  if (!Number.isInteger(maxPasses) || maxPasses < 1) throw new Error(`max passes must be a positive integer (got ${maxPasses})`);
  const now = options.now ?? (() => performance.now());
  const started = now();
  const updates: UpdateRecord[] = [];
  const update = async (handle: StackHandle, pass: number): Promise<UpOutcome> => {
    const updateStarted = now();
    const record = (outcome?: UpOutcome) =>
      updates.push({
        stack: handle.name,
        pass,
        changes: outcome?.changes,
        failed: !outcome,
        durationMs: now() - updateStarted,
        ...(outcome?.chain && { chain: outcome.chain }),
      });
    try {
      const outcome = await streamed(log, handle.name, (s) => handle.up(s));
      record(outcome);
      const step = pass === 0 ? "" : ` (cluster pass ${pass})`;
      log.out(`[${handle.name}] done${step} in ${formatDuration(now() - updateStarted)}: ${describeChanges(outcome.changes)}`);
      return outcome;
    } catch (err) {
      record();
      throw err;
    }
  };
  let passesRun: number | undefined;
  try {
    const handles = await openAll(workspace, log, plan);
    passesRun = await converge(log, plan.selection, maxPasses, (name, pass) => update(handles.get(name)!, pass), handles);
    return { clusterPasses: passesRun, updates, durationMs: now() - started };
  } finally {
    printUpSummary(log, plan.selection, updates, now() - started, passesRun);
  }
}

/** The trust stack, then the cluster passes; resolves with the number of cluster passes run. */
async function converge(
  log: Log,
  selection: Selection,
  maxPasses: number,
  update: (name: string, pass: number) => Promise<UpOutcome>,
  handles: Map<string, StackHandle>,
): Promise<number> {
  const { trust, clusters } = selection;
  if (trust) {
    log.out(`[${trust}] up (trust stack)`);
    await allStacks(log, [trust], "trust stack up", (n) => update(n, 0));
  }
  if (clusters.length === 0) return 0;

  let before = await allStacks(log, clusters, "reading outputs", async (n) => outputsDigest(await handles.get(n)!.outputs()));
  let changing: string[] = [];
  for (let pass = 1; pass <= maxPasses; pass++) {
    const step = `cluster pass ${pass}`;
    log.out(`${step}: up ${clusters.join(", ")} in parallel`);
    const outcomes = await allStacks(log, clusters, step, (n) => update(n, pass));
    const after = new Map(clusters.map((n) => [n, outputsDigest(outcomes.get(n)!.outputs)]));
    changing = clusters.filter((n) => after.get(n) !== before.get(n));
    const allSame = clusters.every((n) => onlySame(outcomes.get(n)!.changes));
    if (changing.length === 0) {
      log.out(`${step}: no cluster stack's outputs changed; converged after ${clusterPasses(pass)}`);
      return pass;
    }
    if (allSame) {
      log.out(
        `${step}: every update reported only unchanged resources (outputs of ${changing.join(", ")} differ, ` +
          `taken as volatile); converged after ${clusterPasses(pass)}`,
      );
      return pass;
    }
    log.out(`${step}: outputs of ${changing.join(", ")} changed${pass < maxPasses ? "; running another pass" : ""}`);
    before = after;
  }
  throw new NotConvergedError(maxPasses, changing);
}

export const upCommand: StackCommand = {
  name: "up",
  asksFirst: true,
  findingsStopIt: true,
  summary: [
    "Preview every stack and print the plan (changes, what each cloud gets, estimated cost);",
    "once confirmed, update the trust stack, then every cluster stack in parallel, then the",
    "cluster stacks again until a pass changes no cluster stack's outputs (peers wired).",
  ],
  options: ["max-passes", "json"],
  async run({ workspace, log, plan, confirm }, { maxPasses, yes, json }) {
    const preview = await meshPreview(workspace, log, plan);
    if (!yes && !(await confirm?.("Deploy this plan?"))) {
      log.err("up cancelled: nothing was deployed");
      return 1;
    }
    const report = await meshUp(workspace, log, plan, { maxPasses });
    // The machine-readable summary is the last line, for CI.
    if (json) log.out(JSON.stringify({ preview: Object.fromEntries(preview.changes), ...report }));
    return 0;
  },
};
