import { strict as assert } from "node:assert";
import { istioChartRepo, karpenterChart, observabilityCharts, type PinnedChart } from "../../../components/charts/pinned";
import { chartSource } from "../../../components/charts/sources";
import { helmReleaseArgs } from "../../../components/kube/helmRelease";

const istiod: PinnedChart = { chart: "istiod", version: "1.30.3", repo: istioChartRepo };
const karpenter: PinnedChart = { chart: "karpenter", version: karpenterChart.version, repo: karpenterChart.registry };
describe("components/charts/sources: where a release gets its chart (burstmesh:chartSources)", () => {
  describe("where a release gets its chart (pure)", () => {
    it("without sources, from upstream: a Helm repository by name, an OCI registry by reference", () => {
      assert.deepEqual(chartSource(istiod), { chart: "istiod", repositoryOpts: { repo: istioChartRepo } });
      assert.deepEqual(chartSource(karpenter, {}), { chart: "oci://public.ecr.aws/karpenter/karpenter" });
    });

    it("an OCI mirror for all names every chart by its reference there, whatever its upstream is", () => {
      const sources = { all: "oci://registry.example/mirror" };
      assert.deepEqual(chartSource(istiod, sources), { chart: "oci://registry.example/mirror/istiod" });
      assert.deepEqual(chartSource(karpenter, sources), { chart: "oci://registry.example/mirror/karpenter" });
    });

    it("a Helm repository mirror for all looks every chart up by name, the OCI-hosted ones too", () => {
      const sources = { all: "https://charts.example/helm" };
      assert.deepEqual(chartSource(karpenter, sources), { chart: "karpenter", repositoryOpts: { repo: "https://charts.example/helm" } });
      assert.deepEqual(chartSource(observabilityCharts.kiali, sources), {
        chart: "kiali-server",
        repositoryOpts: { repo: "https://charts.example/helm" },
      });
    });

    it("a chart's own source wins over the one for all; the others keep the one for all", () => {
      const sources = { all: "oci://registry.example/mirror", istiod: "https://istio.example/charts" };
      assert.deepEqual(chartSource(istiod, sources), { chart: "istiod", repositoryOpts: { repo: "https://istio.example/charts" } });
      assert.deepEqual(chartSource(observabilityCharts.grafana, sources), { chart: "oci://registry.example/mirror/grafana" });
    });

    it("a chart's own source alone leaves every other chart upstream", () => {
      assert.deepEqual(chartSource(karpenter, { istiod: "https://istio.example/charts" }), {
        chart: "oci://public.ecr.aws/karpenter/karpenter",
      });
    });

    it("a release from a mirror keeps the pinned version and everything else", () => {
      const release = { name: "istiod", chart: istiod, namespace: "istio-system", values: { pilot: {} } };
      const upstream = helmReleaseArgs(release);
      const mirrored = helmReleaseArgs({ ...release, sources: { all: "oci://registry.example/mirror" } });
      assert.equal(mirrored.version, "1.30.3");
      assert.equal(mirrored.chart, "oci://registry.example/mirror/istiod");
      assert.equal(mirrored.repositoryOpts, undefined);
      const { chart: _upstreamChart, repositoryOpts: _upstreamRepository, ...upstreamRest } = upstream;
      const { chart: _mirroredChart, ...mirroredRest } = mirrored;
      assert.deepEqual(mirroredRest, upstreamRest);
    });
  });
});
