import { strict as assert } from "node:assert";
import { burstHpaBehavior } from "../../../components/kube/burstScaling";
import { eastWestGatewayValues, istiodValues } from "../../../components/mesh/values";
import { sharedBootstrap } from "../../support/bootstrap";
import { ofType, reveal } from "../../support/harness";

describe("components/kube/burstScaling: HPAs made for bursts", function () {
  // The first test to ask for the shared bootstrap runs it (the trust stack and four cluster runs).
  this.timeout(60_000);

  describe("HPAs made for bursts", () => {
    const behavior = burstHpaBehavior();

    it("scales up on the first sample and may at least double the pods every 15 s", () => {
      assert.equal(behavior.scaleUp.stabilizationWindowSeconds, 0);
      assert.equal(behavior.scaleUp.selectPolicy, "Max");
      const doubling = behavior.scaleUp.policies.find((p) => p.type === "Percent");
      assert.ok(doubling && doubling.value >= 100 && doubling.periodSeconds <= 15, "a Percent policy of at least 100 % per 15 s");
    });

    it("scales down only after five minutes of lower recommendations", () => {
      assert.equal(behavior.scaleDown.stabilizationWindowSeconds, 300);
    });

    it("is the behavior of istiod's and the east-west gateway's HPAs (chart values)", () => {
      const istiod = istiodValues({ revision: "1-30-8", meshId: "m", trustDomain: "cluster.local", clusterName: "eks", network: "n" });
      assert.equal(istiod.autoscaleEnabled, true);
      assert.deepEqual(istiod.autoscaleBehavior, behavior);
      for (const cloud of ["aws", "azure"] as const) {
        const gateway = eastWestGatewayValues({ revision: "1-30-8", network: "n", cloud, sourceRanges: ["198.51.100.7/32"] }) as {
          autoscaling: Record<string, unknown>;
        };
        assert.equal(gateway.autoscaling.enabled, true);
        assert.deepEqual(gateway.autoscaling.autoscaleBehavior, behavior);
      }
    });

    it("is the behavior of every service HPA in both clusters", async () => {
      const { first } = await sharedBootstrap();
      for (const run of [first.eks, first.aks]) {
        const hpas = ofType(run, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler");
        assert.ok(hpas.length > 0);
        for (const hpa of hpas) assert.deepEqual(reveal<{ spec: { behavior: unknown } }>(hpa.inputs).spec.behavior, behavior);
      }
    });
  });
});
