/**
 * The longest chain of a real update: how long each resource's step took, from the engine's events,
 * and what each resource waited for, from the stack's state after the update (the events carry no
 * dependencies; the state has each resource's `dependencies`, `parent` and `provider`). Pure: the
 * Automation API adapter (workspace.ts) hands in the events and the exported state.
 */
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { type LongestChain, longestChain, waitsFor } from "../model/dependencyChain";

/** The steps whose time is the resource's own create or update: not the deletions an update ends with. */
const waitingOps = (op: string) => !/^(delete|discard|remove)/.test(op);

/**
 * Milliseconds each resource's step took: from its first ResourcePreEvent to its last
 * ResOutputsEvent (a replacement's create and its logical replace count as one), to the engine's
 * timestamps (whole seconds). Resources whose step did not finish are left out.
 */
export function stepDurations(events: readonly EngineEvent[]): Map<string, number> {
  const started = new Map<string, number>();
  const finished = new Map<string, number>();
  for (const event of events) {
    const pre = event.resourcePreEvent?.metadata;
    const outputs = event.resOutputsEvent?.metadata;
    if (pre && waitingOps(pre.op) && !started.has(pre.urn)) started.set(pre.urn, event.timestamp);
    if (outputs && waitingOps(outputs.op)) finished.set(outputs.urn, event.timestamp);
  }
  const durations = new Map<string, number>();
  for (const [urn, end] of finished) {
    const start = started.get(urn);
    if (start !== undefined) durations.set(urn, Math.max(0, end - start) * 1000);
  }
  return durations;
}

/** A resource as `pulumi stack export` writes it: only the fields that say what it is and what it waits for. */
interface StateResource {
  urn: string;
  type: string;
  custom?: boolean;
  dependencies?: string[];
  parent?: string;
  provider?: string;
}

/**
 * The longest chain of an update, in milliseconds: the state's resources (`deployment`, the
 * `deployment` field of an exported stack), each taking the time its step took. A component takes
 * none: it only passes on what it waits for (its measured span runs until its children are done).
 * Undefined when the state holds no resources.
 */
export function runChain(deployment: unknown, durations: ReadonlyMap<string, number>): LongestChain | undefined {
  const resources = (deployment as { resources?: unknown } | undefined)?.resources;
  if (!Array.isArray(resources) || resources.length === 0) return undefined;
  const state = (resources as StateResource[]).filter((r) => typeof r?.urn === "string" && typeof r.type === "string");
  const custom = new Set(state.filter((r) => r.custom).map((r) => r.urn));
  return longestChain(
    state.map((r) => ({ urn: r.urn, type: r.type, waitsFor: waitsFor(r) })),
    (node) => (custom.has(node.urn) ? (durations.get(node.urn) ?? 0) : 0),
  );
}
