/**
 * Where the stacks' state lives. The Pulumi CLI takes the backend from PULUMI_BACKEND_URL, else from
 * `backend.url` in Pulumi.yaml, else from `pulumi login` (the `current` entry of its credentials
 * file), else Pulumi Cloud with PULUMI_ACCESS_TOKEN. When none of these is set, a first run keeps the
 * state in a file backend inside the project instead of failing.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LayoutError } from "./discovery";

/** Where the orchestrator keeps the state when no backend is configured (git-ignored). */
export const LOCAL_STATE_DIR = ".pulumi-state";

interface Backend {
  /** The backend URL; undefined for Pulumi Cloud reached through PULUMI_ACCESS_TOKEN alone. */
  url?: string;
  /** Where the choice came from, for the log. */
  source: string;
  /** Variables the Pulumi CLI needs to use this backend (set only for the local fallback). */
  envVars: Record<string, string>;
  /** Said to the user: where the state is kept and how to switch. */
  notice?: string;
}

interface BackendInputs {
  root: string;
  env: Readonly<Record<string, string | undefined>>;
  /** `backend.url` from Pulumi.yaml, when it sets one. */
  projectBackendUrl?: string;
  /** The backend of `pulumi login` (the credentials file's `current`), undefined when there is none. */
  storedLogin?: string;
}

/** The backend the Pulumi CLI will use, or the project-local file backend when none is configured. */
export function chooseBackend({ root, env, projectBackendUrl, storedLogin }: BackendInputs): Backend {
  if (env.PULUMI_BACKEND_URL) return { url: env.PULUMI_BACKEND_URL, source: "PULUMI_BACKEND_URL", envVars: {} };
  if (projectBackendUrl) return { url: projectBackendUrl, source: "backend.url in Pulumi.yaml", envVars: {} };
  if (storedLogin) return { url: storedLogin, source: "pulumi login", envVars: {} };
  if (env.PULUMI_ACCESS_TOKEN) return { source: "PULUMI_ACCESS_TOKEN (Pulumi Cloud)", envVars: {} };
  if (env.CI) {
    throw new LayoutError(
      "no Pulumi backend is configured (PULUMI_BACKEND_URL is unset and there is no 'pulumi login'); in CI a state kept " +
        "in the checkout would be lost with the runner: set PULUMI_BACKEND_URL (s3://…, azblob://…, https://api.pulumi.com)",
    );
  }
  const dir = path.join(root, LOCAL_STATE_DIR);
  const url = `file://${dir}`;
  return {
    url,
    source: "local fallback",
    envVars: { PULUMI_BACKEND_URL: url },
    notice:
      `no Pulumi backend is configured (PULUMI_BACKEND_URL is unset and there is no 'pulumi login'): keeping the state in ` +
      `${dir} (git-ignored; back it up, it is the only record of what was created). To keep it elsewhere, set ` +
      `PULUMI_BACKEND_URL or run 'pulumi login <url>' (s3://…, azblob://…, https://api.pulumi.com); to move existing stacks, ` +
      `'pulumi stack export' them here and 'pulumi stack import' them there. To run pulumi by hand on this state: ` +
      `export PULUMI_BACKEND_URL=${url}`,
  };
}

/** The local fallback's folder must exist before the CLI opens it. */
export function prepareBackend(backend: Backend): void {
  if (backend.envVars.PULUMI_BACKEND_URL?.startsWith("file://")) {
    fs.mkdirSync(backend.envVars.PULUMI_BACKEND_URL.slice("file://".length), { recursive: true });
  }
}

/**
 * A warning when an earlier run kept state in the project-local folder but this run uses another
 * backend: those stacks are not seen from here.
 */
export function strandedStateWarning(root: string, backend: Backend): string | undefined {
  if (backend.envVars.PULUMI_BACKEND_URL) return undefined;
  const stacks = path.join(root, LOCAL_STATE_DIR, ".pulumi", "stacks");
  if (!fs.existsSync(stacks) || fs.readdirSync(stacks).length === 0) return undefined;
  return (
    `${path.join(root, LOCAL_STATE_DIR)} holds state from an earlier run with the local backend, but this run uses ` +
    `${backend.url ?? "Pulumi Cloud"} (${backend.source}); move those stacks with 'pulumi stack export' / 'pulumi stack import'`
  );
}

/**
 * Whether new stacks on this backend encrypt their secrets with a passphrase by default: the
 * self-managed backends (file, S3, Azure Blob, Google Cloud Storage) do; Pulumi Cloud does not.
 */
export function passphraseByDefault(backend: Backend): boolean {
  return backend.url !== undefined && /^(file|s3|azblob|gs):\/\//.test(backend.url);
}

/**
 * The backend of `pulumi login`: `current` in the CLI's credentials file, which lives in
 * PULUMI_CREDENTIALS_PATH, else PULUMI_HOME, else ~/.pulumi. Undefined when there is none.
 */
export function readStoredLogin(env: Readonly<Record<string, string | undefined>>, home = os.homedir()): string | undefined {
  const dir = env.PULUMI_CREDENTIALS_PATH || env.PULUMI_HOME || path.join(home, ".pulumi");
  const file = path.join(dir, "credentials.json");
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  if (text.trim() === "") return undefined;
  let current: unknown;
  try {
    current = (JSON.parse(text) as { current?: unknown }).current;
  } catch (err) {
    throw new LayoutError(`cannot read the Pulumi credentials file ${file}: ${(err as Error).message}; fix or delete it`);
  }
  return typeof current === "string" && current !== "" ? current : undefined;
}
