import { burstHpaBehavior } from "../kube/burstScaling";

/**
 * Helm values for Istio's `base`, `istiod` and `gateway` charts, as plain functions that tests call
 * without mocks. Every key set here exists in the pinned Istio release's chart values (istiod and
 * base nest their defaults under `_internal_defaults_do_not_set`, but values are still set at the
 * top level), and the gateway values pass the gateway chart's values schema, whose top level is
 * strict.
 */
import { projectName as project } from "../../config/projectFile";
import { trustBundleProxySetting } from "../../model/trust";
import { stableTag, unrevisioned } from "../../model/istioRevisions";
import { awsGatewaySourceRangeLimit, azureGatewaySourceRangeLimit, type Cloud } from "../../config/schema";

/** Helm release names, fixed so that names are deterministic and match Istio's documentation. */
export const releaseNames = { base: "istio-base", cni: "istio-cni", istiod: "istiod", eastWestGateway: "istio-eastwestgateway" } as const;

/**
 * Pod Security admission labels of `istio-system`: `privileged`, as Istio documents for the CNI node
 * agent, whose DaemonSet mounts the nodes' CNI directories (hostPath, which baseline forbids).
 */
export const istioNamespacePodSecurity = {
  "pod-security.kubernetes.io/enforce": "privileged",
  "pod-security.kubernetes.io/enforce-version": "latest",
} as const;

/**
 * Values of the `cni` chart (the Istio CNI node agent): none. Its defaults fit both clouds: EKS (VPC
 * CNI) and AKS (Azure CNI) keep their plugins in /opt/cni/bin and their config in /etc/cni/net.d, the
 * chart's `cniBinDir` and `cniConfDir`, and the agent chains itself after the primary plugin. Its
 * repair controller (on by default) fixes pods that a new node starts before the agent is ready.
 */
export function cniValues(): Record<string, unknown> {
  return {};
}

/** The pod/Service label of the east-west gateway, which the `cross-network-gateway` Gateway selects. */
export const eastWestGatewayLabel = { istio: "eastwestgateway" } as const;

/** Label that tells istiod which network a namespace, pod or gateway Service belongs to. */
export const networkLabel = "topology.istio.io/network";

/** Envoy status port of the gateway (`/healthz/ready`). */
const statusPort = 15021;

/** Port of mTLS traffic between networks (AUTO_PASSTHROUGH, SNI routed). */
export const crossNetworkPort = 15443;

/**
 * Node port of the gateway's status port where something outside the cluster health-checks it
 * through the nodes. On AWS the in-tree NLB (see {@link awsNlbAnnotations}) registers nodes (instance
 * targets) and health-checks `instance:<healthcheck-port>`, so the health check must aim at the node
 * port that kube-proxy forwards to the pods' 15021, not at 15021 itself (nothing listens on the node's
 * 15021); a NodePort gateway offers the same port to the user's NAT or firewall. Fixed, so that
 * annotations and docs can name it. Must be free in the cluster's node-port range (30000-32767).
 */
export const statusNodePort = 31021;

/**
 * Node port of the cross-network port on a NodePort gateway: what a NAT, firewall or VPN endpoint in
 * front of an existing cluster forwards `<gatewayAddress>:15443` to. Fixed, for the same reason.
 */
const crossNetworkNodePort = 31443;

/**
 * Values of the `base` chart (CRDs, the istio-reader service account, the default-revision webhook),
 * with `defaultRevision` the revision the stable tag points to: its istiod validates the Istio objects
 * that no revision label claims, and moves with the tag, as `istioctl tag set default` moves both.
 */
export function baseValues(defaultRevision: string): Record<string, unknown> {
  return {
    // `default` names the non-revisioned istiod's Service (`istiod`), any other `istiod-<revision>`.
    defaultRevision,
    // The istio-reader-service-account that ReaderToken issues a token for; on by default, set here
    // because the remote-secret mechanism depends on it.
    global: { enableReaderRBAC: true },
  };
}

/** What an istiod install needs to know about its cluster and mesh. */
interface IstiodSettings {
  /** Mesh ID, the same in every cluster. */
  meshId: string;
  /** SPIFFE trust domain, the same in every cluster. */
  trustDomain: string;
  /** This cluster's ID in the mesh; unique, and the key peers' remote secrets use for it. */
  clusterName: string;
  /** This cluster's network; unique per cluster here (multi-network). */
  network: string;
  /** The revision this istiod serves; `default` for the non-revisioned one. */
  revision: string;
}

/** Values of the `istiod` chart for a multi-primary, multi-network member. */
export function istiodValues(settings: IstiodSettings): Record<string, unknown> {
  return {
    // The chart names every object of a revision after it (istiod-<revision>, istio-<revision>).
    ...(settings.revision === unrevisioned ? {} : { revision: settings.revision }),
    global: {
      meshID: settings.meshId,
      multiCluster: { clusterName: settings.clusterName },
      network: settings.network,
      // The injected containers carry their own seccomp profile, so they pass the restricted Pod
      // Security level even in a pod that sets none at pod level.
      proxy: { seccompProfile: { type: "RuntimeDefault" } },
    },
    // Root rotation (model/trust.ts): as Istio's own test of it does (tests/integration/security/
    // cacert_rotation, `pilot.env` and `meshConfig.defaultConfig.proxyMetadata`). ISTIO_MULTIROOT_MESH
    // (`features.MultiRootMesh`) lets istiod take a changed root-cert.pem from cacerts while it runs
    // when one root set holds the other (`handleEvent`, pilot/pkg/bootstrap/istio_ca.go); without it
    // istiod keeps the roots it started with. PROXY_CONFIG_XDS_AGENT (pilot/cmd/pilot-agent/options,
    // `EnableDynamicProxyConfig` in pkg/istio-agent) has each proxy's agent ask istiod for the
    // proxy-config resource, which istiod's `PcdsGenerator` (pilot/pkg/xds/pcds.go) fills with the
    // mesh's trust bundle, and only under ISTIO_MULTIROOT_MESH: proxies then trust a new root without
    // a restart.
    env: { ISTIO_MULTIROOT_MESH: "true" },
    meshConfig: { trustDomain: settings.trustDomain, defaultConfig: { proxyMetadata: { [trustBundleProxySetting]: "true" } } },
    // The CNI node agent sets up the pods' traffic redirection, so sidecar injection adds the
    // unprivileged `istio-validation` init container instead of `istio-init` (NET_ADMIN, NET_RAW).
    cni: { enabled: true },
    // Two replicas at least: the chart's PodDisruptionBudget (minAvailable 1) then lets node drains
    // through without taking the control plane (and sidecar injection) down.
    autoscaleEnabled: true,
    autoscaleMin: 2,
    autoscaleMax: 5,
    // The chart copies this into its HPA's spec.behavior.
    autoscaleBehavior: burstHpaBehavior(),
    // Requests sized for a production istiod (and the HPA's CPU target); no limits, as the chart
    // sets none: CPU throttling slows config pushes to every proxy in the mesh.
    resources: { requests: { cpu: "500m", memory: "2048Mi" } },
    // Spread the replicas over zones where the cluster has several.
    topologySpreadConstraints: [
      {
        maxSkew: 1,
        topologyKey: "topology.kubernetes.io/zone",
        whenUnsatisfiable: "ScheduleAnyway",
        labelSelector: { matchLabels: { app: "istiod" } },
      },
    ],
  };
}

/** The gateway's pod-template annotation naming the revision it is at. */
const gatewayRevisionAnnotation = "burstmesh.io/istio-revision";

/**
 * Seconds a new gateway pod stays ready before the rollout counts it and retires an old one: long
 * enough for a proxy that crashes on its first config (a bad new version) to stop the rollout.
 */
const gatewayMinReadySeconds = 15;

/** Service annotations for an internet-facing NLB that the in-tree AWS load-balancer code creates. */
export function awsNlbAnnotations(): Record<string, string> {
  return {
    // "nlb" is handled by the AWS cloud provider that every EKS control plane runs. "external" (with
    // nlb-target-type) is left to the AWS Load Balancer Controller, which burstmesh does not install:
    // the Service would stay <pending> for ever.
    "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
    // The in-tree code makes the NLB internet-facing unless `aws-load-balancer-internal` is set; the
    // scheme annotation is read by the AWS Load Balancer Controller only (whose default is internal),
    // and is here so that the intent survives a move to the controller.
    "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
    "service.beta.kubernetes.io/aws-load-balancer-healthcheck-protocol": "HTTP",
    "service.beta.kubernetes.io/aws-load-balancer-healthcheck-port": String(statusNodePort),
    "service.beta.kubernetes.io/aws-load-balancer-healthcheck-path": "/healthz/ready",
  };
}

/** What the east-west gateway's values depend on. */
/** What a cloud's load balancer takes of `loadBalancerSourceRanges` (config/schema.ts explains each); an existing cluster's is unknown. */
const sourceRangeLimits: Partial<Record<Cloud, { ranges: number; why: string }>> = {
  aws: { ranges: awsGatewaySourceRangeLimit, why: "an EKS node security group's 60 inbound rules hold (three rules each)" },
  azure: { ranges: azureGatewaySourceRangeLimit, why: "an AKS network security group's 1000 rules hold (one rule each)" },
};

interface EastWestGatewaySettings {
  /** The network this gateway serves. */
  network: string;
  /** The revision the gateway is at: a change rolls its pods, which the stable tag's injector then injects. */
  revision: string;
  /** The cloud, which decides the load balancer's annotations (an existing cluster's load balancer needs none). */
  cloud: Cloud;
  /**
   * Set for a NodePort gateway instead of a load balancer: the IP address peers send to (a NAT,
   * firewall or VPN endpoint that forwards to the nodes).
   */
  nodePortAddress?: string;
  /**
   * The client CIDRs a load balancer admits (`loadBalancerSourceRanges`); never empty, since an empty
   * list opens it to the whole internet (see `gatewaySourceRanges`). Kubernetes allows the field on
   * LoadBalancer Services only, so a NodePort gateway leaves it out.
   */
  sourceRanges: readonly string[];
}

/**
 * Values of the `gateway` chart for the east-west gateway.
 *
 * The explicit form (labels, env, service ports), not `networkGateway: <network>`: in 1.30.3 the chart's
 * networkGateway mode always renders all four `networkGatewayPorts` (it `required`s tls-istiod 15012
 * and tls-webhook 15017), which would publish istiod's xDS and webhook ports on an internet-facing
 * load balancer. Those ports serve primary-remote installs only; multi-primary needs the status port
 * and 15443. The explicit form sets exactly what networkGateway mode sets (the network label on the
 * Service and pods, `ISTIO_META_REQUESTED_NETWORK_VIEW`) and exposes 15021 and 15443 only. istiod
 * finds the gateway by the Service's network label and its 15443 port.
 *
 * istiod (this cluster's and, through the remote secrets, every peer's) takes the gateway's address
 * from the Service: a LoadBalancer's ingress, or its `externalIPs`. A NodePort gateway therefore lists
 * `nodePortAddress` as its external IP, and peers send to `<nodePortAddress>:15443`; istiod uses node
 * ports (and node addresses) only for Services annotated `traffic.istio.io/nodeSelector`, which would
 * advertise the nodes' own addresses rather than the endpoint in front of them.
 *
 * `loadBalancerSourceRanges` limits who reaches both ports. AWS (in-tree NLB, instance targets with
 * client IPs preserved): the cloud provider opens the node ports on the nodes' security group to these
 * CIDRs only, and the health-check node port to the NLB's subnet CIDRs in a separate rule, so health
 * checks keep passing. Azure: the cloud provider allows these CIDRs to the frontend IP and ports in the
 * cluster's NSG instead of the `Internet` tag; health probes come from `AzureLoadBalancer`, which the
 * NSG's default rules allow.
 */
export function eastWestGatewayValues(settings: EastWestGatewaySettings): Record<string, unknown> {
  if (settings.sourceRanges.length === 0) {
    throw new Error("east-west gateway: no source ranges; an empty loadBalancerSourceRanges opens the load balancer to everyone");
  }
  const limit = sourceRangeLimits[settings.cloud];
  if (settings.nodePortAddress === undefined && limit !== undefined && settings.sourceRanges.length > limit.ranges) {
    throw new Error(
      `east-west gateway: ${settings.sourceRanges.length} source ranges (every peer's egress CIDRs and ${project}:gatewayAllowedCidrs), ` +
        `more than the ${limit.ranges} that ${limit.why}; the cloud would refuse the load balancer's rules. ` +
        `One NAT gateway per EKS peer (${project}:natGateways: single) or fewer ${project}:gatewayAllowedCidrs bring it under.`,
    );
  }
  const aws = settings.cloud === "aws";
  const nodePort = settings.nodePortAddress !== undefined;
  return {
    // `istio` feeds the chart's selector labels; the other labels go on the Service and the pods.
    labels: { ...eastWestGatewayLabel, [networkLabel]: settings.network },
    // The pods ask for the stable tag's injector (label istio.io/rev), so an upgrade moves the
    // gateway in place: one release and one Service throughout, as istiod takes any Service with the
    // network label on 15443 for the network's gateway. The annotation rolls the pods when the
    // gateway moves; a new pod is available only after minReadySeconds, and none goes before its
    // successor is (maxUnavailable 0), since cross-network traffic has no other way in.
    revision: stableTag,
    podAnnotations: { [gatewayRevisionAnnotation]: settings.revision },
    strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
    minReadySeconds: gatewayMinReadySeconds,
    env: { ISTIO_META_REQUESTED_NETWORK_VIEW: settings.network },
    service: {
      type: nodePort ? "NodePort" : "LoadBalancer",
      ports: [
        {
          name: "status-port",
          port: statusPort,
          targetPort: statusPort,
          protocol: "TCP",
          ...(aws || nodePort ? { nodePort: statusNodePort } : {}),
        },
        {
          name: "tls",
          port: crossNetworkPort,
          targetPort: crossNetworkPort,
          protocol: "TCP",
          ...(nodePort ? { nodePort: crossNetworkNodePort } : {}),
        },
      ],
      annotations: aws ? awsNlbAnnotations() : {},
      ...(nodePort ? { externalIPs: [settings.nodePortAddress] } : { loadBalancerSourceRanges: [...settings.sourceRanges] }),
    },
    // Two replicas at least, and a budget that keeps one through node drains: cross-network traffic
    // has no other way in.
    autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 5, autoscaleBehavior: burstHpaBehavior() },
    podDisruptionBudget: { minAvailable: 1 },
  };
}
