import { strict as assert } from "node:assert";
import { restartedAtAnnotation, restartStaleSidecars, rolledOut, sidecarHas, sidecarRevision } from "../../orchestrator/rollout";

const pod = (proxyMetadata?: Record<string, string>) => ({
  spec: {
    containers: [
      { name: "app" },
      { name: "istio-proxy", env: [{ name: "PROXY_CONFIG", value: JSON.stringify({ discoveryAddress: "istiod:15012", proxyMetadata }) }] },
    ],
  },
});

const deployment = (name: string, generation: number, observedGeneration: number, available: number) => ({
  metadata: { name, namespace: "shop", generation },
  spec: { replicas: 2, selector: { matchLabels: { app: name } } },
  status: { observedGeneration, updatedReplicas: available, availableReplicas: available, replicas: 2 },
});

describe("rollout: restarting workloads for a sidecar setting", () => {
  it("tells a sidecar with the setting from one without, and leaves pods without a sidecar alone", () => {
    assert.equal(sidecarHas(pod({ PROXY_CONFIG_XDS_AGENT: "true" }), "PROXY_CONFIG_XDS_AGENT"), true);
    assert.equal(sidecarHas(pod({ OTHER: "1" }), "PROXY_CONFIG_XDS_AGENT"), false);
    assert.equal(sidecarHas(pod(), "PROXY_CONFIG_XDS_AGENT"), false);
    assert.equal(sidecarHas({ spec: { containers: [{ name: "app" }] } }, "PROXY_CONFIG_XDS_AGENT"), true);
  });

  it("reads the revision that injected a pod from the injector's status annotation", () => {
    const injected = (status?: string) => ({
      metadata: { annotations: status ? { "sidecar.istio.io/status": status } : ({} as Record<string, string>) },
      spec: { containers: [] },
    });
    assert.equal(sidecarRevision(injected('{"containers":["istio-proxy"],"revision":"1-30-8"}')), "1-30-8");
    assert.equal(sidecarRevision(injected('{"containers":["istio-proxy"],"revision":""}')), "default");
    assert.equal(sidecarRevision(injected()), undefined);
  });

  it("counts a Deployment rolled out only once its controller has seen the new template and every replica is available", () => {
    assert.equal(rolledOut(deployment("cart", 3, 3, 2)), true);
    assert.equal(rolledOut(deployment("cart", 4, 3, 2)), false);
    assert.equal(rolledOut(deployment("cart", 4, 4, 1)), false);
  });

  it("restarts only the Deployments with a stale sidecar, through the pod template, and waits until they have rolled out", async () => {
    const patches: { path: string; patch: unknown }[] = [];
    let reads = 0;
    const api = {
      list: async (path: string) => {
        if (path.endsWith("/deployments")) return [deployment("cart", 1, 1, 2), deployment("web", 1, 1, 2)] as never;
        return (path.includes("app%3Dcart") ? [pod()] : [pod({ PROXY_CONFIG_XDS_AGENT: "true" })]) as never;
      },
      mergePatch: async (path: string, patch: unknown) => void patches.push({ path, patch }),
      get: async <T>() => (++reads < 3 ? deployment("cart", 2, 1, 2) : deployment("cart", 2, 2, 2)) as T,
    };
    const now = new Date("2026-12-06T12:00:00Z");
    const restarted = await restartStaleSidecars({
      api,
      namespaces: ["shop"],
      stale: (pod) => !sidecarHas(pod, "PROXY_CONFIG_XDS_AGENT"),
      now,
      timeoutMs: 60_000,
      sleep: async () => undefined,
    });
    assert.deepEqual(restarted, ["shop/cart"]);
    assert.deepEqual(patches, [
      {
        path: "/apis/apps/v1/namespaces/shop/deployments/cart",
        patch: { spec: { template: { metadata: { annotations: { [restartedAtAnnotation]: "2026-12-06T12:00:00.000Z" } } } } },
      },
    ]);
    assert.equal(reads, 3, "it waited until the controller had rolled the new template out");
  });

  it("gives up, naming the Deployment, when a rollout does not finish in time", async () => {
    const api = {
      list: async (path: string) => (path.endsWith("/deployments") ? [deployment("cart", 1, 1, 2)] : [pod()]) as never,
      mergePatch: async () => undefined,
      get: async <T>() => deployment("cart", 2, 2, 1) as T,
    };
    await assert.rejects(
      restartStaleSidecars({
        api,
        namespaces: ["shop"],
        stale: () => true,
        now: new Date(),
        timeoutMs: 0,
        sleep: async () => undefined,
      }),
      /shop\/cart has not rolled out within 0 min/,
    );
  });
});
