/**
 * The processes a rehearsal starts, and only those: each is recorded by PID (in memory and in a file,
 * so that `npm run rehearse -- down` can stop what a `--keep` run left), logs to a file of its own,
 * and is stopped by that PID: TERM, then KILL after a bounded wait. Every wait here is bounded.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";

/** One started process, as the record file keeps it. */
export interface ProcessRecord {
  name: string;
  pid: number;
  /** The program's path: `down` stops a PID only while it still runs this program. */
  command: string;
  log: string;
}

/** Polls `ready` every `intervalMs` until it holds, or fails after `timeoutMs` naming what it waited for. */
export async function waitUntil(what: string, timeoutMs: number, ready: () => Promise<boolean> | boolean, intervalMs = 250): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await ready()) return;
    } catch (error) {
      lastError = error;
    }
    await sleep(intervalMs);
  }
  const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : "";
  throw new Error(`timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${what}${cause}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** True while `pid` is a live process running `command` (not exited, not a zombie, not a reused PID). */
function runs(record: ProcessRecord): boolean {
  let stat: string;
  let cmdline: string;
  try {
    stat = fs.readFileSync(`/proc/${record.pid}/stat`, "utf8");
    cmdline = fs.readFileSync(`/proc/${record.pid}/cmdline`, "utf8");
  } catch {
    return false;
  }
  const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  return state !== "Z" && state !== "X" && cmdline.split("\0").includes(record.command);
}

/** Stops each recorded process that still runs its program, last started first. */
export async function stopProcesses(records: readonly ProcessRecord[], timeoutMs = 10_000): Promise<void> {
  for (const record of [...records].reverse()) {
    if (!runs(record)) continue;
    process.kill(record.pid, "SIGTERM");
    try {
      await waitUntil(`${record.name} (pid ${record.pid}) to stop`, timeoutMs, () => !runs(record), 100);
    } catch {
      if (runs(record)) process.kill(record.pid, "SIGKILL");
      await waitUntil(`${record.name} (pid ${record.pid}) to be killed`, timeoutMs, () => !runs(record), 100);
    }
  }
}

/** The long-running processes of one rehearsal, recorded in `recordFile` as they start. */
export class ProcessGroup {
  private readonly records: ProcessRecord[] = [];

  constructor(private readonly recordFile: string) {}

  /**
   * Starts `command` detached (it outlives this process when the rehearsal keeps its control planes),
   * with its output in `log`. `wrapper` runs it through another program, such as `ip netns exec <ns>`,
   * which execs it under the same PID.
   */
  start(
    name: string,
    command: string,
    args: readonly string[],
    options: { log: string; env?: NodeJS.ProcessEnv; wrapper?: string[]; cwd?: string },
  ): void {
    const out = fs.openSync(options.log, "a");
    const [program, ...programArgs] = [...(options.wrapper ?? []), command, ...args];
    const child = spawn(program!, programArgs, {
      stdio: ["ignore", out, out],
      env: options.env ?? process.env,
      cwd: options.cwd,
      detached: true,
    });
    fs.closeSync(out);
    if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
    child.unref();
    this.records.push({ name, pid: child.pid, command, log: options.log });
    fs.writeFileSync(this.recordFile, JSON.stringify(this.records, null, 2));
  }

  /** Fails naming the first process that has stopped, with the end of its log. */
  assertRunning(): void {
    for (const record of this.records) {
      if (runs(record)) continue;
      const tail = fs.existsSync(record.log) ? fs.readFileSync(record.log, "utf8").trim().split("\n").slice(-8).join("\n") : "";
      throw new Error(`${record.name} (pid ${record.pid}) has stopped; the end of ${record.log}:\n${tail}`);
    }
  }

  /** Stops the named processes, keeping the others (and their records) running. */
  async stop(names: readonly string[]): Promise<void> {
    const stopping = this.records.filter((record) => names.includes(record.name));
    await stopProcesses(stopping);
    this.records.splice(0, this.records.length, ...this.records.filter((record) => !stopping.includes(record)));
    fs.writeFileSync(this.recordFile, JSON.stringify(this.records, null, 2));
  }

  async stopAll(): Promise<void> {
    await stopProcesses(this.records);
    this.records.length = 0;
    fs.rmSync(this.recordFile, { force: true });
  }
}

/** The records a kept rehearsal left, for `down`. */
export function readProcessRecords(recordFile: string): ProcessRecord[] {
  return fs.existsSync(recordFile) ? (JSON.parse(fs.readFileSync(recordFile, "utf8")) as ProcessRecord[]) : [];
}
