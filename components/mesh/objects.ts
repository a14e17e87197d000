/**
 * The Istio objects the mesh components create, built against the typed models in ./types so that a
 * misspelt or misplaced field does not compile.
 */
import type { Gateway, PeerAuthentication } from "../../model/istioTypes";
import { crossNetworkPort, eastWestGatewayLabel } from "./values";
import { istioNamespace } from "../../model/namespaces";

/** Mesh-wide mutual TLS, STRICT: a PeerAuthentication named `default` in the root namespace. */
export function meshPeerAuthentication(): PeerAuthentication {
  return {
    apiVersion: "security.istio.io/v1",
    kind: "PeerAuthentication",
    metadata: { name: "default", namespace: istioNamespace },
    spec: { mtls: { mode: "STRICT" } },
  };
}

/**
 * The Gateway that opens the east-west gateway's 15443 to the other networks: SNI-routed mTLS
 * passthrough (AUTO_PASSTHROUGH) for every service in the mesh's `*.local` hosts.
 */
export function crossNetworkGateway(): Gateway {
  return {
    apiVersion: "networking.istio.io/v1",
    kind: "Gateway",
    metadata: { name: "cross-network-gateway", namespace: istioNamespace },
    spec: {
      selector: { ...eastWestGatewayLabel },
      servers: [
        {
          port: { number: crossNetworkPort, name: "tls", protocol: "TLS" },
          tls: { mode: "AUTO_PASSTHROUGH" },
          hosts: ["*.local"],
        },
      ],
    },
  };
}
