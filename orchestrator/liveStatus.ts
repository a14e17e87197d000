/**
 * One live status line per running stack, on a terminal: how long the stack has run, how many
 * resource steps it has finished, and what it is waiting for now (the step that has run longest).
 * The lines stay below everything else printed and go when the stack's operation ends; its result
 * line takes their place. Off a terminal nothing is drawn: a log file has no use for redraws.
 */
import type { EngineEvent } from "@pulumi/pulumi/automation";
import type { EngineLog, Log, ResourceStep } from "./ports";
import { formatDuration } from "./summary";

/** The steps that change nothing, counted apart: every run reads its stack references and keeps most resources. */
const unchangingOps = new Set(["same", "read"]);

const VERBS: Readonly<Record<string, string>> = {
  create: "creating",
  update: "updating",
  replace: "replacing",
  "create-replacement": "replacing",
  delete: "deleting",
  "delete-replaced": "deleting",
  "read-replacement": "reading",
  refresh: "refreshing",
  import: "importing",
  "import-replacement": "importing",
};

/** A resource step from one of the engine's step events; undefined for every other event. */
export function resourceStep(event: EngineEvent): ResourceStep | undefined {
  const { resourcePreEvent: pre, resOutputsEvent: outputs, resOpFailedEvent: failed } = event;
  const [metadata, phase] = pre
    ? [pre.metadata, "started" as const]
    : outputs
      ? [outputs.metadata, "done" as const]
      : failed
        ? [failed.metadata, "failed" as const]
        : [];
  if (!metadata || !phase) return undefined;
  const planning = !!(pre?.planning || outputs?.planning);
  return { urn: metadata.urn, op: metadata.op, phase, ...(planning && { planning }) };
}

/** What a stack's running operation has done so far. */
interface StackProgress {
  startedAt: number;
  /** The steps begun and not ended, by URN: what they do and since when. */
  running: Map<string, { doing: string; since: number }>;
  done: number;
  unchanged: number;
  failed: number;
}

export function startProgress(now: number): StackProgress {
  return { startedAt: now, running: new Map(), done: 0, unchanged: 0, failed: 0 };
}

export function applyStep(progress: StackProgress, step: ResourceStep, now: number): void {
  const unchanging = unchangingOps.has(step.op);
  if (step.phase === "started") {
    const verb = VERBS[step.op] ?? step.op;
    if (!unchanging) progress.running.set(step.urn, { doing: step.planning ? `planning: ${verb}` : verb, since: now });
    return;
  }
  progress.running.delete(step.urn);
  if (step.phase === "failed") progress.failed++;
  else if (unchanging) progress.unchanged++;
  else progress.done++;
}

/** `Release istiod` from `urn:pulumi:eks::burstmesh::burstmesh:mesh:IstioPrimary$kubernetes:helm.sh/v3:Release::istiod`. */
function resourceLabel(urn: string): string {
  const parts = urn.split("::");
  const name = parts[parts.length - 1] ?? urn;
  const type = (parts[parts.length - 2] ?? "").split("$").pop()!.split(":").pop()!;
  return type ? `${type} ${name}` : name;
}

/**
 * `[eks] 4m 12s · 23 done, 40 unchanged · creating Cluster eks (3m 40s), 2 more`, cut to `width`
 * columns so that it never wraps (a wrapped line would break the redraw).
 */
export function statusLine(stack: string, progress: StackProgress, now: number, width: number): string {
  const counts = [`${progress.done} done`];
  if (progress.unchanged > 0) counts.push(`${progress.unchanged} unchanged`);
  if (progress.failed > 0) counts.push(`${progress.failed} failed`);
  const parts = [`[${stack}] ${formatDuration(now - progress.startedAt)}`, counts.join(", ")];
  const waiting = [...progress.running].sort(([, a], [, b]) => a.since - b.since);
  const [longest] = waiting;
  if (longest) {
    const [urn, { doing, since }] = longest;
    const more = waiting.length > 1 ? `, ${waiting.length - 1} more` : "";
    parts.push(`${doing} ${resourceLabel(urn)} (${formatDuration(now - since)})${more}`);
  }
  const line = parts.join(" · ");
  return line.length < width ? line : `${line.slice(0, Math.max(0, width - 2))}…`;
}

/** The terminal the lines are drawn on (process.stdout when it is one). */
export interface StatusTerminal {
  write(text: string): unknown;
  readonly columns?: number;
}

interface LiveStatusOptions {
  clock?: () => number;
  /** Calls `tick` about every second until the returned function is called. */
  every?: (tick: () => void) => () => void;
}

const everySecond = (tick: () => void) => {
  const timer = setInterval(tick, 1000);
  // The clock never keeps the process alive: the stack operations do.
  timer.unref();
  return () => clearInterval(timer);
};

export class LiveStatus {
  private readonly stacks = new Map<string, StackProgress>();
  private readonly clock: () => number;
  private readonly every: (tick: () => void) => () => void;
  private drawn = 0;
  private stopTicking: (() => void) | undefined;

  constructor(
    private readonly terminal: StatusTerminal,
    options: LiveStatusOptions = {},
  ) {
    this.clock = options.clock ?? Date.now;
    this.every = options.every ?? everySecond;
  }

  /** `log` with every line printed above the status lines. */
  screen(log: Log): Log {
    return { out: (line) => this.above(() => log.out(line)), err: (line) => this.above(() => log.err(line)) };
  }

  /** `engineLog` with each stack's steps followed on its status line, from its opening to its closing. */
  follow(engineLog: (stack: string) => EngineLog): (stack: string) => EngineLog {
    return (stack) => {
      const inner = engineLog(stack);
      this.begin(stack);
      return {
        streams: { ...inner.streams, onStep: (step) => this.step(stack, step) },
        close: () => {
          this.end(stack);
          inner.close();
        },
      };
    };
  }

  private begin(stack: string): void {
    this.stacks.set(stack, startProgress(this.clock()));
    this.stopTicking ??= this.every(() => this.redraw());
    this.redraw();
  }

  private step(stack: string, step: ResourceStep): void {
    const progress = this.stacks.get(stack);
    if (!progress) return;
    applyStep(progress, step, this.clock());
    this.redraw();
  }

  private end(stack: string): void {
    this.stacks.delete(stack);
    if (this.stacks.size === 0) {
      this.stopTicking?.();
      this.stopTicking = undefined;
    }
    this.redraw();
  }

  private redraw(): void {
    this.above(() => undefined);
  }

  /** Erases the status lines, prints, and draws them again below. */
  private above(print: () => void): void {
    if (this.drawn > 0) this.terminal.write(`\u001b[${this.drawn}A\r\u001b[J`);
    print();
    const now = this.clock();
    const width = this.terminal.columns ?? 80;
    const lines = [...this.stacks].map(([stack, progress]) => statusLine(stack, progress, now, width));
    if (lines.length > 0) this.terminal.write(lines.map((l) => `${l}\n`).join(""));
    this.drawn = lines.length;
  }
}
