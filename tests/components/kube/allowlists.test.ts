import { strict as assert } from "node:assert";
import { anywhere, apiAllowlist, gatewaySourceRanges, isOpen, nobodyRange, peerEgressCidrs } from "../../../components/kube/allowlists";

describe("components/kube/allowlists: who may reach what", () => {
  describe("who may reach what: pure rules", () => {
    it("an allowlist is open when empty or when it holds 0.0.0.0/0", () => {
      assert.equal(isOpen([]), true);
      assert.equal(isOpen(["10.0.0.0/8", anywhere]), true);
      assert.equal(isOpen(["198.51.100.0/24"]), false);
    });

    it("the API allowlist stays open when open, and gets the peers' egress CIDRs when restricted", () => {
      assert.deepEqual(apiAllowlist([anywhere], ["203.0.113.7/32"]), [anywhere]);
      assert.deepEqual(apiAllowlist([], ["203.0.113.7/32"]), []);
      assert.deepEqual(apiAllowlist(["198.51.100.0/24", "203.0.113.7/32"], ["203.0.113.7/32", "20.1.2.3/32"]), [
        "198.51.100.0/24",
        "203.0.113.7/32",
        "20.1.2.3/32",
      ]);
    });

    it("the gateway admits the peers and the operator's CIDRs, and nobody (never everyone) while both are empty", () => {
      assert.deepEqual(gatewaySourceRanges(["20.1.2.3/32"], ["198.51.100.0/24", "20.1.2.3/32"]), ["20.1.2.3/32", "198.51.100.0/24"]);
      assert.deepEqual(gatewaySourceRanges([], []), [nobodyRange]);
      assert.equal(nobodyRange, "192.0.2.1/32", "TEST-NET-1, never routed");
    });

    it("peers' egress CIDRs are merged once and sorted; a peer without any is named", () => {
      assert.deepEqual(
        peerEgressCidrs([
          { clusterName: "aks", egressCidrs: ["20.1.2.3/32"] },
          { clusterName: "onprem", egressCidrs: ["198.51.100.0/28", "20.1.2.3/32"] },
        ]),
        ["198.51.100.0/28", "20.1.2.3/32"],
      );
      assert.throws(
        () => peerEgressCidrs([{ clusterName: "aks", egressCidrs: [] }]),
        /Peer 'aks' published no egressCidrs in its meshPeer output; run 'pulumi up' on its stack first/,
      );
    });
  });
});
