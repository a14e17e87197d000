/**
 * The shape every command of `npm run mesh` has, so that the command line, USAGE and the run itself
 * come from the registry in `index.ts` and a new command is one file plus one line there.
 */
import type { Log, MeshPlan, MeshWorkspace } from "../ports";

/** Options only some commands take; `--stacks`, `--yes` and `--help` go with every command. */
export type CommandOption = "max-passes";

/** The command line, parsed. */
export interface Invocation {
  command?: string;
  help: boolean;
  stacks?: string[];
  maxPasses: number;
  yes: boolean;
}

/** What a command runs against, once the CLI, the backend and the passphrase are settled. */
interface CommandContext {
  workspace: MeshWorkspace;
  log: Log;
  plan: MeshPlan;
}

export interface MeshCommand {
  readonly name: string;
  /** Its description under "Commands:" in USAGE, line by line. */
  readonly summary: readonly string[];
  readonly options: readonly CommandOption[];
  /**
   * The question to confirm before the workspace is opened, for commands that cannot be undone;
   * `--yes` answers it.
   */
  confirmation?(plan: MeshPlan): string;
  /** Resolves with the process exit code. */
  run(context: CommandContext, invocation: Invocation): Promise<number>;
}
