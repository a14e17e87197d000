/**
 * The text the commands print about stacks and their changes, in one place so that up's progress,
 * its summary, preview's summary and status describe the same changes in the same words.
 */
import type { LongestChain } from "../model/dependencyChain";
import { type Selection, stackOrder } from "./discovery";
import type { LastUpdate, Log, OpCounts } from "./ports";

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

/** `create 3, same 12` (`same` last, zero counts left out); `no resources` when nothing is counted. */
export function describeChanges(changes: OpCounts | undefined): string {
  if (!changes) return "no change summary reported";
  const parts = Object.entries(changes)
    .filter(([, count]) => count > 0)
    .sort(([a], [b]) => (a === "same" ? 1 : b === "same" ? -1 : a.localeCompare(b)))
    .map(([op, count]) => `${op} ${count}`);
  return parts.length > 0 ? parts.join(", ") : "no resources";
}

export function clusterPasses(count: number): string {
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

/** One stack update of an `up` run, as the summary reports it. */
export interface UpdateRecord {
  stack: string;
  /** 0 for the trust stack's update, else the cluster pass. */
  pass: number;
  /** Undefined when the update failed or the backend reported no counts. */
  changes?: OpCounts;
  failed: boolean;
  durationMs: number;
  /** The update's longest chain of resources that waited for one another, in milliseconds, when known. */
  chain?: LongestChain;
}

/** `eks-eks (Cluster) 9m 41s → eks-nodes (NodeGroup) 2m 12s`: each link's name, the last part of its type, its time. */
function describeChain(chain: LongestChain): string {
  return chain.links.map((link) => `${link.name} (${link.type.split(":").pop()}) ${formatDuration(link.duration)}`).join(" → ");
}

/**
 * The end of `up`: one line per stack with each update's changes and duration (and their total when
 * there were several), then each stack's longest chain of resources that waited for one another (of
 * the update where it was longest, when the updates measured one), then the time from the start to the
 * converged mesh, or that it stopped.
 */
export function printUpSummary(
  log: Log,
  selection: Selection,
  updates: readonly UpdateRecord[],
  elapsedMs: number,
  passesRun?: number,
): void {
  const stacks = stackOrder(selection).filter((n) => updates.some((u) => u.stack === n));
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
  // Each stack's longest chain, of its update where it was longest (a fresh stack's first pass).
  const chains = stacks.flatMap((stack) => {
    const measured = updates.flatMap((u) => (u.stack === stack && u.chain?.links.length ? [{ pass: u.pass, chain: u.chain }] : []));
    // A stable sort: of equally long chains, the earlier pass's.
    const longest = measured.sort((a, b) => b.chain.total - a.chain.total)[0];
    return longest ? [{ stack, ...longest }] : [];
  });
  if (chains.length > 0) log.out("longest chain of each stack (what waited for what):");
  for (const { stack, pass, chain } of chains) {
    const when = pass === 0 ? "" : `pass ${pass}, `;
    log.out(`  ${stack.padEnd(width)}  ${when}${formatDuration(chain.total)}: ${describeChain(chain)}`);
  }
  const elapsed = formatDuration(elapsedMs);
  if (passesRun === undefined) log.out(`up stopped ${elapsed} after it started, before the mesh converged`);
  else if (passesRun === 0) log.out(`up finished ${elapsed} after it started (no cluster stack selected)`);
  else log.out(`mesh converged ${elapsed} after up started (${clusterPasses(passesRun)})`);
}

/** A stack's last operation for `status`: kind, result, when it ended (or started) and its changes. */
export function describeLast(last: LastUpdate | undefined): string {
  if (!last) return "none";
  const when = last.endTime ?? last.startTime;
  const at = when && !Number.isNaN(when.getTime()) ? ` at ${when.toISOString()}` : "";
  return `${last.kind} ${last.result}${at}${last.changes ? ` (${describeChanges(last.changes)})` : ""}`;
}
