/**
 * The rehearsal's work folder: a copy of the program, the orchestrator and the policy pack (with the
 * repository's node_modules linked), its own stack files, a file state backend, a Pulumi home with
 * the toolchain's plugins installed from files, and the environment every Pulumi command runs with.
 * Nothing is downloaded at run time.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify as toYaml } from "yaml";

/** What the work folder holds of the repository: what `npm run mesh` and the program read. */
const copied = [
  "Pulumi.yaml",
  "package.json",
  "tsconfig.json",
  ".pulumi.version",
  "index.ts",
  "components",
  "config",
  "doctor",
  "model",
  "orchestrator",
  "policy",
];

export interface Workdir {
  root: string;
  /** The project copy: Pulumi.yaml, the stack files, the program. */
  project: string;
  state: string;
  /** Environment of every Pulumi command: the toolchain first on PATH, the file backend, the passphrase. */
  env: NodeJS.ProcessEnv;
  /** The passphrase of every stack, generated for this rehearsal. */
  passphrase: string;
}

/** Creates the work folder under `root` (which must not exist yet, or be empty). */
export function createWorkdir(repoRoot: string, root: string, bin: string): Workdir {
  const project = path.join(root, "project");
  fs.mkdirSync(project, { recursive: true });
  fs.mkdirSync(path.join(root, "state"), { recursive: true });
  for (const entry of copied) {
    fs.cpSync(path.join(repoRoot, entry), path.join(project, entry), {
      recursive: true,
      filter: (source) => !source.includes("node_modules"),
    });
  }
  fs.symlinkSync(path.join(repoRoot, "node_modules"), path.join(project, "node_modules"));
  fs.writeFileSync(path.join(root, "passphrase"), randomBytes(16).toString("hex"), { mode: 0o600 });
  return openWorkdir(root, bin);
}

/** A work folder made by {@link createWorkdir}, such as a kept rehearsal's. */
export function openWorkdir(root: string, bin: string): Workdir {
  const project = path.join(root, "project");
  const state = path.join(root, "state");
  const passphraseFile = path.join(root, "passphrase");
  if (!fs.existsSync(passphraseFile)) throw new Error(`${root} holds no rehearsal (run npm run rehearse -- --keep first)`);
  const passphrase = fs.readFileSync(passphraseFile, "utf8");
  // The Kubernetes provider leaves kubeconfigs in the temporary folder: this one goes with the work folder.
  const temp = path.join(root, "tmp");
  fs.mkdirSync(temp, { recursive: true, mode: 0o700 });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TMPDIR: temp,
    PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}`,
    PULUMI_HOME: path.join(root, "pulumi-home"),
    PULUMI_BACKEND_URL: `file://${state}`,
    PULUMI_CONFIG_PASSPHRASE: passphrase,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_SKIP_CONFIRMATIONS: "true",
  };
  return { root, project, state, env, passphrase };
}

/**
 * Runs the toolchain's `pulumi` in the project copy; resolves with its stdout, rejects with its
 * output on failure. Never synchronous: the chart server runs in this process and must keep answering.
 */
export function pulumi(workdir: Workdir, args: readonly string[], input?: string, timeoutMs = 120_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      "pulumi",
      [...args, "--non-interactive"],
      { cwd: workdir.project, env: workdir.env, encoding: "utf8", timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error)
          reject(
            Object.assign(new Error(`pulumi ${args.join(" ")}: ${stderr.trim().split("\n").slice(-8).join("\n") || error.message}`), {
              stdout,
              stderr,
            }),
          );
        else resolve(stdout);
      },
    );
    child.stdin?.end(input);
  });
}

/** Installs a provider plugin from the toolchain's binary, at the version the program's SDK asks for. */
export async function installPlugin(workdir: Workdir, name: string, version: string, binary: string): Promise<void> {
  await pulumi(workdir, ["plugin", "install", "resource", name, version, "--file", binary]);
}

/** Writes `Pulumi.<stack>.yaml`, creates the stack and stores `secrets` with `pulumi config set --secret`. */
export async function createStack(
  workdir: Workdir,
  stack: string,
  config: Record<string, unknown>,
  secrets: Record<string, string> = {},
): Promise<void> {
  fs.writeFileSync(path.join(workdir.project, `Pulumi.${stack}.yaml`), toYaml({ config }));
  await pulumi(workdir, ["stack", "init", stack, "--secrets-provider", "passphrase"]);
  for (const [key, value] of Object.entries(secrets)) await pulumi(workdir, ["config", "set", "--secret", "--stack", stack, key], value);
}

/** The version of an npm package in the repository's package-lock.json: the plugin version its SDK requests. */
export function lockedVersion(repoRoot: string, packageName: string): string {
  const lock = JSON.parse(fs.readFileSync(path.join(repoRoot, "package-lock.json"), "utf8")) as {
    packages: Record<string, { version?: string }>;
  };
  const version = lock.packages[`node_modules/${packageName}`]?.version;
  if (!version) throw new Error(`package-lock.json has no ${packageName}`);
  return version;
}
