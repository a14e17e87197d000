import * as fs from "node:fs";
import { parse as parseYaml } from "yaml";
import { isRecord } from "./fields";

/** A stack file's config as the engine would hand it to the program, read without the engine. */
interface StackFileConfig {
  /** Every key with a plain value, encoded as the engine encodes it: text as written, the rest as JSON. */
  raw: Record<string, string>;
  /** Keys stored encrypted (`secure:`); their values cannot be read without the stack's secrets provider. */
  encrypted: string[];
}

/** Reads `Pulumi.<stack>.yaml`; a missing or empty file has no config. Throws a plain message when it is not YAML. */
export function readStackFileConfig(file: string): StackFileConfig {
  if (!fs.existsSync(file)) return { raw: {}, encrypted: [] };
  let document: unknown;
  try {
    document = parseYaml(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`cannot read ${file}: ${(error as Error).message}`);
  }
  const config = isRecord(document) && isRecord(document.config) ? document.config : {};
  const raw: Record<string, string> = {};
  const encrypted: string[] = [];
  for (const [key, value] of Object.entries(config)) {
    if (isRecord(value) && Object.keys(value).length === 1 && typeof value.secure === "string") encrypted.push(key);
    else if (value !== null && value !== undefined) raw[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return { raw, encrypted };
}
