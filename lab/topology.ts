/**
 * Where everything in the lab listens: one loopback address per role and pod, so that every
 * listener has an address of its own and a log line names its pod by address. Linux routes all of
 * 127.0.0.0/8 to the loopback device, so none of these needs setting up.
 */

/** An address and port, as Envoy's socket_address and Node's listen take them. */
export interface Endpoint {
  address: string;
  port: number;
}

/** One pod: its sidecar's inbound listener (what the mesh routes to) and its app behind it. */
export interface LabPod {
  name: string;
  sidecar: Endpoint;
  app: Endpoint;
}

export interface LabTopology {
  /** The client sidecar's outbound listener: the load generator sends here. */
  client: Endpoint;
  homePods: LabPod[];
  /** The other cloud's east-west gateway. */
  gateway: Endpoint;
  remotePods: LabPod[];
  /** Envoy admin listeners, one per Envoy process. */
  admin: Record<LabEnvoy, Endpoint>;
}

/** The lab's Envoy processes: the client sidecar, the gateway, and one process per cluster for its pods' sidecars. */
export type LabEnvoy = "client" | "homeSidecars" | "gateway" | "remoteSidecars";

/** Inbound, app and gateway ports as Istio uses them (15006 inbound, 15443 east-west). */
const ports = { client: 10000, inbound: 15006, app: 9898, gateway: 15443, admin: 15000 } as const;

const pods = (cluster: "home" | "remote", subnet: number, count: number): LabPod[] =>
  Array.from({ length: count }, (_, index) => {
    const address = `127.0.${subnet}.${index + 1}`;
    return {
      name: `${cluster}-${index + 1}`,
      sidecar: { address, port: ports.inbound },
      app: { address, port: ports.app },
    };
  });

/** The lab's addresses for `homePods` pods at home and `remotePods` in the other cloud. */
export function labTopology(homePods: number, remotePods: number): LabTopology {
  return {
    client: { address: "127.0.90.1", port: ports.client },
    homePods: pods("home", 91, homePods),
    gateway: { address: "127.0.92.1", port: ports.gateway },
    remotePods: pods("remote", 93, remotePods),
    admin: {
      client: { address: "127.0.90.1", port: ports.admin },
      homeSidecars: { address: "127.0.91.254", port: ports.admin },
      gateway: { address: "127.0.92.1", port: ports.admin },
      remoteSidecars: { address: "127.0.93.254", port: ports.admin },
    },
  };
}
