import {
  eastWestGatewayDown,
  ObservedService,
  overflowErrorShare,
  overflowShare,
  peerPrometheusUnreachable,
  remoteClusterNotSynced,
} from "./promql";
import { federationJob, istioScrapeJob } from "./prometheus";

/**
 * The alert rules, as Prometheus rule groups (the `groups` of a rule file, the same shape as a
 * PrometheusRule's `spec.groups`). The observer's Prometheus evaluates them over every member's
 * series; the Overflow dashboard shows the ones firing.
 */

interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  labels: Record<string, string>;
  annotations: { summary: string; description: string };
}

export interface RuleGroup {
  name: string;
  rules: AlertRule[];
}

export const alertNames = {
  sustainedOverflow: "BurstmeshSustainedOverflow",
  overflowTargetFailing: "BurstmeshOverflowTargetFailing",
  remoteClusterUnreachable: "BurstmeshRemoteClusterUnreachable",
  eastWestGatewayDown: "BurstmeshEastWestGatewayDown",
  peerPrometheusUnreachable: "BurstmeshPeerPrometheusUnreachable",
} as const;

/** Share of a service's requests answered away from home above which it counts as overflowing. */
const overflowShareThreshold = 0.05;
/** Share of 5xx among the answers from away above which the other cloud counts as failing. */
const overflowErrorThreshold = 0.05;

/** What the rules depend on. */
interface AlertSettings {
  /** The overflow-mode services (the other modes cross clusters by design). */
  services: readonly ObservedService[];
  /** How long overflow must last before the sustained-overflow alert fires (a Prometheus duration). */
  sustainedOverflowFor: string;
}

/** The burstmesh rule groups: one per overflow service, and one for the mesh itself. */
export function alertRuleGroups(settings: AlertSettings): RuleGroup[] {
  const serviceGroups = settings.services.map((service) => {
    const labels = { service: service.name, destination_service: service.host, home_cluster: service.homeCluster };
    return {
      name: `burstmesh-overflow-${service.name}`,
      rules: [
        {
          alert: alertNames.sustainedOverflow,
          expr: `${overflowShare(service)} > ${overflowShareThreshold}`,
          for: settings.sustainedOverflowFor,
          labels: { severity: "warning", ...labels },
          annotations: {
            summary: `${service.name} has been overflowing out of ${service.homeCluster} for ${settings.sustainedOverflowFor}`,
            description:
              `More than ${percent(overflowShareThreshold)} of ${service.host}'s requests are answered outside ${service.homeCluster}. ` +
              "Sustained bursting costs cross-cloud latency and egress: raise the home capacity (home.maxReplicas, node pool).",
          },
        },
        {
          alert: alertNames.overflowTargetFailing,
          expr: `${overflowErrorShare(service)} > ${overflowErrorThreshold}`,
          for: "5m",
          labels: { severity: "critical", ...labels },
          annotations: {
            summary: `The clusters taking ${service.name}'s overflow are failing`,
            description:
              `More than ${percent(overflowErrorThreshold)} of the answers to ${service.host} from outside ${service.homeCluster} are 5xx ` +
              "while it overflows: the other cloud cannot absorb the excess. Check its pods, its east-west gateway and the overflow drill.",
          },
        },
      ],
    };
  });
  const mesh: RuleGroup = {
    name: "burstmesh-mesh",
    rules: [
      {
        alert: alertNames.remoteClusterUnreachable,
        expr: remoteClusterNotSynced(),
        for: "5m",
        labels: { severity: "critical" },
        annotations: {
          summary: "istiod in {{ $labels.cluster }} is not in sync with remote cluster {{ $labels.exported_cluster }}",
          description:
            "istiod_remote_cluster_sync_status has not been 'synced' for 5 minutes: istiod cannot read the peer's API server " +
            "(remote secret, reader token, apiAllowedCidrs), so the peer's endpoints are stale and overflow may have nowhere to go.",
        },
      },
      {
        alert: alertNames.eastWestGatewayDown,
        expr: eastWestGatewayDown(istioScrapeJob),
        for: "2m",
        labels: { severity: "critical" },
        annotations: {
          summary: "No east-west gateway pod is up in {{ $labels.cluster }}",
          description: "Cross-network traffic into {{ $labels.cluster }} has no way in: nothing can overflow to it.",
        },
      },
      {
        alert: alertNames.peerPrometheusUnreachable,
        expr: peerPrometheusUnreachable(federationJob),
        for: "5m",
        labels: { severity: "warning" },
        annotations: {
          summary: "The observer cannot federate {{ $labels.instance }}",
          description: "The federated view is missing a member's series; its panels and alerts are blind to it.",
        },
      },
    ],
  };
  return [...serviceGroups, mesh];
}

function percent(share: number): string {
  return `${Math.round(share * 100)}%`;
}
