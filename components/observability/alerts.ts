import { earlyRenewalHours } from "../trust/sharedCa";
import {
  eastWestGatewayDown,
  intermediateCaSecondsLeft,
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
  intermediateCaRenewalOverdue: "BurstmeshIntermediateCaRenewalOverdue",
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
  /** `burstmesh:intermediateCertValidityHours`: when the intermediates renew, and so when a renewal is overdue. */
  intermediateCertValidityHours: number;
}

/**
 * Seconds left on an intermediate CA at which its renewal is due, and at which it is overdue. Due:
 * the trust stack's first `up` once a third of the validity remains replaces it (earlyRenewalHours).
 * Overdue: a quarter of that window has passed and istiod still signs with it, so no `up` has renewed
 * it, or the cluster stack has not written the new `cacerts`, or istiod has not loaded them. Not
 * earlier, since nothing renews between deploys and a team may deploy monthly; not later, since three
 * quarters of the window are left to act (182 days of the default two-year validity).
 */
export function intermediateCaThresholds(validityHours: number): { dueSeconds: number; overdueSeconds: number } {
  const renewalHours = earlyRenewalHours(validityHours);
  return { dueSeconds: renewalHours * 3600, overdueSeconds: Math.floor((renewalHours * 3) / 4) * 3600 };
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
      intermediateCaRenewalOverdue(settings.intermediateCertValidityHours),
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

/** The rule for an intermediate CA whose renewal is overdue (see {@link intermediateCaThresholds}). */
function intermediateCaRenewalOverdue(validityHours: number): AlertRule {
  const { dueSeconds, overdueSeconds } = intermediateCaThresholds(validityHours);
  return {
    alert: alertNames.intermediateCaRenewalOverdue,
    expr: `${intermediateCaSecondsLeft(istioScrapeJob)} < ${overdueSeconds}`,
    for: "1h",
    labels: { severity: "warning" },
    annotations: {
      summary:
        "The intermediate CA istiod signs with in {{ $labels.cluster }} expires in {{ $value | humanizeDuration }}: its renewal is overdue",
      description:
        `It was due for renewal when ${dueSeconds / 3600} hours were left. Run 'npm run mesh -- up': the trust stack renews the ` +
        "intermediate (same key, same root), then the cluster stack writes the new cacerts Secret, which istiod reloads by itself. " +
        "If that has run, check istiod's log for 'Update Istiod cacerts'; after a renewal of the root, istiod loads neither certificate " +
        "until it restarts (kubectl -n istio-system rollout restart deployment/istiod).",
    },
  };
}

function percent(share: number): string {
  return `${Math.round(share * 100)}%`;
}
