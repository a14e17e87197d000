import { strict as assert } from "node:assert";
import { loadConfig, parseServiceConfig } from "../../config";
import { clusterRoleKeyActions, controlPlaneLogGroupName, secretsKeyPolicy } from "../../components/clusters/eksControlPlane";
import { drillJobManifest } from "../../components/traffic/drillJob";
import { restrictedPodSecurity } from "../../components/kube/namespaces";
import { livePanel } from "../../components/observability/dashboards";
import { deploymentManifest } from "../../components/traffic/serviceSpecs";
import { restrictedPodProblems } from "../../policy/workloads";
import { anywhere, nobodyRange } from "../../components/kube/allowlists";
import { parse as parseYaml } from "yaml";
import { Bootstrap, MeshRuns, peerReadOutputs, published, sharedBootstrap, simulateMesh } from "../support/bootstrap";
import { helmRelease } from "../support/k8s";
import { ofType, reveal, runStack, single, stackRef, StackRun } from "../support/harness";
import { configErrorOf, withConfig } from "../support/stackFiles";
import { SECRET_SIGNATURE_KEY } from "../support/sdkInternals";

const inputsOf = (run: StackRun, type: string, name?: string | RegExp): Record<string, any> => reveal(single(run, type, name).inputs);

/** A cluster stack's published meshPeer. */
const meshPeerOf = (run: StackRun) => run.outputs.meshPeer!.value as { egressCidrs: string[] };

/** The east-west gateway Service's loadBalancerSourceRanges in a stack run. */
const gatewayRanges = (run: StackRun) =>
  reveal<{ values: { service: { loadBalancerSourceRanges: string[] } } }>(helmRelease(run, "istio-eastwestgateway").inputs).values.service
    .loadBalancerSourceRanges;

const eksApiCidrs = (run: StackRun) => inputsOf(run, "aws:eks/cluster:Cluster").vpcConfig.publicAccessCidrs as string[];
const aksApiRanges = (run: StackRun) =>
  inputsOf(run, "azure-native:containerservice:ManagedCluster").apiServerAccessProfile.authorizedIPRanges as string[];
describe("least exposure", function () {
  this.timeout(120_000);
  let bootstrap: Bootstrap;
  before(async () => {
    bootstrap = await sharedBootstrap();
  });

  describe("peers-only east-west gateways and API allowlists, converging in two passes", () => {
    it("every member publishes its egress CIDRs: EKS its NAT gateways' Elastic IPs, AKS its outbound public IP", () => {
      const eks = bootstrap.first.eks;
      const aks = bootstrap.first.aks;
      assert.deepEqual(
        meshPeerOf(eks).egressCidrs,
        ofType(eks, "aws:ec2/eip:Eip").map((eip) => `${String(eip.state.publicIp)}/32`),
      );
      assert.deepEqual(meshPeerOf(aks).egressCidrs, [`${String(single(aks, "azure-native:network:PublicIPAddress").state.ipAddress)}/32`]);
    });

    it("first pass: no peer known yet, so each gateway admits nobody, not the whole internet", () => {
      for (const stack of ["eks", "aks"] as const) {
        assert.deepEqual(gatewayRanges(bootstrap.first[stack]), [nobodyRange], stack);
      }
    });

    it("second pass: each gateway admits exactly its peer's egress CIDRs", () => {
      assert.deepEqual(gatewayRanges(bootstrap.second.eks), meshPeerOf(bootstrap.first.aks).egressCidrs);
      assert.deepEqual(gatewayRanges(bootstrap.second.aks), meshPeerOf(bootstrap.first.eks).egressCidrs);
    });

    it("open API servers (the stack files' default) stay open, and the policy pack's advisory says so", () => {
      for (const pass of [bootstrap.first, bootstrap.second]) {
        assert.deepEqual(eksApiCidrs(pass.eks), [anywhere]);
        assert.deepEqual(aksApiRanges(pass.aks), []);
      }
    });

    describe("with restricted API servers and extra gateway CIDRs", () => {
      let restricted: MeshRuns<"eks" | "aks">;
      const operator = "198.51.100.0/24";
      before(async () => {
        restricted = await simulateMesh(bootstrap.trust, {
          eks: withConfig("eks", { "burstmesh:apiAllowedCidrs": [operator], "burstmesh:gatewayAllowedCidrs": ["192.0.2.128/25"] }),
          aks: withConfig("aks", { "burstmesh:apiAllowedCidrs": [operator] }),
        });
      });

      it("first pass: the operator's CIDRs only (AKS adds its own outbound IP, which its nodes use)", () => {
        assert.deepEqual(eksApiCidrs(restricted.first.eks), [operator]);
        assert.deepEqual(aksApiRanges(restricted.first.aks), [operator, ...meshPeerOf(restricted.first.aks).egressCidrs]);
        assert.deepEqual(gatewayRanges(restricted.first.eks), ["192.0.2.128/25"]);
        assert.deepEqual(gatewayRanges(restricted.first.aks), [nobodyRange]);
      });

      it("second pass: every API allowlist includes the peer's egress CIDRs, so its istiod can watch this cluster", () => {
        const eksEgress = meshPeerOf(restricted.first.eks).egressCidrs;
        const aksEgress = meshPeerOf(restricted.first.aks).egressCidrs;
        assert.deepEqual(eksApiCidrs(restricted.second.eks), [operator, ...aksEgress]);
        assert.deepEqual(aksApiRanges(restricted.second.aks), [operator, ...eksEgress, ...aksEgress]);
        assert.deepEqual(gatewayRanges(restricted.second.eks), [...aksEgress, "192.0.2.128/25"]);
        assert.deepEqual(gatewayRanges(restricted.second.aks), eksEgress);
      });

      it("converges in the same two passes: the second pass changes no output", () => {
        for (const stack of ["eks", "aks"] as const)
          assert.deepEqual(peerReadOutputs(restricted.second[stack]), peerReadOutputs(restricted.first[stack]));
      });

      it("the API allowlists and gateway ranges are plain values, not secrets, though meshPeer is", () => {
        assert.equal(restricted.second.eks.outputs.meshPeer!.secret, true);
        const cluster = single(restricted.second.eks, "aws:eks/cluster:Cluster");
        assert.ok(!JSON.stringify(cluster.inputs).includes(SECRET_SIGNATURE_KEY), "no secret inside the EKS cluster's inputs");
      });
    });

    it("refuses gateway CIDRs that are no CIDRs or listed twice, naming the key", () => {
      assert.match(
        configErrorOf(withConfig("eks", { "burstmesh:gatewayAllowedCidrs": ["10.0.0.0/33"] })),
        /burstmesh:gatewayAllowedCidrs\[0\]: must be an IPv4 CIDR block/,
      );
      assert.match(
        configErrorOf(withConfig("aks", { "burstmesh:gatewayAllowedCidrs": ["198.51.100.0/24", "198.51.100.0/24"] })),
        /burstmesh:gatewayAllowedCidrs\[1\]: lists '198.51.100.0\/24' twice/,
      );
      assert.match(
        configErrorOf(withConfig("eks", { "burstmesh:gatewayAllowedCidrs": "198.51.100.0/24" })),
        /burstmesh:gatewayAllowedCidrs/,
      );
    });
  });

  describe("EKS control plane: Secrets under a customer-managed key, control-plane logs with a retention", () => {
    const eks = () => bootstrap.second.eks;

    it("encrypts Secrets with a rotated KMS key in the cluster's region", () => {
      const key = single(eks(), "aws:kms/key:Key");
      const cluster = single(eks(), "aws:eks/cluster:Cluster");
      const inputs = reveal<Record<string, unknown>>(key.inputs);
      assert.equal(inputs.enableKeyRotation, true);
      assert.equal(inputs.region, "eu-central-1");
      assert.deepEqual(reveal<{ encryptionConfig: unknown }>(cluster.inputs).encryptionConfig, {
        provider: { keyArn: key.state.arn },
        resources: ["secrets"],
      });
      assert.equal(inputsOf(eks(), "aws:kms/alias:Alias").targetKeyId, key.state.keyId);
    });

    it("lets the account administer the key and the cluster role only encrypt, decrypt, list grants and describe it", () => {
      const policy = JSON.parse(inputsOf(eks(), "aws:kms/key:Key").policy as string);
      const clusterRole = single(eks(), "aws:iam/role:Role", /cluster-role$/);
      assert.deepEqual(policy, JSON.parse(secretsKeyPolicy("aws", "123456789012", String(clusterRole.state.arn))));
      const [account, role] = policy.Statement;
      assert.deepEqual(account.Principal, { AWS: "arn:aws:iam::123456789012:root" });
      assert.deepEqual(role.Principal, { AWS: clusterRole.state.arn });
      assert.deepEqual(role.Action, ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"]);
      assert.deepEqual([...clusterRoleKeyActions], role.Action);
    });

    it("sends api, audit and authenticator logs to /aws/eks/<cluster>/cluster, created first, with the configured retention", () => {
      const cluster = single(eks(), "aws:eks/cluster:Cluster");
      const logGroup = single(eks(), "aws:cloudwatch/logGroup:LogGroup");
      assert.deepEqual(reveal<{ enabledClusterLogTypes: unknown }>(cluster.inputs).enabledClusterLogTypes, [
        "api",
        "audit",
        "authenticator",
      ]);
      assert.deepEqual(reveal(logGroup.inputs), { region: "eu-central-1", name: "/aws/eks/eks/cluster", retentionInDays: 90 });
      assert.equal(controlPlaneLogGroupName("eks"), "/aws/eks/eks/cluster");
      assert.ok(cluster.dependencies.includes(logGroup.urn), "the cluster is created after its log group");
    });

    it("takes the retention from burstmesh:controlPlaneLogRetentionDays and refuses one CloudWatch does not offer", () => {
      const config = loadConfig(withConfig("eks", { "burstmesh:controlPlaneLogRetentionDays": 365 }));
      assert.ok(config.role === "cluster" && config.cluster.cloud === "aws");
      assert.equal(config.cluster.controlPlaneLogRetentionDays, 365);
      assert.match(
        configErrorOf(withConfig("eks", { "burstmesh:controlPlaneLogRetentionDays": 42 })),
        /burstmesh:controlPlaneLogRetentionDays: must be a retention CloudWatch Logs accepts: one of 1, 3, 5, .*3653 \(days\)/,
      );
      assert.match(
        configErrorOf(withConfig("eks", { "burstmesh:controlPlaneLogRetentionDays": "ninety" })),
        /controlPlaneLogRetentionDays/,
      );
    });
  });

  describe("pods: the restricted Pod Security level, with the Istio CNI agent instead of istio-init", () => {
    for (const stack of ["eks", "aks"] as const) {
      it(`${stack}: every service namespace enforces restricted; istio-system is privileged for the CNI agent`, () => {
        const namespaces = ofType(bootstrap.second[stack], "kubernetes:core/v1:Namespace").map(
          (n) => reveal<{ metadata: { name: string; labels: Record<string, string> } }>(n.inputs).metadata,
        );
        const services = namespaces.filter((n) => n.name !== "istio-system");
        assert.ok(services.length > 0, "the stack runs services");
        for (const namespace of services) {
          assert.equal(namespace.labels["pod-security.kubernetes.io/enforce"], "restricted", namespace.name);
          assert.deepEqual({ ...namespace.labels, ...restrictedPodSecurity }, namespace.labels);
        }
        const istio = namespaces.find((n) => n.name === "istio-system")!;
        assert.equal(istio.labels["pod-security.kubernetes.io/enforce"], "privileged");
      });

      it(`${stack}: every Deployment and Job it creates passes restricted`, () => {
        const workloads = bootstrap.second[stack].resources.filter(
          (r) => !r.read && (r.type === "kubernetes:apps/v1:Deployment" || r.type === "kubernetes:batch/v1:Job"),
        );
        assert.ok(workloads.length > 0);
        for (const workload of workloads) {
          const spec = reveal<{ spec: { template: { spec: Record<string, unknown> } } }>(workload.inputs).spec.template.spec;
          assert.deepEqual(restrictedPodProblems(spec), [], workload.name);
        }
      });

      it(`${stack}: installs the CNI chart at the Istio version before the injected workloads, and tells istiod to use it`, () => {
        const releases = ofType(bootstrap.second[stack], "kubernetes:helm.sh/v3:Release");
        const byName = (name: string) => releases.find((r) => reveal<{ name: string }>(r.inputs).name === name)!;
        const cni = reveal<Record<string, unknown>>(byName("istio-cni").inputs);
        assert.deepEqual([cni.chart, cni.version, cni.namespace], ["cni", "1.30.8", "istio-system"]);
        for (const workload of ofType(bootstrap.second[stack], "kubernetes:apps/v1:Deployment")) {
          assert.ok(workload.dependencies.includes(byName("istio-cni").urn), `${workload.name} waits for the CNI agent`);
        }
        assert.deepEqual(reveal<{ values: { cni: unknown } }>(byName("istiod-1-30-8").inputs).values.cni, { enabled: true });
      });
    }

    it("podinfo's pod runs non-root with a numeric ID, RuntimeDefault seccomp, no escalation and no capabilities, in every mode", () => {
      for (const mode of ["overflow", "failover", "distribute"] as const) {
        const extra =
          mode === "overflow"
            ? { capacity: { maxConcurrentRequests: 8, maxPendingRequests: 4 } }
            : mode === "distribute"
              ? { distribute: { "eu-central-1": 50, westeurope: 50 } }
              : {};
        const parsed = parseServiceConfig([{ name: "podinfo", homeCluster: "eks", mode, ...extra }], undefined, {
          members: ["eks", "aks"],
        });
        assert.ok(parsed.ok, JSON.stringify(parsed));
        const deployment = reveal<{ spec: { template: { spec: Record<string, unknown> } } }>(
          deploymentManifest(parsed.services[0]!, "eks"),
        );
        const pod = deployment.spec.template.spec;
        assert.deepEqual(restrictedPodProblems(pod), [], mode);
        const context = pod.securityContext as { runAsUser: number; runAsNonRoot: boolean };
        assert.ok(Number.isInteger(context.runAsUser) && context.runAsUser > 0, "a numeric non-root UID the kubelet can check");
      }
    });

    it("the overflow drill's Job, which runs in the service's restricted namespace, passes restricted too", () => {
      const parsed = parseServiceConfig(
        [{ name: "podinfo", homeCluster: "eks", capacity: { maxConcurrentRequests: 8, maxPendingRequests: 4 } }],
        { enabled: true, service: "podinfo" },
        { members: ["eks", "aks"] },
      );
      assert.ok(parsed.ok, JSON.stringify(parsed));
      const job = reveal<{ spec: { template: { spec: Record<string, unknown> } } }>(
        drillJobManifest(parsed.services[0]!, parsed.drill, livePanel("podinfo")),
      );
      assert.deepEqual(restrictedPodProblems(job.spec.template.spec), []);
    });
  });

  describe("AKS sign-in: burstmesh:aksAuth", () => {
    let entra: StackRun;
    before(async () => {
      entra = await runStack({
        stack: "aks",
        config: withConfig("aks", {
          "burstmesh:aksAuth": "entra",
          "burstmesh:aksAdminPrincipals": [
            { objectId: "11111111-2222-4333-8444-555555555555", type: "ServicePrincipal" },
            { objectId: "22222222-3333-4444-8555-666666666666", type: "Group" },
          ],
        }),
        published: { [stackRef("trust")]: published(bootstrap.trust), [stackRef("eks")]: published(bootstrap.first.eks) },
      });
    });

    it("local (the default): local accounts on, no Entra profile, a static credential", () => {
      const cluster = inputsOf(bootstrap.second.aks, "azure-native:containerservice:ManagedCluster");
      assert.equal(cluster.disableLocalAccounts, false);
      assert.equal(cluster.aadProfile, undefined);
      assert.equal(ofType(bootstrap.second.aks, "azure-native:authorization:RoleAssignment").length, 1, "only the network role");
    });

    it("entra: Entra ID with Azure RBAC in the deployer's tenant, local accounts disabled", () => {
      const cluster = inputsOf(entra, "azure-native:containerservice:ManagedCluster");
      assert.deepEqual(cluster.aadProfile, { managed: true, enableAzureRBAC: true, tenantID: "99999999-8888-4777-8666-555555555555" });
      assert.equal(cluster.disableLocalAccounts, true);
    });

    it("entra: the kubeconfig output runs kubelogin with the Azure CLI's sign-in against the AKS server application", () => {
      const kubeconfig = entra.outputs.kubeconfig!;
      assert.equal(kubeconfig.secret, true);
      const user = (parseYaml(kubeconfig.value as string) as { users: { user: Record<string, unknown> }[] }).users[0]!.user;
      assert.deepEqual(user, {
        exec: {
          apiVersion: "client.authentication.k8s.io/v1beta1",
          command: "kubelogin",
          args: ["get-token", "--login", "azurecli", "--server-id", "6dae42f8-4368-4678-94ff-3960e28e3630"],
        },
      });
      assert.match(JSON.stringify(kubeconfig.value), /\.azmk8s\.io:443/);
    });

    it("entra: each of burstmesh:aksAdminPrincipals gets AKS RBAC Cluster Admin on the cluster before the provider uses it", () => {
      const cluster = single(entra, "azure-native:containerservice:ManagedCluster");
      const admins = ofType(entra, "azure-native:authorization:RoleAssignment", /-cluster-admin-/);
      const role =
        "/subscriptions/00000000-0000-4000-8000-000000000000/providers/Microsoft.Authorization/roleDefinitions/b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b";
      assert.deepEqual(
        admins.map((admin) => reveal(admin.inputs)),
        [
          {
            principalId: "11111111-2222-4333-8444-555555555555",
            principalType: "ServicePrincipal",
            roleDefinitionId: role,
            scope: `${cluster.name}-id`,
          },
          {
            principalId: "22222222-3333-4444-8555-666666666666",
            principalType: "Group",
            roleDefinitionId: role,
            scope: `${cluster.name}-id`,
          },
        ],
      );
      const provider = single(entra, "pulumi:providers:kubernetes");
      for (const admin of admins) assert.ok(provider.dependencies.includes(admin.urn));
    });

    it("entra: peers still read the cluster with the reader token, and its remote secret for eks is unchanged", () => {
      const local = bootstrap.second.aks;
      assert.equal(
        (entra.outputs.meshPeer!.value as { readerToken: string }).readerToken.split(".").length,
        3,
        "a service-account JWT, not an Entra credential",
      );
      const remoteSecret = (run: StackRun) =>
        JSON.stringify(
          reveal(run.resources.find((r) => r.type === "kubernetes:core/v1:Secret" && /^peer-eks/.test(r.name) && !r.read)!.inputs),
        );
      assert.equal(remoteSecret(entra), remoteSecret(local));
    });

    it("refuses an unknown mode, entra without admins, and admins that are no Entra principals, naming the key", () => {
      assert.match(configErrorOf(withConfig("aks", { "burstmesh:aksAuth": "aad" })), /burstmesh:aksAuth: must be 'local' or 'entra'/);
      assert.match(
        configErrorOf(withConfig("aks", { "burstmesh:aksAuth": "entra" })),
        /burstmesh:aksAdminPrincipals: must name at least one principal when burstmesh:aksAuth is entra/,
      );
      const admins = (principal: unknown) =>
        withConfig("aks", { "burstmesh:aksAuth": "entra", "burstmesh:aksAdminPrincipals": [principal] });
      assert.match(
        configErrorOf(admins({ objectId: "me", type: "User" })),
        /burstmesh:aksAdminPrincipals\[0\]\.objectId: must be the principal's object ID, a GUID/,
      );
      assert.match(
        configErrorOf(admins({ objectId: "11111111-2222-4333-8444-555555555555", type: "Robot" })),
        /burstmesh:aksAdminPrincipals\[0\]\.type: must be User, Group or ServicePrincipal/,
      );
    });
  });
});
