import { strict as assert } from "node:assert";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { OverflowService } from "../../../components/traffic/overflowService";
import { parsed, inMode, modes, istioType, underMocks } from "../../support/overflow";

describe("components/traffic/overflowService: OverflowService under Pulumi mocks", function () {
  this.timeout(60_000);

  for (const mode of modes) {
    it(`${mode}: creates the expected resources, the Istio objects after istiod`, async () => {
      const { service } = parsed(inMode[mode]);
      let istiod: pulumi.Resource | undefined;
      const { registered, outputs } = await underMocks("eks", () => {
        const provider = new k8s.Provider("eks", { kubeconfig: "{}" });
        istiod = new k8s.core.v1.ConfigMap("istiod-stand-in", { metadata: { name: "x", namespace: "istio-system" } }, { provider });
        return [new OverflowService("podinfo", { provider, service, clusterName: "eks", region: "eu-central-1" }, { dependsOn: [istiod] })];
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
});
