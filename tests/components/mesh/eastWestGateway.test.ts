/**
 * The mesh components (IstioPrimary, EastWestGateway, ReaderToken, RemoteSecret): their pure builders
 * directly, then the components themselves under Pulumi mocks, one EKS and one AKS cluster, wired to
 * each other the way the cluster stacks wire peers.
 */
import { strict as assert } from "node:assert";
import { istioChartRepo } from "../../../components/charts/pinned";
import { loadBalancerAddress } from "../../../components/mesh/eastWestGateway";
import { crossNetworkGateway, meshPeerAuthentication } from "../../../components/mesh/objects";
import { awsNlbAnnotations, eastWestGatewayValues } from "../../../components/mesh/values";
import { reveal } from "../../support/harness";
import { istioVersion, eks, aks, Run, only, release, sourceRangesOf, meshComponentRuns } from "../../support/meshComponents";
describe("components/mesh/eastWestGateway: EastWestGateway", () => {
  let eksRun: Run;
  let aksRun: Run;

  before(async () => {
    ({ eksRun, aksRun } = await meshComponentRuns());
  });

  const runs = () => [
    { fixture: eks, result: eksRun },
    { fixture: aks, result: aksRun },
  ];

  it("load-balancer address: hostname first, else IP, else nothing", () => {
    assert.equal(
      loadBalancerAddress({ loadBalancer: { ingress: [{ hostname: "a.elb.amazonaws.com", ip: "1.2.3.4" }] } } as never),
      "a.elb.amazonaws.com",
    );
    assert.equal(loadBalancerAddress({ loadBalancer: { ingress: [{ ip: "20.1.2.3" }] } } as never), "20.1.2.3");
    assert.equal(loadBalancerAddress({ loadBalancer: { ingress: [] } } as never), undefined);
    assert.equal(loadBalancerAddress(undefined), undefined);
  });

  describe("EastWestGateway", () => {
    it("installs the gateway chart as istio-eastwestgateway, pinned, with the exact values for the cloud, after istiod", () => {
      for (const { fixture, result } of runs()) {
        const gateway = release(result, "istio-eastwestgateway");
        const inputs = reveal<Record<string, unknown>>(gateway.inputs);
        assert.equal(inputs.chart, "gateway");
        assert.equal(inputs.version, istioVersion);
        assert.deepEqual(inputs.repositoryOpts, { repo: istioChartRepo });
        assert.equal(inputs.namespace, "istio-system");
        assert.deepEqual(
          inputs.values,
          eastWestGatewayValues({
            revision: "1-30-3",
            network: fixture.network,
            cloud: fixture.cloud,
            sourceRanges: sourceRangesOf(fixture),
          }),
        );
        assert.ok(gateway.dependencies.includes(release(result, "istiod-1-30-3").urn), "gateway after istiod");
      }
    });

    it("asks for the NLB on aws only", () => {
      const annotations = (run: Run) =>
        reveal<{ values: { service: { annotations: Record<string, string> } } }>(release(run, "istio-eastwestgateway").inputs).values
          .service.annotations;
      assert.deepEqual(annotations(eksRun), awsNlbAnnotations());
      assert.equal(annotations(eksRun)["service.beta.kubernetes.io/aws-load-balancer-type"], "nlb");
      assert.deepEqual(annotations(aksRun), {});
    });

    it("creates the cross-network Gateway from the typed model, after istiod", () => {
      for (const { result } of runs()) {
        const gateways = result.resources.filter((r) => r.type === "kubernetes:networking.istio.io/v1:Gateway");
        assert.equal(gateways.length, 1);
        assert.deepEqual(reveal(gateways[0]!.inputs), crossNetworkGateway());
        assert.ok(gateways[0]!.dependencies.includes(release(result, "istiod-1-30-3").urn));
      }
    });

    it("reads the gateway Service back and outputs its address: NLB hostname on aws, IP on azure", () => {
      for (const { result } of runs()) {
        const read = only(result, (r) => r.read && r.type === "kubernetes:core/v1:Service", "Service read");
        assert.equal(read.provider.split("::")[3], `${result === eksRun ? "eks" : "aks"}-k8s`);
      }
      assert.match(eksRun.outputs.address!.value as string, /^a[0-9a-f]{31}-[0-9a-f]{16}\.elb\.eu-central-1\.amazonaws\.com$/);
      assert.match(aksRun.outputs.address!.value as string, /^20\.\d{1,3}\.\d{1,3}\.\d{1,3}$/);
    });
  });

  it("builds every Istio object it creates from the typed models", () => {
    for (const { result } of runs()) {
      const istio = result.resources.filter((r) => /^kubernetes:[a-z.]+\.istio\.io\//.test(r.type));
      assert.deepEqual(
        istio.map((r) => reveal(r.inputs)).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
        [crossNetworkGateway(), meshPeerAuthentication()].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
      );
    }
  });
});
