/**
 * The mesh components (IstioPrimary, EastWestGateway, ReaderToken, RemoteSecret): their pure builders
 * directly, then the components themselves under Pulumi mocks, one EKS and one AKS cluster, wired to
 * each other the way the cluster stacks wire peers.
 */
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { checkedFor } from "../../components/invariant";
import { remoteSecretStringData } from "../../components/mesh/remoteSecret";
import { settle, startMockedRun } from "../support/harness";
import { peerFixture } from "../support/meshComponents";

describe("components/invariant: a component's invariant on values it received", () => {
  describe("a component's invariant on values it received", () => {
    it("fails as a ResourceError against the component, without a stack trace, keeping the builder's message", async () => {
      const { restoreLogs } = await startMockedRun({ stack: "invariant" });
      try {
        const peerName = "aks";
        const secret = new pulumi.ComponentResource("burstmesh:mesh:RemoteSecret", "peer-aks");
        const mismatched = { ...peerFixture(), clusterName: "gke" };
        assert.throws(
          () => checkedFor(secret, () => remoteSecretStringData(peerName, mismatched)),
          (error: pulumi.ResourceError) =>
            pulumi.ResourceError.isInstance(error) &&
            error.resource === secret &&
            error.hideStack === true &&
            /remote secret for peer 'aks': the Secret key must equal the peer's clusterName 'gke'/.test(error.message),
        );
        assert.deepEqual(
          checkedFor(secret, () => 42),
          42,
        );
      } finally {
        await settle();
        restoreLogs();
      }
    });
  });
});
