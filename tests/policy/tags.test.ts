import { strict as assert } from "node:assert";
import { validateDefaultTags } from "../../policy/tags";
import { resource, violations } from "./checks";

describe("policy pack: tags", () => {
  describe("cloud-resource-default-tags", () => {
    const tags = { "burstmesh:project": "burstmesh", "burstmesh:stack": "eks", "burstmesh:cluster": "eks", team: "mesh" };

    it("passes an AWS provider with the default tags (as JSON, as the engine sends it) and tagged Azure resources", () => {
      const aws = resource("pulumi:providers:aws", "aws", { region: "eu-central-1", defaultTags: JSON.stringify({ tags }) });
      assert.deepEqual(violations(validateDefaultTags, aws), []);
      for (const type of ["azure-native:resources:ResourceGroup", "azure-native:containerservice/v20240901:ManagedCluster"]) {
        assert.deepEqual(violations(validateDefaultTags, resource(type, "x", { tags })), [], type);
      }
    });

    it("fails an AWS provider without them and an Azure resource missing one, naming the missing keys", () => {
      assert.deepEqual(violations(validateDefaultTags, resource("pulumi:providers:aws", "aws", { region: "eu-central-1" })), [
        "pulumi:providers:aws 'aws' lacks the default tag(s) burstmesh:project, burstmesh:stack, burstmesh:cluster in its AWS provider's defaultTags.tags.",
      ]);
      const { "burstmesh:cluster": _cluster, ...partial } = tags;
      assert.deepEqual(violations(validateDefaultTags, resource("azure-native:network:PublicIPAddress", "ip", { tags: partial })), [
        "azure-native:network:PublicIPAddress 'ip' lacks the default tag(s) burstmesh:cluster in its tags.",
      ]);
    });

    it("leaves resources that take no tags alone", () => {
      assert.deepEqual(violations(validateDefaultTags, resource("azure-native:authorization:RoleAssignment", "ra", {})), []);
      assert.deepEqual(violations(validateDefaultTags, resource("aws:ec2/vpc:Vpc", "vpc", {})), []);
    });
  });
});
