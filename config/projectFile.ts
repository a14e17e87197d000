import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { isRecord } from "./fields";

/** What the program and the orchestrator read from `Pulumi.yaml`. */
interface ProjectFile {
  /** The project name: the namespace of the project's own config keys (`<name>:members`). */
  name: string;
  /**
   * The project-level config values declared in `Pulumi.yaml` (`default:` or `value:`), by full key
   * (`<name>:members`). The engine applies them on `pulumi up`; the program applies them again so
   * that it behaves the same where no engine runs (unit tests), and the orchestrator reads them to
   * check the stack files against them.
   */
  defaults: Record<string, unknown>;
  /** `backend.url`, when the project pins its state backend there (the orchestrator must not replace it). */
  backendUrl?: string;
}

/** The directory that holds this project's `Pulumi.yaml`. */
export const projectRoot = path.join(__dirname, "..");

const projectFileNames = ["Pulumi.yaml", "Pulumi.yml"];

/** Reads the `Pulumi.yaml` (or `Pulumi.yml`) in `root`; throws a plain message when it is missing or unreadable. */
export function readProjectFile(root: string = projectRoot): ProjectFile {
  const file = projectFileNames.map((name) => path.join(root, name)).find((candidate) => fs.existsSync(candidate));
  if (!file) throw new Error(`no Pulumi.yaml in ${root}`);
  let document: { name?: unknown; config?: unknown; backend?: unknown };
  try {
    document = (parseYaml(fs.readFileSync(file, "utf8")) ?? {}) as typeof document;
  } catch (error) {
    throw new Error(`cannot read ${path.basename(file)}: ${(error as Error).message}`);
  }
  if (typeof document.name !== "string" || document.name === "") throw new Error(`${path.basename(file)} has no project name`);
  const name = document.name;
  const declared = isRecord(document.config) ? document.config : {};
  const defaults: Record<string, unknown> = {};
  for (const [key, declaration] of Object.entries(declared)) {
    const fullKey = key.includes(":") ? key : `${name}:${key}`;
    if (isRecord(declaration)) {
      const value = declaration.default ?? declaration.value;
      if (value !== undefined) defaults[fullKey] = value;
    } else {
      defaults[fullKey] = declaration;
    }
  }
  const backendUrl = isRecord(document.backend) && typeof document.backend.url === "string" ? document.backend.url : undefined;
  return { name, defaults, ...(backendUrl ? { backendUrl } : {}) };
}

/** The project-level config values of the `Pulumi.yaml` in `root`, by full key (see {@link ProjectFile.defaults}). */
export function projectDefaults(root: string = projectRoot): Record<string, unknown> {
  return readProjectFile(root).defaults;
}

/** This project's name, as its `Pulumi.yaml` spells it. */
export const projectName = readProjectFile().name;
