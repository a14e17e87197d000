/**
 * Finds the mesh's stacks from the stack files in the repository root, so that a new member
 * cluster is a new `Pulumi.<stack>.yaml` and never a code change.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { isRecord } from "../config/fields";
import { readProjectFile } from "../config/projectFile";

/** A problem with the stack files or the command line that the user has to fix. */
export class LayoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LayoutError";
  }
}

type StackRole = "trust" | "cluster";

/** What the orchestrator needs from one `Pulumi.<stack>.yaml`. */
interface StackFile {
  /** Stack name (the `<stack>` in `Pulumi.<stack>.yaml`). */
  name: string;
  /** Absolute path of the stack file. */
  file: string;
  role: StackRole;
  /**
   * The secrets provider the stack file records: its `secretsprovider`, or `passphrase` when it only
   * has an `encryptionsalt`; undefined when the file records none (stack not created yet, or the
   * backend's default provider).
   */
  secretsProvider?: string;
  /** The stack file's `config` block as written (values are not decrypted). */
  config: Record<string, unknown>;
}

/** Every stack of the mesh, as found in the repository root. */
export interface MeshLayout {
  root: string;
  /** Project name from `Pulumi.yaml` (the namespace of the project's config keys). */
  project: string;
  /** `backend.url` from `Pulumi.yaml`, when it sets one. */
  backendUrl?: string;
  /** The trust stack (the one whose stack file sets `<project>:role: trust`). */
  trust: string;
  /** Every other stack, sorted by name. */
  clusters: string[];
  files: Record<string, StackFile>;
  /** The project-level config values of `Pulumi.yaml`, by full key. */
  defaults: Record<string, unknown>;
}

/** The stacks one command works on. */
export interface Selection {
  /** The trust stack, when selected. */
  trust?: string;
  /** Selected cluster stacks, sorted by name. */
  clusters: string[];
}

/**
 * The stacks of a layout, plan or selection in the order the commands take them: the trust stack
 * first, since every cluster stack reads the CA it issues, or last when tearing down, so that it
 * outlives the clusters that still depend on it.
 */
export function stackOrder(
  stacks: { trust?: string; clusters: readonly string[] },
  trust: "trust first" | "trust last" = "trust first",
): string[] {
  const trustStack = stacks.trust ? [stacks.trust] : [];
  return trust === "trust first" ? [...trustStack, ...stacks.clusters] : [...stacks.clusters, ...trustStack];
}

const stackFilePattern = /^Pulumi\.(.+)\.ya?ml$/;

/** Reads `Pulumi.yaml` and every `Pulumi.<stack>.yaml` in `root`. */
export function discoverStacks(root: string): MeshLayout {
  const { name: project, defaults, backendUrl } = readProjectFileOf(root);

  const files: Record<string, StackFile> = {};
  for (const entry of fs.readdirSync(root).sort()) {
    const match = stackFilePattern.exec(entry);
    if (!match) continue;
    const name = match[1]!;
    if (files[name]) throw new LayoutError(`stack ${name} has two stack files (Pulumi.${name}.yaml and .yml)`);
    const file = path.join(root, entry);
    const doc = (readYaml(file) ?? {}) as Record<string, unknown>;
    const config = isRecord(doc.config) ? doc.config : {};
    const role = setting(config, project, "role") ?? defaults[`${project}:role`];
    if (role !== "trust" && role !== "cluster") {
      throw new LayoutError(`${entry}: ${project}:role must be 'trust' or 'cluster' (got '${String(role)}')`);
    }
    const explicitProvider = typeof doc.secretsprovider === "string" ? doc.secretsprovider : undefined;
    const secretsProvider = explicitProvider ?? (doc.encryptionsalt !== undefined ? "passphrase" : undefined);
    files[name] = { name, file, role, secretsProvider, config };
  }

  const trusts = Object.values(files)
    .filter((f) => f.role === "trust")
    .map((f) => f.name);
  if (trusts.length === 0) {
    throw new LayoutError(
      `no trust stack: no Pulumi.<stack>.yaml in ${root} sets '${project}:role: trust' ` +
        `(the trust stack is normally Pulumi.${String(defaults[`${project}:trustStack`])}.yaml)`,
    );
  }
  if (trusts.length > 1) {
    throw new LayoutError(`more than one trust stack (${trusts.join(", ")}): exactly one stack file may set ${project}:role: trust`);
  }
  const trust = trusts[0]!;
  const clusters = Object.keys(files)
    .filter((n) => n !== trust)
    .sort();
  return { root, project, backendUrl, trust, clusters, files, defaults };
}

/** Narrows the layout to the stacks named on the command line (all of them when none are named). */
export function selectStacks(layout: MeshLayout, names?: readonly string[]): Selection {
  if (!names || names.length === 0) return { trust: layout.trust, clusters: [...layout.clusters] };
  const known = stackOrder(layout);
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length > 0) {
    throw new LayoutError(`unknown stack(s) ${unknown.join(", ")}; the stack files define ${known.join(", ")}`);
  }
  return {
    trust: names.includes(layout.trust) ? layout.trust : undefined,
    clusters: layout.clusters.filter((c) => names.includes(c)),
  };
}

/** Result of checking that every stack shares one secrets provider (docs/architecture.md, "Stacks"). */
interface SecretsCheck {
  /** The provider the stack files agree on, used when the orchestrator creates a missing stack. */
  provider?: string;
}

/**
 * All stacks must use the same secrets provider, or StackReference silently drops the peers' secret
 * outputs. Stack files record the provider once the stack exists; this refuses stack files that
 * record different ones.
 */
export function checkSecretsProviders(layout: MeshLayout): SecretsCheck {
  const byProvider = new Map<string, string[]>();
  for (const file of Object.values(layout.files)) {
    if (file.secretsProvider === undefined) continue;
    byProvider.set(file.secretsProvider, [...(byProvider.get(file.secretsProvider) ?? []), file.name]);
  }
  if (byProvider.size > 1) {
    const described = [...byProvider].map(([provider, stacks]) => `${stacks.join(", ")}: ${redactProvider(provider)}`).join("; ");
    throw new LayoutError(
      `the stacks use different secrets providers (${described}); every stack must use the same one, ` +
        `or StackReference drops the peers' secret outputs (see 'pulumi stack change-secrets-provider')`,
    );
  }
  return { provider: byProvider.size === 1 ? [...byProvider.keys()][0] : undefined };
}

/** Provider URLs can carry credentials in their query; show scheme and host/path only. */
function redactProvider(provider: string): string {
  return provider.replace(/\?.*$/, "?…");
}

function readProjectFileOf(root: string): ReturnType<typeof readProjectFile> {
  try {
    return readProjectFile(root);
  } catch (error) {
    throw new LayoutError((error as Error).message);
  }
}

/** A project config key as written in a stack file (`<project>:key`, or the bare key). */
export function setting(config: Record<string, unknown>, project: string, key: string): unknown {
  return config[`${project}:${key}`] ?? config[key];
}

function readYaml(file: string): unknown {
  try {
    return parseYaml(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new LayoutError(`cannot read ${path.basename(file)}: ${(err as Error).message}`);
  }
}
