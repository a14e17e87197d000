import { strict as assert } from "node:assert";
import * as k8s from "@pulumi/kubernetes";
import { livePanel } from "../../../components/observability/dashboards";
import { OverflowDrill } from "../../../components/traffic/overflowDrill";
import { OverflowService } from "../../../components/traffic/overflowService";
import { parsed, minimal, underMocks } from "../../support/overflow";

describe("components/traffic/overflowDrill: OverflowDrill under Pulumi mocks", function () {
  this.timeout(60_000);

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
