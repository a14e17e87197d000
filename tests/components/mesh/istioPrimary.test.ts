/**
 * The mesh components (IstioPrimary, EastWestGateway, ReaderToken, RemoteSecret): their pure builders
 * directly, then the components themselves under Pulumi mocks, one EKS and one AKS cluster, wired to
 * each other the way the cluster stacks wire peers.
 */
import { strict as assert } from "node:assert";
import { istioChartRepo } from "../../../components/charts/pinned";
import { meshPeerAuthentication } from "../../../components/mesh/objects";
import { baseValues, cniValues, istiodValues } from "../../../components/mesh/values";
import { cacertsStringData } from "../../../components/mesh/istioPrimary";
import type { CaBundle } from "../../../components/stackOutputs";
import { isSecret, reveal } from "../../support/harness";
import {
  istioVersion,
  caBundle,
  cacertsFixture,
  eks,
  aks,
  Run,
  only,
  k8sObject,
  release,
  meshComponentRuns,
} from "../../support/meshComponents";
describe("components/mesh/istioPrimary: IstioPrimary", () => {
  let eksRun: Run;
  let aksRun: Run;

  before(async () => {
    ({ eksRun, aksRun } = await meshComponentRuns());
  });

  const runs = () => [
    { fixture: eks, result: eksRun },
    { fixture: aks, result: aksRun },
  ];

  it("cacerts: exactly the four files, extra keys dropped", () => {
    const bundle = caBundle("eks");
    assert.deepEqual(cacertsStringData({ ...bundle, "extra.pem": "x" } as CaBundle), bundle);
  });

  it("cacerts: refuses a missing file, a non-PEM file, a key that is no key and a chain out of order", () => {
    const bundle = caBundle("eks");
    const { "root-cert.pem": _root, ...withoutRoot } = bundle;
    assert.throws(() => cacertsStringData(withoutRoot as CaBundle), /lacks root-cert\.pem/);
    assert.throws(() => cacertsStringData({ ...bundle, "ca-cert.pem": "not pem" }), /ca-cert\.pem holds no PEM certificate/);
    assert.throws(() => cacertsStringData({ ...bundle, "ca-key.pem": bundle["root-cert.pem"] }), /no PEM private key/);
    assert.throws(
      () => cacertsStringData({ ...bundle, "cert-chain.pem": bundle["root-cert.pem"] + bundle["ca-cert.pem"] }),
      /cert-chain\.pem must hold ca-cert\.pem followed by its issuer, one of the roots of root-cert\.pem/,
    );
  });

  it("cacerts: takes several trusted roots, the chain ending with the one that signed the intermediate", () => {
    const [root1, root2] = [cacertsFixture("root1.pem"), cacertsFixture("root2.pem")];
    const underRoot2 = cacertsFixture("eks-g2.pem");
    const rotating = (intermediate: string, issuer: string): CaBundle => ({
      "ca-cert.pem": intermediate,
      "ca-key.pem": cacertsFixture("eks.key"),
      "root-cert.pem": root1 + root2,
      "cert-chain.pem": intermediate + issuer,
    });
    // Phase 1 (the old root signs) and phase 2 (the new one signs), both roots trusted.
    for (const bundle of [rotating(cacertsFixture("eks.pem"), root1), rotating(underRoot2, root2)]) {
      assert.deepEqual(cacertsStringData(bundle), bundle);
    }
    // Phase 3: the new root alone.
    const retired = { ...rotating(underRoot2, root2), "root-cert.pem": root2 };
    assert.deepEqual(cacertsStringData(retired), retired);
  });

  it("cacerts: refuses an issuer outside the trusted roots, and a chain whose root did not sign the intermediate", () => {
    const [root1, root2] = [cacertsFixture("root1.pem"), cacertsFixture("root2.pem")];
    const underRoot2 = cacertsFixture("eks-g2.pem");
    const bundle = (rootCert: string, chainRoot: string): CaBundle => ({
      "ca-cert.pem": underRoot2,
      "ca-key.pem": cacertsFixture("eks-g2.key"),
      "root-cert.pem": rootCert,
      "cert-chain.pem": underRoot2 + chainRoot,
    });
    assert.throws(
      () => cacertsStringData(bundle(root1, root2)),
      /cert-chain\.pem ends with a root that root-cert\.pem does not hold \(O=burstmesh test fixture, CN=Root CA 2\): istiod would sign/,
    );
    assert.throws(
      () => cacertsStringData(bundle(root1 + root2, root1)),
      /ca-cert\.pem is not signed by the root cert-chain\.pem ends with/,
    );
  });

  describe("IstioPrimary", () => {
    it("labels istio-system with the cluster's network and the privileged Pod Security level the CNI agent needs", () => {
      for (const { fixture, result } of runs()) {
        const namespace = k8sObject(result, "kubernetes:core/v1:Namespace", "istio-system");
        assert.deepEqual(reveal(namespace.inputs.metadata), {
          name: "istio-system",
          labels: {
            "topology.istio.io/network": fixture.network,
            "pod-security.kubernetes.io/enforce": "privileged",
            "pod-security.kubernetes.io/enforce-version": "latest",
          },
        });
        assert.equal(result.outputs.namespace!.value, "istio-system");
      }
    });

    it("puts exactly the four CA files into the secret Secret cacerts", () => {
      for (const { fixture, result } of runs()) {
        const cacerts = k8sObject(result, "kubernetes:core/v1:Secret", "cacerts");
        assert.ok(isSecret(cacerts.inputs.stringData), "stringData is a Pulumi secret");
        assert.equal(cacerts.inputs.data, undefined);
        assert.deepEqual(reveal(cacerts.inputs.stringData), caBundle(fixture.clusterName));
        assert.equal(reveal<{ metadata: { namespace: string } }>(cacerts.inputs).metadata.namespace, "istio-system");
      }
    });

    it("installs base, cni and istiod, pinned to the Istio version, from Istio's repository, with exact values", () => {
      for (const { fixture, result } of runs()) {
        const expected = {
          "istio-base": { chart: "base", values: baseValues("1-30-3") },
          "istio-cni": { chart: "cni", values: cniValues() },
          "istiod-1-30-3": {
            chart: "istiod",
            values: istiodValues({
              revision: "1-30-3",
              meshId: "burstmesh",
              trustDomain: "cluster.local",
              clusterName: fixture.clusterName,
              network: fixture.network,
            }),
          },
        };
        for (const [name, { chart, values }] of Object.entries(expected)) {
          const inputs = reveal<Record<string, unknown>>(release(result, name).inputs);
          assert.equal(inputs.chart, chart);
          assert.equal(inputs.version, istioVersion);
          assert.deepEqual(inputs.repositoryOpts, { repo: istioChartRepo });
          assert.equal(istioChartRepo, "https://istio-release.storage.googleapis.com/charts");
          assert.equal(inputs.namespace, "istio-system");
          assert.deepEqual(inputs.values, values);
        }
        const istiod = reveal<{ values: { global: Record<string, unknown>; meshConfig: unknown } }>(
          release(result, "istiod-1-30-3").inputs,
        ).values;
        assert.deepEqual(istiod.global, {
          meshID: "burstmesh",
          multiCluster: { clusterName: fixture.clusterName },
          network: fixture.network,
          proxy: { seccompProfile: { type: "RuntimeDefault" } },
        });
        assert.deepEqual(istiod.meshConfig, {
          trustDomain: "cluster.local",
          defaultConfig: { proxyMetadata: { PROXY_CONFIG_XDS_AGENT: "true" } },
        });
      }
    });

    it("creates istiod after the namespace, cacerts and base, beside the CNI agent; base and cni after the namespace", () => {
      for (const { result } of runs()) {
        const namespace = k8sObject(result, "kubernetes:core/v1:Namespace", "istio-system");
        const cacerts = k8sObject(result, "kubernetes:core/v1:Secret", "cacerts");
        const base = release(result, "istio-base");
        const cni = release(result, "istio-cni");
        const istiod = release(result, "istiod-1-30-3");
        for (const dependency of [namespace, cacerts, base]) {
          assert.ok(istiod.dependencies.includes(dependency.urn), `istiod depends on ${dependency.name}`);
        }
        assert.ok(!istiod.dependencies.includes(cni.urn), "istiod does not wait for the CNI agent");
        assert.ok(base.dependencies.includes(namespace.urn), "base depends on the namespace");
        assert.ok(cni.dependencies.includes(namespace.urn), "cni depends on the namespace");
      }
    });

    it("enforces STRICT mTLS mesh-wide, built from the typed model, after istiod", () => {
      for (const { result } of runs()) {
        const peerAuthentication = only(
          result,
          (r) => r.type === "kubernetes:security.istio.io/v1:PeerAuthentication",
          "PeerAuthentication",
        );
        assert.deepEqual(reveal(peerAuthentication.inputs), meshPeerAuthentication());
        assert.ok(peerAuthentication.dependencies.includes(release(result, "istiod-1-30-3").urn));
      }
    });
  });
});
