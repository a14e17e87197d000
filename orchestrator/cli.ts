/**
 * `npm run mesh -- validate|up|preview|destroy|status [--stacks a,b] [--max-passes N] [--json] [--yes]`
 *
 * Wires the stack discovery, the commands (`commands/`) and the Automation API adapter
 * (`workspace.ts`). `main` takes its dependencies as arguments so tests can run it offline.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import type { PulumiCommand } from "@pulumi/pulumi/automation";
import { chooseBackend, passphraseByDefault, prepareBackend, readStoredLogin, strandedStateWarning } from "./backend";
import { COMMANDS } from "./commands";
import type { CommandOption, Invocation, MeshCommand } from "./commands/command";
import { DEFAULT_MAX_PASSES } from "./commands/up";
import { checkSecretsProviders, selectStacks, stackOrder } from "./discovery";
import { fileEngineLogs } from "./engineLogs";
import { errorMessage } from "./errors";
import { LiveStatus, type StatusTerminal } from "./liveStatus";
import { providePassphrase } from "./passphrase";
import type { Log, MeshPlan, MeshWorkspace } from "./ports";
import { checkPulumiCli, installWithAutomationApi, NO_CLI_INSTALL_VARIABLE, PULUMI_VERSION_FILE, resolvePulumiCli } from "./pulumiCli";
import { runBounded, type ToolRunner } from "./preflight";
import { askHiddenOnTerminal, confirmOnTerminal } from "./terminal";
import { describeFinding, validateMesh } from "./validate";
import type { WorkspaceOptions } from "./workspace";

/** Each command's name, then its summary in a column (the one USAGE has always had, wider for a longer name). */
function commandList(): string {
  const named = (c: MeshCommand) => (c.argument ? `${c.name} <${c.argument}>` : c.name);
  const width = Math.max(8, ...COMMANDS.map((c) => named(c).length));
  return COMMANDS.flatMap((c) => c.summary.map((line, i) => `  ${(i === 0 ? named(c) : "").padEnd(width)}  ${line}`)).join("\n");
}

export const USAGE = `Usage: npm run mesh -- <command> [options]

Runs every stack of the mesh in the right order through the Pulumi Automation API.

Commands:
${commandList()}

Options:
  --stacks a,b,c    Only these stacks (default: every Pulumi.<stack>.yaml in the repository root;
                    the one with 'burstmesh:role: trust' is the trust stack, the others are clusters).
  --max-passes N    Most cluster passes 'up' runs before giving up (default ${DEFAULT_MAX_PASSES}).
  -v, --verbose     Stream the engine's output (by default it goes to .mesh-logs/<stack>.log).
  --json            validate: print the findings as JSON; preview, up: end with a one-line JSON
                    summary (each stack's changes, and for up every update and the passes).
  --member X        doctor: only member X's checks (and the mesh-wide ones);
                    rotate-intermediate: the member whose intermediate CA is renewed.
  --start           rotate-root: begin a rotation (phase 1 of 3).
  --pre             doctor: check this machine before a first up (CLI, backend, secrets,
                    cloud sign-in, kubelogin, vCPU quota).
  --istiod-url X=U  doctor: member X's istiod debug endpoints are at U (http://host:port/debug);
                    by default the doctor port-forwards to istiod with kubectl.
  --to x.y.z        upgrade: the Istio version to upgrade to.
  --resume          upgrade: go on with an interrupted upgrade, from what the stacks published.
  --rollback        upgrade: undo an upgrade before its phase 3 (the old revision's removal).
  --yes             Deploy or destroy without asking (required for up and destroy when not run
                    from a terminal).
  -h, --help        Show this help.

First run: with no Pulumi CLI on PATH, the orchestrator installs the version pinned in
${PULUMI_VERSION_FILE} into .pulumi-cli/ (${NO_CLI_INSTALL_VARIABLE}=1 turns that off). With no
backend configured (PULUMI_BACKEND_URL unset, no 'pulumi login'), it keeps the state in
.pulumi-state/ and says how to switch.

Secrets: every stack must use the same secrets provider and, with the passphrase provider, the
same passphrase; otherwise StackReference silently drops the peers' secret outputs. Set
PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) in the environment, or type it when
asked on a terminal (hidden); the orchestrator never prints it.

Needs credentials for the clouds of the stacks you run.`;

export interface CliDeps {
  /** Repository root: Pulumi.yaml and the stack files. */
  repoRoot: string;
  env: Readonly<Record<string, string | undefined>>;
  log: Log;
  /** Resolves with the version of the Pulumi CLI on PATH; rejects with MissingPulumiCliError when there is none. */
  findCli(): Promise<string>;
  /** Installs the Pulumi CLI `version` into `root` (or reuses the installation there). */
  installCli(options: { root: string; version: string }): Promise<PulumiCommand>;
  /** The backend of `pulumi login`, undefined when there is none. */
  storedLogin(): string | undefined;
  /** The workspace stacks are opened in. */
  workspace(options: WorkspaceOptions): MeshWorkspace | Promise<MeshWorkspace>;
  /** Asks the user a yes/no question; undefined when there is no terminal to ask on. */
  confirm?(question: string): Promise<boolean>;
  /** Runs another program (a cloud's CLI, kubelogin), bounded in time; default {@link runBounded}. */
  runTool?: ToolRunner;
  /** Reads a line without echoing it; undefined when there is no terminal to ask on. */
  askHidden?(prompt: string): Promise<string>;
  /** Where each stack's raw engine output goes (one file per stack); undefined streams it, as `--verbose` does. */
  engineLogDir?: string;
  /** Where each running stack's live status line is drawn; undefined when the output is no terminal. */
  statusTerminal?: StatusTerminal;
}

function defaultDeps(): CliDeps {
  const onTerminal = !!process.stdin.isTTY;
  return {
    repoRoot: path.resolve(__dirname, ".."),
    env: process.env,
    log: { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) },
    findCli: () => checkPulumiCli(),
    installCli: installWithAutomationApi,
    storedLogin: () => readStoredLogin(process.env),
    workspace: async (options) => new (await import("./workspace")).AutomationWorkspace(options),
    confirm: onTerminal ? confirmOnTerminal : undefined,
    askHidden: onTerminal ? askHiddenOnTerminal : undefined,
    engineLogDir: path.resolve(__dirname, "..", ".mesh-logs"),
    statusTerminal: process.stdout.isTTY ? process.stdout : undefined,
  };
}

class UsageError extends Error {}

function commandNamed(name: string | undefined): MeshCommand | undefined {
  return COMMANDS.find((c) => c.name === name);
}

function requireAccepted(command: MeshCommand, option: CommandOption): void {
  if (command.options.includes(option)) return;
  const accepting = COMMANDS.filter((c) => c.options.includes(option)).map((c) => `'${c.name}'`);
  throw new UsageError(`--${option} applies to ${accepting.join(", ")} only`);
}

/** An invocation that gives no options: each one's default. */
export const noOptions: Omit<Invocation, "command" | "argument"> = {
  help: false,
  maxPasses: DEFAULT_MAX_PASSES,
  yes: false,
  json: false,
  verbose: false,
  pre: false,
  start: false,
  istiodUrls: [],
  resume: false,
  rollback: false,
};

export function parseCommandLine(argv: readonly string[]): Invocation {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        stacks: { type: "string" },
        "max-passes": { type: "string" },
        json: { type: "boolean" },
        verbose: { type: "boolean", short: "v" },
        yes: { type: "boolean", short: "y" },
        help: { type: "boolean", short: "h" },
        member: { type: "string" },
        pre: { type: "boolean" },
        start: { type: "boolean" },
        "istiod-url": { type: "string", multiple: true },
        to: { type: "string" },
        resume: { type: "boolean" },
        rollback: { type: "boolean" },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { ...noOptions, help: true };
  if (positionals.length === 0) throw new UsageError("no command given");
  const command = commandNamed(positionals[0]);
  if (!command) throw new UsageError(`unknown command '${positionals[0]}' (expected ${COMMANDS.map((c) => c.name).join(", ")})`);
  const [, argument, ...extra] = positionals;
  if (command.argument === undefined ? argument !== undefined : argument === undefined || extra.length > 0)
    throw new UsageError(
      command.argument === undefined
        ? `one command expected, got: ${positionals.join(" ")}`
        : `${command.name} takes one ${command.argument}: npm run mesh -- ${command.name} <${command.argument}>`,
    );
  let maxPasses = DEFAULT_MAX_PASSES;
  if (values["max-passes"] !== undefined) {
    if (!/^[1-9][0-9]*$/.test(values["max-passes"]))
      throw new UsageError(`--max-passes must be a positive integer (got '${values["max-passes"]}')`);
    requireAccepted(command, "max-passes");
    maxPasses = Number(values["max-passes"]);
  }
  let stacks: string[] | undefined;
  if (values.stacks !== undefined) {
    stacks = [
      ...new Set(
        values.stacks
          .split(",")
          .map((s) => s.trim())
          .filter((s) => s !== ""),
      ),
    ];
    if (stacks.length === 0) throw new UsageError("--stacks needs at least one stack name");
  }
  if (values.json) requireAccepted(command, "json");
  if (values.member !== undefined) requireAccepted(command, "member");
  if (values.pre) requireAccepted(command, "pre");
  if (values.start) requireAccepted(command, "start");
  if (values["istiod-url"] !== undefined) requireAccepted(command, "istiod-url");
  if (values.to !== undefined) requireAccepted(command, "to");
  if (values.resume) requireAccepted(command, "resume");
  if (values.rollback) requireAccepted(command, "rollback");
  return {
    command: command.name,
    argument,
    help: false,
    stacks,
    maxPasses,
    yes: !!values.yes,
    json: !!values.json,
    verbose: !!values.verbose,
    member: values.member,
    pre: !!values.pre,
    start: !!values.start,
    istiodUrls: values["istiod-url"] ?? [],
    to: values.to,
    resume: !!values.resume,
    rollback: !!values.rollback,
  };
}

/** Runs one command; resolves with the process exit code. */
export async function main(argv: readonly string[], deps: CliDeps = defaultDeps()): Promise<number> {
  const { log } = deps;
  let invocation: Invocation;
  try {
    invocation = parseCommandLine(argv);
  } catch (err) {
    log.err(`error: ${(err as Error).message}`);
    log.err(USAGE);
    return 2;
  }
  const command = commandNamed(invocation.command);
  if (invocation.help || !command) {
    log.out(USAGE);
    return 0;
  }

  // The offline check comes first, before the CLI install: a typo must not wait for a download.
  const validation = validateMesh(deps.repoRoot, invocation.stacks);
  if (command.offline) return command.report(validation, log, invocation);
  const { layout } = validation;
  for (const finding of validation.findings) {
    log.err(`${command.findingsStopIt && layout ? "error" : "warning"}: ${describeFinding(finding)}`);
  }
  if (!layout) return 1;
  if (command.findingsStopIt && validation.findings.length > 0) {
    log.err(`${command.name} stopped: fix the ${validation.findings.length} finding(s) above ('npm run mesh -- validate' checks again)`);
    return 1;
  }

  if (command.asksFirst && !invocation.yes && !deps.confirm) {
    log.err(`error: ${command.name} asks before it changes anything; re-run with --yes to confirm (no terminal to ask on)`);
    return 1;
  }

  let pulumiCommand: PulumiCommand | undefined;
  try {
    pulumiCommand = await resolvePulumiCli({
      root: deps.repoRoot,
      env: deps.env,
      log,
      findOnPath: () => deps.findCli(),
      install: (options) => deps.installCli(options),
    });
  } catch (err) {
    log.err(`error: ${(err as Error).message}`);
    return 1;
  }

  try {
    const selection = selectStacks(layout, invocation.stacks);
    const secrets = checkSecretsProviders(layout);
    const backend = chooseBackend({
      root: layout.root,
      env: deps.env,
      projectBackendUrl: layout.backendUrl,
      storedLogin: deps.storedLogin(),
    });
    if (backend.notice) log.out(backend.notice);
    const stranded = strandedStateWarning(layout.root, backend);
    if (stranded) log.err(`warning: ${stranded}`);
    const plan: MeshPlan = {
      trust: layout.trust,
      clusters: layout.clusters,
      selection,
      configs: validation.configs,
      files: {
        project: path.join(layout.root, "Pulumi.yaml"),
        stacks: Object.fromEntries(Object.values(layout.files).map((file) => [file.name, file.file])),
      },
    };
    log.out(
      `trust stack: ${layout.trust}; cluster stacks: ${layout.clusters.join(", ") || "(none)"}; this run: ${stackOrder(selection).join(", ")}`,
    );

    const question = command.confirmation?.(plan);
    if (question !== undefined && !invocation.yes) {
      if (!deps.confirm) {
        log.err(`error: ${question} Re-run with --yes to confirm (no terminal to ask on).`);
        return 1;
      }
      if (!(await deps.confirm(question))) {
        log.err(`${command.name} cancelled`);
        return 1;
      }
    }

    const passphrase = await providePassphrase({
      env: deps.env,
      recordedProvider: secrets.provider,
      passphraseByDefault: passphraseByDefault(backend),
      askHidden: deps.askHidden,
    });
    prepareBackend(backend);
    // The Kubernetes provider writes each cluster's kubeconfig, credentials included, to a temporary
    // file it never removes: the engine, the providers and Helm get a folder of this run's own
    // (mode 0700, as mkdtemp makes it), removed when the run ends, so none is left behind.
    const runTemp = fs.mkdtempSync(path.join(os.tmpdir(), "burstmesh-run-"));
    try {
      const workspace = await deps.workspace({
        workDir: layout.root,
        secretsProvider: secrets.provider,
        pulumiCommand,
        envVars: { ...backend.envVars, ...passphrase, TMPDIR: runTemp },
      });
      const settled = {
        cliVersion: pulumiCommand?.version?.toString() ?? (await deps.findCli()),
        backend: `${backend.url ?? "Pulumi Cloud"} (${backend.source})`,
        secretsProvider: secrets.provider ?? "passphrase",
      };
      const context = {
        workspace,
        log: runLog(deps, log, invocation.verbose),
        plan,
        confirm: deps.confirm,
        settled,
        runTool: deps.runTool ?? runBounded,
      };
      return await command.run(context, invocation);
    } finally {
      fs.rmSync(runTemp, { recursive: true, force: true });
    }
  } catch (err) {
    // LayoutError, StackFailedError, NotConvergedError: the message names the stack(s) and the cause.
    log.err(`error: ${errorMessage(err)}`);
    return 1;
  }
}

/**
 * Where a command prints: by default the engine's output goes to a file per stack and, on a terminal,
 * each running stack has a live status line; `--verbose` streams the engine's output instead.
 */
function runLog(deps: CliDeps, log: Log, verbose: boolean): Log {
  if (!deps.engineLogDir || verbose) return log;
  const status = deps.statusTerminal && new LiveStatus(deps.statusTerminal);
  const screen = status?.screen(log) ?? log;
  const files = fileEngineLogs(deps.engineLogDir, screen);
  return { out: (line) => screen.out(line), err: (line) => screen.err(line), engineLog: status ? status.follow(files) : files };
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`error: ${errorMessage(err)}\n`);
      process.exitCode = 1;
    },
  );
}
