import { strict as assert } from "node:assert";
import { validateEksMetricsServer } from "../../policy/capacity";
import { ResourceView } from "../../policy/views";

describe("policy/capacity", function () {
  // The first test to ask for the shared bootstrap runs it (the trust stack and four cluster runs).
  this.timeout(60_000);

  describe("policy eks-metrics-server", () => {
    const view = (type: string, name: string, props: Record<string, unknown>): ResourceView => ({
      type,
      name,
      urn: `urn:${type}::${name}`,
      props,
    });
    const violationsOf = (resources: ResourceView[]) => {
      const found: string[] = [];
      validateEksMetricsServer({ resources }, (message) => found.push(message));
      return found;
    };
    const cluster = view("aws:eks/cluster:Cluster", "eks", {});

    it("passes an EKS stack with the metrics-server add-on or a metrics-server chart, and stacks without EKS", () => {
      assert.deepEqual(violationsOf([cluster, view("aws:eks/addon:Addon", "ms", { addonName: "metrics-server" })]), []);
      assert.deepEqual(violationsOf([cluster, view("kubernetes:helm.sh/v3:Release", "ms", { chart: "metrics-server" })]), []);
      assert.deepEqual(violationsOf([view("azure-native:containerservice:ManagedCluster", "aks", {})]), []);
    });

    it("fails an EKS stack without it, saying what to add", () => {
      assert.deepEqual(violationsOf([cluster, view("aws:eks/addon:Addon", "cni", { addonName: "vpc-cni" })]), [
        "EKS cluster 'eks' has no metrics-server, so its HPAs cannot scale: add the EKS add-on 'metrics-server' (aws.eks.Addon) after the node group.",
      ]);
    });
  });
});
