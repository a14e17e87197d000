/**
 * The mesh components (IstioPrimary, EastWestGateway, ReaderToken, RemoteSecret): their pure builders
 * directly, then the components themselves under Pulumi mocks, one EKS and one AKS cluster, wired to
 * each other the way the cluster stacks wire peers.
 */
import { strict as assert } from "node:assert";
import { resourceMocks } from "./";
import { fakeReaderToken } from "./kubernetes";

describe("tests/support/mocks/kubernetes: the Kubernetes mock", () => {
  // --- the Kubernetes mock itself -------------------------------------------------------------------

  describe("mesh: the Kubernetes mock", () => {
    const readService = (provider: string) =>
      resourceMocks["kubernetes:core/v1:Service"]!({
        type: "kubernetes:core/v1:Service",
        name: "svc",
        inputs: {},
        id: "istio-system/istio-eastwestgateway",
        provider,
      }) as {
        status: { loadBalancer: { ingress: Record<string, string>[] } };
      };
    const ref = (types: string, name: string, stack = "unit") => `urn:pulumi:${stack}::burstmesh::${types}::${name}::${name}-id`;

    it("without a known kubeconfig, tells the cloud from the provider's name, then its parent types, then the stack", () => {
      assert.match(readService(ref("pulumi:providers:kubernetes", "aks-k8s")).status.loadBalancer.ingress[0]!.ip!, /^20\./);
      assert.match(
        readService(ref("pulumi:providers:kubernetes", "eks-k8s")).status.loadBalancer.ingress[0]!.hostname!,
        /\.elb\.[a-z0-9-]+\.amazonaws\.com$/,
      );
      assert.ok(readService(ref("burstmesh:clusters:AksCluster$pulumi:providers:kubernetes", "main")).status.loadBalancer.ingress[0]!.ip);
      assert.ok(readService(ref("pulumi:providers:kubernetes", "main", "eks")).status.loadBalancer.ingress[0]!.hostname);
    });

    it("refuses to guess: no provider, or a provider that names no cloud", () => {
      assert.throws(() => readService(""), /without an explicit Kubernetes provider/);
      assert.throws(() => readService(ref("pulumi:providers:kubernetes", "main", "dev")), /cannot tell the cloud/);
    });

    it("derives tokens from the cluster: the same cluster the same token, another cluster another", () => {
      assert.equal(fakeReaderToken("eks::eks-k8s"), fakeReaderToken("eks::eks-k8s"));
      assert.notEqual(fakeReaderToken("eks::eks-k8s"), fakeReaderToken("aks::aks-k8s"));
      assert.match(fakeReaderToken("x"), /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    });
  });
});
