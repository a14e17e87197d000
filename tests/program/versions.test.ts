import { strict as assert } from "node:assert";
import { ofType, reveal, runStack, StackRun, stackRef } from "../support/harness";
import { published, sharedBootstrap } from "../support/bootstrap";
import { withConfig } from "../support/stackFiles";
import { reviews } from "../support/versions";

describe("versions across clusters under mocks", () => {
  describe("in a cluster stack under mocks", function () {
    this.timeout(60_000);
    let eks: StackRun;

    before(async () => {
      const bootstrap = await sharedBootstrap();
      eks = await runStack({
        stack: "eks",
        config: withConfig("eks", { "burstmesh:services": [reviews], "burstmesh:drill": { enabled: false, service: "reviews" } }),
        published: { [stackRef("trust")]: published(bootstrap.trust) },
      });
    });

    it("creates one Deployment, HPA and PDB per version that runs in the cluster, and the versioned routing", () => {
      const names = (type: string) => ofType(eks, type).map((r) => reveal<{ metadata: { name: string } }>(r.inputs).metadata.name);
      assert.deepEqual(names("kubernetes:apps/v1:Deployment"), ["reviews-v1"]);
      assert.deepEqual(names("kubernetes:autoscaling/v2:HorizontalPodAutoscaler"), ["reviews-v1"]);
      assert.deepEqual(names("kubernetes:policy/v1:PodDisruptionBudget"), ["reviews-v1"]);
      const rule = reveal<{ spec: { subsets: { name: string }[] } }>(
        ofType(eks, "kubernetes:networking.istio.io/v1:DestinationRule")[0]!.inputs,
      );
      assert.deepEqual(
        rule.spec.subsets.map((subset) => subset.name),
        ["v1", "v2", "v3"],
      );
    });
  });
});
