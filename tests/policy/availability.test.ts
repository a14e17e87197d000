import { strict as assert } from "node:assert";
import { validateNodePoolMinimum } from "../../policy/availability";
import { types } from "../../policy/views";
import { resource, violations } from "./checks";

describe("policy pack: availability", () => {
  describe("node-pool-min-two-nodes (advisory)", () => {
    it("passes node pools that keep at least two nodes", () => {
      assert.deepEqual(
        violations(
          validateNodePoolMinimum,
          resource(types.eksNodeGroup, "nodes", { scalingConfig: { minSize: 2, desiredSize: 3, maxSize: 6 } }),
        ),
        [],
      );
      const aks = resource("azure-native:containerservice:ManagedCluster", "aks", {
        agentPoolProfiles: [{ name: "system", enableAutoScaling: true, minCount: 2, count: 3 }],
      });
      assert.deepEqual(violations(validateNodePoolMinimum, aks), []);
      assert.deepEqual(violations(validateNodePoolMinimum, resource("azure-native:containerservice:AgentPool", "user", { count: 3 })), []);
    });

    it("fails an EKS node group with minSize 1 and AKS pools below two nodes", () => {
      assert.deepEqual(violations(validateNodePoolMinimum, resource(types.eksNodeGroup, "nodes", { scalingConfig: { minSize: 1 } })), [
        "EKS node group 'nodes' can shrink to 1 node(s) (scalingConfig.minSize); keep at least 2.",
      ]);
      const aks = resource("azure-native:containerservice:ManagedCluster", "aks", {
        agentPoolProfiles: [
          { name: "system", enableAutoScaling: true, minCount: 1 },
          { name: "user", count: 1 },
        ],
      });
      assert.deepEqual(violations(validateNodePoolMinimum, aks), [
        "AKS cluster 'aks' pool 'system' can run with 1 node(s) (minCount); keep at least 2.",
        "AKS cluster 'aks' pool 'user' can run with 1 node(s) (count); keep at least 2.",
      ]);
      assert.deepEqual(violations(validateNodePoolMinimum, resource("azure-native:containerservice:AgentPool", "user", {})), [
        "AKS agent pool 'user' can run with an unset node(s) (count); keep at least 2.",
      ]);
    });
  });
});
