import { strict as assert } from "node:assert";
import { istioDashboards, prometheusDatasource } from "../../../components/observability/dashboards";
import { consoleService, grafanaValues } from "../../../components/observability/grafana";
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
});
