/**
 * The orchestration itself: order, parallelism, the convergence loop, failure handling and the
 * comparison of outputs. It talks to stacks only through `MeshWorkspace`/`StackHandle`, so tests run
 * it against an in-memory fake; `workspace.ts` implements the interface with the Automation API.
 */
import { createHash } from "node:crypto";
import type { Selection } from "./discovery";

/** Resource operation counts of an update or preview (`create`, `update`, `same`, ...). */
export type OpCounts = Record<string, number>;

/** One stack output. Secret values are compared (hashed) but never printed. */
export interface StackOutput {
  value: unknown;
  secret: boolean;
}

export type StackOutputs = Record<string, StackOutput>;

/** Where a running operation sends its output, in chunks that need not end at line breaks. */
export interface OperationStreams {
  onOutput(chunk: string): void;
  onError(chunk: string): void;
}

export interface UpOutcome {
  /** Undefined when the backend did not report counts. */
  changes?: OpCounts;
  outputs: StackOutputs;
}

export interface PreviewOutcome {
  changes?: OpCounts;
}

/** The most recent operation on a stack. */
export interface LastUpdate {
  kind: string;
  result: string;
  startTime?: Date;
  endTime?: Date;
  changes?: OpCounts;
}

/** One existing stack. */
export interface StackHandle {
  readonly name: string;
  up(streams: OperationStreams): Promise<UpOutcome>;
  preview(streams: OperationStreams): Promise<PreviewOutcome>;
  destroy(streams: OperationStreams): Promise<void>;
  outputs(): Promise<StackOutputs>;
  /** The last operation, undefined when the stack has none yet. */
  info(): Promise<LastUpdate | undefined>;
}

export interface MeshWorkspace {
  /**
   * Opens a stack. With `create`, a missing stack is created (empty, no outputs); without, a
   * missing stack gives undefined.
   */
  open(name: string, options: { create: boolean }): Promise<StackHandle | undefined>;
}

/** Where the orchestrator prints (stdout- and stderr-like). */
export interface Log {
  out(line: string): void;
  err(line: string): void;
}

export interface MeshPlan {
  /** The trust stack (opened, and created if missing, even when not selected). */
  trust: string;
  /** Every cluster stack (opened, and created if missing, even when not selected). */
  clusters: readonly string[];
  /** What this run operates on. */
  selection: Selection;
}

export const DEFAULT_MAX_PASSES = 4;

/** One stack's failure within a step. */
export interface StackFailure {
  stack: string;
  step: string;
  message: string;
}

/** A stack operation failed; later steps did not start. */
export class StackFailedError extends Error {
  constructor(readonly failures: readonly StackFailure[]) {
    super(
      failures.length === 1
        ? `stack ${failures[0]!.stack} failed (${failures[0]!.step}): ${failures[0]!.message}`
        : `${failures.length} stacks failed: ` + failures.map((f) => `stack ${f.stack} (${f.step}): ${f.message}`).join("\n"),
    );
    this.name = "StackFailedError";
  }
}

/** The cluster stacks were still changing when the bound on passes was hit. */
export class NotConvergedError extends Error {
  constructor(
    readonly passes: number,
    readonly changing: readonly string[],
  ) {
    super(
      `the mesh did not converge in ${clusterPasses(passes)}: ` +
        `outputs of ${changing.join(", ")} still changed in the last pass ` +
        `(run 'up' again, or raise --max-passes if the wiring needs more passes)`,
    );
    this.name = "NotConvergedError";
  }
}

/** Splits output chunks into lines and prints each with a `[stack]` prefix. */
export class PrefixedLines {
  private pending = "";
  constructor(
    private readonly prefix: string,
    private readonly write: (line: string) => void,
  ) {}

  push(chunk: string): void {
    const parts = (this.pending + chunk).split("\n");
    this.pending = parts.pop()!;
    for (const line of parts) this.write(`${this.prefix} ${line.replace(/\r$/, "")}`);
  }

  flush(): void {
    if (this.pending !== "") this.write(`${this.prefix} ${this.pending.replace(/\r$/, "")}`);
    this.pending = "";
  }
}

/** Runs `operation` with its stdout/stderr printed line by line, prefixed `[stack]`. */
async function streamed<T>(log: Log, stack: string, operation: (streams: OperationStreams) => Promise<T>): Promise<T> {
  const out = new PrefixedLines(`[${stack}]`, (l) => log.out(l));
  const err = new PrefixedLines(`[${stack}]`, (l) => log.err(l));
  try {
    return await operation({ onOutput: (c) => out.push(c), onError: (c) => err.push(c) });
  } finally {
    out.flush();
    err.flush();
  }
}

/**
 * A digest of a stack's outputs, values (secret ones included) and secretness, independent of key
 * order. Used only for comparison; neither it nor the values are printed.
 */
export function outputsDigest(outputs: StackOutputs): string {
  return createHash("sha256").update(canonicalJson(outputs)).digest("hex");
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

/** True when the counts report no operation other than `same` (unknown counts are not). */
export function onlySame(changes: OpCounts | undefined): boolean {
  if (!changes) return false;
  return Object.entries(changes).every(([op, count]) => op === "same" || !count);
}

/** `create 3, same 12`; `no changes` when empty. */
export function describeChanges(changes: OpCounts | undefined): string {
  if (!changes) return "no change summary reported";
  const parts = Object.entries(changes)
    .filter(([, count]) => count > 0)
    .sort(([a], [b]) => (a === "same" ? 1 : b === "same" ? -1 : a.localeCompare(b)))
    .map(([op, count]) => `${op} ${count}`);
  return parts.length > 0 ? parts.join(", ") : "no resources";
}

function clusterPasses(count: number): string {
  return `${count} cluster pass${count === 1 ? "" : "es"}`;
}

/** `4.2s`, `42s`, `14m 02s`, `1h 05m 00s`. */
export function formatDuration(ms: number): string {
  if (ms < 9_950) return `${(Math.max(ms, 0) / 1000).toFixed(1)}s`;
  const total = Math.round(ms / 1000);
  const [hours, minutes, seconds] = [Math.floor(total / 3600), Math.floor(total / 60) % 60, total % 60];
  const two = (n: number) => String(n).padStart(2, "0");
  if (hours > 0) return `${hours}h ${two(minutes)}m ${two(seconds)}s`;
  return minutes > 0 ? `${minutes}m ${two(seconds)}s` : `${seconds}s`;
}

/**
 * The end of `up`: one line per stack with each update's changes and duration (and their total when
 * there were several), then the time from the start to the converged mesh, or that it stopped.
 */
function printUpSummary(log: Log, selection: Selection, updates: readonly UpdateRecord[], elapsedMs: number, passesRun?: number): void {
  const stacks = [...(selection.trust ? [selection.trust] : []), ...selection.clusters].filter((n) => updates.some((u) => u.stack === n));
  const width = Math.max(0, ...stacks.map((n) => n.length));
  if (stacks.length > 0) log.out("summary:");
  for (const stack of stacks) {
    // A stack's passes run one after another, so its updates are already in pass order.
    const own = updates.filter((u) => u.stack === stack);
    const parts = own.map((u) => {
      const what = `${u.failed ? "failed" : describeChanges(u.changes)} (${formatDuration(u.durationMs)})`;
      return u.pass === 0 ? what : `pass ${u.pass}: ${what}`;
    });
    const total = own.length > 1 ? `; ${formatDuration(own.reduce((sum, u) => sum + u.durationMs, 0))} in all` : "";
    log.out(`  ${stack.padEnd(width)}  ${parts.join("; ")}${total}`);
  }
  const elapsed = formatDuration(elapsedMs);
  if (passesRun === undefined) log.out(`up stopped ${elapsed} after it started, before the mesh converged`);
  else if (passesRun === 0) log.out(`up finished ${elapsed} after it started (no cluster stack selected)`);
  else log.out(`mesh converged ${elapsed} after up started (${clusterPasses(passesRun)})`);
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Runs `fn` for every name at once. When one fails, the others still run to completion (a Pulumi
 * update is not interrupted halfway), then all failures are thrown together.
 */
async function allStacks<T>(log: Log, names: readonly string[], step: string, fn: (name: string) => Promise<T>): Promise<Map<string, T>> {
  const settled = await Promise.allSettled(names.map((n) => fn(n)));
  const results = new Map<string, T>();
  const failures: StackFailure[] = [];
  settled.forEach((outcome, i) => {
    const stack = names[i]!;
    if (outcome.status === "fulfilled") results.set(stack, outcome.value);
    else failures.push({ stack, step, message: errorMessage(outcome.reason) });
  });
  if (failures.length > 0) {
    for (const f of failures) log.err(`[${f.stack}] ${step} failed`);
    const finished = names.filter((n) => results.has(n));
    if (finished.length > 0) log.err(`${step}: ${finished.join(", ")} finished; no further steps will start`);
    throw new StackFailedError(failures);
  }
  return results;
}

/** Opens (creating if missing) every stack, trust first, one at a time. */
async function openAll(workspace: MeshWorkspace, log: Log, plan: MeshPlan): Promise<Map<string, StackHandle>> {
  const handles = new Map<string, StackHandle>();
  for (const name of [plan.trust, ...plan.clusters]) {
    try {
      const handle = await workspace.open(name, { create: true });
      if (!handle) throw new Error("the workspace did not create the stack");
      handles.set(name, handle);
    } catch (err) {
      log.err(`[${name}] could not select or create the stack`);
      throw new StackFailedError([{ stack: name, step: "select or create", message: errorMessage(err) }]);
    }
  }
  return handles;
}

export interface UpOptions {
  maxPasses?: number;
  /** A monotonic clock in milliseconds, for the summary's durations. */
  now?: () => number;
}

/** One stack update of an `up` run, as the summary reports it. */
export interface UpdateRecord {
  stack: string;
  /** 0 for the trust stack's update, else the cluster pass. */
  pass: number;
  /** Undefined when the update failed or the backend reported no counts. */
  changes?: OpCounts;
  failed: boolean;
  durationMs: number;
}

export interface UpReport {
  /** Cluster passes run (0 when no cluster stack was selected). */
  clusterPasses: number;
  /** Every update, in the order they finished. */
  updates: UpdateRecord[];
  /** From the start of `up` to the converged mesh. */
  durationMs: number;
}

/**
 * `up`: the trust stack, then every selected cluster stack in parallel, repeated until a pass
 * changes no cluster stack's outputs (a cluster stack's program is a function of its config and
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
      updates.push({ stack: handle.name, pass, changes: outcome?.changes, failed: !outcome, durationMs: now() - updateStarted });
    try {
      const outcome = await streamed(log, handle.name, (s) => handle.up(s));
      record(outcome);
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
    await allStacks(log, [trust], "trust stack up", async (n) => {
      const outcome = await update(n, 0);
      log.out(`[${n}] done: ${describeChanges(outcome.changes)}`);
    });
  }
  if (clusters.length === 0) return 0;

  let before = await allStacks(log, clusters, "reading outputs", async (n) => outputsDigest(await handles.get(n)!.outputs()));
  let changing: string[] = [];
  for (let pass = 1; pass <= maxPasses; pass++) {
    const step = `cluster pass ${pass}`;
    log.out(`${step}: up ${clusters.join(", ")} in parallel`);
    const outcomes = await allStacks(log, clusters, step, async (n) => {
      const outcome = await update(n, pass);
      log.out(`[${n}] done (${step}): ${describeChanges(outcome.changes)}`);
      return outcome;
    });
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

export interface PreviewReport {
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

export interface DestroyReport {
  destroyed: string[];
  missing: string[];
}

/** `destroy`: the selected cluster stacks in parallel, then the trust stack. Missing stacks are skipped, not created. */
export async function meshDestroy(workspace: MeshWorkspace, log: Log, plan: MeshPlan): Promise<DestroyReport> {
  const { trust, clusters } = plan.selection;
  const handles = new Map<string, StackHandle>();
  const missing: string[] = [];
  for (const name of [...clusters, ...(trust ? [trust] : [])]) {
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
    await streamed(log, n, (s) => handles.get(n)!.destroy(s));
    log.out(`[${n}] destroyed`);
  };
  const liveClusters = clusters.filter((c) => handles.has(c));
  if (liveClusters.length > 0) {
    log.out(`destroy ${liveClusters.join(", ")} in parallel`);
    await allStacks(log, liveClusters, "cluster destroy", destroy);
  }
  if (trust && handles.has(trust)) await allStacks(log, [trust], "trust stack destroy", destroy);
  return { destroyed: [...handles.keys()], missing };
}

export interface StackStatus {
  name: string;
  exists: boolean;
  last?: LastUpdate;
  outputs?: { name: string; secret: boolean }[];
  error?: string;
}

/**
 * `status`: per selected stack, whether it exists, its last operation and its output names
 * (secret ones marked `[secret]`). Never prints output values and never creates a stack.
 */
export async function meshStatus(workspace: MeshWorkspace, log: Log, plan: MeshPlan): Promise<StackStatus[]> {
  const names = [...(plan.selection.trust ? [plan.selection.trust] : []), ...plan.selection.clusters];
  const statuses = await Promise.all(
    names.map(async (name): Promise<StackStatus> => {
      try {
        const handle = await workspace.open(name, { create: false });
        if (!handle) return { name, exists: false };
        const [last, outputs] = await Promise.all([handle.info(), handle.outputs()]);
        return {
          name,
          exists: true,
          last,
          outputs: Object.entries(outputs)
            .map(([key, o]) => ({ name: key, secret: o.secret }))
            .sort((a, b) => a.name.localeCompare(b.name)),
        };
      } catch (err) {
        return { name, exists: true, error: errorMessage(err) };
      }
    }),
  );
  for (const s of statuses) {
    const role = s.name === plan.trust ? "trust" : "cluster";
    if (s.error !== undefined) {
      log.err(`[${s.name}] (${role}) status failed: ${s.error}`);
      continue;
    }
    if (!s.exists) {
      log.out(`[${s.name}] (${role}) not created yet`);
      continue;
    }
    log.out(`[${s.name}] (${role}) exists; last update: ${describeLast(s.last)}`);
    const outputs = s.outputs ?? [];
    log.out(
      `[${s.name}] outputs: ${outputs.length === 0 ? "(none)" : outputs.map((o) => (o.secret ? `${o.name} [secret]` : o.name)).join(", ")}`,
    );
  }
  return statuses;
}

function describeLast(last: LastUpdate | undefined): string {
  if (!last) return "none";
  const when = last.endTime ?? last.startTime;
  const at = when && !Number.isNaN(when.getTime()) ? ` at ${when.toISOString()}` : "";
  return `${last.kind} ${last.result}${at}${last.changes ? ` (${describeChanges(last.changes)})` : ""}`;
}
