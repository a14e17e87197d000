import { strict as assert } from "node:assert";
import {
  defaultRetryOn,
  fortioImage,
  isHomeCluster,
  parseServiceConfig,
  podinfoImage,
  type ServiceConfigContext,
  ConfigError,
  knownKeys,
  loadConfig,
  readProjectFile,
} from "../../config";
import { stackFileConfig, withConfig } from "../support/stackFiles";
import { inMode, minimal, members } from "../support/overflow";

const context: ServiceConfigContext = { members: ["eks", "aks"], region: "eu-central-1" };

/** The smallest valid overflow service, with some fields replaced. */
function service(changes: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: "web", homeCluster: "eks", capacity: { maxConcurrentRequests: 10 }, ...changes };
}

function issuesOf(services: unknown, drill?: unknown, where: ServiceConfigContext = context): string[] {
  const result = parseServiceConfig(services, drill, where);
  assert.ok(!result.ok, "expected the services to be rejected");
  return result.issues;
}

function accepted(services: unknown, drill?: unknown, where: ServiceConfigContext = context) {
  const result = parseServiceConfig(services, drill, where);
  assert.ok(result.ok, `expected the services to be accepted, got ${result.ok ? "" : result.issues.join("; ")}`);
  return result;
}

const s0 = "burstmesh:services[0]";

function version(name: string, weight: number) {
  return { name, image: `app:${name}`, clusters: ["eks"], weight };
}

describe("config: burstmesh:services and burstmesh:drill", () => {
  it("a minimal entry gets the documented defaults: the same settings as an entry that spells them out", () => {
    const spelledOut = service({
      namespace: "web",
      image: podinfoImage,
      port: 9898,
      protocol: "http",
      mode: "overflow",
      resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "1", memory: "256Mi" } },
      home: { minReplicas: 2, maxReplicas: 6 },
      standby: { minReplicas: 1, maxReplicas: 6 },
      targetCpuUtilization: 70,
      outlierDetection: { consecutiveLocalOriginFailures: 5, interval: "5s", baseEjectionTime: "15s" },
      retries: { attempts: 3, perTryTimeout: "2s", retryOn: defaultRetryOn },
      tcpKeepalive: { time: "120s", interval: "30s", probes: 3 },
      probes: { readinessPath: "/readyz", livenessPath: "/healthz" },
    });
    const drill = {
      enabled: false,
      service: "web",
      qps: 0,
      connections: 400,
      duration: "60s",
      image: fortioImage,
      reporterImage: podinfoImage,
    };
    const minimal = accepted([service()]);
    assert.deepEqual(minimal, accepted([spelledOut], drill));
    assert.deepEqual(minimal.services, [spelledOut], "no setting beyond the documented ones");
  });

  it("reads the engine's JSON text as well as decoded values", () => {
    const { services, drill } = accepted(JSON.stringify([service({ namespace: "shop" })]), JSON.stringify({ enabled: true }));
    assert.equal(services[0]!.namespace, "shop");
    assert.equal(drill.enabled, true);
  });

  it("no services and no drill is a valid config", () => {
    const { services, drill } = accepted(undefined);
    assert.deepEqual(services, []);
    assert.equal(drill.service, undefined);
  });

  it("failover and distribute modes eject on 5xx by default, and keep counters that are set", () => {
    const [failover, distribute] = accepted([
      service({ mode: "failover", capacity: undefined }),
      service({
        name: "api",
        mode: "distribute",
        capacity: undefined,
        distribute: { "eu-central-1": 60, westeurope: 40 },
        outlierDetection: { consecutive5xxErrors: 2, consecutiveGatewayErrors: 1 },
      }),
    ]).services;
    assert.equal(failover!.outlierDetection.consecutive5xxErrors, 5);
    assert.equal(failover!.outlierDetection.consecutiveGatewayErrors, 3);
    assert.equal(distribute!.outlierDetection.consecutive5xxErrors, 2);
    assert.equal(distribute!.outlierDetection.consecutiveGatewayErrors, 1);
  });

  it("a service with versions routes each version's name to it by default, or the routes given", () => {
    const versions = [
      { name: "v1", image: "app:1", clusters: ["eks", "aks"], weight: 90 },
      { name: "v2", image: "app:2", clusters: ["aks"], weight: 10 },
    ];
    assert.deepEqual(accepted([service({ versions })]).services[0]!.headerRoutes, { v1: "v1", v2: "v2" });
    assert.deepEqual(accepted([service({ versions, headerRoutes: { beta: "v2" } })]).services[0]!.headerRoutes, { beta: "v2" });
  });

  it("accepts the boundary values users may set", () => {
    const [edge] = accepted([
      service({
        port: 65535,
        targetCpuUtilization: 100,
        home: { minReplicas: 3, maxReplicas: 3 },
        resources: { requests: { cpu: "1", memory: "256Mi" } },
        tcpKeepalive: { time: "3m59s", interval: "1ms" },
        retries: { attempts: 2, retryOn: "5xx,connect-failure,reset,599" },
      }),
    ]).services;
    assert.equal(edge!.port, 65535);
    assert.deepEqual(edge!.home, { minReplicas: 3, maxReplicas: 3 });
    assert.equal(
      accepted([service({ port: 1, targetCpuUtilization: 1, retries: { retryOn: "gateway-error,connect-failure,reset" } })]).ok,
      true,
    );
    assert.equal(accepted([service()], { duration: "1h", connections: 2000, qps: 0.5 }).drill.duration, "1h");
    assert.equal(accepted([service()], { duration: "1s", connections: 1 }).drill.connections, 1);
    assert.equal(accepted([service({ protocol: "grpc" })], { enabled: false }).services[0]!.protocol, "grpc");
  });

  it("compares quantities and durations by their value, whatever their unit", () => {
    const within = [
      { requests: { cpu: "0.25", memory: "268435456" }, limits: { cpu: "250m", memory: "256Mi" } },
      { requests: { cpu: "1.5", memory: "1.5Gi" }, limits: { cpu: "2", memory: "1536Mi" } },
    ];
    for (const resources of within) assert.ok(accepted([service({ resources })]).ok, JSON.stringify(resources));
    assert.equal(accepted([service({ tcpKeepalive: { time: "239.5s", interval: "1.5m" } })]).services[0]!.tcpKeepalive.time, "239.5s");
    assert.deepEqual(
      issuesOf([service({ resources: { requests: { cpu: "251m", memory: "268435457" }, limits: { cpu: "0.25", memory: "256Mi" } } })]),
      [
        `${s0}.resources.requests.cpu: must not exceed limits.cpu (0.25)`,
        `${s0}.resources.requests.memory: must not exceed limits.memory (256Mi)`,
      ],
    );
    assert.deepEqual(issuesOf([service({ resources: { requests: { memory: "1Gi" }, limits: { memory: "512Mi" } } })]), [
      `${s0}.resources.requests.memory: must not exceed limits.memory (512Mi)`,
    ]);
    assert.deepEqual(issuesOf([service({ tcpKeepalive: { time: "240.25s", interval: "x5s" }, outlierDetection: { interval: "5sx" } })]), [
      `${s0}.outlierDetection.interval: must be a duration such as 5s, 1m30s or 500ms (at least 1ms)`,
      `${s0}.tcpKeepalive.time: must be below 240s: the Azure load balancer drops idle connections after 4 minutes (the AWS NLB after 350s)`,
      `${s0}.tcpKeepalive.interval: must be a duration such as 5s, 1m30s or 500ms (at least 1ms)`,
    ]);
    assert.deepEqual(issuesOf([service({ resources: { requests: { cpu: "1.5x", memory: "1.5Gix" } } })]), [
      `${s0}.resources.requests.cpu: must be a CPU quantity such as 100m, 0.5 or 2`,
      `${s0}.resources.requests.memory: must be a memory quantity such as 64Mi or 1Gi`,
    ]);
  });

  it("HTTP status codes in retryOn are three digits from 100 to 599", () => {
    assert.deepEqual(issuesOf([service({ retries: { retryOn: `${defaultRetryOn},5030,x503,099` } })]), [
      `${s0}.retries.retryOn: '5030', 'x503', '099' is not an Envoy retry condition or HTTP status code`,
    ]);
  });

  it("drills the service it names, and an idle drill needs no service", () => {
    const services = [service(), service({ name: "rpc", protocol: "grpc" })];
    assert.equal(accepted(services, { enabled: true, service: "web" }).drill.service, "web");
    assert.deepEqual(issuesOf(services, { enabled: true, service: "rpc" }), [
      "burstmesh:drill.service: 'rpc' speaks gRPC; the drill loads and samples over plain HTTP (fortio, curl), so pick an http or http2 service",
    ]);
    assert.equal(accepted([], { enabled: false }).drill.enabled, false);
  });

  it("tells which cluster is a service's home", () => {
    const [web] = accepted([service()]).services;
    assert.equal(isHomeCluster(web!, "eks"), true);
    assert.equal(isHomeCluster(web!, "aks"), false);
  });

  describe("bad values get the key and what is expected", () => {
    const cases: [string, unknown, unknown, string[]][] = [
      ["services that are not a list", { web: {} }, undefined, ["burstmesh:services: must be a list of services"]],
      ["services that are not JSON", "web", undefined, ["burstmesh:services: must be a list or object (got 'web')"]],
      ["a drill that is not JSON", [service()], "on", ["burstmesh:drill: must be a list or object (got 'on')"]],
      [
        "a name that is not a DNS-1035 label",
        [service({ name: "1web" })],
        undefined,
        [
          `${s0}.name: must be a DNS-1035 label (lowercase letters, digits and '-', starting with a letter, at most 63 characters): it names a Kubernetes Service`,
        ],
      ],
      ["a missing name", [service({ name: undefined })], undefined, [`${s0}.name: is required`]],
      ["a name that is not text", [service({ name: 5 })], undefined, [`${s0}.name: must be a name`]],
      ["a missing home cluster", [service({ homeCluster: undefined })], undefined, [`${s0}.homeCluster: is required`]],
      [
        "a home cluster that is not a member",
        [service({ homeCluster: "gke" })],
        undefined,
        [`${s0}.homeCluster: 'gke' is not one of burstmesh:members (eks, aks)`],
      ],
      ["port 0", [service({ port: 0 })], undefined, [`${s0}.port: must be a port number (1-65535)`]],
      ["port 65536", [service({ port: 65536 })], undefined, [`${s0}.port: must be a port number (1-65535)`]],
      ["a fractional port", [service({ port: 80.5 })], undefined, [`${s0}.port: must be a whole number`]],
      ["a port as text", [service({ port: "80" })], undefined, [`${s0}.port: must be a number`]],
      ["an unknown protocol", [service({ protocol: "tcp" })], undefined, [`${s0}.protocol: must be 'http', 'http2' or 'grpc'`]],
      ["an unknown mode", [service({ mode: "spill" })], undefined, [`${s0}.mode: must be 'overflow', 'failover' or 'distribute'`]],
      ["an empty image", [service({ image: "" })], undefined, [`${s0}.image: must name a container image`]],
      ["an image that is not text", [service({ image: 1 })], undefined, [`${s0}.image: must be an image reference`]],
      [
        "overflow mode without capacity",
        [service({ capacity: undefined })],
        undefined,
        [`${s0}.capacity: is required in overflow mode (per pod: maxConcurrentRequests)`],
      ],
      [
        "a capacity of 0",
        [service({ capacity: { maxConcurrentRequests: 0, maxPendingRequests: 0 } })],
        undefined,
        [
          `${s0}.capacity.maxConcurrentRequests: must be greater than 0`,
          `${s0}.capacity.maxPendingRequests: must be greater than 0 (leave it out for Istio's default)`,
        ],
      ],
      [
        "an unknown capacity setting",
        [service({ capacity: { maxConcurrentRequests: 1, queue: 2 } })],
        undefined,
        [`${s0}.capacity.queue: is not a known setting`],
      ],
      [
        "requests above limits",
        [service({ resources: { requests: { cpu: "1500m", memory: "512Mi" } } })],
        undefined,
        [
          `${s0}.resources.requests.cpu: must not exceed limits.cpu (1)`,
          `${s0}.resources.requests.memory: must not exceed limits.memory (256Mi)`,
        ],
      ],
      [
        "quantities Kubernetes does not take",
        [service({ resources: { requests: { cpu: "0", memory: "64MB" }, limits: { cpu: "2 cores", memory: "0" } } })],
        undefined,
        [
          `${s0}.resources.requests.cpu: must be a CPU quantity such as 100m, 0.5 or 2`,
          `${s0}.resources.requests.memory: must be a memory quantity such as 64Mi or 1Gi`,
          `${s0}.resources.limits.cpu: must be a CPU quantity such as 100m, 0.5 or 2`,
          `${s0}.resources.limits.memory: must be a memory quantity such as 64Mi or 1Gi`,
        ],
      ],
      [
        "quantities that are not text",
        [service({ resources: { requests: { cpu: 1, memory: 64 } } })],
        undefined,
        [
          `${s0}.resources.requests.cpu: must be a CPU quantity such as 100m`,
          `${s0}.resources.requests.memory: must be a memory quantity such as 64Mi`,
        ],
      ],
      [
        "home replicas below 1 and max below min",
        [service({ home: { minReplicas: 0 }, standby: { minReplicas: 4, maxReplicas: 3 } })],
        undefined,
        [`${s0}.home.minReplicas: must be at least 1`, `${s0}.standby.maxReplicas: must be at least minReplicas (4)`],
      ],
      [
        "a cold standby",
        [service({ standby: { minReplicas: 0, maxReplicas: 0 } })],
        undefined,
        [
          `${s0}.standby.minReplicas: must be at least 1: the standby stays warm so that overflow does not wait for a cold start`,
          `${s0}.standby.maxReplicas: must be at least 1`,
        ],
      ],
      [
        "a CPU target of 0",
        [service({ targetCpuUtilization: 0 })],
        undefined,
        [`${s0}.targetCpuUtilization: must be a percentage (1-100)`],
      ],
      [
        "a CPU target of 101",
        [service({ targetCpuUtilization: 101 })],
        undefined,
        [`${s0}.targetCpuUtilization: must be a percentage (1-100)`],
      ],
      [
        "5xx ejection in overflow mode",
        [service({ outlierDetection: { consecutive5xxErrors: 5, consecutiveGatewayErrors: 3 } })],
        undefined,
        ["consecutive5xxErrors", "consecutiveGatewayErrors"].map(
          (counter) =>
            `${s0}.outlierDetection.${counter}: must not be set in overflow mode: a full pod answers 503, and ejecting it ` +
            "cascades onto the other pods (overflow mode ejects only on consecutiveLocalOriginFailures)",
        ),
      ],
      [
        "ejection counters of 0 in failover mode",
        [
          service({
            mode: "failover",
            outlierDetection: { consecutive5xxErrors: 0, consecutiveGatewayErrors: 0, consecutiveLocalOriginFailures: 0 },
          }),
        ],
        undefined,
        [
          `${s0}.outlierDetection.consecutive5xxErrors: must be at least 1 (0 turns ejection, and with it locality failover, off)`,
          `${s0}.outlierDetection.consecutiveGatewayErrors: must be at least 1 (leave it out to count only consecutive5xxErrors)`,
          `${s0}.outlierDetection.consecutiveLocalOriginFailures: must be at least 1`,
        ],
      ],
      [
        "durations that are not Go durations",
        [service({ outlierDetection: { interval: "5", baseEjectionTime: "1ns" }, retries: { perTryTimeout: "2 s" } })],
        undefined,
        [
          `${s0}.outlierDetection.interval: must be a duration such as 5s, 1m30s or 500ms (at least 1ms)`,
          `${s0}.outlierDetection.baseEjectionTime: must be a duration such as 5s, 1m30s or 500ms (at least 1ms)`,
          `${s0}.retries.perTryTimeout: must be a duration such as 5s, 1m30s or 500ms (at least 1ms)`,
        ],
      ],
      [
        "a duration that is not text",
        [service({ tcpKeepalive: { interval: 30 } })],
        undefined,
        [`${s0}.tcpKeepalive.interval: must be a duration such as 5s`],
      ],
      [
        "a keepalive the Azure load balancer outlasts",
        [service({ tcpKeepalive: { time: "4m", probes: 0 } })],
        undefined,
        [
          `${s0}.tcpKeepalive.time: must be below 240s: the Azure load balancer drops idle connections after 4 minutes (the AWS NLB after 350s)`,
          `${s0}.tcpKeepalive.probes: must be at least 1`,
        ],
      ],
      [
        "a single retry",
        [service({ retries: { attempts: 1 } })],
        undefined,
        [`${s0}.retries.attempts: must be at least 2 (retries: the third try is the first that may leave the home cluster)`],
      ],
      [
        "retry conditions Envoy does not know",
        [service({ retries: { retryOn: "503,connect-failure,reset-before-request,timeout,600" } })],
        undefined,
        [`${s0}.retries.retryOn: 'timeout', '600' is not an Envoy retry condition or HTTP status code`],
      ],
      [
        "retry conditions that leave full pods unretried",
        [service({ retries: { retryOn: "retriable-4xx" } })],
        undefined,
        [
          `${s0}.retries.retryOn: must include 503, connect-failure and reset-before-request so that full and vanished pods are retried ` +
            "(missing: 503, connect-failure, reset-before-request)",
        ],
      ],
      [
        "a gRPC service that does not retry UNAVAILABLE",
        [service({ protocol: "grpc", retries: { retryOn: "503, connect-failure, reset-before-request" } })],
        undefined,
        [
          `${s0}.retries.retryOn: must include 503, connect-failure, reset-before-request and unavailable (gRPC reports a full pod as UNAVAILABLE) ` +
            "so that full and vanished pods are retried (missing: unavailable)",
        ],
      ],
      [
        "client breakers of 0",
        [
          service({
            clientPool: { maxConnections: 0, http1MaxPendingRequests: 0, http2MaxRequests: 0, maxRetries: 0, maxRequestsPerConnection: 0 },
          }),
        ],
        undefined,
        ["maxConnections", "http1MaxPendingRequests", "http2MaxRequests", "maxRetries", "maxRequestsPerConnection"].map(
          (field) => `${s0}.clientPool.${field}: must be greater than 0`,
        ),
      ],
      [
        "distribute mode without weights",
        [service({ mode: "distribute" })],
        undefined,
        [`${s0}.distribute: is required in distribute mode (a weight per region, summing to 100)`],
      ],
      [
        "weights that do not sum to 100",
        [service({ mode: "distribute", distribute: { "eu-central-1": 60, westeurope: 30 } })],
        undefined,
        [`${s0}.distribute: weights must sum to 100 (got 90)`],
      ],
      [
        "no weights at all",
        [service({ mode: "distribute", distribute: {} })],
        undefined,
        [`${s0}.distribute: must give at least one region a weight`],
      ],
      [
        "weights without this cluster's region",
        [service({ mode: "distribute", distribute: { westeurope: 50, "us-east-1": 50 } })],
        undefined,
        [
          `${s0}.distribute: must give this cluster's region 'eu-central-1' a weight (got westeurope, us-east-1); its clients would match no rule`,
        ],
      ],
      [
        "weights out of range",
        [service({ mode: "distribute", distribute: { "eu-central-1": 0, westeurope: 101 } })],
        undefined,
        [
          `${s0}.distribute.eu-central-1: must be between 1 and 100 (leave a region out to send it nothing)`,
          `${s0}.distribute.westeurope: must be between 1 and 100`,
        ],
      ],
      [
        "a region that is not a region name",
        [service({ mode: "distribute", distribute: { "EU Central": 100 } })],
        undefined,
        [`${s0}.distribute.EU Central: must be a region name such as eu-central-1 or westeurope`],
      ],
      [
        "probe paths without a leading slash",
        [service({ probes: { readinessPath: "readyz", livenessPath: "healthz" } })],
        undefined,
        [`${s0}.probes.readinessPath: must be a path starting with '/'`, `${s0}.probes.livenessPath: must be a path starting with '/'`],
      ],
      [
        "versions whose weights do not sum to 100, or that repeat a name",
        [service({ versions: [version("v1", 50), version("v1", 40)] })],
        undefined,
        [`${s0}.versions[1].name: names version 'v1' twice`, `${s0}.versions: weights must sum to 100 (got 90)`],
      ],
      [
        "a version that is not well formed",
        [
          service({
            versions: [
              { name: "V1", image: "", clusters: [], weight: 100.5 },
              { name: 2, image: 3, clusters: ["eks"], weight: "0" },
            ],
          }),
        ],
        undefined,
        [
          `${s0}.versions[0].name: must be a DNS-1123 label such as v2: it names a subset and is the pods' version label`,
          `${s0}.versions[0].image: must name a container image`,
          `${s0}.versions[0].clusters: must list at least one member cluster that runs this version`,
          `${s0}.versions[0].weight: must be a whole number`,
          `${s0}.versions[1].name: must be a version name such as v2`,
          `${s0}.versions[1].image: must be an image reference`,
          `${s0}.versions[1].weight: must be a number`,
        ],
      ],
      [
        "weights out of range",
        [service({ versions: [version("v1", 101), version("v2", -1)] })],
        undefined,
        [`${s0}.versions[0].weight: must be between 0 and 100`, `${s0}.versions[1].weight: must be between 0 and 100`],
      ],
      [
        "a version in a cluster that is not a member, none at home",
        [service({ versions: [{ ...version("v1", 100), clusters: ["aks", "gke"] }] })],
        undefined,
        [
          `${s0}.versions[0].clusters[1]: 'gke' is not one of burstmesh:members (eks, aks)`,
          `${s0}.versions: the home cluster 'eks' runs none of the versions; list it in the clusters of at least one (overflow starts from the home cluster's pods)`,
        ],
      ],
      [
        "header routes without versions",
        [service({ headerRoutes: { beta: "v2" } })],
        undefined,
        [`${s0}.headerRoutes: applies only to a service with versions`],
      ],
      [
        "header routes to versions that do not exist",
        [service({ versions: [version("v1", 100)], headerRoutes: { beta: "v3" } })],
        undefined,
        [`${s0}.headerRoutes.beta: names version 'v3', which is not one of the versions (v1)`],
      ],
      [
        "a header value with a space",
        [service({ versions: [version("v1", 100)], headerRoutes: { "has space": "v1" } })],
        undefined,
        [`${s0}.headerRoutes.has space: must be a header value without spaces, such as v2`],
      ],
      ["a service that is not an object", ["web"], undefined, [`${s0}: must be an object`]],
      [
        "services without names",
        [service({ name: undefined }), service({ name: undefined })],
        undefined,
        [`${s0}.name: is required`, "burstmesh:services[1].name: is required"],
      ],
      [
        "versions without a home cluster",
        [service({ homeCluster: undefined, versions: [version("v1", 100)] })],
        undefined,
        [`${s0}.homeCluster: is required`],
      ],
      ["an unknown service setting", [service({ replicas: 3 })], undefined, [`${s0}.replicas: is not a known setting`]],
      [
        "two services of one name",
        [service(), service()],
        undefined,
        [
          "burstmesh:services[1].name: 'web' is already used by burstmesh:services[0]",
          "burstmesh:services[1].namespace: 'web' is already the namespace of burstmesh:services[0] (each service owns its namespace)",
        ],
      ],
      [
        "two services in one namespace",
        [service({ namespace: "shop" }), service({ name: "api" }), service({ name: "cart", namespace: "shop" })],
        undefined,
        ["burstmesh:services[2].namespace: 'shop' is already the namespace of burstmesh:services[0] (each service owns its namespace)"],
      ],
      ...(
        [
          ["default", "the cluster's default namespace"],
          ["kube-system", "a namespace of Kubernetes itself (kube-*)"],
          ["kube-public", "a namespace of Kubernetes itself (kube-*)"],
          ["istio-system", "Istio's namespace"],
          ["observability", "the observability namespace (Prometheus, Grafana, Kiali)"],
        ] as const
      ).map(([namespace, what]): [string, unknown, unknown, string[]] => [
        `the namespace ${namespace}`,
        [service({ namespace })],
        undefined,
        [`${s0}.namespace: '${namespace}' is ${what}; a service owns its namespace, so give it one of its own`],
      ]),
      [
        "a service named like a reserved namespace, without a namespace of its own",
        [service({ name: "default" })],
        undefined,
        [
          `${s0}.namespace: 'default' (it defaults to the service's name) is the cluster's default namespace; a service owns its namespace, so give it one of its own`,
        ],
      ],
      [
        "a drill of a service that does not exist",
        [service()],
        { service: "api" },
        ["burstmesh:drill.service: 'api' is not one of the services in burstmesh:services (web)"],
      ],
      [
        "a drill of a service when there are none",
        [],
        { service: "api" },
        ["burstmesh:drill.service: 'api' is not one of the services in burstmesh:services (none)"],
      ],
      ["a drill without services", [], { enabled: true }, ["burstmesh:drill.service: there is no service in burstmesh:services to drill"]],
      [
        "a drill of a gRPC service",
        [service({ protocol: "grpc" })],
        { enabled: true },
        [
          "burstmesh:drill.service: 'web' speaks gRPC; the drill loads and samples over plain HTTP (fortio, curl), so pick an http or http2 service",
        ],
      ],
      [
        "drill values out of range",
        [service()],
        { enabled: "yes", qps: -1, connections: 0, duration: "2h", image: "", reporterImage: "" },
        [
          "burstmesh:drill.enabled: must be true or false",
          "burstmesh:drill.qps: must be 0 (as fast as possible) or more",
          "burstmesh:drill.connections: must be at least 1",
          "burstmesh:drill.duration: must be at most 1h",
          "burstmesh:drill.image: must name a container image",
          "burstmesh:drill.reporterImage: must name a container image",
        ],
      ],
      [
        "a drill too short or too wide",
        [service()],
        { connections: 2001, duration: "999ms", qps: "10" },
        [
          "burstmesh:drill.qps: must be a number",
          "burstmesh:drill.connections: must be at most 2000",
          "burstmesh:drill.duration: must be at least 1s",
        ],
      ],
    ];
    for (const [what, services, drill, expected] of cases) {
      it(`rejects ${what}`, () => {
        assert.deepEqual(issuesOf(services, drill), expected);
      });
    }

    it("rejects an empty version list", () => {
      assert.ok(
        issuesOf([service({ versions: [] })]).includes(
          `${s0}.versions: must list at least one version (leave versions out for a service with one version)`,
        ),
      );
    });

    it("checks the home cluster and region only when the stack knows them", () => {
      assert.ok(
        accepted([service({ homeCluster: "gke", mode: "distribute", capacity: undefined, distribute: { westeurope: 100 } })], undefined, {})
          .ok,
      );
    });
  });

  it("keeps what the user set over the defaults, and accepts the engine's JSON text", () => {
    const result = parseServiceConfig(
      JSON.stringify([{ ...minimal, namespace: "web", port: 8080, home: { maxReplicas: 10 }, retries: { attempts: 5 } }]),
      JSON.stringify({ enabled: true, connections: 300 }),
      { members },
    );
    assert.ok(result.ok, result.ok ? "" : result.issues.join("\n"));
    const [service] = result.services;
    assert.equal(service!.namespace, "web");
    assert.equal(service!.port, 8080);
    assert.deepEqual(service!.home, { minReplicas: 2, maxReplicas: 10 });
    assert.deepEqual(service!.retries, { attempts: 5, perTryTimeout: "2s", retryOn: defaultRetryOn });
    assert.equal(result.drill.enabled, true);
    assert.equal(result.drill.connections, 300);
    assert.equal(result.drill.service, "podinfo", "the drill defaults to the first service");
  });

  const invalid: [string, unknown, unknown, string][] = [
    [
      "a negative pending limit",
      [{ ...minimal, capacity: { maxConcurrentRequests: 4, maxPendingRequests: -1 } }],
      undefined,
      "burstmesh:services[0].capacity.maxPendingRequests: must be greater than 0 (leave it out for Istio's default)",
    ],
    [
      "an invalid name",
      [{ ...minimal, name: "Pod_Info" }],
      undefined,
      "burstmesh:services[0].name: must be a DNS-1035 label (lowercase letters, digits and '-', starting with a letter, at most 63 characters): it names a Kubernetes Service",
    ],
    [
      "an invalid namespace",
      [{ ...minimal, namespace: "Web" }],
      undefined,
      "burstmesh:services[0].namespace: must be a DNS-1123 label (lowercase letters, digits and '-', at most 63 characters)",
    ],
    [
      "a misspelt key",
      [{ ...minimal, capactiy: 3 }],
      undefined,
      "burstmesh:services[0].capactiy: is not a known setting; did you mean 'capacity'?",
    ],
    [
      "retryOn without reset-before-request",
      [{ ...minimal, retries: { retryOn: "503,connect-failure" } }],
      undefined,
      "burstmesh:services[0].retries.retryOn: must include 503, connect-failure and reset-before-request so that full and vanished pods are retried (missing: reset-before-request)",
    ],
    [
      "retryOn without 503",
      [{ ...minimal, retries: { retryOn: "reset-before-request,connect-failure" } }],
      undefined,
      "burstmesh:services[0].retries.retryOn: must include 503, connect-failure and reset-before-request so that full and vanished pods are retried (missing: 503)",
    ],
    [
      "an unknown retry condition",
      [{ ...minimal, retries: { retryOn: "503,reset,connect-failure,sometimes" } }],
      undefined,
      "burstmesh:services[0].retries.retryOn: 'sometimes' is not an Envoy retry condition or HTTP status code",
    ],
    [
      "a duration that is not one",
      [{ ...minimal, outlierDetection: { baseEjectionTime: "15 seconds" } }],
      undefined,
      "burstmesh:services[0].outlierDetection.baseEjectionTime: must be a duration such as 5s, 1m30s or 500ms (at least 1ms)",
    ],
    [
      "a home ceiling below its floor",
      [{ ...minimal, home: { minReplicas: 4, maxReplicas: 3 } }],
      undefined,
      "burstmesh:services[0].home.maxReplicas: must be at least minReplicas (4)",
    ],
    [
      "a drill duration that is not one",
      [minimal],
      { duration: "a minute" },
      "burstmesh:drill.duration: must be a duration such as 5s, 1m30s or 500ms (at least 1ms)",
    ],
  ];
  for (const [what, services, drill, expected] of invalid) {
    it(`names the key of ${what}`, () => {
      assert.ok(
        issuesOf(services, drill).includes(expected),
        `expected:\n  ${expected}\ngot:\n  ${issuesOf(services, drill).join("\n  ")}`,
      );
    });
  }

  it("reports every issue of every entry at once", () => {
    const issues = issuesOf(
      [
        { ...minimal, homeCluster: "gke", retries: { attempts: 1 } },
        { name: "b", homeCluster: "aks", mode: "nope" },
      ],
      {
        service: "c",
      },
    );
    assert.deepEqual(issues.sort(), [
      "burstmesh:drill.service: 'c' is not one of the services in burstmesh:services (podinfo, b)",
      "burstmesh:services[0].homeCluster: 'gke' is not one of burstmesh:members (eks, aks)",
      "burstmesh:services[0].retries.attempts: must be at least 2 (retries: the third try is the first that may leave the home cluster)",
      "burstmesh:services[1].mode: must be 'overflow', 'failover' or 'distribute'",
    ]);
  });

  it("loads the Pulumi.yaml entry in every cluster stack", () => {
    for (const stack of ["eks", "aks"]) {
      const config = loadConfig(stackFileConfig(stack));
      assert.equal(config.role, "cluster");
      if (config.role !== "cluster") return;
      assert.deepEqual(
        config.services.map((s) => [s.name, s.homeCluster, s.mode, s.capacity]),
        [["podinfo", "eks", "overflow", { maxConcurrentRequests: 32 }]],
      );
      assert.equal(config.drill.enabled, false);
      assert.equal(config.drill.service, "podinfo");
    }
    const declared = readProjectFile().defaults;
    assert.ok(Array.isArray(declared["burstmesh:services"]), "burstmesh:services is declared with value: in Pulumi.yaml");
    assert.deepEqual(declared["burstmesh:drill"], { enabled: false, service: "podinfo" });
  });

  it("takes the drill switched on per stack (the whole object, as `config set --path` writes it)", () => {
    const config = loadConfig(withConfig("eks", { "burstmesh:drill": { enabled: true } }));
    assert.ok(config.role === "cluster" && config.drill.enabled && config.drill.service === "podinfo");
  });

  it("puts service issues into the same ConfigError as every other key, before anything is created", () => {
    const raw = withConfig("aks", {
      "burstmesh:peers": ["gke"],
      "burstmesh:services": [{ ...inMode.distribute, distribute: { "eu-central-1": 50, "us-east-1": 50 } }],
      "burstmesh:drill": { service: "nope" },
    });
    assert.throws(
      () => loadConfig(raw),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        const message = (error as Error).message;
        assert.match(message, /burstmesh:peers\[0\]: 'gke' is not one of burstmesh:members/);
        assert.match(message, /burstmesh:services\[0\]\.distribute: must give this cluster's region 'westeurope' a weight/);
        assert.match(message, /burstmesh:drill\.service: 'nope' is not one of the services/);
        return true;
      },
    );
  });

  it("is read from the engine: knownKeys lists both keys", () => {
    assert.ok(knownKeys().includes("burstmesh:services"));
    assert.ok(knownKeys().includes("burstmesh:drill"));
  });
});
