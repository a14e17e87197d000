import { strict as assert } from "node:assert";
import { istioDashboards, prometheusDatasource } from "../../../components/observability/dashboards";
import { consoleService, dashboardBytesPerProvider, dashboardProviders, grafanaValues } from "../../../components/observability/grafana";
import { members, observed, intermediateCertValidityHours, dashboards } from "../../support/observability";

// --- PromQL: parsed with the official grammar, checked against what Istio 1.30 emits ---------------

describe("components/observability/grafana: Grafana values", () => {
  describe("Grafana values", () => {
    const values = grafanaValues({
      observer: "eks",
      members,
      istioVersion: "1.30.3",
      services: observed,
      intermediateCertValidityHours,
      cloud: "aws",
      internalLoadBalancer: false,
    }) as any;

    it("read the observer's federated Prometheus as the only data source", () => {
      const [datasource, ...others] = values.datasources["datasources.yaml"].datasources;
      assert.equal(others.length, 0);
      assert.equal(datasource.url, "http://prometheus-eks.observability.svc.cluster.local:9090");
      assert.equal(datasource.uid, prometheusDatasource.uid);
    });

    it("provision Istio's mesh, service, workload and control-plane dashboards from the Istio release", () => {
      assert.deepEqual(Object.keys(values.dashboards.istio), Object.keys(istioDashboards));
      assert.equal(
        values.dashboards.istio["istio-mesh"].url,
        "https://raw.githubusercontent.com/istio/istio/1.30.3/manifests/addons/dashboards/istio-mesh-dashboard.gen.json",
      );
      const paths = values.dashboardProviders["dashboardproviders.yaml"].providers.map((p: any) => p.name);
      assert.deepEqual(paths, Object.keys(values.dashboards));
    });

    it("provision one Overflow dashboard per service as JSON", () => {
      assert.deepEqual(Object.keys(values.dashboards.burstmesh), ["overflow-podinfo", "overflow-checkout"]);
      assert.deepEqual(JSON.parse(values.dashboards.burstmesh["overflow-podinfo"].json), dashboards[0]);
    });

    it("stay off public load balancers: ClusterIP, or an internal load balancer on request", () => {
      assert.equal(values.service.type, "ClusterIP");
      assert.deepEqual(consoleService("aws", true), {
        type: "LoadBalancer",
        annotations: { "service.beta.kubernetes.io/aws-load-balancer-internal": "true" },
      });
      assert.deepEqual(consoleService("azure", true), {
        type: "LoadBalancer",
        annotations: { "service.beta.kubernetes.io/azure-load-balancer-internal": "true" },
      });
    });
  });

  describe("the burstmesh dashboards' providers", () => {
    const dashboard = (name: string, kilobytes: number): [string, string] => [name, "x".repeat(kilobytes * 1024)];

    it("keep every dashboard in the one burstmesh provider while they fit a ConfigMap", () => {
      assert.deepEqual(Object.keys(dashboardProviders([dashboard("a", 10), dashboard("b", 10)])), ["burstmesh"]);
    });

    it("open burstmesh-2, burstmesh-3… in order when the JSON would pass the ConfigMap's size, each under the budget", () => {
      const providers = dashboardProviders([dashboard("a", 400), dashboard("b", 400), dashboard("c", 400), dashboard("d", 100)]);
      assert.deepEqual(
        Object.entries(providers).map(([name, held]) => [name, Object.keys(held)]),
        [
          ["burstmesh", ["a", "b"]],
          ["burstmesh-2", ["c", "d"]],
        ],
      );
      for (const held of Object.values(providers)) {
        const bytes = Object.values(held).reduce((total, entry) => total + entry.json.length, 0);
        assert.ok(bytes <= dashboardBytesPerProvider, `${bytes} bytes`);
      }
      assert.throws(
        () => dashboardProviders([dashboard("huge", 1000)]),
        /the dashboard 'huge' alone is 1024000 bytes, more than a ConfigMap holds/,
      );
    });

    it("each get a provider entry reading its own folder of the pod, in Grafana's burstmesh folder", () => {
      const many = Array.from({ length: 120 }, (_, index) => ({ ...observed[0]!, name: `svc-${index}` }));
      const values = grafanaValues({
        observer: "eks",
        members,
        istioVersion: "1.30.3",
        services: many,
        intermediateCertValidityHours,
        cloud: "aws",
        internalLoadBalancer: false,
      }) as any;
      const providers = values.dashboardProviders["dashboardproviders.yaml"].providers as {
        name: string;
        folder: string;
        options: { path: string };
      }[];
      const burstmesh = providers.filter((entry) => entry.folder === "burstmesh");
      assert.ok(burstmesh.length >= 2, `${burstmesh.length} providers for 120 dashboards`);
      assert.deepEqual(
        providers.map((entry) => entry.name),
        Object.keys(values.dashboards),
      );
      for (const entry of providers) assert.equal(entry.options.path, `/var/lib/grafana/dashboards/${entry.name}`);
      assert.equal(burstmesh.flatMap((entry) => Object.keys(values.dashboards[entry.name])).length, 120);
    });
  });
});
