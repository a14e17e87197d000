import { strict as assert } from "node:assert";
import { chartEnvironment, debugAddress, istiodArgs } from "../../rehearsal/istiod";
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
