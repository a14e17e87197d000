import { strict as assert } from "node:assert";
import { podinfoImage } from "../../../config/images";
import { serviceHost } from "../../../components/kube/dns";
import { overflowObjects, topologyLabels } from "../../../components/traffic/serviceSpecs";
import { clusters, plain, parsed, minimal, inMode, modes, objectsIn } from "../../support/overflow";
describe("components/traffic/serviceSpecs: a service's objects", () => {
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
        "istio.io/rev": "stable",
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
});
