import { memberProvider } from "../kube/provider";
import * as pulumi from "@pulumi/pulumi";
import { checkAdminKubeconfig } from "../../config/kubeconfig";
import { apiServerOf } from "../kube/kubeconfig";
import { MemberClusterComponent } from "./memberCluster";

export interface ExistingClusterArgs {
  /** The member's name in the mesh. */
  clusterName: string;
  /** The cluster's admin kubeconfig, validated (`burstmesh:kubeconfig`); it stays a secret. */
  kubeconfig: string;
  /** The nodes' `topology.kubernetes.io/region` label (`burstmesh:region`). */
  region: string;
  /** The API server URL peers use (`burstmesh:apiServerUrl`). Default: the kubeconfig's server. */
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
export class ExistingCluster extends MemberClusterComponent {
  readonly cloud = "existing" as const;

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
    const kubeconfig = pulumi.secret(args.kubeconfig);
    const provider = memberProvider(`${name}-k8s`, kubeconfig, { parent: this });
    this.publishMember({
      clusterName: pulumi.output(args.clusterName),
      region: pulumi.output(args.region),
      endpoint: pulumi.output(args.apiServerUrl ?? server.server),
      // The CA certificate is public (every TLS client of the API server sees it); the kubeconfig is not.
      certificateAuthorityData: pulumi.output(server.certificateAuthorityData),
      kubeconfig,
      provider,
      egressCidrs: pulumi.output(args.egressCidrs),
      // The same provider: the cluster's nodes exist before burstmesh runs.
      apiProvider: provider,
    });
  }
}
