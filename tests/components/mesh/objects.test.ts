/**
 * The mesh components (IstioPrimary, EastWestGateway, ReaderToken, RemoteSecret): their pure builders
 * directly, then the components themselves under Pulumi mocks, one EKS and one AKS cluster, wired to
 * each other the way the cluster stacks wire peers.
 */
import { strict as assert } from "node:assert";
import { crossNetworkGateway, meshPeerAuthentication } from "../../../components/mesh/objects";

describe("components/mesh/objects: the mesh-wide Istio objects", () => {
  it("PeerAuthentication: mesh-wide STRICT in istio-system, exactly", () => {
    assert.deepEqual(meshPeerAuthentication(), {
      apiVersion: "security.istio.io/v1",
      kind: "PeerAuthentication",
      metadata: { name: "default", namespace: "istio-system" },
      spec: { mtls: { mode: "STRICT" } },
    });
  });

  it("cross-network Gateway: 15443 tls TLS AUTO_PASSTHROUGH *.local on the east-west gateway, exactly", () => {
    assert.deepEqual(crossNetworkGateway(), {
      apiVersion: "networking.istio.io/v1",
      kind: "Gateway",
      metadata: { name: "cross-network-gateway", namespace: "istio-system" },
      spec: {
        selector: { istio: "eastwestgateway" },
        servers: [{ port: { number: 15443, name: "tls", protocol: "TLS" }, tls: { mode: "AUTO_PASSTHROUGH" }, hosts: ["*.local"] }],
      },
    });
  });
});
