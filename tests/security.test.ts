import { strict as assert } from "node:assert";
import { loadConfig, parseServiceConfig } from "../config";
import { clusterRoleKeyActions, controlPlaneLogGroupName, secretsKeyPolicy } from "../components/clusters/eksControlPlane";
import { deploymentManifest, restrictedPodSecurity } from "../components/traffic/serviceSpecs";
import { restrictedPodProblems } from "../policy/policies";
import { Bootstrap, sharedBootstrap } from "./support/bootstrap";
import { ofType, reveal, single, StackRun } from "./support/harness";
import { configErrorOf, withConfig } from "./support/stackFiles";

const inputsOf = (run: StackRun, type: string, name?: string | RegExp): Record<string, any> => reveal(single(run, type, name).inputs);

describe("least exposure", function () {
  this.timeout(120_000);
  let bootstrap: Bootstrap;
  before(async () => {
    bootstrap = await sharedBootstrap();
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

      it(`${stack}: installs the CNI chart at the Istio version before istiod, and tells istiod to use it`, () => {
        const releases = ofType(bootstrap.second[stack], "kubernetes:helm.sh/v3:Release");
        const byName = (name: string) => releases.find((r) => reveal<{ name: string }>(r.inputs).name === name)!;
        const cni = reveal<Record<string, unknown>>(byName("istio-cni").inputs);
        assert.deepEqual([cni.chart, cni.version, cni.namespace], ["cni", "1.30.3", "istio-system"]);
        assert.ok(byName("istiod").dependencies.includes(byName("istio-cni").urn));
        assert.deepEqual(reveal<{ values: { cni: unknown } }>(byName("istiod").inputs).values.cni, { enabled: true });
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
  });
});
