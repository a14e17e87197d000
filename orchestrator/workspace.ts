/**
 * The Automation API adapter: `MeshWorkspace`/`StackHandle` on top of `LocalWorkspace` and the
 * stack files in the repository root. Only this file talks to the Pulumi CLI.
 */
import * as path from "node:path";
import { LocalWorkspace, Stack, StackNotFoundError } from "@pulumi/pulumi/automation";
import type { EngineEvent, LocalWorkspaceOptions, OpMap, OutputMap, PulumiCommand, UpdateSummary } from "@pulumi/pulumi/automation";
import type { LongestChain } from "../model/dependencyChain";
import type { LastUpdate, MeshWorkspace, OpCounts, OperationStreams, PreviewOutcome, StackHandle, StackOutputs, UpOutcome } from "./ports";
import { resourceStep } from "./liveStatus";
import { runChain, stepDurations } from "./runChain";

/** What the workspace needs to reach the stacks. */
export interface WorkspaceOptions {
  /** The repository root (holds Pulumi.yaml and the stack files). */
  workDir: string;
  /** Secrets provider for stacks the orchestrator creates; undefined: the backend's default. */
  secretsProvider?: string;
  /** The Pulumi CLI to run; undefined: the one on PATH. */
  pulumiCommand?: PulumiCommand;
  /** Added to the Pulumi CLI's environment (the chosen backend, an asked passphrase). */
  envVars: Record<string, string>;
}

/** The repository's policy pack, applied to every preview and update as it is on pull requests. */
const policyPack = path.join(__dirname, "..", "policy");

export class AutomationWorkspace implements MeshWorkspace {
  /**
   * A passphrase in `options.envVars` (asked on the terminal) or in the environment reaches the
   * Pulumi CLI as an environment variable; it is never passed on a command line or printed here.
   */
  constructor(private readonly options: WorkspaceOptions) {}

  async open(name: string, { create }: { create: boolean }): Promise<StackHandle | undefined> {
    const { workDir, secretsProvider, pulumiCommand, envVars } = this.options;
    const args = { stackName: name, workDir };
    const wsOptions: LocalWorkspaceOptions = { pulumiCommand, envVars, ...(secretsProvider ? { secretsProvider } : {}) };
    try {
      const stack = create ? await LocalWorkspace.createOrSelectStack(args, wsOptions) : await LocalWorkspace.selectStack(args, wsOptions);
      return new AutomationStack(stack);
    } catch (err) {
      if (!create && err instanceof StackNotFoundError) return undefined;
      throw conciseError(err);
    }
  }
}

class AutomationStack implements StackHandle {
  constructor(private readonly stack: Stack) {}

  get name(): string {
    return this.stack.name;
  }

  async up(streams: OperationStreams): Promise<UpOutcome> {
    // Only the step events: when each resource's step began and ended.
    const steps: EngineEvent[] = [];
    const onEvent = followSteps(streams, (event) => void ((event.resourcePreEvent || event.resOutputsEvent) && steps.push(event)));
    try {
      const result = await this.stack.up({ onOutput: streams.onOutput, onError: streams.onError, onEvent, policyPacks: [policyPack] });
      return { changes: counts(result.summary?.resourceChanges), outputs: plainOutputs(result.outputs), chain: await this.chain(steps) };
    } catch (err) {
      throw conciseError(err);
    }
  }

  /**
   * The update's longest chain, from its step events and the dependencies in the state it left.
   * Undefined when the state cannot be exported: the chain is a report on an update that succeeded,
   * and no reason to fail it.
   */
  private async chain(steps: readonly EngineEvent[]): Promise<LongestChain | undefined> {
    try {
      return runChain((await this.stack.exportStack()).deployment, stepDurations(steps));
    } catch {
      return undefined;
    }
  }

  async preview(streams: OperationStreams): Promise<PreviewOutcome> {
    try {
      const result = await this.stack.preview({
        onOutput: streams.onOutput,
        onError: streams.onError,
        onEvent: followSteps(streams),
        policyPacks: [policyPack],
      });
      return { changes: counts(result.changeSummary) };
    } catch (err) {
      throw conciseError(err);
    }
  }

  async destroy(streams: OperationStreams): Promise<void> {
    try {
      await this.stack.destroy({ onOutput: streams.onOutput, onError: streams.onError, onEvent: followSteps(streams) });
    } catch (err) {
      throw conciseError(err);
    }
  }

  async outputs(): Promise<StackOutputs> {
    try {
      return plainOutputs(await this.stack.outputs());
    } catch (err) {
      throw conciseError(err);
    }
  }

  async info(): Promise<LastUpdate | undefined> {
    let summary: UpdateSummary | undefined;
    try {
      // showSecrets=false: the summary carries the stack's config, which we never need decrypted.
      summary = await this.stack.info(false);
    } catch (err) {
      throw conciseError(err);
    }
    if (!summary) return undefined;
    return {
      kind: summary.kind,
      result: summary.result,
      startTime: toDate(summary.startTime),
      endTime: toDate(summary.endTime),
      changes: counts(summary.resourceChanges),
    };
  }
}

/** The engine's events, handed to `also` and, as resource steps, to whoever follows them. */
function followSteps(streams: OperationStreams, also?: (event: EngineEvent) => void): (event: EngineEvent) => void {
  return (event) => {
    also?.(event);
    const step = resourceStep(event);
    if (step) streams.onStep?.(step);
  };
}

function counts(map: OpMap | undefined): OpCounts | undefined {
  if (!map) return undefined;
  const result: OpCounts = {};
  for (const [op, count] of Object.entries(map)) if (typeof count === "number") result[op] = count;
  return result;
}

function plainOutputs(outputs: OutputMap | undefined): StackOutputs {
  const result: StackOutputs = {};
  for (const [key, o] of Object.entries(outputs ?? {})) result[key] = { value: o.value, secret: !!o.secret };
  return result;
}

function toDate(value: unknown): Date | undefined {
  if (value instanceof Date) return value;
  if (typeof value === "string" || typeof value === "number") return new Date(value);
  return undefined;
}

/**
 * Automation API errors carry the whole stdout and stderr of the command, which the orchestrator
 * has already streamed. Keep the tail of stderr (or of stdout when stderr is empty).
 */
export function conciseError(err: unknown): Error {
  const result = (err as { commandResult?: { stdout?: string; stderr?: string; code?: number } } | undefined)?.commandResult;
  if (!result) return err instanceof Error ? err : new Error(String(err));
  const text = (result.stderr ?? "").trim() || (result.stdout ?? "").trim();
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  const tail = lines.slice(-15).join("\n");
  const message = tail || `pulumi exited with code ${result.code}`;
  const concise = new Error(message);
  concise.name = (err as Error).name;
  return concise;
}
