import { strict as assert } from "node:assert";
import { karpenterChart } from "../../../components/charts/pinned";
import {
  accountOf,
  ec2NodeClassManifest,
  interruptionEventRules,
  karpenterControllerPolicies,
  nodePoolManifest,
  privateSubnetSelector,
} from "../../../components/clusters/karpenter";
import { published, sharedBootstrap } from "../../support/bootstrap";
import { validateKarpenter } from "../../support/schemas";
import { ofType, RecordedResource, reveal, runStack, single, stackRef, StackRun } from "../../support/harness";
import { withConfig } from "../../support/stackFiles";

describe("components/clusters/karpenter: Karpenter, metrics-server and what waits for the nodes", function () {
  // The first test to ask for the shared bootstrap runs it (the trust stack and four cluster runs).
  this.timeout(60_000);

  describe("EKS: metrics-server, Karpenter and what waits for the nodes", () => {
    let eks: StackRun;
    before(async () => {
      eks = (await sharedBootstrap()).first.eks;
    });

    const one = (type: string, name?: string | RegExp) => single(eks, type, name);
    const inputsOf = (resource: RecordedResource) => reveal<Record<string, any>>(resource.inputs);
    const providerOf = (resource: RecordedResource) => resource.provider.split("::").slice(0, -1).join("::");
    const nodeGroup = () => one("aws:eks/nodeGroup:NodeGroup");
    const nodeProvider = () => one("pulumi:providers:kubernetes", "eks-k8s");
    const apiProvider = () => one("pulumi:providers:kubernetes", "eks-k8s-api");
    const release = (name: string) => one("kubernetes:helm.sh/v3:Release", name);
    const addon = (addonName: string) => ofType(eks, "aws:eks/addon:Addon").find((a) => inputsOf(a).addonName === addonName)!;

    /** Whether `from` is created after `to`: through its dependencies, and through the provider it uses. */
    function after(from: RecordedResource, to: RecordedResource): boolean {
      const byUrn = new Map(eks.resources.filter((r) => !r.read).map((r) => [r.urn, r]));
      const seen = new Set<string>();
      const queue = [from.urn];
      while (queue.length > 0) {
        const current = byUrn.get(queue.pop()!);
        if (!current || seen.has(current.urn)) continue;
        seen.add(current.urn);
        const next = [...current.dependencies, ...(current.provider ? [providerOf(current)] : [])];
        if (next.includes(to.urn)) return true;
        queue.push(...next);
      }
      return false;
    }

    it("installs the metrics-server and pod identity agent add-ons after the node group, at the version for the cluster's Kubernetes", () => {
      for (const name of ["metrics-server", "eks-pod-identity-agent"]) {
        const installed = addon(name);
        assert.ok(installed, `the ${name} add-on`);
        assert.equal(inputsOf(installed).clusterName, "eks");
        assert.equal(inputsOf(installed).addonVersion, "v1.34.0-eksbuild.1", "the mocked default version for Kubernetes 1.34");
        assert.ok(installed.dependencies.includes(nodeGroup().urn), `${name} comes after the nodes that run it`);
      }
    });

    it("creates no HPA after metrics-server (an HPA needs no metrics to be created): istiod's, the east-west gateway's and each service's", () => {
      const metricsServer = addon("metrics-server");
      const hpaOwners = [
        release("istio-istiod-1-30-8"),
        release("eastwest-release"),
        ...ofType(eks, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"),
      ];
      assert.equal(hpaOwners.length, 3);
      for (const owner of hpaOwners) assert.ok(!after(owner, metricsServer), `${owner.name} does not wait for metrics-server`);
    });

    it("starts what runs no pods as soon as the API server answers, and waits for the nodes with what runs pods", () => {
      assert.ok(!after(apiProvider(), nodeGroup()), "the API-only provider does not wait for the node group");
      assert.ok(after(nodeProvider(), nodeGroup()));
      const early = [
        one("kubernetes:core/v1:Namespace", "istio-namespace"),
        one("kubernetes:core/v1:Secret", "istio-cacerts"),
        release("istio-base"),
        release("eks-karpenter-crds"),
      ];
      for (const resource of early) {
        assert.equal(providerOf(resource), apiProvider().urn, `${resource.name} uses the API-only provider`);
        assert.ok(!after(resource, nodeGroup()), `${resource.name} does not wait for the nodes`);
      }
      const podRunners = [
        release("istio-istiod-1-30-8"),
        release("eastwest-release"),
        release("eks-karpenter-controller"),
        one("kubernetes:apps/v1:Deployment"),
        addon("metrics-server"),
        addon("eks-pod-identity-agent"),
      ];
      for (const resource of podRunners) assert.ok(after(resource, nodeGroup()), `${resource.name} waits for the nodes`);
      assert.deepEqual(
        ofType(eks, "pulumi:providers:kubernetes")
          .map((p) => p.name)
          .sort(),
        ["eks-k8s", "eks-k8s-api"],
      );
    });

    it("keeps Karpenter off the path to istiod and the east-west gateway", () => {
      const karpenterParts = eks.resources.filter((r) => /karpenter|pod-identity/.test(r.name) && !r.read);
      assert.ok(karpenterParts.length > 20);
      for (const onPath of [release("istio-istiod-1-30-8"), release("eastwest-release")]) {
        for (const part of karpenterParts) assert.ok(!after(onPath, part), `${onPath.name} does not wait for ${part.type} ${part.name}`);
      }
    });

    it("installs the Karpenter CRD and controller charts, pinned, from Karpenter's OCI registry", () => {
      const crds = inputsOf(release("eks-karpenter-crds"));
      const controller = inputsOf(release("eks-karpenter-controller"));
      assert.equal(crds.chart, "oci://public.ecr.aws/karpenter/karpenter-crd");
      assert.equal(controller.chart, "oci://public.ecr.aws/karpenter/karpenter");
      assert.equal(`${karpenterChart.registry}/karpenter`, controller.chart);
      for (const chart of [crds, controller]) {
        assert.equal(chart.version, karpenterChart.version);
        assert.match(chart.version, /^\d+\.\d+\.\d+$/);
        assert.equal(chart.repositoryOpts, undefined, "an oci:// chart needs no repository");
        assert.equal(chart.namespace, "kube-system");
      }
      assert.equal(controller.skipCrds, true, "the CRDs come from the karpenter-crd chart, which Helm upgrades");
      assert.notEqual(controller.skipAwait, true);
    });

    it("configures the controller for this cluster, its queue and its service account", () => {
      const values = inputsOf(release("eks-karpenter-controller")).values;
      const queue = one("aws:sqs/queue:Queue");
      const cluster = one("aws:eks/cluster:Cluster");
      assert.equal(values.settings.clusterName, "eks");
      assert.equal(values.settings.clusterEndpoint, cluster.state.endpoint);
      assert.equal(values.settings.interruptionQueue, queue.state.name);
      assert.deepEqual(values.controller.resources, { requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "1", memory: "1Gi" } });
      const association = inputsOf(one("aws:eks/podIdentityAssociation:PodIdentityAssociation"));
      assert.equal(values.serviceAccount.name, association.serviceAccount);
      assert.equal(association.namespace, "kube-system");
      assert.equal(association.clusterName, "eks");
    });

    it("gives the controller its role through EKS Pod Identity: a pods.eks.amazonaws.com trust, no key", () => {
      const association = inputsOf(one("aws:eks/podIdentityAssociation:PodIdentityAssociation"));
      const role = one("aws:iam/role:Role", "eks-karpenter");
      assert.equal(association.roleArn, role.state.arn);
      assert.deepEqual(JSON.parse(inputsOf(role).assumeRolePolicy).Statement, [
        { Effect: "Allow", Principal: { Service: "pods.eks.amazonaws.com" }, Action: ["sts:AssumeRole", "sts:TagSession"] },
      ]);
      assert.equal(ofType(eks, "aws:iam/accessKey:AccessKey").length, 0);
      const attached = ofType(eks, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) => a.dependencies.includes(role.urn));
      assert.equal(attached.length, 5, "node lifecycle, IAM integration, EKS integration, interruption, resource discovery");
    });

    it("scopes the controller's policies to this cluster, its node role and its queue", () => {
      const scope = { partition: "aws", region: "eu-central-1", accountId: "123456789012", clusterName: "eks" };
      const nodeRoleArn = "arn:aws:iam::123456789012:role/karpenter-node";
      const queueArn = "arn:aws:sqs:eu-central-1:123456789012:eks-karpenter";
      const policies = karpenterControllerPolicies(scope, nodeRoleArn, queueArn);
      const statement = (doc: { Statement: Record<string, any>[] }, sid: string) => doc.Statement.find((st) => st.Sid === sid)!;
      assert.equal(statement(policies.iamIntegration, "AllowPassingInstanceRole").Resource, nodeRoleArn);
      assert.equal(statement(policies.interruption, "AllowInterruptionQueueActions").Resource, queueArn);
      assert.equal(
        statement(policies.eksIntegration, "AllowAPIServerEndpointDiscovery").Resource,
        "arn:aws:eks:eu-central-1:123456789012:cluster/eks",
      );
      assert.deepEqual(statement(policies.nodeLifecycle, "AllowScopedDeletion").Condition.StringEquals, {
        "aws:ResourceTag/kubernetes.io/cluster/eks": "owned",
      });
      assert.equal(accountOf("arn:aws:eks:eu-central-1:123456789012:cluster/eks"), "123456789012");
      assert.throws(() => accountOf("arn:aws:eks:eu-central-1::cluster/eks"), /no account ID/);
      // The mocked stack's policies carry the account from the cluster's ARN.
      const mocked = JSON.parse(inputsOf(one("aws:iam/policy:Policy", "eks-karpenter-eksIntegration")).policy);
      assert.equal(mocked.Statement[0].Resource, one("aws:eks/cluster:Cluster").state.arn);
    });

    it("gives Karpenter's nodes their own role, its three node policies and an EC2_LINUX access entry", () => {
      const role = one("aws:iam/role:Role", "eks-karpenter-node");
      assert.match(inputsOf(role).assumeRolePolicy, /ec2\.amazonaws\.com/);
      const policies = ofType(eks, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        .filter((a) => a.dependencies.includes(role.urn))
        .map((a) => String(inputsOf(a).policyArn).split("/").pop())
        .sort();
      assert.deepEqual(policies, ["AmazonEC2ContainerRegistryPullOnly", "AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy"]);
      const entry = ofType(eks, "aws:eks/accessEntry:AccessEntry").find((e) => inputsOf(e).type === "EC2_LINUX")!;
      assert.equal(inputsOf(entry).principalArn, role.state.arn);
    });

    it("sends the documented interruption events to an encrypted queue that only EventBridge may fill, over TLS", () => {
      const queue = one("aws:sqs/queue:Queue");
      assert.equal(inputsOf(queue).messageRetentionSeconds, 300);
      assert.equal(inputsOf(queue).sqsManagedSseEnabled, true);
      const queuePolicy = JSON.parse(inputsOf(one("aws:sqs/queuePolicy:QueuePolicy")).policy);
      assert.deepEqual(queuePolicy.Statement[0].Principal.Service, ["events.amazonaws.com", "sqs.amazonaws.com"]);
      assert.deepEqual(queuePolicy.Statement[1].Condition, { Bool: { "aws:SecureTransport": false } });
      assert.equal(queuePolicy.Statement[1].Effect, "Deny");
      const rules = ofType(eks, "aws:cloudwatch/eventRule:EventRule");
      const patterns = rules.map((r) => JSON.parse(inputsOf(r).eventPattern)).map((p) => `${p.source[0]} / ${p["detail-type"][0]}`);
      assert.deepEqual(patterns.sort(), [
        "aws.ec2 / EC2 Capacity Reservation Instance Interruption Warning",
        "aws.ec2 / EC2 Instance Rebalance Recommendation",
        "aws.ec2 / EC2 Instance State-change Notification",
        "aws.ec2 / EC2 Spot Instance Interruption Warning",
        "aws.health / AWS Health Event",
      ]);
      assert.equal(Object.keys(interruptionEventRules).length, rules.length);
      for (const target of ofType(eks, "aws:cloudwatch/eventTarget:EventTarget")) {
        assert.equal(inputsOf(target).arn, queue.state.arn);
      }
      assert.equal(ofType(eks, "aws:cloudwatch/eventTarget:EventTarget").length, rules.length);
    });

    it("creates the NodePool and EC2NodeClass on the cluster's provider, after the CRDs and the controller", () => {
      const crds = release("eks-karpenter-crds");
      const controller = release("eks-karpenter-controller");
      const nodeClass = one("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass");
      const nodePool = one("kubernetes:karpenter.sh/v1:NodePool");
      for (const object of [nodeClass, nodePool]) {
        assert.equal(providerOf(object), nodeProvider().urn);
        assert.ok(
          object.dependencies.includes(crds.urn) && object.dependencies.includes(controller.urn),
          `${object.name} after CRDs and controller`,
        );
      }
      assert.ok(nodePool.dependencies.includes(nodeClass.urn));
    });

    it("writes the NodePool from config: families, capacity types, CPU limit, consolidation with a budget", () => {
      const spec = inputsOf(one("kubernetes:karpenter.sh/v1:NodePool")).spec;
      const requirement = (key: string) => spec.template.spec.requirements.find((r: { key: string }) => r.key === key);
      assert.deepEqual(requirement("karpenter.k8s.aws/instance-family").values, ["m6i", "m7i"]);
      assert.deepEqual(requirement("karpenter.sh/capacity-type").values, ["on-demand"]);
      assert.equal(spec.limits.cpu, "64");
      assert.equal(spec.disruption.consolidationPolicy, "WhenEmptyOrUnderutilized");
      assert.deepEqual(spec.disruption.budgets, [{ nodes: "10%" }]);
      assert.deepEqual(spec.template.spec.nodeClassRef, { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "burst" });
    });

    it("puts burst nodes into the private subnets (by tag) and the EKS cluster security group, with the AMI alias from config", () => {
      const spec = inputsOf(one("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass")).spec;
      const cluster = one("aws:eks/cluster:Cluster");
      assert.deepEqual(spec.securityGroupSelectorTerms, [
        { id: (cluster.state.vpcConfig as Record<string, string>).clusterSecurityGroupId },
      ]);
      assert.match(String((cluster.state.vpcConfig as Record<string, string>).clusterSecurityGroupId), /^sg-/);
      assert.equal(spec.role, one("aws:iam/role:Role", "eks-karpenter-node").state.name);
      assert.deepEqual(spec.amiSelectorTerms, [{ alias: "al2023@latest" }]);
      const [term] = spec.subnetSelectorTerms as { tags: Record<string, string> }[];
      const selects = (subnet: RecordedResource) =>
        Object.entries(term!.tags).every(([key, value]) => (inputsOf(subnet).tags as Record<string, string>)[key] === value);
      const subnets = ofType(eks, "aws:ec2/subnet:Subnet");
      const selected = subnets
        .filter(selects)
        .map((s) => s.name)
        .sort();
      assert.deepEqual(
        selected,
        subnets
          .filter((s) => /private/.test(s.name))
          .map((s) => s.name)
          .sort(),
      );
      assert.ok(selected.length >= 2);
    });

    it("writes a NodePool and EC2NodeClass that Karpenter's v1 API accepts, and refuses broken ones", async () => {
      const pool = nodePoolManifest({ instanceFamilies: ["m6i", "c7i-flex"], capacityTypes: ["spot", "on-demand"], cpuLimit: 32 });
      const nodeClass = ec2NodeClassManifest({
        clusterName: "eks",
        nodeRoleName: "role",
        clusterSecurityGroupId: "sg-0123",
        amiAlias: "al2023@v20250915",
      });
      assert.deepEqual(await validateKarpenter(pool), []);
      assert.deepEqual(await validateKarpenter(nodeClass), []);
      for (const object of [one("kubernetes:karpenter.sh/v1:NodePool"), one("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass")]) {
        assert.deepEqual(await validateKarpenter(inputsOf(object) as { apiVersion: string; kind: string }), [], object.name);
      }
      const broken = { ...pool, spec: { ...pool.spec, disruption: { ...pool.spec.disruption, consolidationPolicy: "WhenIdle" } } };
      assert.match((await validateKarpenter(broken)).join("; "), /consolidationPolicy/);
      assert.deepEqual(privateSubnetSelector("eks"), { "kubernetes.io/cluster/eks": "shared", "kubernetes.io/role/internal-elb": "1" });
    });

    describe("teardown", () => {
      it("deletes the NodePool first, then the EC2NodeClass, the controller and its permissions, then the nodes and the cluster", () => {
        // A destroy deletes in reverse creation order: what is created after X is deleted before X.
        const nodePool = one("kubernetes:karpenter.sh/v1:NodePool");
        const nodeClass = one("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass");
        const controller = release("eks-karpenter-controller");
        const chain = [
          nodePool,
          nodeClass,
          controller,
          nodeProvider(),
          nodeGroup(),
          one("aws:eks/cluster:Cluster"),
          one("aws:ec2/vpc:Vpc"),
        ];
        chain
          .slice(0, -1)
          .forEach((resource, i) => assert.ok(after(resource, chain[i + 1]!), `${resource.name} is deleted before ${chain[i + 1]!.name}`));
        for (const permission of [
          one("aws:eks/podIdentityAssociation:PodIdentityAssociation"),
          one("aws:sqs/queuePolicy:QueuePolicy"),
          one("aws:eks/accessEntry:AccessEntry", "eks-karpenter-node-access"),
          addon("eks-pod-identity-agent"),
          ...ofType(eks, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) => /karpenter/.test(a.name)),
        ]) {
          assert.ok(after(nodePool, permission), `the NodePool goes before ${permission.name}: Karpenter still needs it to drain`);
        }
        assert.ok(!ofType(eks, "aws:ec2/vpc:Vpc").some((vpc) => after(vpc, nodePool)));
      });

      it("lets nothing Karpenter owns skip the deletion wait", () => {
        for (const resource of eks.resources.filter((r) => /karpenter/.test(r.name) && !r.read)) {
          assert.equal(resource.deletedWith, "", `${resource.name} is deleted on its own, and waited for`);
        }
      });
    });

    describe("with burstmesh:autoscaling.enabled false", () => {
      let without: StackRun;
      before(async () => {
        const trust = (await sharedBootstrap()).trust;
        without = await runStack({
          stack: "eks",
          config: withConfig("eks", { "burstmesh:autoscaling": { enabled: false } }),
          published: { [stackRef("trust")]: published(trust) },
        });
      });

      it("installs no Karpenter and no pod identity agent, but still metrics-server", () => {
        assert.equal(without.resources.filter((r) => /karpenter/.test(r.name)).length, 0);
        const addons = ofType(without, "aws:eks/addon:Addon").map((a) => reveal<{ addonName: string }>(a.inputs).addonName);
        assert.deepEqual(addons, ["metrics-server"]);
      });
    });
  });
});
