/**
 * The orchestrator's only view of stacks. `workspace.ts` implements it with the Automation API and the
 * tests with an in-memory fake, so the commands run the same against both.
 */
import type { StackConfig } from "../config";
import type { LongestChain } from "../model/dependencyChain";
import type { Selection } from "./discovery";

/** Resource operation counts of an update or preview (`create`, `update`, `same`, ...). */
export type OpCounts = Record<string, number>;

/** One stack output. Secret values are compared (hashed) but never printed. */
interface StackOutput {
  value: unknown;
  secret: boolean;
}

export type StackOutputs = Record<string, StackOutput>;

/** Where a running operation sends its output, in chunks that need not end at line breaks. */
export interface OperationStreams {
  onOutput(chunk: string): void;
  onError(chunk: string): void;
  /** Each resource step as it starts and ends; undefined when no one follows them. */
  onStep?(step: ResourceStep): void;
}

/** One resource's step in a running operation, as the engine reports it. */
export interface ResourceStep {
  urn: string;
  /** The engine's operation: `create`, `update`, `replace`, `delete`, `same`, ... */
  op: string;
  phase: "started" | "done" | "failed";
  /** A preview's step: planned, not carried out. */
  planning?: boolean;
}

export interface UpOutcome {
  /** Undefined when the backend did not report counts. */
  changes?: OpCounts;
  outputs: StackOutputs;
  /** The update's longest chain of resources that waited for one another, in milliseconds; undefined when unknown. */
  chain?: LongestChain;
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
  /**
   * Where a stack's raw engine output goes instead of the screen (a log file per stack); without it
   * the output streams to `out` and `err`, each line prefixed with the stack (`--verbose`).
   */
  engineLog?(stack: string): EngineLog;
}

/** A stack's raw engine output, kept apart from the progress lines. */
export interface EngineLog {
  streams: OperationStreams;
  close(): void;
}

export interface MeshPlan {
  /** The trust stack (opened, and created if missing, even when not selected). */
  trust: string;
  /** Every cluster stack (opened, and created if missing, even when not selected). */
  clusters: readonly string[];
  /** What this run operates on. */
  selection: Selection;
  /** The validated config of the stacks whose config could be read offline, for the plan `up` prints. */
  configs?: ReadonlyMap<string, StackConfig>;
  /**
   * Where the config lives, for the commands that change it (`burstmesh:trust`, `burstmesh:members`):
   * Pulumi.yaml, and each stack's file by stack name.
   */
  files?: { project: string; stacks: Readonly<Record<string, string>> };
}
