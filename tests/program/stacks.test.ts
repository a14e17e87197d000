import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";
import { clusterOutputNames, optionalOutputs, secretOutputs, trustOutputNames } from "../../components/stackOutputs";
import { published, sharedBootstrap } from "../support/bootstrap";
import { isSecret, ofType, RecordedResource, reveal, runStack, stackRef, StackRun } from "../support/harness";
import { stackFileConfig, withConfig } from "../support/stackFiles";
import { k8sObject } from "../support/k8s";

const providerType = "pulumi:providers:kubernetes";

/** The Kubernetes objects a run registered (everything that goes through a Kubernetes provider). */
function kubernetesObjects(run: StackRun): RecordedResource[] {
  return run.resources.filter((r) => r.type.startsWith("kubernetes:") && !r.read);
}

/** Access entries for people and CI (`STANDARD`), not the node roles' (`EC2_LINUX`). */
function adminEntries(run: StackRun): RecordedResource[] {
  return ofType(run, "aws:eks/accessEntry:AccessEntry").filter((entry) => reveal<{ type: string }>(entry.inputs).type === "STANDARD");
}

function urnOf(reference: string): string {
  return reference.split("::").slice(0, -1).join("::");
}

describe("stacks under mocks, each with its own stack file", function () {
  this.timeout(60_000);
  let trust: StackRun;
  let eks: StackRun;
  let aks: StackRun;

  before(async () => {
    // The trust stack and the first cluster pass: each cluster stack with its own stack file.
    const bootstrap = await sharedBootstrap();
    ({ trust } = bootstrap);
    ({ eks, aks } = bootstrap.first);
  });

  describe("trust", () => {
    it("creates only the certificate authority: a root and one intermediate per member", () => {
      const types = new Set(trust.resources.map((r) => r.type));
      assert.ok(![...types].some((type) => type.startsWith("aws:") || type.startsWith("azure-native:") || type.startsWith("kubernetes:")));
      assert.equal(ofType(trust, "tls:index/selfSignedCert:SelfSignedCert").length, 1);
      assert.equal(ofType(trust, "tls:index/locallySignedCert:LocallySignedCert").length, 2);
      assert.equal(ofType(trust, "tls:index/privateKey:PrivateKey").length, 3);
    });

    it("exports the root certificate in the clear and the bundles as a secret", () => {
      assert.equal(trust.outputs.rootCertPem!.secret, false);
      assert.match(String(trust.outputs.rootCertPem!.value), /BEGIN CERTIFICATE/);
      assert.equal(trust.outputs.cacerts!.secret, true);
    });
  });

  describe("eks", () => {
    it("builds the network, IAM, cluster and node group on AWS", () => {
      for (const type of [
        "aws:ec2/vpc:Vpc",
        "aws:ec2/internetGateway:InternetGateway",
        "aws:ec2/natGateway:NatGateway",
        "aws:eks/cluster:Cluster",
        "aws:eks/nodeGroup:NodeGroup",
      ]) {
        assert.ok(ofType(eks, type).length >= 1, `eks has a ${type}`);
      }
      const cluster = reveal<{ version: string; accessConfig: Record<string, unknown> }>(ofType(eks, "aws:eks/cluster:Cluster")[0]!.inputs);
      assert.equal(cluster.version, "1.34");
      assert.equal(cluster.accessConfig.authenticationMode, "API");
      assert.equal(cluster.accessConfig.bootstrapClusterCreatorAdminPermissions, true);
    });

    it("attaches the four EKS managed policies to the right roles", () => {
      const roles = ofType(eks, "aws:iam/role:Role");
      const trustOf = (role: RecordedResource) => String(reveal<{ assumeRolePolicy: string }>(role.inputs).assumeRolePolicy);
      const clusterRole = roles.find((r) => trustOf(r).includes("eks.amazonaws.com"))!;
      const nodeRole = roles.find((r) => trustOf(r).includes("ec2.amazonaws.com"))!;
      assert.ok(clusterRole && nodeRole, "a cluster role and a node role");
      const policiesOf = (role: RecordedResource) =>
        ofType(eks, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
          .filter((a) => a.dependencies.includes(role.urn))
          .map((a) => String(reveal<{ policyArn: string }>(a.inputs).policyArn).split("/").pop())
          .sort();
      assert.deepEqual(policiesOf(clusterRole), ["AmazonEKSClusterPolicy"]);
      assert.deepEqual(policiesOf(nodeRole), ["AmazonEC2ContainerRegistryReadOnly", "AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy"]);
    });

    it("spreads subnets over at least two availability zones", () => {
      const zones = new Set(
        ofType(eks, "aws:ec2/subnet:Subnet").map((s) => reveal<{ availabilityZone: string }>(s.inputs).availabilityZone),
      );
      assert.ok(zones.size >= 2, `subnets in ${[...zones].join(", ")}`);
    });
  });

  describe("eks with extra cluster admins", () => {
    const ciRole = "arn:aws:iam::123456789012:role/ci-preview";
    let withAdmins: StackRun;

    before(async () => {
      const trustOutputs = { [stackRef("trust")]: published(trust) };
      withAdmins = await runStack({
        stack: "eks",
        config: withConfig("eks", { "burstmesh:clusterAdminPrincipals": [ciRole] }),
        published: trustOutputs,
      });
    });

    it("gives each listed principal an access entry with the cluster-admin access policy, cluster-wide", () => {
      const [entry, ...moreEntries] = adminEntries(withAdmins);
      const [association, ...moreAssociations] = ofType(withAdmins, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation");
      assert.equal(moreEntries.length + moreAssociations.length, 0);
      assert.deepEqual(reveal<Record<string, unknown>>(entry!.inputs).principalArn, ciRole);
      assert.equal(reveal<Record<string, unknown>>(entry!.inputs).type, "STANDARD");
      const granted = reveal<Record<string, unknown>>(association!.inputs);
      assert.equal(granted.principalArn, ciRole);
      assert.equal(granted.policyArn, "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy");
      assert.deepEqual(granted.accessScope, { type: "cluster" });
    });

    it("creates the Kubernetes provider only after the access is granted", () => {
      const provider = ofType(withAdmins, providerType)[0]!;
      const association = ofType(withAdmins, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation")[0]!;
      assert.ok(provider.dependencies.includes(association.urn));
    });

    it("grants nobody extra by default", () => {
      assert.equal(adminEntries(eks).length, 0);
    });

    it("rejects a principal that is not an IAM role or user ARN", async () => {
      await assert.rejects(
        runStack({ stack: "eks", config: withConfig("eks", { "burstmesh:clusterAdminPrincipals": ["ci-preview"] }) }),
        /burstmesh:clusterAdminPrincipals\[0\]: must be an IAM role or user ARN/,
      );
    });
  });

  describe("aks", () => {
    it("builds a resource group and an autoscaling AKS cluster with RBAC and a managed identity", () => {
      assert.equal(ofType(aks, "azure-native:resources:ResourceGroup").length, 1);
      const cluster = reveal<Record<string, any>>(ofType(aks, "azure-native:containerservice:ManagedCluster")[0]!.inputs);
      assert.equal(cluster.kubernetesVersion, "1.34");
      assert.equal(cluster.enableRBAC, true);
      assert.equal(cluster.identity.type, "UserAssigned");
      assert.equal(cluster.agentPoolProfiles[0].enableAutoScaling, true);
    });
  });

  for (const [stack, clusterType] of [
    ["eks", "aws:eks/nodeGroup:NodeGroup"],
    ["aks", "azure-native:containerservice:ManagedCluster"],
  ] as const) {
    describe(`${stack}: wiring and secrets`, () => {
      const runOf = () => (stack === "eks" ? eks : aks);

      // EKS has two providers for the one cluster: one that waits for the nodes (what runs pods) and
      // one that needs only the API server (namespaces, Secrets, CRDs); AKS brings its nodes with the
      // cluster, so one provider serves both.
      const providersOf = (run: StackRun) => {
        const providers = ofType(run, providerType);
        const nodes = ofType(run, clusterType)[0]!;
        return {
          providers,
          afterNodes: providers.filter((p) => p.dependencies.includes(nodes.urn)),
          apiOnly: providers.filter((p) => !p.dependencies.includes(nodes.urn)),
        };
      };

      it("sends every Kubernetes object through one of the cluster's own providers", () => {
        const { providers, afterNodes, apiOnly } = providersOf(runOf());
        assert.equal(afterNodes.length, 1, "one provider after the nodes");
        assert.equal(apiOnly.length, stack === "eks" ? 1 : 0, "on EKS, one provider that does not wait for the nodes");
        const objects = kubernetesObjects(runOf());
        assert.ok(objects.length > 10);
        for (const object of objects) {
          assert.ok(
            providers.some((p) => p.urn === urnOf(object.provider)),
            `${object.type} ${object.name} uses a provider of this cluster`,
          );
        }
      });

      it("creates the provider of what runs pods only once the cluster's nodes exist", () => {
        const { afterNodes } = providersOf(runOf());
        const [provider] = afterNodes;
        assert.ok(provider, "the provider depends on the node pool");
        const podOwners = kubernetesObjects(runOf()).filter(
          (r) =>
            ["kubernetes:apps/v1:Deployment", "kubernetes:batch/v1:Job"].includes(r.type) ||
            /istiod|eastwest|karpenter-controller/.test(r.name),
        );
        assert.ok(podOwners.length > 0);
        for (const owner of podOwners) assert.equal(urnOf(owner.provider), provider.urn, `${owner.type} ${owner.name} waits for the nodes`);
      });

      it("keeps every kubeconfig secret", () => {
        for (const provider of ofType(runOf(), providerType)) {
          assert.ok(isSecret(provider.inputs.kubeconfig), `the kubeconfig input of ${provider.name} is secret`);
        }
        assert.equal(runOf().outputs.kubeconfig!.secret, true, "the kubeconfig output is secret");
        assert.ok((parseYaml(String(runOf().outputs.kubeconfig!.value)) as { clusters: unknown[] }).clusters.length === 1);
      });

      it("updates Secrets in place rather than replacing them (cacerts and the remote secrets change without a moment of absence)", () => {
        for (const provider of ofType(runOf(), providerType)) assert.equal(provider.inputs.enableSecretMutable, "true", provider.name);
      });

      it("holds no CA private key resource: the root key lives only in the trust stack", () => {
        assert.equal(ofType(runOf(), "tls:index/privateKey:PrivateKey").length, 0);
      });
    });
  }

  describe("cost-allocation tags", () => {
    let tagged: StackRun;
    const configured = { team: "platform", "cost center": "4711" };
    before(async () => {
      const trustOutputs = { [stackRef("trust")]: published(trust) };
      tagged = await runStack({ stack: "eks", config: withConfig("eks", { "burstmesh:tags": configured }), published: trustOutputs });
    });

    it("eks: every AWS resource and invoke goes through one AWS provider whose default tags are the configured and default tags", () => {
      const [provider, ...others] = ofType(tagged, "pulumi:providers:aws");
      assert.equal(others.length, 0, "one AWS provider");
      const inputs = reveal<{ region: string; defaultTags: string | { tags: Record<string, string> } }>(provider!.inputs);
      assert.equal(inputs.region, "eu-central-1");
      // The engine hands a provider's object-valued settings over as JSON.
      const defaultTags = typeof inputs.defaultTags === "string" ? JSON.parse(inputs.defaultTags) : inputs.defaultTags;
      assert.deepEqual(defaultTags.tags, {
        ...configured,
        "burstmesh:project": "burstmesh",
        "burstmesh:stack": "eks",
        "burstmesh:cluster": "eks",
      });
      const awsResources = tagged.resources.filter((r) => r.type.startsWith("aws:"));
      assert.ok(awsResources.length > 10);
      for (const resource of awsResources) assert.equal(urnOf(resource.provider), provider!.urn, `${resource.type} ${resource.name}`);
    });

    it("aks: every Azure resource that takes tags carries the default tags", () => {
      const azure = aks.resources.filter((r) => r.type.startsWith("azure-native:") && "tags" in r.inputs);
      assert.ok(azure.length >= 4, azure.map((r) => r.type).join(", "));
      for (const resource of azure) {
        assert.deepEqual(reveal(resource.inputs.tags), {
          "burstmesh:project": "burstmesh",
          "burstmesh:stack": "aks",
          "burstmesh:cluster": "aks",
        });
      }
    });
  });

  describe("the stack-output contract", () => {
    const kinds = [
      ["trust", trustOutputNames, secretOutputs.trust, optionalOutputs.trust, () => [trust]],
      ["cluster", clusterOutputNames, secretOutputs.cluster, optionalOutputs.cluster, () => [eks, aks]],
    ] as const;

    for (const [kind, names, secret, optional, runs] of kinds) {
      it(`a ${kind} stack publishes exactly the contract's outputs, the secret ones as secrets`, () => {
        const seen = new Set<string>();
        for (const run of runs()) {
          const published = (name: string) => !(optional as readonly string[]).includes(name) || name in run.outputs;
          assert.deepEqual(Object.keys(run.outputs).sort(), Object.values(names).filter(published).sort());
          const secretNow = Object.entries(run.outputs).filter(([, output]) => output.secret);
          assert.deepEqual(secretNow.map(([name]) => name).sort(), [...secret].filter(published).sort());
          Object.keys(run.outputs).forEach((name) => seen.add(name));
        }
        for (const name of optional) assert.ok(seen.has(name), `some ${kind} stack publishes the optional ${name}`);
      });
    }

    it("publishes each service's host, mode and thresholds, nothing else", () => {
      const services = eks.outputs.services!.value as Record<string, Record<string, unknown>>;
      assert.deepEqual(Object.keys(services), ["podinfo"]);
      assert.deepEqual(Object.keys(services.podinfo!).sort(), ["host", "mode", "thresholds"]);
      assert.equal(services.podinfo!.host, "podinfo.podinfo.svc.cluster.local");
    });

    it("is the README's stack-output table, name for name and secret for secret", () => {
      const readme = fs.readFileSync(path.join(__dirname, "..", "..", "README.md"), "utf8");
      const rows = readme.split("\n").filter((line) => /^\| `?(trust|cluster)`? +\|/.test(line));
      const documented = rows.flatMap((row) => {
        const [kind, output, secret] = row
          .split("|")
          .slice(1, 4)
          .map((cell) => cell.trim());
        const names = [...output!.split(":")[0]!.matchAll(/`([A-Za-z]+)`/g)].map((match) => match[1]!);
        return names.map((name) => `${kind!.replace(/`/g, "")} ${name} ${secret}`);
      });
      const contract = kinds.flatMap(([kind, names, secret]) =>
        Object.values(names).map((name) => `${kind} ${name} ${(secret as readonly string[]).includes(name) ? "yes" : "no"}`),
      );
      assert.deepEqual(documented.sort(), contract.sort());
    });
  });

  describe("bad config", () => {
    it("fails before any resource is registered, naming the key", async () => {
      await assert.rejects(
        runStack({ stack: "eks", config: withConfig("eks", { "burstmesh:cloud": "gcp" }) }),
        /burstmesh:cloud: must be 'aws', 'azure' or 'existing'/,
      );
    });

    it("registers nothing when the config is bad", async () => {
      const badNodePool = { vmSize: "Standard_D4s_v5", minCount: 3, desiredCount: 2, maxCount: 4, diskSizeGb: 64 };
      const failure = await runStack({ stack: "aks", config: withConfig("aks", { "burstmesh:nodePool": badNodePool }) }).then(
        () => assert.fail("the run should fail"),
        (error: Error & { resources: RecordedResource[] }) => error,
      );
      assert.match(failure.message, /burstmesh:nodePool\.desiredCount: must be at least minCount \(3\)/);
      assert.deepEqual(failure.resources, []);
    });

    it("tells the user to deploy the trust stack first when it has no bundle for this cluster", async () => {
      await assert.rejects(
        runStack({ stack: "eks", config: stackFileConfig("eks") }),
        /trust stack 'trust' has no CA bundle for cluster 'eks'/,
      );
    });

    it("previews a fresh mesh: the bundle the trust stack has yet to publish is unknown", async () => {
      const run = await runStack({ stack: "eks", config: stackFileConfig("eks"), preview: true });
      assert.ok(run.logs.some((log) => /has not published a CA bundle for 'eks' yet; the preview shows it as unknown/.test(log.message)));
      const cacerts = k8sObject(run, "kubernetes:core/v1:Secret", "cacerts", "istio-system");
      // Unknown, as a preview records a value yet to be produced (the Kubernetes provider keeps Secret data secret).
      assert.ok(pulumi.isUnknown(cacerts.inputs.stringData));
      assert.ok(ofType(run, "kubernetes:helm.sh/v3:Release").length > 0, "the rest of the cluster is planned");
    });
  });
});
