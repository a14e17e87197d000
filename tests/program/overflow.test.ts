import { strict as assert } from "node:assert";
import { published, sharedBootstrap } from "../support/bootstrap";
import { ofType, reveal, runStack, stackRef, StackRun } from "../support/harness";
import { withConfig } from "../support/stackFiles";
import { istioType } from "../support/overflow";

describe("overflow services: the whole program under mocks", () => {
  describe("the whole program under mocks", function () {
    // Two whole stacks under mocks: seconds alone, much longer on a machine busy with other work.
    this.timeout(120_000);
    let eks: StackRun;
    let aks: StackRun;
    let quiet: StackRun;

    before(async () => {
      // The stack files leave the drill off: the shared bootstrap's first pass is the quiet run.
      const bootstrap = await sharedBootstrap();
      const trust = { [stackRef("trust")]: published(bootstrap.trust) };
      const drillOn = { "burstmesh:drill": { enabled: true } };
      eks = await runStack({ stack: "eks", config: withConfig("eks", drillOn), published: trust });
      aks = await runStack({ stack: "aks", config: withConfig("aks", drillOn), published: trust });
      quiet = bootstrap.first.eks;
    });

    const named = (run: StackRun, type: string) =>
      ofType(run, type).map((r) => reveal<{ metadata: { name: string } }>(r.inputs).metadata.name);

    it("deploys podinfo and its policy in both clusters", () => {
      for (const run of [eks, aks]) {
        assert.deepEqual(
          named(run, "kubernetes:apps/v1:Deployment").filter((n) => n === "podinfo"),
          ["podinfo"],
        );
        assert.equal(ofType(run, "burstmesh:traffic:OverflowService").length, 1);
        assert.equal(ofType(run, istioType("DestinationRule")).length, 1);
      }
    });

    it("creates the drill only in the home cluster, and only when enabled", () => {
      assert.equal(ofType(eks, "kubernetes:batch/v1:Job").length, 1);
      assert.equal(ofType(aks, "kubernetes:batch/v1:Job").length, 0);
      assert.equal(ofType(quiet, "kubernetes:batch/v1:Job").length, 0);
    });
  });
});
