import { strict as assert } from "node:assert";
import { callMocks, resourceMocks } from "./clouds";

describe("tests/support/mocks/clouds: the cloud mocks", function () {
  this.timeout(20_000);

  describe("cloud mocks", () => {
    it("derive the same values from the same inputs, and different values from different inputs", async () => {
      const eks = resourceMocks["aws:eks/cluster:Cluster"]!;
      const args = { type: "aws:eks/cluster:Cluster", name: "east-eks", inputs: { name: "east", region: "eu-central-1" }, custom: true };
      assert.deepEqual(await eks(args), await eks({ ...args }));
      assert.notDeepEqual(await eks(args), await eks({ ...args, inputs: { name: "east2", region: "eu-central-1" } }));
      const zones = await callMocks["aws:index/getAvailabilityZones:getAvailabilityZones"]!({ region: "eu-central-1", state: "available" });
      assert.deepEqual(zones.names, ["eu-central-1a", "eu-central-1b", "eu-central-1c"]);
      assert.deepEqual(zones.zoneIds, ["euc1-az1", "euc1-az2", "euc1-az3"]);
    });

    it("refuse credentials for an AKS cluster that was never created", () => {
      assert.throws(
        () =>
          callMocks["azure-native:containerservice:listManagedClusterUserCredentials"]!({
            resourceGroupName: "nowhere",
            resourceName: "ghost",
          }),
        /ResourceNotFound/,
      );
    });
  });
});
