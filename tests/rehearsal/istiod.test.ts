import { strict as assert } from "node:assert";
import {
  chartEnvironment,
  clusterzCheck,
  debugAddress,
  endpointShardzCheck,
  injectedPodLabels,
  istiodArgs,
  networkzCheck,
} from "../../rehearsal/istiod";
import { memberNetwork } from "../../rehearsal/network";

const deployment = (env: unknown[]) => ({
  spec: { template: { spec: { containers: [{ name: "sidecar" }, { name: "discovery", env }] } } },
});

describe("rehearsal istiod: run as the chart configured it", () => {
  it("takes the discovery container's plain env entries and leaves those the pod's fields would fill", () => {
    const env = chartEnvironment(
      deployment([
        { name: "CLUSTER_ID", value: "rehearsal-a" },
        { name: "PILOT_ENABLE_CROSS_CLUSTER_WORKLOAD_ENTRY", value: "true" },
        { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
        { name: "EMPTY", value: "" },
      ]),
    );
    assert.deepEqual(env, { CLUSTER_ID: "rehearsal-a", PILOT_ENABLE_CROSS_CLUSTER_WORKLOAD_ENTRY: "true", EMPTY: "" });
  });

  it("refuses a Deployment without the discovery container, naming it", () => {
    assert.throws(() => chartEnvironment({ spec: { template: { spec: { containers: [{ name: "other" }] } } } }), /'discovery' container/);
  });

  it("puts every listener of each member's istiod on that member's own address, so two never share one", () => {
    const listeners = (index: number) =>
      istiodArgs(memberNetwork(index), "/k", "/d")
        .filter((arg) => /Addr=|_address=/.test(arg))
        .map((arg) => arg.split("=")[1]!);
    for (const index of [0, 1]) {
      assert.equal(listeners(index).length, 6);
      for (const listener of listeners(index))
        assert.ok([memberNetwork(index).hostAddress, debugAddress(memberNetwork(index))].includes(listener.split(":")[0]!), listener);
    }
    assert.deepEqual(
      listeners(0).filter((listener) => listeners(1).includes(listener)),
      [],
    );
  });

  it("serves the debug endpoints on loopback, where istiod answers them unauthenticated", () => {
    assert.equal(debugAddress(memberNetwork(2)), "127.213.2.1");
    assert.ok(istiodArgs(memberNetwork(2), "/k", "/d").includes("--httpAddr=127.213.2.1:8080"));
  });

  it("reads the mesh config from the cluster: the file flags name files that do not exist", () => {
    const args = istiodArgs(memberNetwork(0), "/k", "/work/istiod");
    assert.ok(args.includes("--meshConfig=/work/istiod/no-mesh-file"));
    assert.ok(args.includes("--kubeconfig=/k"));
  });
});

describe("rehearsal istiod: the checks read what istiod says", () => {
  it("passes clusterz only when the member and every peer are synced", () => {
    const synced = [
      { id: "rehearsal-a", syncStatus: "synced" },
      { id: "rehearsal-b", syncStatus: "synced" },
    ];
    assert.equal(clusterzCheck("rehearsal-a", ["rehearsal-b"], synced).ok, true);
    const failing = clusterzCheck(
      "rehearsal-a",
      ["rehearsal-b", "rehearsal-c"],
      [synced[0]!, { id: "rehearsal-b", syncStatus: "timeout" }],
    );
    assert.equal(failing.ok, false);
    assert.equal(failing.detail, "rehearsal-b: timeout, rehearsal-c: absent");
  });

  it("passes networkz only when each peer network's gateway is at its published address on 15443", () => {
    const expected = [{ network: "network-b", address: "10.213.1.2" }];
    assert.equal(networkzCheck("a", expected, [{ Network: "network-b", Cluster: "b", Addr: "10.213.1.2", Port: 15443 }]).ok, true);
    for (const wrong of [
      { Network: "network-b", Cluster: "b", Addr: "10.213.1.2", Port: 443 },
      { Network: "network-b", Cluster: "b", Addr: "10.96.0.10", Port: 15443 },
      { Network: "network-c", Cluster: "c", Addr: "10.213.1.2", Port: 15443 },
    ]) {
      const result = networkzCheck("a", expected, [wrong]);
      assert.equal(result.ok, false, JSON.stringify(wrong));
      assert.match(result.detail, /network-b: no gateway at 10\.213\.1\.2:15443/);
    }
  });

  describe("endpointShardz", () => {
    const hostname = "podinfo.podinfo.svc.cluster.local";
    const expected = [
      { hostname, cluster: "a", network: "network-a", addresses: ["10.0.0.5", "10.0.0.6"] },
      { hostname, cluster: "b", network: "network-b", addresses: ["10.1.0.7"] },
    ];
    const endpoint = (address: string, network: string, tlsMode: string = injectedPodLabels["security.istio.io/tlsMode"]) => ({
      Addresses: [address],
      Network: network,
      TLSMode: tlsMode,
    });
    const shardz = (peer: ReturnType<typeof endpoint>[]) => ({
      [hostname]: {
        podinfo: {
          Shards: {
            "Kubernetes/a": [endpoint("10.0.0.6", "network-a"), endpoint("10.0.0.5", "network-a")],
            "Kubernetes/b": peer,
          },
        },
      },
    });

    it("passes when istiod holds each member's ready endpoints, on the member's network, mTLS-capable", () => {
      const result = endpointShardzCheck("a", expected, shardz([endpoint("10.1.0.7", "network-b")]));
      assert.equal(result.ok, true, result.detail);
      assert.equal(result.detail, `${hostname} from a (network-a): 2, ${hostname} from b (network-b): 1`);
    });

    it("names a peer's endpoints that are missing, on another network or not marked for mTLS", () => {
      assert.match(
        endpointShardzCheck("a", expected, shardz([])).detail,
        /^podinfo\.podinfo\.svc\.cluster\.local from b: holds \[\], the EndpointSlices list \[10\.1\.0\.7\]$/,
      );
      assert.match(
        endpointShardzCheck("a", expected, shardz([endpoint("10.1.0.7", "network-a")])).detail,
        /from b: 10\.1\.0\.7 on network 'network-a', not network-b/,
      );
      const unmarked = endpointShardzCheck("a", expected, shardz([endpoint("10.1.0.7", "network-b", "disabled")]));
      assert.equal(unmarked.ok, false);
      assert.match(unmarked.detail, /from b: 10\.1\.0\.7 has tlsMode 'disabled', not istio/);
    });

    it("fails when no peer has an endpoint to look for, rather than passing on nothing", () => {
      const result = endpointShardzCheck("a", expected.slice(0, 1), shardz([]));
      assert.equal(result.ok, false);
      assert.match(result.detail, /no peer has a ready endpoint to look for/);
    });
  });
});
