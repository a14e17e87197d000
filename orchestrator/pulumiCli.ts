/** Checks that the Pulumi CLI is installed before the orchestrator does anything else. */
import { ChildProcessWithoutNullStreams, spawn } from "node:child_process";

/** The Pulumi CLI is not installed or not on PATH. */
export class MissingPulumiCliError extends Error {
  constructor(command: string) {
    super(
      `the Pulumi CLI ('${command}') was not found. The orchestrator drives the Pulumi CLI through the Automation API: ` +
        "install the Pulumi CLI (https://www.pulumi.com/docs/install/) and put it on PATH, then run this again.",
    );
    this.name = "MissingPulumiCliError";
  }
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
