/**
 * Field schemas and parsing helpers that several config sections share: the units' zod fields, the
 * wording of type errors, JSON decoding of structured keys, and the "listed twice" check.
 */
import { z } from "zod";
import { cpuCores, durationSeconds, memoryBytes } from "../model/units";

/** A structured key as the engine hands it over: JSON text is decoded, anything else passes as it is. */
export function decodeJson(key: string, raw: unknown, issues: string[]): unknown {
  if (typeof raw !== "string") return raw;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    issues.push(`${key}: must be a list or object (got '${raw}')`);
    return undefined;
  }
}

/** zod's message for a value of the wrong type, in the wording of the other messages. */
export function typeNote(expected: string) {
  return { error: (issue: { input?: unknown }) => (issue.input === undefined ? "is required" : `must be ${expected}`) };
}

/** A plain object (not null, not an array), as YAML and JSON objects decode. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Indexes of the items that repeat an earlier one (the first occurrence is not listed). */
export function repeatedIndexes<T>(items: readonly T[], key: (item: T) => unknown = (item) => item): number[] {
  const keys = items.map(key);
  return keys.flatMap((value, index) => (keys.indexOf(value) !== index ? [index] : []));
}

/** A Kubernetes Service name: a DNS-1035 label (a DNS-1123 label that starts with a letter). */
export const serviceName = z
  .string(typeNote("a name"))
  .regex(
    /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/,
    "must be a DNS-1035 label (lowercase letters, digits and '-', starting with a letter, at most 63 characters): it names a Kubernetes Service",
  );

export const wholeNumber = (message = "must be a whole number") => z.number(typeNote("a number")).int(message);

/** A Go duration as Istio accepts it (at least 1ms), such as 5s, 1m30s or 500ms. */
export const duration = z
  .string(typeNote("a duration such as 5s"))
  .refine((text) => durationSeconds(text) !== undefined, "must be a duration such as 5s, 1m30s or 500ms (at least 1ms)");

export const cpuQuantity = z.string(typeNote("a CPU quantity such as 100m")).refine((text) => cpuCores(text) !== undefined, {
  message: "must be a CPU quantity such as 100m, 0.5 or 2",
});
export const memoryQuantity = z.string(typeNote("a memory quantity such as 64Mi")).refine((text) => memoryBytes(text) !== undefined, {
  message: "must be a memory quantity such as 64Mi or 1Gi",
});

/** Container requests must not exceed their limits (CPU when both are given, memory always). */
export function requestsWithinLimits(
  resources: { requests: { cpu: string; memory: string }; limits: { cpu?: string; memory: string } },
  ctx: z.RefinementCtx,
): void {
  const { requests, limits } = resources;
  if (limits.cpu !== undefined && cpuCores(requests.cpu)! > cpuCores(limits.cpu)!) {
    ctx.addIssue({ code: "custom", path: ["requests", "cpu"], message: `must not exceed limits.cpu (${limits.cpu})` });
  }
  if (memoryBytes(requests.memory)! > memoryBytes(limits.memory)!) {
    ctx.addIssue({ code: "custom", path: ["requests", "memory"], message: `must not exceed limits.memory (${limits.memory})` });
  }
}

/** A list of names or CIDR blocks names each item once. */
export function noDuplicates(items: readonly string[], ctx: z.RefinementCtx): void {
  for (const index of repeatedIndexes(items)) ctx.addIssue({ code: "custom", path: [index], message: `lists '${items[index]}' twice` });
}
