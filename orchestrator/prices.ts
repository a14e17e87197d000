/**
 * A small price table for the plan `up` prints: on-demand list prices, in US dollars per hour, of
 * what the stack files' default sizes create, in the default regions. It is an estimate and says so:
 * no data transfer, storage, logs, Load Balancer capacity units or taxes, and no discounts.
 *
 * Compiled on 2026-12-02 from the providers' public price pages (AWS: Amazon EKS, EC2 On-Demand,
 * Amazon VPC and Elastic Load Balancing pricing; Azure: Linux Virtual Machines, AKS, Load Balancer
 * and IP Addresses pricing), as published for 2025; not re-read from a live price list, which the
 * machine this was written on cannot reach. Check the pages before you budget on it.
 */

/** Where the prices were read: the regions of the stack files this repository ships. */
export const priceTable = {
  compiled: "2026-12-02",
  aws: {
    region: "eu-central-1",
    /** The EKS control plane, standard support. */
    eksControlPlane: 0.1,
    natGateway: 0.052,
    /** One public IPv4 address (the NAT gateways' Elastic IPs). */
    publicIpv4: 0.005,
    /** A Network Load Balancer, without its capacity units. */
    networkLoadBalancer: 0.027,
    instances: {
      "m6i.large": 0.115,
      "m6i.xlarge": 0.23,
      "m6i.2xlarge": 0.46,
      "m7i.large": 0.1208,
      "m7i.xlarge": 0.2415,
      "m7i.2xlarge": 0.483,
    } as Record<string, number>,
  },
  azure: {
    region: "westeurope",
    /** The AKS control plane on the Free tier, which burstmesh creates. */
    aksControlPlane: 0,
    /** A Standard Load Balancer with up to five rules. */
    standardLoadBalancer: 0.025,
    /** One Standard static public IP address. */
    publicIp: 0.005,
    vms: {
      Standard_D2s_v5: 0.106,
      Standard_D4s_v5: 0.212,
      Standard_D8s_v5: 0.424,
    } as Record<string, number>,
  },
} as const;
