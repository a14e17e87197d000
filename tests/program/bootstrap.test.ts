import { strict as assert } from "node:assert";
import { X509Certificate } from "node:crypto";
import { parse as parseYaml } from "yaml";
import { Bootstrap, peerReadOutputs, published, rerunSecondPass, sharedBootstrap } from "../support/bootstrap";
import { isSecret, ofType, reveal, runStack, stackRef, StackRun } from "../support/harness";
import { withConfig } from "../support/stackFiles";
import { helmRelease, k8sObject } from "../support/k8s";

const secretType = "kubernetes:core/v1:Secret";

interface Kubeconfig {
  clusters: { name: string; cluster: Record<string, unknown> }[];
  users: { name: string; user: Record<string, unknown> }[];
  contexts: { name: string; context: { cluster: string; user: string } }[];
}

function remoteSecrets(run: StackRun) {
  return ofType(run, secretType).filter(
    (r) => !r.read && (reveal<{ metadata?: { name?: string } }>(r.inputs).metadata?.name ?? "").startsWith("istio-remote-secret-"),
  );
}

function certificates(pemBundle: string): X509Certificate[] {
  return (pemBundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((pem) => new X509Certificate(pem));
}

describe("bootstrap of the whole mesh under mocks", function () {
  this.timeout(120_000);
  let run: Bootstrap;

  before(async () => {
    run = await sharedBootstrap();
  });

  describe("the trust pass", () => {
    it("publishes one secret cacerts bundle per member and never the root key", () => {
      const cacerts = run.trust.outputs.cacerts!;
      assert.equal(cacerts.secret, true);
      assert.deepEqual(Object.keys(cacerts.value as object).sort(), ["aks", "eks"]);
      const everything = JSON.stringify(run.trust.outputs);
      const rootKey = ofType(run.trust, "tls:index/privateKey:PrivateKey").find((r) => /root/.test(r.name))!;
      assert.ok(rootKey, "the trust stack has a root key");
      assert.ok(
        !everything.includes(String(rootKey.state.privateKeyPem).trim().split("\n")[1]!),
        "the root private key appears in no output",
      );
    });
  });

  describe("the first cluster pass", () => {
    for (const stack of ["eks", "aks"] as const) {
      const peer = stack === "eks" ? "aks" : "eks";
      it(`${stack} deploys without its peer and says so`, () => {
        assert.equal(remoteSecrets(run.first[stack]).length, 0);
        assert.ok(
          run.first[stack].logs.some((log) => log.message.includes(`Peer '${peer}' has not published`)),
          "a log line names the skipped peer",
        );
      });

      it(`${stack} publishes what a peer needs, as a secret`, () => {
        const meshPeer = run.first[stack].outputs.meshPeer!;
        assert.equal(meshPeer.secret, true);
        const value = meshPeer.value as Record<string, string>;
        assert.deepEqual(Object.keys(value).sort(), [
          "apiServerUrl",
          "certificateAuthorityData",
          "clusterName",
          "egressCidrs",
          "gatewayAddress",
          "network",
          "readerToken",
        ]);
        assert.equal(value.clusterName, stack);
        assert.equal(value.network, `network-${stack}`);
        assert.match(value.apiServerUrl!, /^https:\/\//);
        assert.ok(value.readerToken && value.gatewayAddress && value.certificateAuthorityData);
      });
    }
  });

  describe("the second cluster pass", () => {
    for (const stack of ["eks", "aks"] as const) {
      const peer = stack === "eks" ? "aks" : "eks";

      it(`${stack} holds a remote secret for ${peer} with istiod's name, label, annotation and key`, () => {
        const [secret, ...others] = remoteSecrets(run.second[stack]);
        assert.equal(others.length, 0);
        const inputs = reveal<{ metadata: Record<string, unknown>; stringData?: Record<string, string>; data?: Record<string, string> }>(
          secret!.inputs,
        );
        assert.deepEqual(inputs.metadata, {
          name: `istio-remote-secret-${peer}`,
          namespace: "istio-system",
          labels: { "istio/multiCluster": "true" },
          annotations: { "networking.istio.io/cluster": peer },
        });
        assert.deepEqual(Object.keys(inputs.stringData ?? inputs.data ?? {}), [peer]);
      });

      it(`${stack}'s remote secret points at ${peer}'s real API server with its CA and reader token, and no exec`, () => {
        const secret = remoteSecrets(run.second[stack])[0]!;
        const data = reveal<{ stringData: Record<string, string> }>(secret.inputs).stringData;
        const kubeconfig = parseYaml(data[peer]!) as Kubeconfig;
        const published = run.first[peer].outputs.meshPeer!.value as Record<string, string>;
        assert.equal(kubeconfig.clusters.length, 1);
        assert.equal(kubeconfig.clusters[0]!.cluster.server, published.apiServerUrl);
        assert.equal(kubeconfig.clusters[0]!.cluster["certificate-authority-data"], published.certificateAuthorityData);
        assert.deepEqual(kubeconfig.users[0]!.user, { token: published.readerToken });
        const text = data[peer]!;
        for (const forbidden of ["exec", "auth-provider", "tokenFile", "client-key", "certificate-authority:"]) {
          assert.ok(!text.includes(forbidden), `the kubeconfig has no ${forbidden}`);
        }
      });

      it(`${stack}'s remote secret data is a Pulumi secret`, () => {
        const secret = remoteSecrets(run.second[stack])[0]!;
        assert.ok(isSecret(secret.inputs.stringData ?? secret.inputs.data));
      });
    }

    it("points EKS at the AKS API server https://<fqdn>:443 and AKS at the EKS endpoint", () => {
      const aksCluster = ofType(run.first.aks, "azure-native:containerservice:ManagedCluster")[0]!;
      const eksCluster = ofType(run.first.eks, "aws:eks/cluster:Cluster")[0]!;
      const server = (stack: StackRun, peer: string) =>
        (parseYaml(reveal<{ stringData: Record<string, string> }>(remoteSecrets(stack)[0]!.inputs).stringData[peer]!) as Kubeconfig)
          .clusters[0]!.cluster.server;
      assert.equal(server(run.second.eks, "aks"), `https://${String(aksCluster.state.fqdn)}:443`);
      assert.equal(server(run.second.aks, "eks"), eksCluster.state.endpoint);
    });

    it("converges: the second pass changes no output a peer reads, so a third pass would change nothing", () => {
      for (const stack of ["eks", "aks"] as const) {
        assert.deepEqual(peerReadOutputs(run.second[stack]), peerReadOutputs(run.first[stack]), `${stack} outputs are stable`);
        const linked = [run.first[stack], run.second[stack]].map((pass) => pass.outputs.linkedPeers!.value);
        assert.deepEqual(linked, [[], [stack === "eks" ? "aks" : "eks"]]);
      }
    });

    it("is deterministic: the same inputs give the same resources (no random names, no timestamps)", async () => {
      const again = await rerunSecondPass(run, "eks");
      const shape = (stackRun: StackRun) =>
        stackRun.resources.filter((r) => !r.read).map((r) => ({ type: r.type, urn: r.urn, inputs: reveal(r.inputs) }));
      assert.deepEqual(shape(again), shape(run.second.eks));
    });
  });

  describe("a linked peer that stops publishing", () => {
    it("fails the stack, naming the peer and burstmesh:peers, before any resource is registered", async () => {
      const error = await rerunSecondPass(run, "eks", { peerPublished: false }).then(
        () => assert.fail("expected the run to fail"),
        (failure: Error & { resources?: unknown[] }) => failure,
      );
      assert.match(error.message, /Peer 'aks' \(stack organization\/burstmesh\/aks\) no longer publishes 'meshPeer'/);
      assert.match(error.message, /remove it from burstmesh:peers/);
      assert.deepEqual(
        (error.resources as { type: string }[]).filter((r) => !r.type.startsWith("pulumi:")).map((r) => r.type),
        [],
        "nothing is registered, so the engine deletes no remote secret",
      );
    });

    it("is only skipped while this stack has never linked it (the first bootstrap)", async () => {
      const fresh = await rerunSecondPass(run, "eks", { peerPublished: false, selfPublished: false });
      assert.equal(remoteSecrets(fresh).length, 0);
      assert.ok(fresh.logs.some((log) => log.message.includes("Peer 'aks' has not published")));
    });
  });

  describe("an AKS member's system node pool", () => {
    it("is published by the AKS stack only, as config set it", () => {
      assert.deepEqual(run.second.aks.outputs.aksNodePool, { value: { vmSize: "Standard_D4s_v5", diskSizeGb: 64 }, secret: false });
      assert.equal(run.second.eks.outputs.aksNodePool, undefined);
    });

    it("refuses a new VM size or OS disk size once deployed, keyed, before any resource is registered", async () => {
      const error = await runStack({
        stack: "aks",
        config: withConfig("aks", {
          "burstmesh:nodePool": { vmSize: "Standard_D8s_v5", minCount: 2, desiredCount: 3, maxCount: 6, diskSizeGb: 128 },
        }),
        published: { [stackRef("trust")]: published(run.trust), [stackRef("aks")]: published(run.second.aks) },
      }).then(
        () => assert.fail("expected the run to fail"),
        (failure: Error & { resources?: { type: string }[] }) => failure,
      );
      assert.match(error.message, /burstmesh:nodePool\.vmSize: the deployed pool runs Standard_D4s_v5; this run asks for Standard_D8s_v5/);
      assert.match(error.message, /burstmesh:nodePool\.diskSizeGb: the deployed pool's OS disks have 64 GB; this run asks for 128/);
      assert.deepEqual(
        error.resources!.filter((r) => !r.type.startsWith("pulumi:")).map((r) => r.type),
        [],
        "nothing is registered",
      );
    });
  });

  describe("each cluster's Istio", () => {
    for (const stack of ["eks", "aks"] as const) {
      it(`${stack} has cacerts with its own intermediate and the mesh's common root`, () => {
        const bundle = (run.trust.outputs.cacerts!.value as Record<string, Record<string, string>>)[stack]!;
        const cacerts = k8sObject(run.second[stack], secretType, "cacerts", "istio-system");
        assert.ok(isSecret(cacerts.inputs.stringData ?? cacerts.inputs.data), "the cacerts data is a Pulumi secret");
        const data = reveal<{ stringData: Record<string, string> }>(cacerts.inputs).stringData;
        assert.deepEqual(Object.keys(data).sort(), ["ca-cert.pem", "ca-key.pem", "cert-chain.pem", "root-cert.pem"]);
        assert.deepEqual(data, bundle);
        const [intermediate] = certificates(data["ca-cert.pem"]!);
        const [root] = certificates(data["root-cert.pem"]!);
        assert.ok(intermediate!.verify(root!.publicKey), "the intermediate is signed by the root");
        assert.match(intermediate!.subject, new RegExp(`L=${stack}`));
        const otherStack = stack === "eks" ? "aks" : "eks";
        const other = reveal<{ stringData: Record<string, string> }>(
          k8sObject(run.second[otherStack], secretType, "cacerts", "istio-system").inputs,
        ).stringData;
        assert.equal(data["root-cert.pem"], other["root-cert.pem"], "both clusters share one root");
        assert.notEqual(data["ca-cert.pem"], other["ca-cert.pem"], "each cluster has its own intermediate");
      });

      it(`${stack} installs base, istiod and the east-west gateway pinned to one version`, () => {
        const releases = ["istio-base", "istiod-1-30-8", "istio-eastwestgateway"].map((name) =>
          reveal<Record<string, unknown>>(helmRelease(run.second[stack], name).inputs),
        );
        for (const release of releases) {
          assert.equal(release.version, "1.30.8");
          assert.equal((release.repositoryOpts as { repo: string }).repo, "https://istio-release.storage.googleapis.com/charts");
          assert.equal(release.namespace, "istio-system");
        }
        assert.deepEqual(
          releases.map((r) => r.chart),
          ["base", "istiod", "gateway"],
        );
        const istiod = releases[1]!.values as { global: Record<string, unknown>; meshConfig: Record<string, unknown> };
        assert.equal(istiod.global.meshID, "burstmesh");
        assert.deepEqual(istiod.global.multiCluster, { clusterName: stack });
        assert.equal(istiod.global.network, `network-${stack}`);
        assert.equal(istiod.meshConfig.trustDomain, "cluster.local");
      });

      it(`${stack} exposes services across networks through the cross-network Gateway`, () => {
        const gateway = k8sObject(run.second[stack], "kubernetes:networking.istio.io/v1:Gateway", "cross-network-gateway", "istio-system");
        assert.deepEqual(reveal<{ spec: unknown }>(gateway.inputs).spec, {
          selector: { istio: "eastwestgateway" },
          servers: [{ port: { number: 15443, name: "tls", protocol: "TLS" }, tls: { mode: "AUTO_PASSTHROUGH" }, hosts: ["*.local"] }],
        });
      });

      it(`${stack} enforces STRICT mTLS mesh-wide`, () => {
        const peerAuthentication = k8sObject(
          run.second[stack],
          "kubernetes:security.istio.io/v1:PeerAuthentication",
          "default",
          "istio-system",
        );
        assert.deepEqual(reveal<{ spec: unknown }>(peerAuthentication.inputs).spec, { mtls: { mode: "STRICT" } });
      });

      it(`${stack} creates the istio-reader token Secret that peers read`, () => {
        const token = reveal<Record<string, unknown>>(
          k8sObject(run.second[stack], secretType, "istio-reader-service-account-istio-remote-secret-token", "istio-system").inputs,
        );
        assert.equal(token.type, "kubernetes.io/service-account-token");
        assert.deepEqual((token.metadata as { annotations: unknown }).annotations, {
          "kubernetes.io/service-account.name": "istio-reader-service-account",
        });
      });
    }
  });
});
