import type { z } from "zod";

/** A path inside a config value as a user writes it: `[0]` for an index, `.name` for a field. */
export function pathSuffix(path: readonly PropertyKey[]): string {
  return path.map((part) => (typeof part === "number" || /^\d+$/.test(String(part)) ? `[${String(part)}]` : `.${String(part)}`)).join("");
}

/**
 * The message for a key nobody reads, with the known key it most likely misspells: a typo must not
 * pass for a setting left at its default.
 */
export function unknownKeyMessage(key: string, known: readonly string[]): string {
  const suggestion = nearest(key, known);
  return suggestion === undefined ? "is not a known setting" : `is not a known setting; did you mean '${suggestion}'?`;
}

/** The candidate closest to `name`, when it is close enough to be a typo of it (or differs only in case). */
function nearest(name: string, candidates: readonly string[]): string | undefined {
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (!best || distance < best.distance) best = { candidate, distance };
  }
  const tolerance = Math.max(2, Math.floor(name.length / 4));
  return best && best.distance <= tolerance ? best.candidate : undefined;
}

/** Levenshtein distance: insertions, deletions and substitutions. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The zod definition fields this module looks through to find the object a path points into. */
interface SchemaDef {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  element?: z.ZodType;
  options?: readonly z.ZodType[];
  valueType?: z.ZodType;
}

function defOf(schema: z.ZodType): SchemaDef {
  return (schema as unknown as { def: SchemaDef }).def;
}

/** The keys the object schema at `path` inside `schema` takes (through defaults, pipes, lists and unions). */
function keysAt(schema: z.ZodType | undefined, path: readonly PropertyKey[]): string[] {
  if (!schema) return [];
  const def = defOf(schema);
  switch (def.type) {
    case "optional":
    case "default":
    case "prefault":
    case "nullable":
    case "readonly":
    case "catch":
      return keysAt(def.innerType, path);
    case "pipe":
      return keysAt(def.in, path);
    case "union":
      return [...new Set((def.options ?? []).flatMap((option) => keysAt(option, path)))];
    case "array":
      return path.length === 0 ? [] : keysAt(def.element, path.slice(1));
    case "record":
      return path.length === 0 ? [] : keysAt(def.valueType, path.slice(1));
    case "object": {
      const shape = (schema as unknown as { shape: Record<string, z.ZodType> }).shape;
      if (path.length === 0) return Object.keys(shape);
      return keysAt(shape[String(path[0])], path.slice(1));
    }
    default:
      return [];
  }
}

/**
 * One line per zod issue, `<key>: <what is expected>`, in the wording of every other config message.
 * `where` names the config key an issue's path points into, such as `burstmesh:nodePool.desiredCount`;
 * `schema`, the schema the issues came from, lets an unknown key suggest the known one it misspells.
 */
export function formatIssues(
  zodIssues: readonly z.core.$ZodIssue[],
  where: (path: readonly PropertyKey[]) => string,
  schema?: z.ZodType,
): string[] {
  return zodIssues.flatMap((issue) => {
    const key = where(issue.path);
    if (issue.code === "unrecognized_keys" && issue.message.startsWith("Unrecognized key")) {
      const known = keysAt(schema, issue.path);
      return issue.keys.map((unknownKey) => `${key}.${unknownKey}: ${unknownKeyMessage(unknownKey, known)}`);
    }
    if (issue.input === undefined && (issue.code === "invalid_type" || issue.code === "invalid_value")) {
      if (/required/.test(issue.message)) return [`${key}: ${issue.message}`];
      const choices = issue.code === "invalid_value" ? ` (${issue.values.map((v) => `'${String(v)}'`).join(" or ")})` : "";
      return [`${key}: is required${choices}`];
    }
    if (issue.code === "invalid_type" && issue.message.startsWith("Invalid input")) {
      const expected = issue.expected === "array" ? "a list" : issue.expected === "object" ? "an object" : `a ${issue.expected}`;
      return [`${key}: must be ${expected}`];
    }
    if (issue.code === "invalid_key") return [`${key}: ${issue.issues[0]?.message ?? "is not a valid key"}`];
    return [`${key}: ${issue.message}`];
  });
}

/** {@link formatIssues} for a value stored under one config key, such as `burstmesh:drill`. */
export function issuesAt(key: string, zodIssues: readonly z.core.$ZodIssue[], schema?: z.ZodType): string[] {
  return formatIssues(zodIssues, (path) => key + pathSuffix(path), schema);
}
