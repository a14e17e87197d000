import { strict as assert } from "node:assert";
import { projectServices } from "../support/projectServices";
import { serviceObjects } from "../../components/traffic/servicePolicy";
import { inputsFromDump, inputsFromObjects, labBootstraps } from "../../lab/envoyConfig";
import type { PolicyObjects } from "../../model/policy";
import { recordedServices } from "../support/xdsDumps";
import { labService } from "../../lab/experiments";
import { labTopology } from "../../lab/topology";

type Json = Record<string, any>;

describe("lab/envoyConfig: the service's objects as istiod renders them, on the lab's addresses", () => {
  const { members, services } = projectServices();
  const service = labService(services.find((candidate) => candidate.mode === "overflow")!);
  const topology = labTopology(3, 2);
  const fromObjects = (objects: { home: PolicyObjects; standby: PolicyObjects }) =>
    labBootstraps(inputsFromObjects(objects), topology) as Record<string, Json>;
  const retry = fromObjects(serviceObjects(service, members));
  const ejection = fromObjects(serviceObjects(service, members, "ejection"));
  const outbound = (bootstraps: Record<string, Json>) => bootstraps.client!.static_resources.clusters[0];
  const route = (bootstraps: Record<string, Json>) =>
    bootstraps.client!.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes[0].route;

  it("the route retries as retry.ConvertPolicy writes it: codes apart, previous_hosts, previous_priorities every 2 tries", () => {
    assert.deepEqual(route(retry).retry_policy, {
      retry_on: "retriable-status-codes,connect-failure,reset-before-request,refused-stream,unavailable",
      num_retries: service.retries.attempts,
      retriable_status_codes: [503],
      per_try_timeout: "2s",
      retry_host_predicate: [
        {
          name: "envoy.retry_host_predicates.previous_hosts",
          typed_config: { "@type": "type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate" },
        },
      ],
      host_selection_retry_max_attempts: 5,
      retry_priority: {
        name: "envoy.retry_priorities.previous_priorities",
        typed_config: {
          "@type": "type.googleapis.com/envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig",
          update_frequency: 2,
        },
      },
    });
    assert.equal(route(retry).timeout, "0s", "no route timeout, as Istio leaves it without a VirtualService timeout");
  });

  it("a retryOn of codes only gains retriable-status-codes; no retryRemoteLocalities, no retry_priority", () => {
    const objects = serviceObjects(service, members).home;
    const http = objects.virtualService.spec.http![0]!;
    const plain = {
      ...objects,
      virtualService: {
        ...objects.virtualService,
        spec: { ...objects.virtualService.spec, http: [{ ...http, retries: { attempts: 2, retryOn: "503,connect-failure" } }] },
      },
    };
    const policy = route(fromObjects({ home: plain, standby: plain })).retry_policy as Json;
    assert.equal(policy.retry_on, "connect-failure,retriable-status-codes");
    assert.deepEqual(policy.retriable_status_codes, [503]);
    assert.equal(policy.retry_priority, undefined);
    assert.equal(policy.per_try_timeout, undefined);
  });

  it("the outbound cluster: least request, Istio's unlimited breakers, home at priority 0 and the gateway at 1 weighted by its pods", () => {
    const cluster = outbound(retry);
    assert.equal(cluster.lb_policy, "LEAST_REQUEST");
    assert.equal(cluster.connect_timeout, "10s");
    assert.deepEqual(cluster.circuit_breakers.thresholds, [
      { max_connections: 4294967295, max_pending_requests: 4294967295, max_requests: 4294967295, max_retries: 4294967295 },
    ]);
    const [home, remote] = cluster.load_assignment.endpoints;
    assert.equal(home.priority, undefined, "priority 0");
    assert.deepEqual(
      home.lb_endpoints.map((entry: Json) => entry.endpoint.address.socket_address),
      topology.homePods.map((pod) => ({ address: pod.sidecar.address, port_value: 15006 })),
    );
    assert.equal(remote.priority, 1);
    assert.deepEqual(remote.lb_endpoints, [
      { endpoint: { address: { socket_address: { address: topology.gateway.address, port_value: 15443 } } }, load_balancing_weight: 2 },
    ]);
  });

  it("overflow's outlier detection ejects on nothing but local-origin failures; the old recipe ejects on 5 5xx or 3 gateway errors", () => {
    assert.deepEqual(outbound(retry).outlier_detection, {
      enforcing_success_rate: 0,
      consecutive_5xx: 0,
      enforcing_consecutive_5xx: 0,
      interval: "5s",
      base_ejection_time: "15s",
      max_ejection_percent: 100,
      split_external_local_origin_errors: true,
      consecutive_local_origin_failure: 5,
      enforcing_consecutive_local_origin_failure: 100,
      enforcing_local_origin_success_rate: 0,
    });
    assert.deepEqual(outbound(retry).common_lb_config, { healthy_panic_threshold: { value: 0 } });
    assert.deepEqual(outbound(ejection).outlier_detection, {
      enforcing_success_rate: 0,
      consecutive_5xx: 5,
      enforcing_consecutive_5xx: 100,
      consecutive_gateway_failure: 3,
      enforcing_consecutive_gateway_failure: 100,
      interval: "5s",
      base_ejection_time: "15s",
      max_ejection_percent: 100,
    });
    const home = serviceObjects(service, members).home;
    const rule = home.destinationRule;
    const gatewayZero = {
      ...home,
      destinationRule: { ...rule, spec: { ...rule.spec, trafficPolicy: { outlierDetection: { consecutiveGatewayErrors: 0 } } } },
    };
    assert.deepEqual(outbound(fromObjects({ home: gatewayZero, standby: gatewayZero })).outlier_detection, {
      enforcing_success_rate: 0,
      consecutive_gateway_failure: 0,
      enforcing_consecutive_gateway_failure: 0,
    });
  });

  it("each pod's sidecar caps its inbound cluster at the Sidecar's limit, without Envoy's debug headers", () => {
    for (const [name, pods] of [
      ["homeSidecars", topology.homePods],
      ["remoteSidecars", topology.remotePods],
    ] as const) {
      const { listeners, clusters } = retry[name]!.static_resources;
      assert.equal(listeners.length, pods.length);
      pods.forEach((pod, index) => {
        assert.deepEqual(listeners[index].address.socket_address, { address: pod.sidecar.address, port_value: 15006 });
        const router = listeners[index].filter_chains[0].filters[0].typed_config.http_filters[0].typed_config;
        assert.equal(router.suppress_envoy_headers, true);
        assert.equal(clusters[index].circuit_breakers.thresholds[0].max_requests, service.capacity!.maxConcurrentRequests);
        assert.deepEqual(clusters[index].load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address, {
          address: pod.app.address,
          port_value: 9898,
        });
      });
    }
  });

  it("the gateway proxies TCP, one pod per connection, as AUTO_PASSTHROUGH does without its TLS", () => {
    const { listeners, clusters } = retry.gateway!.static_resources;
    assert.equal(listeners[0].filter_chains[0].filters[0].name, "envoy.filters.network.tcp_proxy");
    assert.deepEqual(
      clusters[0].load_assignment.endpoints[0].lb_endpoints.map((entry: Json) => entry.endpoint.address.socket_address.address),
      topology.remotePods.map((pod) => pod.sidecar.address),
    );
  });

  it("puts every listener of the lab on an address and port of its own", () => {
    const sockets = Object.values(retry).flatMap((bootstrap) => [
      bootstrap.admin.address.socket_address,
      ...bootstrap.static_resources.listeners.map((listener: Json) => listener.address.socket_address),
    ]);
    const apps = [...topology.homePods, ...topology.remotePods].map((pod) => ({ address: pod.app.address, port_value: pod.app.port }));
    const all = [...sockets, ...apps].map((socket) => `${socket.address}:${socket.port_value}`);
    assert.equal(new Set(all).size, all.length, all.join(" "));
    assert.ok(
      all.every((socket) => socket.startsWith("127.")),
      "loopback only",
    );
  });

  it("from istiod's own config, the lab runs the same route, outbound cluster and limits as from the objects, at the lab's limit", () => {
    const podinfo = recordedServices().podinfo!;
    const inputs = inputsFromDump(podinfo.dump, podinfo.host, podinfo.port, service.capacity!.maxConcurrentRequests, "podinfo.json");
    assert.match(inputs.source, /istiod's config for a pod of the service \(podinfo.json\), its per-pod limit resized to the lab's 4/);
    const dumped = labBootstraps(inputs, topology) as Record<string, Json>;
    const sent = route(dumped);
    // Protobuf's JSON writes an int64 as a string; Envoy reads either.
    const sentRetries = {
      ...sent.retry_policy,
      host_selection_retry_max_attempts: Number(sent.retry_policy.host_selection_retry_max_attempts),
    };
    assert.deepEqual({ ...sent, retry_policy: sentRetries }, route(retry), "the route istiod sent is the route the translator writes");
    const { upstream_connection_options: keepalive, common_lb_config: common, ...rest } = outbound(dumped);
    const { common_lb_config: translatedCommon, ...translated } = outbound(retry);
    assert.deepEqual(rest, translated, "the outbound cluster too, endpoints and priorities included");
    assert.deepEqual(
      [common, translatedCommon],
      [{ healthy_panic_threshold: {} }, { healthy_panic_threshold: { value: 0 } }],
      "a 0% panic threshold either way",
    );
    assert.deepEqual(keepalive, { tcp_keepalive: { keepalive_probes: 3, keepalive_time: 120, keepalive_interval: 30 } });
    for (const side of ["homeSidecars", "remoteSidecars"]) {
      assert.deepEqual(
        dumped[side]!.static_resources.clusters.map((cluster: Json) => cluster.circuit_breakers),
        retry[side]!.static_resources.clusters.map((cluster: Json) => cluster.circuit_breakers),
      );
    }
    assert.throws(
      () => inputsFromDump(recordedServices()["failover-web"]!.dump, podinfo.host, podinfo.port, 4, "f.json"),
      /no cluster 'outbound\|9898\|\|podinfo/,
    );
  });
});
