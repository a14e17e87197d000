import { strict as assert } from "node:assert";
import { projectServices } from "../support/projectServices";
import { servicePolicy } from "../../components/traffic/servicePolicy";
import { ConfigDump, envoyPolicy, serviceEnvoyConfig, podAddresses } from "../../model/configDump";
import { recordedServices } from "../support/xdsDumps";

const host = "podinfo.podinfo.svc.cluster.local";
/** The rehearsal's podinfo pod in its home member: one dump holds both its client side and its pod side. */
const recordedDumps = () => {
  const { dump } = recordedServices().podinfo!;
  return { client: dump, pod: dump };
};

describe("model/configDump: what Envoy received for an overflow service", () => {
  it("reads the outbound cluster, its endpoints by priority, the route's retries and the pod's inbound limit", () => {
    const { client, pod } = recordedDumps();
    const config = serviceEnvoyConfig(client, pod, host, 9898);
    assert.equal(config.cluster, `outbound|9898||${host}`);
    assert.equal(config.lbPolicy, "LEAST_REQUEST");
    assert.equal(config.panicThresholdPercent, 0, "healthy_panic_threshold: {} is 0 (JSON leaves zeros out)");
    assert.deepEqual(config.endpoints, [
      { address: "10.0.0.5", port: 9898, priority: 0, weight: 1, region: "rehearsal-a", zone: "rehearsal-a-b", localityWeight: 1 },
      { address: "10.0.0.10", port: 9898, priority: 0, weight: 1, region: "rehearsal-a", zone: "rehearsal-a-c", localityWeight: 1 },
      { address: "10.213.1.2", port: 15443, priority: 1, weight: 1, region: "rehearsal-b", zone: "rehearsal-b-b", localityWeight: 1 },
    ]);
    assert.deepEqual(config.retry, {
      retryOn: ["retriable-status-codes", "connect-failure", "reset-before-request", "refused-stream", "unavailable"],
      numRetries: 3,
      retriableStatusCodes: [503],
      perTryTimeoutSeconds: 2,
      previousHosts: true,
      hostSelectionRetryMaxAttempts: 5,
      previousPrioritiesUpdateFrequency: 2,
    });
    assert.equal(config.inboundMaxRequests, 32);
    assert.deepEqual(config.clientLimits, {
      maxConnections: 4294967295,
      maxPendingRequests: 4294967295,
      maxRequests: 4294967295,
      maxRetries: 4294967295,
    });
    assert.deepEqual(podAddresses(config), ["10.0.0.5", "10.0.0.10"], "the gateway on 15443 is not a pod");
  });

  it("gives the traffic model the very policy it reads from the objects the program builds", () => {
    const { members, services } = projectServices();
    const {
      home: _home,
      standby: _standby,
      ...fromObjects
    } = servicePolicy(
      services.find((s) => s.name === "podinfo")!,
      members,
    );
    const { client, pod } = recordedDumps();
    const config = serviceEnvoyConfig(client, pod, host, 9898);
    assert.deepEqual(envoyPolicy(config, podAddresses(config)), fromObjects);
  });

  it("uses Envoy's defaults for what a cluster leaves unset, and names what a dump lacks", () => {
    const { client, pod } = recordedDumps();
    const bare = JSON.parse(JSON.stringify(client)) as ConfigDump;
    const clusters = bare.configs!.find((config) => String(config["@type"]).endsWith("ClustersConfigDump"))!;
    const cluster = (clusters.dynamic_active_clusters as { cluster: Record<string, unknown> }[]).find((entry) =>
      String(entry.cluster.name).startsWith("outbound|"),
    )!.cluster;
    delete cluster.common_lb_config;
    delete cluster.lb_policy;
    delete cluster.circuit_breakers;
    cluster.outlier_detection = {};
    const config = serviceEnvoyConfig(bare, pod, host, 9898);
    assert.equal(config.panicThresholdPercent, 50);
    assert.equal(config.lbPolicy, "ROUND_ROBIN");
    assert.deepEqual(config.clientLimits, { maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 1024, maxRetries: 3 });
    assert.deepEqual(envoyPolicy(config, podAddresses(config)).outlier, {
      consecutive5xx: 5,
      consecutiveGatewayFailure: undefined,
      splitExternalLocalOriginErrors: false,
      consecutiveLocalOriginFailure: 5,
      intervalSeconds: 10,
      baseEjectionSeconds: 30,
      maxEjectionSeconds: 300,
      maxEjectionPercent: 10,
    });
    assert.throws(
      () => serviceEnvoyConfig(client, pod, "web.web.svc.cluster.local", 80),
      /no cluster 'outbound\|80\|\|web\.web\.svc\.cluster\.local'/,
    );
    assert.throws(() => serviceEnvoyConfig({ configs: [] }, pod, host, 9898), /the config dump has no envoy.admin.v3.ClustersConfigDump/);
    assert.throws(() => envoyPolicy(serviceEnvoyConfig(client, undefined, host, 9898), []), /the pod's dump is needed/);
  });
});
