import { strict as assert } from "node:assert";
import { validateAksAuthorizedIpRanges, validateEksPublicAccessCidrs } from "../../policy/exposure";
import { types } from "../../policy/views";
import { resource, violations } from "./checks";

describe("policy pack: exposure", () => {
  describe("eks-api-public-access-restricted (advisory)", () => {
    const cluster = (vpcConfig: Record<string, unknown>) => resource(types.eksCluster, "eks", { vpcConfig });

    it("passes a public endpoint limited to known CIDRs, and a private endpoint", () => {
      assert.deepEqual(violations(validateEksPublicAccessCidrs, cluster({ publicAccessCidrs: ["203.0.113.0/24"] })), []);
      assert.deepEqual(violations(validateEksPublicAccessCidrs, cluster({ endpointPublicAccess: false })), []);
    });

    it("fails publicAccessCidrs that include 0.0.0.0/0, or none at all", () => {
      assert.deepEqual(violations(validateEksPublicAccessCidrs, cluster({ publicAccessCidrs: ["0.0.0.0/0"] })), [
        "EKS cluster 'eks' allows its public API endpoint from anywhere (publicAccessCidrs includes 0.0.0.0/0).",
      ]);
      assert.deepEqual(violations(validateEksPublicAccessCidrs, cluster({})), [
        "EKS cluster 'eks' has a public API endpoint with no publicAccessCidrs (AWS defaults to 0.0.0.0/0).",
      ]);
    });
  });

  describe("aks-api-authorized-ip-ranges (advisory)", () => {
    const cluster = (apiServerAccessProfile?: Record<string, unknown>) =>
      resource("azure-native:containerservice:ManagedCluster", "aks", { apiServerAccessProfile });

    it("passes authorized IP ranges, and a private cluster", () => {
      assert.deepEqual(violations(validateAksAuthorizedIpRanges, cluster({ authorizedIPRanges: ["203.0.113.0/24"] })), []);
      assert.deepEqual(violations(validateAksAuthorizedIpRanges, cluster({ enablePrivateCluster: true })), []);
    });

    it("fails a public API server without authorized IP ranges, or open to 0.0.0.0/0", () => {
      assert.deepEqual(violations(validateAksAuthorizedIpRanges, cluster()), [
        "AKS cluster 'aks' has a public API server without apiServerAccessProfile.authorizedIPRanges (open to any address).",
      ]);
      assert.deepEqual(violations(validateAksAuthorizedIpRanges, cluster({ authorizedIPRanges: ["0.0.0.0/0"] })), [
        "AKS cluster 'aks' authorizes its API server from anywhere (authorizedIPRanges includes 0.0.0.0/0).",
      ]);
    });
  });
});
