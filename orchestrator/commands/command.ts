/**
 * The shape every command of `npm run mesh` has, so that the command line, USAGE and the run itself
 * come from the registry in `index.ts` and a new command is one file plus one line there.
 */
import type { SettledRun, ToolRunner } from "../preflight";
import type { Log, MeshPlan, MeshWorkspace } from "../ports";
import type { MeshValidation } from "../validate";

/** Options only some commands take; `--stacks`, `--yes` and `--help` go with every command. */
export type CommandOption = "max-passes" | "json" | "member" | "pre" | "start" | "istiod-url" | "to" | "resume" | "rollback";

/** The command line, parsed. */
export interface Invocation {
  command?: string;
  /** The command's one argument, for the commands that take one (`add-member <name>`). */
  argument?: string;
  help: boolean;
  stacks?: string[];
  maxPasses: number;
  yes: boolean;
  json: boolean;
  verbose: boolean;
  /** `--member`: the one member a check looks at. */
  member?: string;
  /** `--pre`: the doctor's checks of this machine, before a first `up`. */
  pre: boolean;
  /** `--start`: begin a root rotation. */
  start: boolean;
  /** `--istiod-url member=url`, repeatable: where a member's istiod debug endpoints answer. */
  istiodUrls: string[];
  /** `--to x.y.z`: the Istio version an upgrade goes to. */
  to?: string;
  /** `--resume`: go on with an interrupted upgrade. */
  resume: boolean;
  /** `--rollback`: undo an upgrade before its phase 3. */
  rollback: boolean;
}

/** What a command runs against, once the CLI, the backend and the passphrase are settled. */
interface CommandContext {
  workspace: MeshWorkspace;
  log: Log;
  plan: MeshPlan;
  /** Asks the user a yes/no question; undefined when there is no terminal to ask on. */
  confirm?(question: string): Promise<boolean>;
  /** The CLI, backend and secrets provider the run settled on. */
  settled: SettledRun;
  /** Runs another program (a cloud's CLI), bounded in time. */
  runTool: ToolRunner;
}

/** What every command has: its name, its lines in USAGE and the options it takes. */
interface CommandDescription {
  readonly name: string;
  /** Its description under "Commands:" in USAGE, line by line. */
  readonly summary: readonly string[];
  readonly options: readonly CommandOption[];
  /** What the command's one argument names, for those that take one (`add-member <name>`: `name`). */
  readonly argument?: string;
}

/** A command that needs only the repository: no Pulumi CLI, backend or credentials. */
export interface OfflineCommand extends CommandDescription {
  readonly offline: true;
  /** Resolves with the process exit code. */
  report(validation: MeshValidation, log: Log, invocation: Invocation): number;
}

/** A command that runs against the stacks, after `validate` has passed. */
export interface StackCommand extends CommandDescription {
  readonly offline?: false;
  /**
   * Whether the findings of `validate` stop it: they do for what deploys; `destroy` only warns, so
   * that a broken stack file never stands between a user and tearing its stacks down.
   */
  readonly findingsStopIt: boolean;
  /** Whether it asks before it changes anything: off a terminal it then needs `--yes`, checked before anything runs. */
  readonly asksFirst: boolean;
  /**
   * The question to confirm before the workspace is opened, for commands that cannot be undone;
   * `--yes` answers it.
   */
  confirmation?(plan: MeshPlan): string;
  /** Resolves with the process exit code. */
  run(context: CommandContext, invocation: Invocation): Promise<number>;
}

export type MeshCommand = OfflineCommand | StackCommand;
