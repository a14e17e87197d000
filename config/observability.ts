import { z } from "zod";
import { Cloud, dns1123Label } from "./schema";
import { issuesAt } from "./issues";
import { projectName } from "./projectFile";
import { cpuQuantity, decodeJson, memoryQuantity, requestsWithinLimits, typeNote } from "./fields";

/**
 * The observability settings (`burstmesh:observability`), project-level so that every cluster stack
 * agrees on which member runs the federated view. Every default lives here, next to its field.
 */

const project = projectName;
const observabilityKey = `${project}:observability`;

/**
 * A Prometheus duration as `--storage.tsdb.retention.time`, `for:` and range selectors take it: units
 * from years down to milliseconds, largest first, each at most once (15d, 1w2d, 90m).
 */
const prometheusDurationPattern = /^(\d+y)?(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?(\d+ms)?$/;

export function isPrometheusDuration(text: string): boolean {
  return text !== "" && prometheusDurationPattern.test(text) && /[1-9]/.test(text);
}

const prometheusDuration = z
  .string(typeNote("a Prometheus duration such as 15d"))
  .refine(isPrometheusDuration, "must be a Prometheus duration such as 15d, 12h or 1w2d (units y, w, d, h, m, s, ms, largest first)");

const observabilitySchema = z
  .strictObject({
    /** Install Prometheus in every member, and Grafana and Kiali in the observer. */
    enabled: z.boolean(typeNote("true or false")).default(true),
    /** The member that runs the federated Prometheus, Grafana and Kiali; defaults to the first of burstmesh:members. */
    observer: dns1123Label.optional(),
    /** How long every member's Prometheus keeps its samples (the observer's holds the federated copy as long). */
    retention: prometheusDuration.default("15d"),
    /** Requests and limits of every Prometheus server container; no CPU limit, as throttling only delays scrapes. */
    resources: z
      .strictObject({
        requests: z.strictObject({ cpu: cpuQuantity.default("500m"), memory: memoryQuantity.default("2Gi") }).prefault({}),
        limits: z.strictObject({ memory: memoryQuantity.default("4Gi") }).prefault({}),
      })
      .superRefine(requestsWithinLimits)
      .prefault({}),
    /** How long a service may keep spilling to another cluster before the sustained-overflow alert fires. */
    sustainedOverflowFor: prometheusDuration.default("15m"),
    /** Put Grafana and Kiali behind an internal (VPC/VNet-only) load balancer; by default they are reached with kubectl port-forward. */
    internalLoadBalancer: z.boolean(typeNote("true or false")).default(false),
  })
  .prefault({});

/** The observability settings, defaults applied and the observer resolved. */
export type ObservabilitySettings = Omit<z.output<typeof observabilitySchema>, "observer"> & { observer: string };

type ObservabilityConfigResult = { ok: true; observability: ObservabilitySettings } | { ok: false; issues: string[] };

/** What the observability settings are checked against: the members, and this stack's cluster when it is one. */
export interface ObservabilityConfigContext {
  members?: readonly string[];
  cluster?: { clusterName: string; cloud: Cloud };
}

/** Validates `burstmesh:observability` (raw JSON text or a value); the members resolve and check the observer. */
export function parseObservabilityConfig(raw: unknown, context: ObservabilityConfigContext): ObservabilityConfigResult {
  const { members, cluster } = context;
  const issues: string[] = [];
  const input = decodeJson(observabilityKey, raw, issues);
  if (issues.length > 0) return { ok: false, issues };
  const parsed = observabilitySchema.safeParse(input, { reportInput: true });
  if (!parsed.success) issues.push(...issuesAt(observabilityKey, parsed.error.issues, observabilitySchema));
  const named = typeof input === "object" && input !== null ? (input as { observer?: unknown }).observer : undefined;
  const observer = typeof named === "string" ? named : members?.[0];
  // Undefined members were refused already (they are invalid); only a valid, empty list leaves no default.
  if (observer === undefined && members !== undefined) {
    issues.push(`${observabilityKey}.observer: is required when ${project}:members is empty`);
  } else if (observer !== undefined && members && !members.includes(observer)) {
    issues.push(`${observabilityKey}.observer: '${observer}' is not one of ${project}:members (${members.join(", ")})`);
  }
  if (parsed.success && parsed.data.internalLoadBalancer && cluster?.cloud === "existing" && cluster.clusterName === observer) {
    issues.push(
      `${observabilityKey}.internalLoadBalancer: the observer '${observer}' is an existing cluster, whose load balancer ` +
        "annotations are unknown; leave it false and reach Grafana with kubectl port-forward",
    );
  }
  if (!parsed.success || issues.length > 0 || observer === undefined) return { ok: false, issues };
  return { ok: true, observability: { ...parsed.data, observer } };
}
