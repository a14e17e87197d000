import { z } from "zod";
import { durationSeconds } from "../model/units";
import { drillSchema, DrillSettings } from "./drill";
import {
  cpuQuantity,
  decodeJson,
  duration,
  isRecord,
  memoryQuantity,
  requestsWithinLimits,
  serviceName,
  typeNote,
  wholeNumber,
} from "./fields";
import { podinfoImage } from "./images";
import { issuesAt } from "./issues";
import { reservedNamespace } from "../model/namespaces";
import { projectName as project } from "./projectFile";
import { dns1123Label } from "./schema";
import { defaultHeaderRoutes, headerRoutesField, versionIssues, versionsField } from "./versions";

/**
 * The overflow services, declared once in project-level config (`burstmesh:services`) so that every
 * cluster stack deploys the same Deployment, Service and traffic policy; the drill that loads one of
 * them is config/drill.ts. Every default lives here, once, next to its field.
 */

const serviceModes = ["overflow", "failover", "distribute"] as const;
/**
 * - `overflow`: stay home until the home pods are full, then spill the excess to the other cluster
 *   through retries (a full pod answers 503; nobody is ejected for it).
 * - `failover`: stay home while the home pods are healthy; pods that answer 5xx are ejected.
 * - `distribute`: weights per region, which Envoy scales by each region's share of healthy pods.
 */
export type ServiceMode = (typeof serviceModes)[number];

const serviceProtocols = ["http", "http2", "grpc"] as const;
type ServiceProtocol = (typeof serviceProtocols)[number];

/**
 * Retries of overflow mode: 2 home tries, then 2 tries in the other cluster. The traffic model
 * (model/, `npm run overflow`) shows why 3 and not 2: a single remote try turns every momentarily
 * full remote pod into a failure during a surge.
 */
const defaultRetryAttempts = 3;
/**
 * 503 from a full pod (Istio turns the code into `retriable-status-codes`), connect failures and
 * resets before the request reached the app (never `reset`, which re-sends requests the app may
 * have processed), refused HTTP/2 streams, and gRPC's UNAVAILABLE (how a full pod answers gRPC).
 */
export const defaultRetryOn = "retriable-status-codes,503,connect-failure,reset-before-request,refused-stream,unavailable";

/** Idle timeouts of the load balancers in front of the east-west gateways, in seconds. */
const loadBalancerIdleTimeouts = { awsNlb: 350, azureLb: 240 } as const;

/** Envoy retry conditions Istio accepts in `retryOn` (besides HTTP status codes such as 503). */
const retryConditions = [
  "5xx",
  "gateway-error",
  "reset",
  "reset-before-request",
  "connect-failure",
  "envoy-ratelimited",
  "retriable-4xx",
  "refused-stream",
  "retriable-status-codes",
  "retriable-headers",
  "http3-post-connect-failure",
  "cancelled",
  "deadline-exceeded",
  "internal",
  "resource-exhausted",
  "unavailable",
] as const;

const replicaBounds = (defaults: { minReplicas: number; maxReplicas: number }, minMessage: string) =>
  z
    .strictObject({
      minReplicas: wholeNumber().min(1, minMessage).default(defaults.minReplicas),
      maxReplicas: wholeNumber().min(1, "must be at least 1").default(defaults.maxReplicas),
    })
    .superRefine((bounds, ctx) => {
      if (bounds.maxReplicas < bounds.minReplicas) {
        ctx.addIssue({ code: "custom", path: ["maxReplicas"], message: `must be at least minReplicas (${bounds.minReplicas})` });
      }
    });

/** A region as the nodes' `topology.kubernetes.io/region` label spells it (eu-central-1, westeurope). */
const regionName = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a region name such as eu-central-1 or westeurope");

const serviceFields = z.strictObject({
  /** Name of the Deployment, Service, HPA, PDB and Istio objects, the same in every cluster. */
  name: serviceName,
  /** Namespace of the service in every cluster (namespace sameness); defaults to the name. */
  namespace: dns1123Label.optional(),
  image: z.string(typeNote("an image reference")).min(1, "must name a container image").default(podinfoImage),
  port: wholeNumber().min(1, "must be a port number (1-65535)").max(65535, "must be a port number (1-65535)").default(9898),
  /** Sets the Service port's name prefix and appProtocol, which Istio uses to pick the protocol. */
  protocol: z.enum(serviceProtocols, "must be 'http', 'http2' or 'grpc'").default("http"),
  /** The member cluster that serves the service while it has capacity. */
  homeCluster: dns1123Label,
  mode: z.enum(serviceModes, "must be 'overflow', 'failover' or 'distribute'").default("overflow"),
  resources: z
    .strictObject({
      requests: z.strictObject({ cpu: cpuQuantity.default("100m"), memory: memoryQuantity.default("64Mi") }).prefault({}),
      limits: z.strictObject({ cpu: cpuQuantity.default("1"), memory: memoryQuantity.default("256Mi") }).prefault({}),
    })
    .superRefine(requestsWithinLimits)
    .prefault({}),
  /** HPA bounds in the home cluster: sized for normal load. */
  home: replicaBounds({ minReplicas: 2, maxReplicas: 6 }, "must be at least 1").prefault({}),
  /** HPA bounds in every other cluster: a warm standby, so overflow does not wait for cold starts. */
  standby: replicaBounds(
    { minReplicas: 1, maxReplicas: 6 },
    "must be at least 1: the standby stays warm so that overflow does not wait for a cold start",
  ).prefault({}),
  /** Average CPU utilisation of the app container (percent of its request) the HPA aims for. */
  targetCpuUtilization: wholeNumber().min(1, "must be a percentage (1-100)").max(100, "must be a percentage (1-100)").default(70),
  /**
   * Per-pod capacity enforced by the pod's own sidecar (overflow mode): beyond
   * `maxConcurrentRequests` in flight the pod answers 503 at once.
   */
  capacity: z
    .strictObject({
      maxConcurrentRequests: wholeNumber().positive("must be greater than 0"),
      /**
       * Requests the sidecar lets wait for a connection to the app (not a queue of request slots:
       * with unlimited connections to the app, nothing waits long). Unset: Istio's default.
       */
      maxPendingRequests: wholeNumber().positive("must be greater than 0 (leave it out for Istio's default)").optional(),
    })
    .optional(),
  /**
   * Ejection. Overflow mode ejects only pods that fail locally (connect failures, resets: a pod that
   * is gone), never one that answers 503 because it is full. Failover and distribute modes also
   * eject pods that answer 5xx; there that is the point.
   */
  outlierDetection: z
    .strictObject({
      /** Failover and distribute modes only (5 there); overflow mode sets 0 and refuses a value. */
      consecutive5xxErrors: wholeNumber().min(1, "must be at least 1 (0 turns ejection, and with it locality failover, off)").optional(),
      /** Failover and distribute modes only (3 there); overflow mode refuses a value. */
      consecutiveGatewayErrors: wholeNumber().min(1, "must be at least 1 (leave it out to count only consecutive5xxErrors)").optional(),
      /** Overflow mode: connect failures and resets in a row before a client ejects a pod. */
      consecutiveLocalOriginFailures: wholeNumber().min(1, "must be at least 1").default(5),
      interval: duration.default("5s"),
      baseEjectionTime: duration.default("15s"),
    })
    .prefault({}),
  retries: z
    .strictObject({
      /**
       * Retries (Istio's `attempts` counts retries: 3 means 4 tries). The first two tries go to two
       * home pods, the third is the first that may leave the home cluster; the default comes from
       * the traffic model (docs/overflow.md).
       */
      attempts: wholeNumber()
        .min(2, "must be at least 2 (retries: the third try is the first that may leave the home cluster)")
        .default(defaultRetryAttempts),
      perTryTimeout: duration.default("2s"),
      retryOn: z.string(typeNote("comma-separated retry conditions")).default(defaultRetryOn),
    })
    .prefault({}),
  /**
   * Client-side circuit breakers (DestinationRule `connectionPool`), unset by default: Istio's
   * defaults are unlimited. A client whose breaker trips answers 503 (UO) itself and never retries
   * it, so set these only to protect a service from one client, never to make overflow happen.
   */
  clientPool: z
    .strictObject({
      maxConnections: wholeNumber().positive("must be greater than 0").optional(),
      http1MaxPendingRequests: wholeNumber().positive("must be greater than 0").optional(),
      http2MaxRequests: wholeNumber().positive("must be greater than 0").optional(),
      maxRetries: wholeNumber().positive("must be greater than 0").optional(),
      /** Requests per connection before a new one: rebalances HTTP/2 and gRPC over the remote pods. */
      maxRequestsPerConnection: wholeNumber().positive("must be greater than 0").optional(),
    })
    .optional(),
  tcpKeepalive: z
    .strictObject({
      time: duration
        .refine(
          (text) => (durationSeconds(text) ?? 0) < loadBalancerIdleTimeouts.azureLb,
          `must be below ${loadBalancerIdleTimeouts.azureLb}s: the Azure load balancer drops idle connections after 4 minutes ` +
            `(the AWS NLB after ${loadBalancerIdleTimeouts.awsNlb}s)`,
        )
        .default("120s"),
      interval: duration.default("30s"),
      probes: wholeNumber().min(1, "must be at least 1").default(3),
    })
    .prefault({}),
  /** Weight per region (the EKS region and the AKS location), summing to 100; distribute mode only. */
  distribute: z
    .record(
      regionName,
      wholeNumber().min(1, "must be between 1 and 100 (leave a region out to send it nothing)").max(100, "must be between 1 and 100"),
    )
    .optional(),
  /** Versions that run in chosen clusters, split by weight (config/versions.ts); without it, one version of `image`. */
  versions: versionsField.optional(),
  /** Header value to version, for requests with `x-burstmesh-version`; defaults to every version by its name. */
  headerRoutes: headerRoutesField.optional(),
  /** HTTP paths of the kubelet probes (http and http2 protocols; grpc uses the gRPC health service). */
  probes: z
    .strictObject({
      readinessPath: z.string().startsWith("/", "must be a path starting with '/'").default("/readyz"),
      livenessPath: z.string().startsWith("/", "must be a path starting with '/'").default("/healthz"),
    })
    .prefault({}),
});

/** Ejection on 5xx where ejection is the point (failover, distribute); overflow mode never ejects for a 503. */
const healthEjectionDefaults = { consecutive5xxErrors: 5, consecutiveGatewayErrors: 3 } as const;

const serviceSchema = serviceFields.transform((service) => ({
  ...service,
  namespace: service.namespace ?? service.name,
  ...(service.versions && { headerRoutes: service.headerRoutes ?? defaultHeaderRoutes(service.versions) }),
  outlierDetection:
    service.mode === "overflow"
      ? service.outlierDetection
      : {
          ...service.outlierDetection,
          consecutive5xxErrors: service.outlierDetection.consecutive5xxErrors ?? healthEjectionDefaults.consecutive5xxErrors,
          consecutiveGatewayErrors: service.outlierDetection.consecutiveGatewayErrors ?? healthEjectionDefaults.consecutiveGatewayErrors,
        },
}));

/** One overflow service, defaults applied. */
export type ServiceSettings = z.output<typeof serviceSchema>;
/** Per-pod capacity of a service (overflow mode). */
export type ServiceCapacity = NonNullable<ServiceSettings["capacity"]>;

/** What the stack knows when it parses the services. */
export interface ServiceConfigContext {
  /** `burstmesh:members`; homeCluster must be one of them. Unknown (skipped) when members is invalid. */
  members?: readonly string[];
  /** This cluster's region (distribute mode must weight it). Unknown (skipped) outside a cluster stack. */
  region?: string;
}

type ServiceConfigResult = { ok: true; services: ServiceSettings[]; drill: DrillSettings } | { ok: false; issues: string[] };

/**
 * Validates `burstmesh:services` and `burstmesh:drill` as the engine hands them over (JSON text, or
 * already decoded values; `undefined` when unset) and applies the defaults. Returns the typed
 * settings, or every issue, each naming the key as a user would set it, such as
 * `burstmesh:services[0].capacity.maxConcurrentRequests: must be greater than 0`.
 */
export function parseServiceConfig(rawServices: unknown, rawDrill: unknown, context: ServiceConfigContext = {}): ServiceConfigResult {
  const issues: string[] = [];
  const servicesKey = `${project}:services`;
  const drillKey = `${project}:drill`;
  const servicesInput = decodeJson(servicesKey, rawServices, issues) ?? [];
  const drillInput = decodeJson(drillKey, rawDrill, issues);

  const services: ServiceSettings[] = [];
  if (!Array.isArray(servicesInput)) {
    issues.push(`${servicesKey}: must be a list of services`);
  } else {
    servicesInput.forEach((entry, index) => {
      const key = `${servicesKey}[${index}]`;
      const parsed = serviceSchema.safeParse(entry, { reportInput: true });
      if (parsed.success) services.push(parsed.data);
      else issues.push(...issuesAt(key, parsed.error.issues, serviceSchema));
      issues.push(...crossCheck(key, entry, context));
    });
    issues.push(...uniqueness(servicesKey, servicesInput));
  }

  const drillParsed = drillSchema.safeParse(drillInput, { reportInput: true });
  if (!drillParsed.success) issues.push(...issuesAt(drillKey, drillParsed.error.issues, drillSchema));
  const drill = drillParsed.success ? { ...drillParsed.data, service: drillParsed.data.service ?? services[0]?.name } : undefined;
  if (Array.isArray(servicesInput)) {
    const names = [
      ...new Set(servicesInput.map((entry) => (isRecord(entry) ? entry.name : undefined)).filter((name) => typeof name === "string")),
    ];
    const named = isRecord(drillInput) && typeof drillInput.service === "string" ? drillInput.service : undefined;
    const target = services.find((service) => service.name === (named ?? services[0]?.name));
    if (named !== undefined && !names.includes(named)) {
      issues.push(`${drillKey}.service: '${named}' is not one of the services in ${servicesKey} (${names.join(", ") || "none"})`);
    } else if (drill?.enabled && target?.protocol === "grpc") {
      issues.push(
        `${drillKey}.service: '${target.name}' speaks gRPC; the drill loads and samples over plain HTTP (fortio, curl), ` +
          `so pick an http or http2 service`,
      );
    } else if (named === undefined && names.length === 0 && isRecord(drillInput) && drillInput.enabled === true) {
      issues.push(`${drillKey}.service: there is no service in ${servicesKey} to drill`);
    }
  }

  if (issues.length > 0 || !drill) return { ok: false, issues };
  return { ok: true, services, drill };
}

/**
 * The services Pulumi.yaml declares for every stack (its `config` defaults, as `projectDefaults`
 * reads them), parsed against its `burstmesh:members`: what `npm run overflow` and `npm run lab` model.
 */
export function parseProjectServices(defaults: Record<string, unknown>): { members: string[]; parsed: ServiceConfigResult } {
  const declared = defaults[`${project}:members`];
  const members = Array.isArray(declared) ? declared.filter((member): member is string => typeof member === "string") : [];
  return { members, parsed: parseServiceConfig(defaults[`${project}:services`], undefined, { members }) };
}

/** Whether this cluster is the service's home (else it runs the warm standby). */
export function isHomeCluster(service: ServiceSettings, clusterName: string): boolean {
  return service.homeCluster === clusterName;
}

// --- checks that span fields or need the stack's context ---------------------------------------------

function crossCheck(key: string, entry: unknown, context: ServiceConfigContext): string[] {
  if (!isRecord(entry)) return [];
  const issues: string[] = [];
  const field = <K extends keyof typeof serviceFields.shape>(name: K) => {
    const result = serviceFields.shape[name].safeParse(entry[name]);
    return result.success ? (result.data as z.output<(typeof serviceFields.shape)[K]>) : undefined;
  };
  const mode = field("mode");
  const protocol = field("protocol");

  const home = field("homeCluster");
  if (home !== undefined && context.members && !context.members.includes(home)) {
    issues.push(`${key}.homeCluster: '${home}' is not one of ${project}:members (${context.members.join(", ")})`);
  }
  if (mode === "overflow" && entry.capacity === undefined) {
    issues.push(`${key}.capacity: is required in overflow mode (per pod: maxConcurrentRequests)`);
  }
  const outlier = isRecord(entry.outlierDetection) ? entry.outlierDetection : {};
  if ((mode ?? "overflow") === "overflow") {
    for (const counter of ["consecutive5xxErrors", "consecutiveGatewayErrors"] as const) {
      if (outlier[counter] !== undefined) {
        issues.push(
          `${key}.outlierDetection.${counter}: must not be set in overflow mode: a full pod answers 503, and ejecting it ` +
            `cascades onto the other pods (overflow mode ejects only on consecutiveLocalOriginFailures)`,
        );
      }
    }
  }
  if (mode === "distribute" && entry.distribute === undefined) {
    issues.push(`${key}.distribute: is required in distribute mode (a weight per region, summing to 100)`);
  }
  const weights = field("distribute");
  if (weights !== undefined) {
    const regions = Object.keys(weights);
    const total = Object.values(weights).reduce((sum, weight) => sum + weight, 0);
    if (regions.length === 0) issues.push(`${key}.distribute: must give at least one region a weight`);
    else if (total !== 100) issues.push(`${key}.distribute: weights must sum to 100 (got ${total})`);
    if (mode === "distribute" && context.region !== undefined && regions.length > 0 && !regions.includes(context.region)) {
      issues.push(
        `${key}.distribute: must give this cluster's region '${context.region}' a weight (got ${regions.join(", ")}); ` +
          `its clients would match no rule`,
      );
    }
  }
  issues.push(...versionIssues(key, entry, context.members));
  const retryOn = isRecord(entry.retries) ? entry.retries.retryOn : undefined;
  if (typeof retryOn === "string") issues.push(...retryOnIssues(`${key}.retries.retryOn`, retryOn, protocol ?? "http"));
  return issues;
}

/** retryOn must name known conditions and cover what overflow relies on. */
function retryOnIssues(key: string, retryOn: string, protocol: ServiceProtocol): string[] {
  const tokens = retryOn.split(",").map((token) => token.trim());
  const issues: string[] = [];
  const unknown = tokens.filter((token) => !isStatusCode(token) && !(retryConditions as readonly string[]).includes(token));
  if (unknown.length > 0) {
    issues.push(`${key}: ${unknown.map((token) => `'${token}'`).join(", ")} is not an Envoy retry condition or HTTP status code`);
  }
  const missing: string[] = [];
  if (!tokens.some((token) => token === "503" || token === "5xx" || token === "gateway-error")) missing.push("503");
  if (!tokens.includes("connect-failure")) missing.push("connect-failure");
  if (!tokens.includes("reset-before-request") && !tokens.includes("reset")) missing.push("reset-before-request");
  if (protocol === "grpc" && !tokens.includes("unavailable")) missing.push("unavailable");
  if (missing.length > 0) {
    const required =
      protocol === "grpc"
        ? "503, connect-failure, reset-before-request and unavailable (gRPC reports a full pod as UNAVAILABLE)"
        : "503, connect-failure and reset-before-request";
    issues.push(`${key}: must include ${required} so that full and vanished pods are retried (missing: ${missing.join(", ")})`);
  }
  return issues;
}

function uniqueness(servicesKey: string, entries: unknown[]): string[] {
  const issues: string[] = [];
  const names = new Map<string, number>();
  const namespaces = new Map<string, number>();
  entries.forEach((entry, index) => {
    if (!isRecord(entry)) return;
    const name = typeof entry.name === "string" ? entry.name : undefined;
    const namespace = typeof entry.namespace === "string" ? entry.namespace : name;
    if (name !== undefined) {
      const first = names.get(name);
      if (first !== undefined) issues.push(`${servicesKey}[${index}].name: '${name}' is already used by ${servicesKey}[${first}]`);
      else names.set(name, index);
    }
    if (namespace !== undefined) {
      const first = namespaces.get(namespace);
      const reserved = reservedNamespace(namespace);
      if (reserved !== undefined) {
        const defaulted = typeof entry.namespace === "string" ? "" : " (it defaults to the service's name)";
        issues.push(
          `${servicesKey}[${index}].namespace: '${namespace}'${defaulted} ${reserved}; a service owns its namespace, so give it one of its own`,
        );
      } else if (first !== undefined) {
        issues.push(
          `${servicesKey}[${index}].namespace: '${namespace}' is already the namespace of ${servicesKey}[${first}] ` +
            `(each service owns its namespace)`,
        );
      } else namespaces.set(namespace, index);
    }
  });
  return issues;
}

function isStatusCode(token: string): boolean {
  return /^[1-5]\d\d$/.test(token);
}
