import { strict as assert } from "node:assert";
import { chartNames, projectDefaults } from "../../config";
import { karpenterChart, observabilityCharts } from "../../components/charts/pinned";
import { ofType, RecordedResource, reveal, runStack, StackRun } from "../support/harness";
import { chartMirrors, mirroredFirstPass, MirroredPass } from "../support/mirrors";
import { withConfig } from "../support/stackFiles";

const key = "burstmesh:chartSources";
describe("chart sources under mocks: burstmesh:chartSources", () => {
  describe("a mesh whose charts come from mirrors, under mocks (OCI for all, a Helm repository for istiod)", function () {
    this.timeout(120_000);
    let pass: MirroredPass;

    before(async () => {
      pass = await mirroredFirstPass();
    });

    const releases = (run: StackRun) => ofType(run, "kubernetes:helm.sh/v3:Release");
    const inputsOf = (release: RecordedResource) => reveal<Record<string, unknown>>(release.inputs);
    /** The chart's name in its repository, whether the release names it by OCI reference or by name. */
    const chartOf = (release: RecordedResource) => String(inputsOf(release).chart).split("/").pop()!;

    it("a bad source stops the stack before any resource, naming its key", async () => {
      const failure = await runStack({ stack: "eks", config: withConfig("eks", { [key]: { all: "http://charts.example" } }) }).then(
        () => assert.fail("the run should fail"),
        (error: Error & { resources: RecordedResource[] }) => error,
      );
      assert.match(failure.message, /burstmesh:chartSources\.all: http:\/\/ is only for a loopback host/);
      assert.deepEqual(failure.resources, []);
    });

    for (const stack of ["eks", "aks"] as const) {
      it(`${stack}: every Helm release comes from its mirror, with the same chart, version, values and everything else`, () => {
        const upstream = releases(pass.upstream[stack]);
        const mirrored = releases(pass.mirrored[stack]);
        assert.deepEqual(
          mirrored.map((r) => r.name),
          upstream.map((r) => r.name),
        );
        for (const release of mirrored) {
          const { chart, repositoryOpts, ...rest } = inputsOf(release);
          const name = chartOf(release);
          if (name === "istiod") {
            assert.equal(chart, "istiod", release.name);
            assert.deepEqual(repositoryOpts, { repo: chartMirrors.istiod }, release.name);
          } else {
            assert.equal(chart, `${chartMirrors.all}/${name}`, release.name);
            assert.equal(repositoryOpts, undefined, `${release.name}: an oci:// chart needs no repository`);
          }
          const before = upstream.find((r) => r.name === release.name)!;
          assert.equal(chartOf(before), name, `${release.name} installs the same chart`);
          const { chart: _chart, repositoryOpts: _repository, ...beforeRest } = inputsOf(before);
          assert.deepEqual(rest, beforeRest, `${release.name}: only the chart's source differs`);
        }
      });
    }

    it("mirrors every chart burstmesh installs (eks installs them all), at the versions pinned upstream", () => {
      const installed = new Set([...releases(pass.mirrored.eks), ...releases(pass.mirrored.aks)].map(chartOf));
      assert.deepEqual([...installed].sort(), [...chartNames].sort());
      const versions = Object.fromEntries(releases(pass.mirrored.eks).map((r) => [chartOf(r), inputsOf(r).version]));
      const istioVersion = projectDefaults()["burstmesh:istioVersion"];
      assert.deepEqual(versions, {
        base: istioVersion,
        cni: istioVersion,
        istiod: istioVersion,
        gateway: istioVersion,
        "karpenter-crd": karpenterChart.version,
        karpenter: karpenterChart.version,
        prometheus: observabilityCharts.prometheus.version,
        grafana: observabilityCharts.grafana.version,
        "kiali-server": observabilityCharts.kiali.version,
      });
    });
  });
});
