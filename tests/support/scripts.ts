/**
 * The scripts in scripts/ as a person runs them: each answers --help with its usage, exit 0 and
 * nothing else; bad arguments get a message, not a stack trace; kind-down asks before it tears
 * anything down. The bash scripts run from a copy of scripts/ against fake tools first on PATH
 * that record every call, so a test sees what a script would have run: nothing here runs kind,
 * docker, pulumi or a download.
 */
import { spawnSync, SpawnSyncReturns } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { repoRoot } from "./stackFiles";

/** A node process's stack trace, which bad input must never print. */
export const stackTrace = /\n\s+at .+:\d+:\d+\)?\n/;

/** A scratch folder holding a copy of scripts/, fake tools and the log they write their calls to. */
export class Sandbox {
  readonly root = fs.mkdtempSync(path.join(os.tmpdir(), "burstmesh-scripts-"));
  readonly bin = path.join(this.root, "bin");
  readonly log = path.join(this.root, "calls.log");

  constructor(tools: readonly string[]) {
    fs.mkdirSync(this.bin);
    fs.mkdirSync(path.join(this.root, "scripts"));
    for (const script of ["kind-up.sh", "kind-down.sh"]) {
      fs.copyFileSync(path.join(repoRoot, "scripts", script), path.join(this.root, "scripts", script));
    }
    for (const tool of tools) {
      // `kind get clusters` answers with the two kind members, as once kind-up has run.
      const clusters = tool === "kind" ? `[ "$1 $2" = "get clusters" ] && printf '%s\\n' kind-home kind-burst\n` : "";
      fs.writeFileSync(path.join(this.bin, tool), `#!/usr/bin/env bash\necho "${tool} $*" >>"$FAKE_TOOLS_LOG"\n${clusters}exit 0\n`, {
        mode: 0o755,
      });
    }
  }

  /** Every call the fake tools recorded, one "tool args" per call. */
  calls(): string[] {
    return fs.existsSync(this.log) ? fs.readFileSync(this.log, "utf8").trimEnd().split("\n") : [];
  }

  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return { PATH: `${this.bin}:/usr/bin:/bin`, HOME: this.root, FAKE_TOOLS_LOG: this.log, ...extra };
  }

  /** Runs a copied script with its standard input a pipe (no terminal), fed `input`. */
  bash(script: string, args: string[], options: { input?: string; env?: Record<string, string> } = {}): SpawnSyncReturns<string> {
    return spawnSync("bash", [path.join(this.root, "scripts", script), ...args], {
      cwd: this.root,
      env: this.env(options.env),
      input: options.input ?? "",
      encoding: "utf8",
    });
  }

  remove(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

/** Runs one of the TypeScript scripts as its npm script does (ts-node, transpile-only), preloading `preloads`. */
export function tsScript(
  script: string,
  args: string[],
  preloads: string[] = [],
  env: Record<string, string> = {},
): SpawnSyncReturns<string> {
  const required = ["ts-node/register/transpile-only", ...preloads].flatMap((module) => ["--require", module]);
  return spawnSync(process.execPath, [...required, path.join(repoRoot, "scripts", script), ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    encoding: "utf8",
  });
}
