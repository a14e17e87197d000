import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ChartSources } from "../../config";
import type { Cloud } from "../../config/schema";
import { crossNetworkGateway } from "./objects";
import { istioChartRepo } from "../charts/pinned";
import { helmReleaseArgs } from "../kube/helmRelease";
import { checkedFor } from "../invariant";
import { eastWestGatewayValues, releaseNames } from "./values";
import { istioNamespace } from "../../model/namespaces";
import type { Revision } from "../../model/istioRevisions";

/** The load-balancer address of a Service: the first ingress hostname (AWS), else its IP (Azure). */
export function loadBalancerAddress(status: k8s.types.output.core.v1.ServiceStatus | undefined): string | undefined {
  const ingress = status?.loadBalancer?.ingress?.[0];
  return ingress?.hostname || ingress?.ip || undefined;
}

/** Arguments of {@link EastWestGateway}. Only `nodePortAddress` and `chartSources` are optional. */
export interface EastWestGatewayArgs {
  /** Provider of the cluster the gateway runs in; every Kubernetes object goes through it. */
  provider: k8s.Provider;
  /**
   * The revision the gateway is at: the `gateway` chart is at its version, and a new one rolls the
   * pods, which the stable tag's injector gives their proxy.
   */
  revision: Revision;
  /** Where the charts come from (`burstmesh:chartSources`). Default: each chart's upstream repository (components/charts/pinned.ts). */
  chartSources?: ChartSources;
  /** The network this gateway is the entry of (`topology.istio.io/network` on its Service and pods). */
  network: string;
  /**
   * The cloud the cluster runs on: `aws` gets an internet-facing NLB, `azure` the default public LB,
   * `existing` whatever load balancer the cluster offers (MetalLB, cloud-provider-kind, a cloud's).
   */
  cloud: Cloud;
  /**
   * Instead of a load balancer, a NodePort Service that peers reach at this IP address (a NAT,
   * firewall or VPN endpoint that forwards to the nodes); it is also the published address.
   * Default: a LoadBalancer Service, whose address is published.
   */
  nodePortAddress?: string;
  /**
   * The client CIDRs the load balancer admits: the peers' egress CIDRs and the operator's
   * (`gatewaySourceRanges`). A NodePort gateway has no load balancer to limit: its firewall does.
   */
  sourceRanges: pulumi.Input<string[]>;
}

/**
 * The east-west gateway of one network: Helm release `istio-eastwestgateway` (chart `gateway`) in
 * `istio-system` behind a public L4 load balancer, and the `cross-network-gateway` Gateway that
 * passes mTLS from other networks through to this network's services.
 *
 * Create it after istiod (`dependsOn: primary.ready`): the gateway's pods get their proxy image
 * from the stable tag's injection webhook, and the Gateway is checked by its validating webhook. Not after the
 * CNI agent: the gateway injection template adds no init container and redirects no traffic.
 */
export class EastWestGateway extends pulumi.ComponentResource {
  /** The gateway release. */
  public readonly release: k8s.helm.v3.Release;
  /** The gateway's address, as peers reach it: the load balancer's hostname (AWS) or IP, or the NodePort address. */
  public readonly address: pulumi.Output<string>;

  constructor(name: string, args: EastWestGatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    super("burstmesh:mesh:EastWestGateway", name, {}, opts);
    const child = { parent: this, provider: args.provider };

    // Not skipAwait: Helm waits until the LoadBalancer Service has an address, and the release (and
    // so the cloud load balancer) stays in the dependency graph so that it is deleted before the
    // cluster and its VPC.
    this.release = new k8s.helm.v3.Release(
      `${name}-release`,
      helmReleaseArgs({
        name: releaseNames.eastWestGateway,
        chart: { chart: "gateway", version: args.revision.version, repo: istioChartRepo },
        sources: args.chartSources,
        namespace: istioNamespace,
        values: pulumi.output(args.sourceRanges).apply((sourceRanges) =>
          // The peers' egress arrives from their stacks: a list past the cloud's limit is reported against this gateway.
          checkedFor(this, () =>
            eastWestGatewayValues({
              network: args.network,
              revision: args.revision.name,
              cloud: args.cloud,
              nodePortAddress: args.nodePortAddress,
              sourceRanges,
            }),
          ),
        ),
        // A new NLB or public IP can take minutes to get its address.
        timeout: 900,
      }),
      { ...child, dependsOn: opts?.dependsOn },
    );

    // Beside the release, not after it: istiod pushes the Gateway to the gateway's pods whenever they come.
    new k8s.apiextensions.CustomResource(`${name}-cross-network-gateway`, crossNetworkGateway(), { ...child, dependsOn: opts?.dependsOn });

    this.address =
      args.nodePortAddress !== undefined ? pulumi.output(args.nodePortAddress) : readLoadBalancerAddress(name, this.release, child);

    this.registerOutputs({ address: this.address });
  }
}

/**
 * The load-balancer address of the gateway Service the release created. The read's ID waits on the
 * release's status so that a preview of a release not yet installed (status unknown) skips the read
 * instead of failing on a Service that does not exist yet; the engine reads during previews whenever
 * the ID is known.
 */
function readLoadBalancerAddress(
  name: string,
  release: k8s.helm.v3.Release,
  child: { parent: pulumi.Resource; provider: k8s.Provider },
): pulumi.Output<string> {
  const serviceId = release.status.apply(() => `${istioNamespace}/${releaseNames.eastWestGateway}`);
  const service = k8s.core.v1.Service.get(`${name}-service`, serviceId, { ...child, dependsOn: [release] });
  return service.status.apply((status) => {
    const address = loadBalancerAddress(status);
    if (!address) {
      throw new pulumi.ResourceError(
        `Service ${istioNamespace}/${releaseNames.eastWestGateway} has no load-balancer address yet; ` +
          "check the load balancer's events (kubectl -n istio-system describe service istio-eastwestgateway) and run 'pulumi up' again",
        child.parent,
        true,
      );
    }
    return address;
  });
}
