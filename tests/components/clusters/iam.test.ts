import { strict as assert } from "node:assert";
import { subnetTags } from "../../../components/clusters/eksCluster";
import { managedPolicyArn, serviceTrustPolicy } from "../../../components/clusters/iam";

describe("components/clusters/iam", function () {
  this.timeout(20_000);

  it("builds partition-aware policy ARNs, service trust policies and subnet tags", () => {
    assert.equal(managedPolicyArn("aws-cn", "AmazonEKS_CNI_Policy"), "arn:aws-cn:iam::aws:policy/AmazonEKS_CNI_Policy");
    assert.deepEqual(JSON.parse(serviceTrustPolicy("eks.amazonaws.com")), {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { Service: "eks.amazonaws.com" }, Action: "sts:AssumeRole" }],
    });
    assert.deepEqual(subnetTags("east", "public", "east-public-0"), {
      Name: "east-public-0",
      "kubernetes.io/cluster/east": "shared",
      "kubernetes.io/role/elb": "1",
    });
    assert.deepEqual(subnetTags("east", "private", "east-private-0"), {
      Name: "east-private-0",
      "kubernetes.io/cluster/east": "shared",
      "kubernetes.io/role/internal-elb": "1",
    });
  });
});
