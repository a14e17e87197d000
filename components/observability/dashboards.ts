import { alertNames, intermediateCaThresholds } from "./alerts";
import { istioScrapeJob } from "./prometheus";
import {
  clientServiceUnavailable,
  crossClusterShare,
  firingAlerts,
  intermediateCaSecondsLeft,
  latencyQuantile,
  ObservedService,
  podOverflows,
  podsPerCluster,
  retries,
  servedShareByCluster,
} from "./promql";

/**
 * The Grafana dashboards: Istio's standard ones, provisioned from the Istio release the mesh runs, and
 * one burstmesh Overflow dashboard per service, built here as JSON for the pinned Grafana.
 */

/** The provisioned Prometheus data source every burstmesh panel reads (the observer's federated Prometheus). */
export const prometheusDatasource = { type: "prometheus", uid: "burstmesh-prometheus" } as const;

/**
 * Dashboard JSON schema version: Grafana migrates anything from 9 up to its latest on load (42 in
 * Grafana 12 and 13, apps/dashboard/pkg/migration/schemaversion); 41 is what Grafana 12.0 and later
 * write without a migration.
 */
export const dashboardSchemaVersion = 41;

/** Istio's standard dashboards, as files of manifests/addons/dashboards in the Istio release. */
export const istioDashboards = {
  "istio-mesh": "istio-mesh-dashboard.gen.json",
  "istio-service": "istio-service-dashboard.json",
  "istio-workload": "istio-workload-dashboard.json",
  "istio-control-plane": "pilot-dashboard.gen.json",
} as const;

/**
 * Where Grafana's init container downloads an Istio dashboard: the file at the exact Istio release tag,
 * so the dashboards match the proxies' metrics and change only with `burstmesh:istioVersion`. The
 * dashboards pick their data source through their own `datasource` variable (the default one).
 */
export function istioDashboardUrl(istioVersion: string, file: string): string {
  return `https://raw.githubusercontent.com/istio/istio/${istioVersion}/manifests/addons/dashboards/${file}`;
}

/** The Overflow dashboard's panel titles, in order; the drill's report and the docs name them. */
export const overflowPanels = {
  servedShare: "Requests served per cluster",
  crossCluster: "Served by another cluster than the client's",
  unavailable: "503s and retries",
  latency: "Latency p50 / p99: local vs cross-cluster",
  pods: "Pods per cluster",
  alerts: "Firing burstmesh alerts",
  intermediateCa: "Intermediate CA time left",
} as const;

interface Target {
  refId: string;
  expr: string;
  legendFormat: string;
  datasource: typeof prometheusDatasource;
  instant?: boolean;
  range?: boolean;
}

interface Panel {
  id: number;
  type: "timeseries" | "table" | "stat";
  title: string;
  description: string;
  datasource: typeof prometheusDatasource;
  gridPos: { x: number; y: number; w: number; h: number };
  fieldConfig: { defaults: Record<string, unknown>; overrides: unknown[] };
  options: Record<string, unknown>;
  targets: Target[];
}

export interface Dashboard {
  uid: string;
  title: string;
  tags: string[];
  schemaVersion: number;
  editable: boolean;
  refresh: string;
  time: { from: string; to: string };
  timezone: string;
  templating: { list: unknown[] };
  annotations: { list: unknown[] };
  links: unknown[];
  panels: Panel[];
}

/** The Overflow dashboard's title for a service. */
function overflowDashboardTitle(serviceName: string): string {
  return `burstmesh Overflow: ${serviceName}`;
}

/** Where the drill's split shows live: the Overflow dashboard's first panel, in the observer's Grafana. */
export function livePanel(serviceName: string): string {
  return `Grafana, dashboard "${overflowDashboardTitle(serviceName)}", panel "${overflowPanels.servedShare}"`;
}

/** The Overflow dashboard's UID for a service (Grafana UIDs: at most 40 characters). */
function overflowDashboardUid(serviceName: string): string {
  return `burstmesh-overflow-${serviceName}`.slice(0, 40);
}

/** A panel before layout: what it shows and how. */
interface PanelSpec {
  title: string;
  description: string;
  type: Panel["type"];
  /** Grafana unit of the values (timeseries). */
  unit?: string;
  /** Stack the series (shares that add up to 100%). */
  stacked?: boolean;
  /** Query the current value once instead of a range (table, stat). */
  instant?: boolean;
  /** Colours of a stat's values: each from its lower bound up, the first from minus infinity (`null`). */
  thresholds?: { color: string; value: number | null }[];
  queries: { expr: string; legendFormat: string }[];
}

const refIds = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const panelSize = { w: 12, h: 9 } as const;

/** Field defaults and options of each panel type. */
function display(spec: PanelSpec): Pick<Panel, "options"> & { fieldDefaults: Record<string, unknown> } {
  switch (spec.type) {
    case "timeseries":
      return {
        fieldDefaults: {
          unit: spec.unit,
          custom: { fillOpacity: 10, showPoints: "never", ...(spec.stacked ? { stacking: { mode: "normal", group: "A" } } : {}) },
        },
        options: {
          legend: { displayMode: "table", placement: "bottom", calcs: ["lastNotNull", "max"] },
          tooltip: { mode: "multi", sort: "desc" },
        },
      };
    case "stat":
      return {
        fieldDefaults: { unit: spec.unit, color: { mode: "thresholds" }, thresholds: { mode: "absolute", steps: spec.thresholds ?? [] } },
        options: {
          reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false },
          colorMode: "background",
          graphMode: "none",
          textMode: "value_and_name",
          justifyMode: "auto",
          orientation: "auto",
        },
      };
    case "table":
      return { fieldDefaults: {}, options: { showHeader: true } };
  }
}

/** A panel in a two-column grid, in reading order. */
function layOut(spec: PanelSpec, index: number): Panel {
  const { fieldDefaults, options } = display(spec);
  return {
    id: index + 1,
    type: spec.type,
    title: spec.title,
    description: spec.description,
    datasource: prometheusDatasource,
    gridPos: { x: (index % 2) * panelSize.w, y: Math.floor(index / 2) * panelSize.h, ...panelSize },
    fieldConfig: { defaults: fieldDefaults, overrides: [] },
    options,
    targets: spec.queries.map((query, queryIndex) => ({
      refId: refIds[queryIndex]!,
      ...query,
      datasource: prometheusDatasource,
      ...(spec.instant ? { instant: true, range: false } : {}),
    })),
  };
}

/**
 * The Overflow dashboard of one service; `members` are the clusters whose clients it breaks down, and
 * `intermediateCertValidityHours` (`burstmesh:intermediateCertValidityHours`) says when the
 * intermediate CAs are due for renewal, and when overdue, as the alert reckons it.
 */
export function overflowDashboard(service: ObservedService, members: readonly string[], intermediateCertValidityHours: number): Dashboard {
  const { dueSeconds, overdueSeconds } = intermediateCaThresholds(intermediateCertValidityHours);
  const specs: PanelSpec[] = [
    {
      title: overflowPanels.servedShare,
      description: `Share of ${service.host}'s requests answered by each cluster (client-side view). Home is ${service.homeCluster}; anything else is overflow.`,
      type: "timeseries",
      unit: "percentunit",
      stacked: true,
      queries: [{ expr: servedShareByCluster(service), legendFormat: "{{destination_cluster}}" }],
    },
    {
      title: overflowPanels.crossCluster,
      description:
        "Per client cluster, the share of requests answered by a cluster other than the client's own (source_cluster != destination_cluster).",
      type: "timeseries",
      unit: "percentunit",
      queries: members.map((member) => ({ expr: crossClusterShare(service, member), legendFormat: `clients in ${member}` })),
    },
    {
      title: overflowPanels.unavailable,
      description:
        "503s the clients got, 503s full pods answered at once (UO: their per-pod limit, what the retries react to), and retries (attempts that reached a server minus client requests).",
      type: "timeseries",
      unit: "reqps",
      queries: [
        { expr: clientServiceUnavailable(service), legendFormat: "503 to clients from {{destination_cluster}}" },
        { expr: podOverflows(service), legendFormat: "pods full (503 UO) in {{destination_cluster}}" },
        { expr: retries(service), legendFormat: "retries" },
      ],
    },
    {
      title: overflowPanels.latency,
      description:
        "Client-side latency of requests answered in the client's own cluster against those answered by another cluster, per client cluster.",
      type: "timeseries",
      unit: "ms",
      queries: members.flatMap((member) =>
        ([0.5, 0.99] as const).flatMap((quantile) =>
          (["local", "elsewhere"] as const).map((answeredBy) => ({
            expr: latencyQuantile(service, quantile, member, answeredBy),
            legendFormat: `p${quantile * 100} ${answeredBy === "local" ? "local" : "cross-cluster"} (clients in ${member})`,
          })),
        ),
      ),
    },
    {
      title: overflowPanels.pods,
      description: `${service.name} pods per cluster (one Istio proxy each), serving or not.`,
      type: "timeseries",
      unit: "short",
      queries: [{ expr: podsPerCluster(service), legendFormat: "{{cluster}}" }],
    },
    {
      title: overflowPanels.alerts,
      description: "The burstmesh alert rules firing now (the observer's Prometheus evaluates them over every member).",
      type: "table",
      instant: true,
      queries: [{ expr: firingAlerts(Object.values(alertNames)), legendFormat: "{{alertname}}" }],
    },
    {
      title: overflowPanels.intermediateCa,
      description:
        `Per cluster, how long the intermediate CA its istiod signs with is still valid. Orange once it is due for renewal (${dueSeconds / 3600} hours left: ` +
        `the trust stack's next up renews it); red once the renewal is overdue (${alertNames.intermediateCaRenewalOverdue}).`,
      type: "stat",
      unit: "s",
      instant: true,
      thresholds: [
        { color: "red", value: null },
        { color: "orange", value: overdueSeconds },
        { color: "green", value: dueSeconds },
      ],
      queries: [{ expr: intermediateCaSecondsLeft(istioScrapeJob), legendFormat: "{{cluster}}" }],
    },
  ];

  return {
    uid: overflowDashboardUid(service.name),
    title: overflowDashboardTitle(service.name),
    tags: ["burstmesh", "overflow", "istio"],
    schemaVersion: dashboardSchemaVersion,
    editable: false,
    refresh: "10s",
    time: { from: "now-30m", to: "now" },
    timezone: "browser",
    templating: { list: [] },
    annotations: { list: [] },
    links: [],
    panels: specs.map(layOut),
  };
}
