import { strict as assert } from "node:assert";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, knownKeys, loadConfig, parseServiceConfig, readProjectFile, ServiceSettings } from "../config";
import { defaultRetryOn } from "../config/services";
import type { DrillSettings } from "../config/drill";
import { fortioImage, podinfoImage } from "../config/images";
import {
  drillContainers,
  drillJobManifest,
  drillJobName,
  drillReportConfigMap,
  drillReportConfigMapName,
  drillReportFile,
  drillReportScript,
  drillTarget,
  fortioArgs,
  homeCapacity,
  sidecarQuitUrl,
} from "../components/traffic/drillJob";
import { serviceHost } from "../components/kube/dns";
import { livePanel } from "../components/observability/dashboards";
import { overflowObjects, OverflowObjects, topologyLabels } from "../components/traffic/serviceSpecs";
import { OverflowDrill } from "../components/traffic/overflowDrill";
import { OverflowService } from "../components/traffic/overflowService";
import { published, sharedBootstrap } from "./support/bootstrap";
import { ofType, RecordedResource, resolve, reveal, runStack, settle, stackRef, StackRun, startMockedRun } from "./support/harness";
import { stackFileConfig, withConfig } from "./support/stackFiles";

const members = ["eks", "aks"];
const clusters = {
  eks: { clusterName: "eks", region: "eu-central-1" },
  aks: { clusterName: "aks", region: "westeurope" },
};

/** A plain, freely indexable copy of a built object (the builders return Pulumi input types). */
function plain(value: unknown): any {
  return JSON.parse(JSON.stringify(value));
}

/** Parses one service entry plus the drill, expecting success. */
function parsed(
  entry: Record<string, unknown>,
  drill: unknown = undefined,
  region = "eu-central-1",
): { service: ServiceSettings; drill: DrillSettings } {
  const result = parseServiceConfig([entry], drill, { members, region });
  if (!result.ok) assert.fail(`expected valid config, got:\n${result.issues.join("\n")}`);
  return { service: result.services[0]!, drill: result.drill };
}

/** Parses services and drill, expecting failure; returns the issues. */
function issuesOf(services: unknown, drill: unknown = undefined, region = "eu-central-1"): string[] {
  const result = parseServiceConfig(services, drill, { members, region });
  if (result.ok) assert.fail("expected config issues, got none");
  return result.issues;
}

const minimal = { name: "podinfo", homeCluster: "eks", capacity: { maxConcurrentRequests: 16 } };
const inMode = {
  overflow: minimal,
  failover: { name: "podinfo", homeCluster: "eks", mode: "failover" },
  distribute: { name: "podinfo", homeCluster: "eks", mode: "distribute", distribute: { "eu-central-1": 70, westeurope: 30 } },
} as const;
const modes = Object.keys(inMode) as (keyof typeof inMode)[];
const istioType = (kind: string) => `kubernetes:networking.istio.io/v1:${kind}`;

function objectsIn(mode: keyof typeof inMode, cluster: keyof typeof clusters): OverflowObjects {
  return overflowObjects(parsed(inMode[mode], undefined, clusters[cluster].region).service, clusters[cluster]);
}

describe("overflow services", () => {
  describe("config: burstmesh:services and burstmesh:drill", () => {
    it("applies every default to the minimal podinfo entry", () => {
      const { service, drill } = parsed(minimal);
      assert.deepEqual(service, {
        name: "podinfo",
        namespace: "podinfo",
        image: podinfoImage,
        port: 9898,
        protocol: "http",
        homeCluster: "eks",
        mode: "overflow",
        resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "1", memory: "256Mi" } },
        home: { minReplicas: 2, maxReplicas: 6 },
        standby: { minReplicas: 1, maxReplicas: 6 },
        targetCpuUtilization: 70,
        capacity: { maxConcurrentRequests: 16 },
        outlierDetection: { consecutiveLocalOriginFailures: 5, interval: "5s", baseEjectionTime: "15s" },
        retries: {
          attempts: 3,
          perTryTimeout: "2s",
          retryOn: "retriable-status-codes,503,connect-failure,reset-before-request,refused-stream,unavailable",
        },
        tcpKeepalive: { time: "120s", interval: "30s", probes: 3 },
        probes: { readinessPath: "/readyz", livenessPath: "/healthz" },
      });
      assert.deepEqual(drill, {
        enabled: false,
        service: "podinfo",
        qps: 0,
        connections: 400,
        duration: "60s",
        image: fortioImage,
        reporterImage: podinfoImage,
      });
      assert.match(podinfoImage, /^ghcr\.io\/stefanprodan\/podinfo:\d+\.\d+\.\d+$/);
      assert.match(fortioImage, /^fortio\/fortio:\d+\.\d+\.\d+$/);
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
        "a zero capacity",
        [{ ...minimal, capacity: { maxConcurrentRequests: 0, maxPendingRequests: 8 } }],
        undefined,
        "burstmesh:services[0].capacity.maxConcurrentRequests: must be greater than 0",
      ],
      [
        "a negative pending limit",
        [{ ...minimal, capacity: { maxConcurrentRequests: 4, maxPendingRequests: -1 } }],
        undefined,
        "burstmesh:services[0].capacity.maxPendingRequests: must be greater than 0 (leave it out for Istio's default)",
      ],
      [
        "overflow without capacity",
        [{ name: "podinfo", homeCluster: "eks" }],
        undefined,
        "burstmesh:services[0].capacity: is required in overflow mode (per pod: maxConcurrentRequests)",
      ],
      [
        "a home cluster outside the mesh",
        [{ ...minimal, homeCluster: "gke" }],
        undefined,
        "burstmesh:services[0].homeCluster: 'gke' is not one of burstmesh:members (eks, aks)",
      ],
      ["no home cluster", [{ name: "podinfo", capacity: minimal.capacity }], undefined, "burstmesh:services[0].homeCluster: is required"],
      [
        "weights summing to 90",
        [{ ...inMode.distribute, distribute: { "eu-central-1": 60, westeurope: 30 } }],
        undefined,
        "burstmesh:services[0].distribute: weights must sum to 100 (got 90)",
      ],
      [
        "distribute mode without weights",
        [{ name: "podinfo", homeCluster: "eks", mode: "distribute" }],
        undefined,
        "burstmesh:services[0].distribute: is required in distribute mode (a weight per region, summing to 100)",
      ],
      [
        "weights that leave out this cluster's region",
        [{ ...inMode.distribute, distribute: { "us-east-1": 50, westeurope: 50 } }],
        undefined,
        "burstmesh:services[0].distribute: must give this cluster's region 'eu-central-1' a weight (got us-east-1, westeurope); its clients would match no rule",
      ],
      [
        "a zero weight",
        [{ ...inMode.distribute, distribute: { "eu-central-1": 100, westeurope: 0 } }],
        undefined,
        "burstmesh:services[0].distribute.westeurope: must be between 1 and 100 (leave a region out to send it nothing)",
      ],
      [
        "a region that is not one",
        [{ ...inMode.distribute, distribute: { "EU Central": 30, "eu-central-1": 70 } }],
        undefined,
        "burstmesh:services[0].distribute.EU Central: must be a region name such as eu-central-1 or westeurope",
      ],
      [
        "an invalid name",
        [{ ...minimal, name: "Pod_Info" }],
        undefined,
        "burstmesh:services[0].name: must be a DNS-1035 label (lowercase letters, digits and '-', starting with a letter, at most 63 characters): it names a Kubernetes Service",
      ],
      [
        "a name starting with a digit",
        [{ ...minimal, name: "1podinfo" }],
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
        "a duplicate name",
        [minimal, { ...minimal, namespace: "other" }],
        undefined,
        "burstmesh:services[1].name: 'podinfo' is already used by burstmesh:services[0]",
      ],
      [
        "a shared namespace",
        [minimal, { ...minimal, name: "second", namespace: "podinfo" }],
        undefined,
        "burstmesh:services[1].namespace: 'podinfo' is already the namespace of burstmesh:services[0] (each service owns its namespace)",
      ],
      [
        "an unknown mode",
        [{ ...minimal, mode: "spill" }],
        undefined,
        "burstmesh:services[0].mode: must be 'overflow', 'failover' or 'distribute'",
      ],
      [
        "an unknown protocol",
        [{ ...minimal, protocol: "tcp" }],
        undefined,
        "burstmesh:services[0].protocol: must be 'http', 'http2' or 'grpc'",
      ],
      [
        "a misspelt key",
        [{ ...minimal, capactiy: 3 }],
        undefined,
        "burstmesh:services[0].capactiy: is not a known setting; did you mean 'capacity'?",
      ],
      ["a port as text", [{ ...minimal, port: "9898" }], undefined, "burstmesh:services[0].port: must be a number"],
      [
        "one retry (two tries, both at home)",
        [{ ...minimal, retries: { attempts: 1 } }],
        undefined,
        "burstmesh:services[0].retries.attempts: must be at least 2 (retries: the third try is the first that may leave the home cluster)",
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
        "a gRPC service whose retryOn misses unavailable",
        [{ ...minimal, protocol: "grpc", retries: { retryOn: "503,reset-before-request,connect-failure" } }],
        { service: "podinfo" },
        "burstmesh:services[0].retries.retryOn: must include 503, connect-failure, reset-before-request and unavailable (gRPC reports a full pod as UNAVAILABLE) so that full and vanished pods are retried (missing: unavailable)",
      ],
      [
        "5xx ejection in overflow mode",
        [{ ...minimal, outlierDetection: { consecutive5xxErrors: 5 } }],
        undefined,
        "burstmesh:services[0].outlierDetection.consecutive5xxErrors: must not be set in overflow mode: a full pod answers 503, and ejecting it cascades onto the other pods (overflow mode ejects only on consecutiveLocalOriginFailures)",
      ],
      [
        "gateway-error ejection in overflow mode",
        [{ ...minimal, outlierDetection: { consecutiveGatewayErrors: 1 } }],
        undefined,
        "burstmesh:services[0].outlierDetection.consecutiveGatewayErrors: must not be set in overflow mode: a full pod answers 503, and ejecting it cascades onto the other pods (overflow mode ejects only on consecutiveLocalOriginFailures)",
      ],
      [
        "a client pool of zero connections",
        [{ ...minimal, clientPool: { maxConnections: 0 } }],
        undefined,
        "burstmesh:services[0].clientPool.maxConnections: must be greater than 0",
      ],
      [
        "an unknown retry condition",
        [{ ...minimal, retries: { retryOn: "503,reset,connect-failure,sometimes" } }],
        undefined,
        "burstmesh:services[0].retries.retryOn: 'sometimes' is not an Envoy retry condition or HTTP status code",
      ],
      [
        "a keepalive at the Azure idle timeout",
        [{ ...minimal, tcpKeepalive: { time: "4m" } }],
        undefined,
        "burstmesh:services[0].tcpKeepalive.time: must be below 240s: the Azure load balancer drops idle connections after 4 minutes (the AWS NLB after 350s)",
      ],
      [
        "a duration that is not one",
        [{ ...minimal, outlierDetection: { baseEjectionTime: "15 seconds" } }],
        undefined,
        "burstmesh:services[0].outlierDetection.baseEjectionTime: must be a duration such as 5s, 1m30s or 500ms (at least 1ms)",
      ],
      [
        "ejection switched off in failover mode",
        [{ ...inMode.failover, outlierDetection: { consecutive5xxErrors: 0 } }],
        undefined,
        "burstmesh:services[0].outlierDetection.consecutive5xxErrors: must be at least 1 (0 turns ejection, and with it locality failover, off)",
      ],
      [
        "a cold standby",
        [{ ...minimal, standby: { minReplicas: 0 } }],
        undefined,
        "burstmesh:services[0].standby.minReplicas: must be at least 1: the standby stays warm so that overflow does not wait for a cold start",
      ],
      [
        "a home ceiling below its floor",
        [{ ...minimal, home: { minReplicas: 4, maxReplicas: 3 } }],
        undefined,
        "burstmesh:services[0].home.maxReplicas: must be at least minReplicas (4)",
      ],
      [
        "requests above limits",
        [{ ...minimal, resources: { requests: { memory: "1Gi" } } }],
        undefined,
        "burstmesh:services[0].resources.requests.memory: must not exceed limits.memory (256Mi)",
      ],
      ["services that are not a list", { podinfo: minimal }, undefined, "burstmesh:services: must be a list of services"],
      [
        "a drill of an unknown service",
        [minimal],
        { service: "web" },
        "burstmesh:drill.service: 'web' is not one of the services in burstmesh:services (podinfo)",
      ],
      [
        "a drill of a gRPC service",
        [{ ...minimal, protocol: "grpc" }],
        { enabled: true },
        "burstmesh:drill.service: 'podinfo' speaks gRPC; the drill loads and samples over plain HTTP (fortio, curl), so pick an http or http2 service",
      ],
      [
        "a drill with nothing to drill",
        [],
        { enabled: true },
        "burstmesh:drill.service: there is no service in burstmesh:services to drill",
      ],
      ["a drill with no connections", [minimal], { connections: 0 }, "burstmesh:drill.connections: must be at least 1"],
      ["a drill that never ends", [minimal], { duration: "2h" }, "burstmesh:drill.duration: must be at most 1h"],
      [
        "a drill duration that is not one",
        [minimal],
        { duration: "a minute" },
        "burstmesh:drill.duration: must be a duration such as 5s, 1m30s or 500ms (at least 1ms)",
      ],
      ["a drill switched on with text", [minimal], { enabled: "yes" }, "burstmesh:drill.enabled: must be true or false"],
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

  describe("objects per mode, field by field", () => {
    it("overflow: per-pod capacity in a Sidecar, own network first, no ejection for 503, retries that cross", () => {
      const objects = plain(objectsIn("overflow", "eks"));
      assert.deepEqual(objects.sidecar, {
        apiVersion: "networking.istio.io/v1",
        kind: "Sidecar",
        metadata: { name: "podinfo", namespace: "podinfo", labels: { app: "podinfo", "app.kubernetes.io/part-of": "burstmesh" } },
        spec: {
          workloadSelector: { labels: { app: "podinfo" } },
          inboundConnectionPool: { http: { http2MaxRequests: 16 } },
        },
      });
      assert.deepEqual(objects.destinationRule.spec, {
        host: "podinfo.podinfo.svc.cluster.local",
        trafficPolicy: {
          connectionPool: { tcp: { tcpKeepalive: { time: "120s", interval: "30s", probes: 3 } } },
          loadBalancer: { localityLbSetting: { enabled: true, failoverPriority: ["topology.istio.io/network"] } },
          outlierDetection: {
            consecutive5xxErrors: 0,
            splitExternalLocalOriginErrors: true,
            consecutiveLocalOriginFailures: 5,
            interval: "5s",
            baseEjectionTime: "15s",
            maxEjectionPercent: 100,
            minHealthPercent: 0,
          },
        },
      });
      assert.deepEqual(objects.virtualService.spec, {
        hosts: ["podinfo.podinfo.svc.cluster.local"],
        http: [
          {
            name: "overflow",
            route: [{ destination: { host: "podinfo.podinfo.svc.cluster.local", port: { number: 9898 } } }],
            retries: {
              attempts: 3,
              perTryTimeout: "2s",
              retryOn: "retriable-status-codes,503,connect-failure,reset-before-request,refused-stream,unavailable",
              retryRemoteLocalities: true,
            },
          },
        ],
      });
    });

    it("failover: no per-pod limit; zone, then cluster, then the other cluster", () => {
      const objects = plain(objectsIn("failover", "eks"));
      assert.equal(objects.sidecar, undefined);
      assert.deepEqual(objects.destinationRule.spec.trafficPolicy.loadBalancer, {
        localityLbSetting: { enabled: true, failoverPriority: [topologyLabels.network, topologyLabels.region, topologyLabels.zone] },
      });
      assert.deepEqual(objects.destinationRule.spec.trafficPolicy.outlierDetection, {
        consecutive5xxErrors: 5,
        consecutiveGatewayErrors: 3,
        interval: "5s",
        baseEjectionTime: "15s",
        maxEjectionPercent: 100,
        minHealthPercent: 0,
      });
      assert.equal(objects.virtualService.spec.http[0].name, "failover");
    });

    it("sets client circuit breakers and the pending limit only where the user set them", () => {
      const { service } = parsed({
        ...minimal,
        capacity: { maxConcurrentRequests: 16, maxPendingRequests: 4 },
        clientPool: { maxConnections: 500, maxRetries: 50 },
      });
      const objects = plain(overflowObjects(service, clusters.eks));
      assert.deepEqual(objects.sidecar.spec.inboundConnectionPool.http, { http2MaxRequests: 16, http1MaxPendingRequests: 4 });
      assert.deepEqual(objects.destinationRule.spec.trafficPolicy.connectionPool, {
        tcp: { maxConnections: 500, tcpKeepalive: { time: "120s", interval: "30s", probes: 3 } },
        http: { maxRetries: 50 },
      });
    });

    it("distribute: one rule per region with the configured weights, and no failover", () => {
      const objects = plain(objectsIn("distribute", "eks"));
      assert.equal(objects.sidecar, undefined);
      const to = { "eu-central-1/*": 70, "westeurope/*": 30 };
      assert.deepEqual(objects.destinationRule.spec.trafficPolicy.loadBalancer, {
        localityLbSetting: {
          enabled: true,
          distribute: [
            { from: "eu-central-1/*", to },
            { from: "westeurope/*", to },
          ],
        },
      });
      assert.equal(objects.virtualService.spec.http[0].name, "distribute");
    });

    it("refuses to build distribute weights that leave out this cluster's region", () => {
      const { service } = parsed(inMode.distribute);
      assert.throws(
        () => overflowObjects(service, { clusterName: "aks", region: "northeurope" }),
        /do not include this cluster's region 'northeurope'/,
      );
    });

    it("the workload: injected namespace, pods answering with the cluster name, probes, HPA, PDB", () => {
      const objects = plain(objectsIn("overflow", "aks"));
      assert.deepEqual(objects.namespace.metadata.labels, {
        "istio-injection": "enabled",
        "app.kubernetes.io/part-of": "burstmesh",
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/enforce-version": "latest",
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/warn-version": "latest",
      });
      const deployment = objects.deployment;
      assert.equal(deployment.spec.replicas, undefined, "the HPA owns the replica count");
      assert.deepEqual(deployment.spec.selector, { matchLabels: { app: "podinfo" } });
      assert.deepEqual(deployment.spec.template.metadata.labels, { app: "podinfo", version: "6.14.1" });
      const [container] = deployment.spec.template.spec.containers;
      assert.equal(container.image, podinfoImage);
      assert.deepEqual(container.ports, [{ name: "http", containerPort: 9898, protocol: "TCP" }]);
      assert.deepEqual(
        container.env.find((e: { name: string }) => e.name === "PODINFO_UI_MESSAGE"),
        { name: "PODINFO_UI_MESSAGE", value: "aks" },
      );
      assert.deepEqual(container.readinessProbe.httpGet, { path: "/readyz", port: 9898 });
      assert.deepEqual(container.livenessProbe.httpGet, { path: "/healthz", port: 9898 });
      assert.deepEqual(container.resources, { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "1", memory: "256Mi" } });
      assert.deepEqual(objects.service.spec.ports, [{ name: "http", port: 9898, targetPort: 9898, protocol: "TCP", appProtocol: "http" }]);
      assert.deepEqual(objects.service.spec.selector, { app: "podinfo" });
      assert.equal(objects.hpa.apiVersion, "autoscaling/v2");
      assert.deepEqual(objects.hpa.spec.scaleTargetRef, { apiVersion: "apps/v1", kind: "Deployment", name: "podinfo" });
      assert.deepEqual(objects.hpa.spec.metrics, [
        {
          type: "ContainerResource",
          containerResource: { name: "cpu", container: "podinfo", target: { type: "Utilization", averageUtilization: 70 } },
        },
      ]);
      assert.deepEqual(objects.pdb, {
        apiVersion: "policy/v1",
        kind: "PodDisruptionBudget",
        metadata: { name: "podinfo", namespace: "podinfo", labels: { app: "podinfo", "app.kubernetes.io/part-of": "burstmesh" } },
        spec: { maxUnavailable: 1, selector: { matchLabels: { app: "podinfo" } } },
      });
    });

    it("names the port after the protocol and probes gRPC services over gRPC", () => {
      const { service } = parsed({ ...minimal, protocol: "grpc", port: 9999 });
      const objects = plain(overflowObjects(service, clusters.eks));
      assert.deepEqual(objects.service.spec.ports, [{ name: "grpc", port: 9999, targetPort: 9999, protocol: "TCP", appProtocol: "grpc" }]);
      assert.deepEqual(objects.deployment.spec.template.spec.containers[0].readinessProbe.grpc, { port: 9999 });
      assert.equal(objects.deployment.spec.template.spec.containers[0].readinessProbe.httpGet, undefined);
      const http2 = plain(overflowObjects(parsed({ ...minimal, protocol: "http2" }).service, clusters.eks));
      assert.equal(http2.service.spec.ports[0].name, "http2");
    });
  });

  describe("the same policy in both clusters", () => {
    for (const mode of modes) {
      it(`${mode}: identical Service, Sidecar, DestinationRule and VirtualService in eks and aks`, () => {
        const eks = plain(objectsIn(mode, "eks"));
        const aks = plain(objectsIn(mode, "aks"));
        for (const key of ["namespace", "service", "sidecar", "destinationRule", "virtualService", "pdb"] as const) {
          assert.deepEqual(aks[key], eks[key], `${key} differs between the clusters`);
        }
        // The pods differ only in the answer: their cluster's name.
        const message = (objects: ReturnType<typeof plain>) =>
          objects.deployment.spec.template.spec.containers[0].env.find((e: { name: string }) => e.name === "PODINFO_UI_MESSAGE").value;
        assert.equal(message(eks), "eks");
        assert.equal(message(aks), "aks");
      });
    }

    it("sizes the HPA with home bounds at home and standby bounds elsewhere", () => {
      const { service } = parsed({ ...minimal, home: { minReplicas: 3, maxReplicas: 12 }, standby: { minReplicas: 1, maxReplicas: 4 } });
      const eks = plain(overflowObjects(service, clusters.eks)).hpa.spec;
      const aks = plain(overflowObjects(service, clusters.aks)).hpa.spec;
      assert.deepEqual([eks.minReplicas, eks.maxReplicas], [3, 12]);
      assert.deepEqual([aks.minReplicas, aks.maxReplicas], [1, 4]);
      const awayFromHome = plain(overflowObjects({ ...service, homeCluster: "aks" }, clusters.eks)).hpa.spec;
      assert.deepEqual([awayFromHome.minReplicas, awayFromHome.maxReplicas], [1, 4]);
    });
  });

  describe("invariants in every mode", () => {
    for (const mode of modes) {
      for (const cluster of ["eks", "aks"] as const) {
        it(`${mode} in ${cluster}`, () => {
          const objects = plain(objectsIn(mode, cluster));
          const policy = objects.destinationRule.spec.trafficPolicy;
          const locality = policy.loadBalancer.localityLbSetting;
          assert.equal(policy.outlierDetection.maxEjectionPercent, 100);
          assert.equal(policy.outlierDetection.minHealthPercent, 0, "panic mode off");
          if (mode === "overflow") {
            assert.equal(policy.outlierDetection.consecutive5xxErrors, 0, "a full pod's 503 never ejects it");
            assert.equal(policy.outlierDetection.consecutiveGatewayErrors, undefined, "Istio would enforce gateway errors at 100%");
            assert.equal(policy.outlierDetection.splitExternalLocalOriginErrors, true);
          } else {
            assert.ok(policy.outlierDetection.consecutive5xxErrors >= 1 && policy.outlierDetection.consecutiveGatewayErrors >= 1);
          }
          assert.equal(policy.connectionPool.http, undefined, "no client circuit breakers unless set");
          assert.equal(policy.connectionPool.tcp.maxConnections, undefined);
          assert.equal(locality.enabled, true);
          if (mode === "distribute") {
            assert.equal(locality.failover, undefined);
            assert.equal(locality.failoverPriority, undefined);
            for (const rule of locality.distribute) {
              assert.equal(
                Object.values<number>(rule.to).reduce((a, b) => a + b, 0),
                100,
                `weights from ${rule.from}`,
              );
            }
            assert.ok(
              locality.distribute.some((rule: { from: string }) => rule.from === `${clusters[cluster].region}/*`),
              "this cluster's region has a rule",
            );
          } else {
            assert.equal(locality.failoverPriority[0], "topology.istio.io/network");
            assert.equal(locality.distribute, undefined);
          }
          const { retries } = objects.virtualService.spec.http[0];
          assert.equal(retries.retryRemoteLocalities, true);
          assert.ok(retries.attempts >= 2);
          const conditions = retries.retryOn.split(",");
          for (const condition of ["503", "connect-failure", "reset-before-request"]) assert.ok(conditions.includes(condition), condition);
          assert.ok(!conditions.includes("reset"), "reset would re-send requests the app may have processed");
          const annotation = objects.deployment.spec.template.metadata.annotations["proxy.istio.io/config"];
          assert.deepEqual(
            JSON.parse(annotation),
            { proxyHeaders: { envoyDebugHeaders: { disabled: true } } },
            "no x-envoy-overloaded from the server pods",
          );
          assert.equal(objects.sidecar !== undefined, mode === "overflow", "a per-pod limit exists in overflow mode only");
          if (objects.sidecar) assert.deepEqual(objects.sidecar.spec.workloadSelector.labels, { app: "podinfo" });
          assert.equal(objects.destinationRule.spec.host, serviceHost(parsed(inMode[mode], undefined, clusters[cluster].region).service));
        });
      }
    }
  });

  describe("the drill Job", () => {
    const { service, drill } = parsed(minimal, { enabled: true, connections: 200, qps: 0, duration: "90s" });
    const job = plain(drillJobManifest(service, drill, livePanel(service.name)));

    it("runs only when enabled, and only in the drilled service's home cluster", () => {
      const other = parsed({ ...minimal, name: "web", homeCluster: "aks" }).service;
      assert.equal(drillTarget([service, other], drill, "eks"), service);
      assert.equal(drillTarget([service, other], drill, "aks"), undefined);
      assert.equal(drillTarget([service, other], { ...drill, enabled: false }, "eks"), undefined);
      assert.equal(drillTarget([service, other], { ...drill, service: "web" }, "aks"), other);
    });

    it("ends: no retries, a hard deadline, cleaned up a day later, never restarted", () => {
      assert.equal(job.metadata.name, drillJobName);
      assert.equal(job.metadata.namespace, "podinfo");
      assert.equal(job.spec.backoffLimit, 0);
      assert.equal(job.spec.ttlSecondsAfterFinished, 86_400);
      assert.ok(job.spec.activeDeadlineSeconds > 90 && job.spec.activeDeadlineSeconds <= 90 + 900, String(job.spec.activeDeadlineSeconds));
      assert.equal(job.spec.template.spec.restartPolicy, "Never");
      assert.equal(job.metadata.annotations["pulumi.com/skipAwait"], "true");
    });

    it("goes through the mesh: injected, held until the proxy is up, and the proxy told to quit at the end", () => {
      assert.equal(job.spec.template.metadata.labels["sidecar.istio.io/inject"], "true");
      assert.notEqual(job.spec.template.metadata.labels.app, "podinfo", "the capacity Sidecar must not select the drill");
      assert.deepEqual(JSON.parse(job.spec.template.metadata.annotations["proxy.istio.io/config"]), {
        holdApplicationUntilProxyStarts: true,
      });
      const report = job.spec.template.spec.containers[1];
      const env = Object.fromEntries(report.env.map((e: { name: string; value: string }) => [e.name, e.value]));
      assert.equal(env.QUIT_URL, sidecarQuitUrl);
      assert.equal(sidecarQuitUrl, "http://127.0.0.1:15020/quitquitquit");
      assert.match(drillReportScript(), /curl [^\n]*-X POST "\$QUIT_URL"/);
    });

    it("runs under Pod Security restricted: non-root, no escalation, no capabilities, RuntimeDefault seccomp", () => {
      const pod = job.spec.template.spec;
      assert.equal(pod.securityContext.runAsNonRoot, true);
      assert.ok(pod.securityContext.runAsUser > 0, "fortio's scratch image names no user: the pod sets one");
      assert.deepEqual(pod.securityContext.seccompProfile, { type: "RuntimeDefault" });
      for (const container of pod.containers) {
        assert.deepEqual(
          container.securityContext,
          {
            allowPrivilegeEscalation: false,
            capabilities: { drop: ["ALL"] },
            runAsNonRoot: true,
            seccompProfile: { type: "RuntimeDefault" },
          },
          container.name,
        );
      }
      for (const volume of pod.volumes) assert.ok(volume.emptyDir || volume.configMap, `${volume.name}: no hostPath or other volume type`);
    });

    it("mounts the report script from a ConfigMap, and a changed script replaces the Job", () => {
      const configMap = plain(drillReportConfigMap(service));
      assert.equal(configMap.metadata.name, drillReportConfigMapName);
      assert.equal(configMap.metadata.namespace, "podinfo");
      assert.equal(configMap.data[drillReportFile], drillReportScript());
      const pod = job.spec.template.spec;
      assert.deepEqual(
        pod.volumes.find((volume: { name: string }) => volume.name === "script"),
        { name: "script", configMap: { name: drillReportConfigMapName, defaultMode: 0o444 } },
      );
      const report = pod.containers[1];
      assert.deepEqual(report.command, ["/bin/sh", `/drill/${drillReportFile}`]);
      assert.ok(
        report.volumeMounts.some((mount: { mountPath: string; readOnly?: boolean }) => mount.mountPath === "/drill" && mount.readOnly),
      );
      const hash = job.spec.template.metadata.annotations["burstmesh/report-sha256"];
      assert.match(hash, /^[0-9a-f]{64}$/);
    });

    it("loads the service above its home capacity with fortio and reports per cluster", () => {
      const [load, report] = job.spec.template.spec.containers;
      assert.equal(load.name, drillContainers.load);
      assert.equal(load.image, fortioImage);
      assert.deepEqual(load.args, fortioArgs(service, drill));
      const flag = (name: string) => load.args[load.args.indexOf(name) + 1];
      assert.equal(load.args[0], "load");
      assert.equal(flag("-qps"), "0");
      assert.equal(flag("-c"), "200");
      assert.equal(flag("-t"), "90s");
      assert.equal(flag("-json"), "/report/fortio.json");
      assert.equal(load.args.at(-1), "http://podinfo.podinfo.svc.cluster.local:9898/");
      assert.equal(homeCapacity(service), 96, "6 pods x 16 requests in flight");
      assert.ok(200 > homeCapacity(service)!, "the default drill connections exceed the home capacity");
      assert.equal(report.name, drillContainers.report);
      const env = Object.fromEntries(report.env.map((e: { name: string; value: string }) => [e.name, e.value]));
      assert.equal(env.HOME_CLUSTER, "eks");
      assert.equal(env.TARGET, "http://podinfo.podinfo.svc.cluster.local:9898/");
      assert.equal(env.RESULT, "/report/fortio.json");
      assert.deepEqual(load.volumeMounts, [report.volumeMounts[0]], "one shared result volume");
      assert.match(drillReportScript(), /"message"/, "tallies podinfo's message");
    });

    it("by default loads the Pulumi.yaml podinfo above its home capacity at the HPA ceiling", () => {
      const config = loadConfig(withConfig("eks", { "burstmesh:drill": { enabled: true } }));
      assert.ok(config.role === "cluster");
      const podinfo = config.services[0]!;
      assert.ok(
        config.drill.connections > homeCapacity(podinfo)!,
        `${config.drill.connections} connections vs capacity ${homeCapacity(podinfo)}`,
      );
    });

    it("warns in the report when the drill cannot exceed the home capacity", () => {
      const small = plain(drillJobManifest(service, { ...drill, connections: 10 }, livePanel(service.name)));
      const hint = small.spec.template.spec.containers[1].env.find((e: { name: string }) => e.name === "NO_OVERFLOW_HINT").value;
      assert.match(hint, /does not exceed the home capacity at the HPA ceiling \(6 pods x 16 requests in flight = 96\); raise it/);
    });
  });

  describe("components under Pulumi mocks", function () {
    this.timeout(60_000);

    /** Runs `build` under mocks and returns every registration with its dependencies. */
    async function underMocks(
      stack: string,
      build: () => pulumi.Resource[],
    ): Promise<{ registered: RecordedResource[]; outputs: unknown[] }> {
      const { resources: registered, restoreLogs } = await startMockedRun({ stack });
      try {
        const resources = build();
        const outputs: unknown[] = [];
        for (const resource of resources) {
          for (const key of ["host", "mode", "thresholds", "job", "logsCommand"]) {
            const output = (resource as unknown as Record<string, pulumi.Output<unknown> | undefined>)[key];
            if (output) outputs.push(await resolve(output));
          }
        }
        await settle();
        return { registered, outputs };
      } finally {
        restoreLogs();
      }
    }

    for (const mode of modes) {
      it(`${mode}: creates the expected resources, the Istio objects after istiod`, async () => {
        const { service } = parsed(inMode[mode]);
        let istiod: pulumi.Resource | undefined;
        const { registered, outputs } = await underMocks("eks", () => {
          const provider = new k8s.Provider("eks", { kubeconfig: "{}" });
          istiod = new k8s.core.v1.ConfigMap("istiod-stand-in", { metadata: { name: "x", namespace: "istio-system" } }, { provider });
          return [
            new OverflowService("podinfo", { provider, service, clusterName: "eks", region: "eu-central-1" }, { dependsOn: [istiod] }),
          ];
        });
        const istiodUrn = registered.find((r) => r.name === "istiod-stand-in")!.urn;
        const component = registered.find((r) => r.type === "burstmesh:traffic:OverflowService")!;
        const children = registered.filter((r) => r.parent === component.urn);
        const expected = [
          "kubernetes:core/v1:Namespace",
          "kubernetes:apps/v1:Deployment",
          "kubernetes:core/v1:Service",
          "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
          "kubernetes:policy/v1:PodDisruptionBudget",
          ...(mode === "overflow" ? [istioType("Sidecar")] : []),
          istioType("DestinationRule"),
          istioType("VirtualService"),
        ];
        assert.deepEqual(children.map((r) => r.type).sort(), expected.sort());
        const namespaceUrn = children.find((r) => r.type === "kubernetes:core/v1:Namespace")!.urn;
        for (const child of children) {
          if (child.type.startsWith("kubernetes:networking.istio.io/") || child.type === "kubernetes:apps/v1:Deployment") {
            assert.ok(child.dependencies.includes(istiodUrn), `${child.name} waits for istiod`);
          }
          if (child.type !== "kubernetes:core/v1:Namespace") {
            assert.ok(child.dependencies.includes(namespaceUrn), `${child.name} waits for its namespace`);
            assert.equal((child.inputs.metadata as { namespace: string }).namespace, "podinfo");
          }
        }
        const rule = children.find((r) => r.type === istioType("DestinationRule"))!;
        assert.equal(
          (rule.inputs.spec as { host: string }).host,
          "podinfo.podinfo.svc.cluster.local",
          "the policy is plain fields, not a JSON string",
        );
        assert.deepEqual(outputs, [
          "podinfo.podinfo.svc.cluster.local",
          mode,
          mode === "overflow" ? { maxConcurrentRequests: 16 } : undefined,
        ]);
      });
    }

    it("the drill component creates one Job after the service, and refuses to run when disabled", async () => {
      const { service, drill } = parsed(minimal, { enabled: true });
      const { registered, outputs } = await underMocks("eks", () => {
        const provider = new k8s.Provider("eks", { kubeconfig: "{}" });
        const overflow = new OverflowService("podinfo", { provider, service, clusterName: "eks", region: "eu-central-1" });
        return [
          overflow,
          new OverflowDrill("podinfo-drill", { provider, service, drill, livePanel: livePanel(service.name) }, { dependsOn: [overflow] }),
        ];
      });
      const jobs = registered.filter((r) => r.type === "kubernetes:batch/v1:Job");
      assert.equal(jobs.length, 1);
      const configMap = registered.find((r) => r.type === "kubernetes:core/v1:ConfigMap")!;
      assert.ok(jobs[0]!.dependencies.includes(configMap.urn), "the Job follows its report script");
      const deployment = registered.find((r) => r.type === "kubernetes:apps/v1:Deployment")!;
      assert.ok(jobs[0]!.dependencies.includes(deployment.urn), "the Job waits for the service's pods");
      assert.ok(outputs.includes("kubectl logs job/overflow-drill -n podinfo -c report"));
      assert.throws(
        () =>
          new OverflowDrill("off", {
            provider: undefined as unknown as k8s.Provider,
            service,
            drill: { ...drill, enabled: false },
            livePanel: "",
          }),
        /enabled is false/,
      );
    });
  });

  describe("the whole program under mocks", function () {
    // Two whole stacks under mocks: seconds alone, much longer on a machine busy with other work.
    this.timeout(120_000);
    let eks: StackRun;
    let aks: StackRun;
    let quiet: StackRun;

    before(async () => {
      // The stack files leave the drill off: the shared bootstrap's first pass is the quiet run.
      const bootstrap = await sharedBootstrap();
      const trust = { [stackRef("trust")]: published(bootstrap.trust) };
      const drillOn = { "burstmesh:drill": { enabled: true } };
      eks = await runStack({ stack: "eks", config: withConfig("eks", drillOn), published: trust });
      aks = await runStack({ stack: "aks", config: withConfig("aks", drillOn), published: trust });
      quiet = bootstrap.first.eks;
    });

    const named = (run: StackRun, type: string) =>
      ofType(run, type).map((r) => reveal<{ metadata: { name: string } }>(r.inputs).metadata.name);

    it("deploys podinfo and its policy in both clusters", () => {
      for (const run of [eks, aks]) {
        assert.deepEqual(
          named(run, "kubernetes:apps/v1:Deployment").filter((n) => n === "podinfo"),
          ["podinfo"],
        );
        assert.equal(ofType(run, "burstmesh:traffic:OverflowService").length, 1);
        assert.equal(ofType(run, istioType("DestinationRule")).length, 1);
      }
    });

    it("creates the drill only in the home cluster, and only when enabled", () => {
      assert.equal(ofType(eks, "kubernetes:batch/v1:Job").length, 1);
      assert.equal(ofType(aks, "kubernetes:batch/v1:Job").length, 0);
      assert.equal(ofType(quiet, "kubernetes:batch/v1:Job").length, 0);
    });
  });
});
