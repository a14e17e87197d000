import { strict as assert } from "node:assert";
import { parseServiceConfig, ServiceSettings } from "../../config/services";
import { overflowObjects } from "../../components/traffic/serviceSpecs";
import { hasReference, istioSchemaErrors, skipWithoutReference } from "../support/istioReference";
import { validateIstio } from "../support/schemas";

/**
 * Every Istio object an overflow service generates, in every mode and cluster, against Istio's CRD
 * schemas: always against the models of @kubernetes-models/istio, and, where a checkout has Istio
 * 1.30.3's own CRD file beside it, also against that file with unknown fields rejected.
 */
describe("overflow Istio objects against Istio's CRD schemas", function () {
  const clusters = [
    { clusterName: "eks", region: "eu-central-1" },
    { clusterName: "aks", region: "westeurope" },
  ];
  const entries: Record<string, Record<string, unknown>> = {
    overflow: { name: "podinfo", homeCluster: "eks", capacity: { maxConcurrentRequests: 16 } },
    failover: {
      name: "podinfo",
      homeCluster: "eks",
      mode: "failover",
      outlierDetection: { consecutive5xxErrors: 2, consecutiveGatewayErrors: 1 },
    },
    distribute: { name: "podinfo", homeCluster: "aks", mode: "distribute", distribute: { "eu-central-1": 25, westeurope: 75 } },
    "overflow over gRPC, every knob set": {
      name: "orders",
      namespace: "shop",
      homeCluster: "aks",
      protocol: "grpc",
      port: 9999,
      capacity: { maxConcurrentRequests: 100, maxPendingRequests: 1 },
      outlierDetection: { consecutiveLocalOriginFailures: 2, interval: "1s", baseEjectionTime: "30s" },
      retries: { attempts: 4, perTryTimeout: "500ms", retryOn: "5xx,reset-before-request,connect-failure,unavailable" },
      clientPool: { maxConnections: 1000, http1MaxPendingRequests: 100, http2MaxRequests: 1000, maxRetries: 100 },
      tcpKeepalive: { time: "1m", interval: "10s", probes: 5 },
    },
  };

  function service(entry: Record<string, unknown>): ServiceSettings {
    const result = parseServiceConfig([entry], undefined, { members: ["eks", "aks"] });
    if (!result.ok) assert.fail(result.issues.join("\n"));
    return result.services[0]!;
  }

  for (const [what, entry] of Object.entries(entries)) {
    for (const cluster of clusters) {
      it(`${what}, in ${cluster.clusterName}`, async () => {
        const objects = overflowObjects(service(entry), cluster);
        const istio = [objects.sidecar, objects.destinationRule, objects.virtualService].filter((object) => object !== undefined);
        assert.equal(istio.length, entry.mode === undefined ? 3 : 2);
        for (const object of istio) {
          assert.deepEqual(await validateIstio(object), [], `${object.kind} ${object.metadata.name}`);
          if (hasReference()) assert.deepEqual(istioSchemaErrors(object), [], `${object.kind} ${object.metadata.name} (1.30.3 reference)`);
        }
      });
    }
  }

  it("would catch a field of the wrong type (the model check itself can fail)", async () => {
    const rule = overflowObjects(service(entries.overflow!), clusters[0]!).destinationRule;
    const outlierDetection = { ...rule.spec.trafficPolicy!.outlierDetection, consecutive5xxErrors: "none" };
    const wrong = { ...rule, spec: { ...rule.spec, trafficPolicy: { ...rule.spec.trafficPolicy, outlierDetection } } };
    assert.match((await validateIstio(wrong)).join("\n"), /consecutive5xxErrors/);
  });

  it("would catch a misplaced field (the 1.30.3 reference check itself can fail)", function () {
    skipWithoutReference(this);
    const rule = overflowObjects(service(entries.overflow!), clusters[0]!).destinationRule;
    const misplaced = { ...rule, spec: { ...rule.spec, trafficPolicy: { ...rule.spec.trafficPolicy, maxEjectionPercent: 100 } } };
    assert.notDeepEqual(istioSchemaErrors(misplaced), []);
  });
});
