import type { Cloud } from "../../config/schema";
import { ObservedService } from "./promql";
import { istioDashboards, istioDashboardUrl, overflowDashboard, prometheusDatasource } from "./dashboards";
import { federatedPrometheusUrl } from "./prometheus";

/** Where a dashboard provider reads its files inside the Grafana pod: the chart mounts each provider's ConfigMap there. */
const dashboardPath = (provider: string) => `/var/lib/grafana/dashboards/${provider}`;

/**
 * The most dashboard JSON one provider holds. The chart puts each provider's inline dashboards into
 * one ConfigMap, and the API server refuses a ConfigMap over 1 MiB; this leaves room for its keys
 * and metadata. An Overflow dashboard has a query per member (about 26 kB at ten members), so ten
 * members with fifty services need two.
 */
export const dashboardBytesPerProvider = 900 * 1024;

/**
 * The burstmesh dashboards in providers of at most `budget` bytes of JSON each, in order:
 * `burstmesh`, then `burstmesh-2`, `burstmesh-3`… (all in Grafana's burstmesh folder).
 */
export function dashboardProviders(
  dashboards: readonly [string, string][],
  budget = dashboardBytesPerProvider,
): Record<string, Record<string, { json: string }>> {
  const providers: Record<string, { json: string }>[] = [];
  let bytes = 0;
  for (const [name, json] of dashboards) {
    const size = Buffer.byteLength(json);
    if (size > budget) throw new Error(`the dashboard '${name}' alone is ${size} bytes, more than a ConfigMap holds (${budget})`);
    if (providers.length === 0 || bytes + size > budget) {
      providers.push({});
      bytes = 0;
    }
    providers[providers.length - 1]![name] = { json };
    bytes += size;
  }
  return Object.fromEntries(providers.map((dashboardsOf, index) => [index === 0 ? "burstmesh" : `burstmesh-${index + 1}`, dashboardsOf]));
}

/** Service type and annotations of a console (Grafana, Kiali): ClusterIP, or an internal load balancer on request. */
export function consoleService(cloud: Cloud, internalLoadBalancer: boolean): { type: string; annotations: Record<string, string> } {
  if (!internalLoadBalancer) return { type: "ClusterIP", annotations: {} };
  if (cloud === "existing") {
    throw new Error("an internal load balancer needs a known cloud (aws or azure); config rejects it for an existing observer");
  }
  // Both are read by the clouds' in-tree controllers that every EKS and AKS control plane runs.
  const internal: Record<string, string> =
    cloud === "aws"
      ? { "service.beta.kubernetes.io/aws-load-balancer-internal": "true" }
      : { "service.beta.kubernetes.io/azure-load-balancer-internal": "true" };
  return { type: "LoadBalancer", annotations: internal };
}

/** What the observer's Grafana shows, and how it is reached. */
export interface GrafanaSettings {
  /** The observer cluster, whose Prometheus is the data source. */
  observer: string;
  /** Every member: the Overflow dashboards break requests down by client cluster. */
  members: readonly string[];
  /** The Istio release whose dashboards are provisioned. */
  istioVersion: string;
  /** One Overflow dashboard per service. */
  services: readonly ObservedService[];
  /** `burstmesh:intermediateCertValidityHours`: the Overflow dashboards show when the intermediate CAs are due for renewal. */
  intermediateCertValidityHours: number;
  /** The observer's cloud, for the internal load balancer's annotation. */
  cloud: Cloud;
  /** An internal load balancer in front of Grafana instead of ClusterIP only. */
  internalLoadBalancer: boolean;
}

/**
 * Values of the grafana chart: the federated Prometheus as the only (default) data source, Istio's
 * dashboards downloaded from the Istio release at start-up, and the burstmesh Overflow dashboards
 * inline. The admin password is the chart's: generated into the `grafana` Secret, never in Pulumi state.
 */
export function grafanaValues(settings: GrafanaSettings): Record<string, unknown> {
  const provider = (name: string, folder: string) => ({
    name,
    orgId: 1,
    folder,
    type: "file",
    disableDeletion: true,
    editable: false,
    options: { path: dashboardPath(name) },
  });
  const burstmesh = dashboardProviders(
    settings.services.map((observed) => [
      `overflow-${observed.name}`,
      JSON.stringify(overflowDashboard(observed, settings.members, settings.intermediateCertValidityHours)),
    ]),
  );
  const service = consoleService(settings.cloud, settings.internalLoadBalancer);
  return {
    service: { type: service.type, port: 80, appProtocol: "http", annotations: service.annotations },
    testFramework: { enabled: false },
    datasources: {
      "datasources.yaml": {
        apiVersion: 1,
        datasources: [
          {
            name: "Prometheus",
            ...prometheusDatasource,
            access: "proxy",
            url: federatedPrometheusUrl(settings.observer),
            isDefault: true,
            editable: false,
            jsonData: { timeInterval: "15s" },
          },
        ],
      },
    },
    dashboardProviders: {
      "dashboardproviders.yaml": {
        apiVersion: 1,
        providers: [provider("istio", "Istio"), ...Object.keys(burstmesh).map((name) => provider(name, "burstmesh"))],
      },
    },
    dashboards: {
      istio: Object.fromEntries(
        Object.entries(istioDashboards).map(([name, file]) => [name, { url: istioDashboardUrl(settings.istioVersion, file) }]),
      ),
      ...burstmesh,
    },
  };
}
