import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { checkAdminKubeconfig } from "../../config/kubeconfig";
import { apiServerOf } from "../kube/kubeconfig";
import { MemberCluster, memberClusterOutputs } from "./memberCluster";

export interface ExistingClusterArgs {
  /** The member's name in the mesh. */
  clusterName: string;
  /** The cluster's admin kubeconfig, validated (`burstmesh:kubeconfig`); it stays a secret. */
  kubeconfig: string;
  /** The nodes' `topology.kubernetes.io/region` label (`burstmesh:region`). */
  region: string;
  /** The API server URL peers use, when it differs from the kubeconfig's (`burstmesh:apiServerUrl`). */
  apiServerUrl?: string;
  /** Where the cluster's traffic to its peers comes from (`burstmesh:egressCidrs`). */
  egressCidrs: string[];
}

/**
 * A member cluster that burstmesh does not create: on-premises, another cloud, a local kind cluster.
 * It creates no cloud resource, only a Kubernetes provider from the admin kubeconfig, so everything
 * burstmesh installs (Istio, the gateway, the services) goes through it as on EKS and AKS.
 *
 * `pulumi destroy` removes what was installed through the provider and then the provider itself,
 * which is an entry in the state: deleting a provider resource calls nothing on the cluster, and
 * nothing else here stands for the cluster, so the cluster stays.
 */
export class ExistingCluster extends pulumi.ComponentResource implements MemberCluster {
  readonly cloud = "existing" as const;
  readonly clusterName: pulumi.Output<string>;
  readonly region: pulumi.Output<string>;
  readonly endpoint: pulumi.Output<string>;
  readonly certificateAuthorityData: pulumi.Output<string>;
  readonly kubeconfig: pulumi.Output<string>;
  readonly provider: k8s.Provider;
  readonly egressCidrs: pulumi.Output<string[]>;
  /** The same provider: the cluster's nodes exist before burstmesh runs. */
  readonly apiProvider: k8s.Provider;
  /** None that burstmesh creates: an existing cluster brings its own metrics-server, or its HPAs stay at their minimum. */
  readonly hpaDependencies: pulumi.Resource[] = [];

  constructor(name: string, args: ExistingClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("burstmesh:clusters:ExistingCluster", name, {}, opts);
    const check = checkAdminKubeconfig(args.kubeconfig);
    const plugin = check.ok ? check.kubeconfig.credentialPlugin : undefined;
    if (plugin) {
      void pulumi.log.info(
        `burstmesh:kubeconfig authenticates with the exec credential plugin '${plugin}': it must be on PATH wherever ` +
          "pulumi runs (CI runners included), with the credentials it needs",
        this,
      );
    }

    const server = apiServerOf(args.kubeconfig);
    this.clusterName = pulumi.output(args.clusterName);
    this.region = pulumi.output(args.region);
    this.endpoint = pulumi.output(args.apiServerUrl ?? server.server);
    // The CA certificate is public (every TLS client of the API server sees it); the kubeconfig is not.
    this.certificateAuthorityData = pulumi.output(server.certificateAuthorityData);
    this.kubeconfig = pulumi.secret(args.kubeconfig);
    this.egressCidrs = pulumi.output(args.egressCidrs);
    this.provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig }, { parent: this });
    this.apiProvider = this.provider;

    this.registerOutputs(memberClusterOutputs(this));
  }
}
