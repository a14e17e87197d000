/**
 * The Pulumi CLI the orchestrator drives: the one on PATH, or else the pinned version, installed into
 * the project on the first run so that `npm ci && npm run mesh -- up` needs nothing but cloud credentials.
 */
import { ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { PulumiCommand } from "@pulumi/pulumi/automation";
import type { Log } from "./ports";

/** The file that pins the Pulumi CLI version, for the orchestrator and for the workflows (`pulumi-version-file`). */
export const PULUMI_VERSION_FILE = ".pulumi.version";

/** Where the orchestrator installs the pinned CLI when none is on PATH (git-ignored), one folder per version. */
export const LOCAL_CLI_DIR = ".pulumi-cli";

/** Set (to anything but empty) to keep the orchestrator from installing the CLI. */
export const NO_CLI_INSTALL_VARIABLE = "BURSTMESH_NO_CLI_INSTALL";

/** The Pulumi CLI is not installed or not on PATH. */
export class MissingPulumiCliError extends Error {
  constructor(command: string, reason = "") {
    super(
      `the Pulumi CLI ('${command}') was not found${reason}. The orchestrator drives the Pulumi CLI through the Automation API: ` +
        "install the Pulumi CLI (https://www.pulumi.com/docs/install/) and put it on PATH, then run this again.",
    );
    this.name = "MissingPulumiCliError";
  }
}

/** The Pulumi CLI version pinned in `<root>/.pulumi.version`: an exact `x.y.z`. */
export function pinnedPulumiVersion(root: string): string {
  const file = path.join(root, PULUMI_VERSION_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new Error(`cannot read the pinned Pulumi CLI version: ${(err as Error).message}`);
  }
  const version = text.trim();
  if (!/^\d+\.\d+\.\d+$/.test(version)) throw new Error(`${PULUMI_VERSION_FILE} must hold one exact version x.y.z (got '${version}')`);
  return version;
}

interface CliSetup {
  root: string;
  env: Readonly<Record<string, string | undefined>>;
  log: Log;
  /** Resolves with the version of the CLI on PATH; rejects with MissingPulumiCliError when there is none. */
  findOnPath(): Promise<string>;
  /** Installs `version` into `root` (or reuses an installation there) and resolves with that CLI. */
  install(options: { root: string; version: string }): Promise<PulumiCommand>;
}

/**
 * The CLI to hand to the workspace: undefined for the one on PATH, else the pinned version installed
 * under `.pulumi-cli/<version>`. A CLI on PATH that fails is reported, not replaced.
 */
export async function resolvePulumiCli(setup: CliSetup): Promise<PulumiCommand | undefined> {
  try {
    await setup.findOnPath();
    return undefined;
  } catch (err) {
    if (!(err instanceof MissingPulumiCliError)) throw err;
    if (setup.env[NO_CLI_INSTALL_VARIABLE]) {
      throw new MissingPulumiCliError("pulumi", ` on PATH, and ${NO_CLI_INSTALL_VARIABLE} keeps the orchestrator from installing it`);
    }
  }
  const version = pinnedPulumiVersion(setup.root);
  const installRoot = path.join(setup.root, LOCAL_CLI_DIR, version);
  const shown = path.join(LOCAL_CLI_DIR, version);
  const binary = path.join(installRoot, "bin", process.platform === "win32" ? "pulumi.exe" : "pulumi");
  setup.log.out(
    fs.existsSync(binary)
      ? `no Pulumi CLI on PATH: using the Pulumi CLI ${version} in ${shown}`
      : `no Pulumi CLI on PATH: installing the Pulumi CLI ${version} (pinned in ${PULUMI_VERSION_FILE}) into ${shown} ` +
          `(set ${NO_CLI_INSTALL_VARIABLE}=1 to install it yourself instead)`,
  );
  try {
    return await setup.install({ root: installRoot, version });
  } catch (err) {
    throw new Error(
      `could not install the Pulumi CLI ${version} into ${shown}: ${(err as Error).message.trim()}. ` +
        "Install the Pulumi CLI (https://www.pulumi.com/docs/install/), put it on PATH and run this again.",
    );
  }
}

/** The Automation API's installer: downloads Pulumi's install script and runs it for `version` into `root`. */
export async function installWithAutomationApi(options: { root: string; version: string }): Promise<PulumiCommand> {
  const [{ PulumiCommand }, { SemVer }] = await Promise.all([import("@pulumi/pulumi/automation"), import("semver")]);
  return PulumiCommand.install({ root: options.root, version: new SemVer(options.version) });
}

/** Runs `<command> version`; resolves with the version, rejects with a clear error when the CLI is missing or broken. */
export function checkPulumiCli(command = "pulumi", timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    let settled = false;
    // Our own timer (not spawn's `timeout` option, whose timer outlives a spawn that fails with ENOENT).
    const watchdog: { timer?: NodeJS.Timeout } = {};
    const settle = (err: Error | undefined, version?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(watchdog.timer);
      if (err) reject(err);
      else resolve(version ?? "");
    };
    let child: ChildProcessWithoutNullStreams;
    try {
      child = spawn(command, ["version"], { stdio: "pipe" });
    } catch (err) {
      settle(isNotFound(err) ? new MissingPulumiCliError(command) : (err as Error));
      return;
    }
    child.stdin.end();
    watchdog.timer = setTimeout(() => {
      child.kill();
      settle(new Error(`'${command} version' did not finish within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    watchdog.timer.unref();
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", (err) =>
      settle(isNotFound(err) ? new MissingPulumiCliError(command) : new Error(`cannot run '${command} version': ${err.message}`)),
    );
    child.on("close", (code, signal) => {
      if (code === 0) settle(undefined, stdout.trim());
      else
        settle(
          new Error(`'${command} version' failed (${signal ?? `exit code ${code}`}): ${(stderr.trim() || stdout.trim()).slice(0, 2000)}`),
        );
    });
  });
}

function isNotFound(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === "ENOENT" || code === "EACCES";
}
