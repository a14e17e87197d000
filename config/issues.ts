import type { z } from "zod";

/** A path inside a config value as a user writes it: `[0]` for an index, `.name` for a field. */
export function pathSuffix(path: readonly PropertyKey[]): string {
  return path.map((part) => (typeof part === "number" || /^\d+$/.test(String(part)) ? `[${String(part)}]` : `.${String(part)}`)).join("");
}

/**
 * One line per zod issue, `<key>: <what is expected>`, in the wording of every other config message.
 * `where` names the config key an issue's path points into, such as `burstmesh:nodePool.desiredCount`.
 */
export function formatIssues(zodIssues: readonly z.core.$ZodIssue[], where: (path: readonly PropertyKey[]) => string): string[] {
  return zodIssues.flatMap((issue) => {
    const key = where(issue.path);
    if (issue.code === "unrecognized_keys" && issue.message.startsWith("Unrecognized key")) {
      return issue.keys.map((unknownKey) => `${key}.${unknownKey}: is not a known setting`);
    }
    if (issue.code === "invalid_type" && issue.input === undefined) {
      return [`${key}: ${/required/.test(issue.message) ? issue.message : "is required"}`];
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
export function issuesAt(key: string, zodIssues: readonly z.core.$ZodIssue[]): string[] {
  return formatIssues(zodIssues, (path) => key + pathSuffix(path));
}
