/**
 * What the traffic model reads from the objects the program builds for one service (the Sidecar,
 * DestinationRule, VirtualService and HPA of components/traffic/serviceSpecs.ts), so that the model
 * and the deployment cannot drift apart: there is no second copy of the settings.
 */
import type { DestinationRule, Sidecar, VirtualService } from "./istioTypes";
import { durationSeconds } from "./units";
import { defaultOverprovisioningFactor, OutlierSettings } from "./envoy";

/** The objects of one service in one cluster, as plain values (what the builders return). */
export interface PolicyObjects {
  sidecar?: Sidecar;
  destinationRule: DestinationRule;
  virtualService: VirtualService;
  hpa: { spec: HpaSpec };
}

/** The HPA fields the model reads (autoscaling/v2). */
interface HpaSpec {
  minReplicas?: number;
  maxReplicas: number;
  metrics?: { containerResource?: { target?: { averageUtilization?: number } }; resource?: { target?: { averageUtilization?: number } } }[];
  behavior?: { scaleUp?: ScalingRules; scaleDown?: ScalingRules };
}

interface ScalingRules {
  stabilizationWindowSeconds?: number;
  selectPolicy?: "Max" | "Min" | "Disabled";
  policies?: { type: "Pods" | "Percent"; value: number; periodSeconds: number }[];
}

/** One cluster's pods as the HPA scales them. */
export interface Autoscaling {
  minReplicas: number;
  maxReplicas: number;
  targetUtilizationPercent: number;
  scaleUp: Required<Pick<ScalingRules, "stabilizationWindowSeconds" | "selectPolicy">> & {
    policies: NonNullable<ScalingRules["policies"]>;
  };
  scaleDown: Required<Pick<ScalingRules, "stabilizationWindowSeconds" | "selectPolicy">> & {
    policies: NonNullable<ScalingRules["policies"]>;
  };
}

/** Everything the simulation needs to know about a service's traffic policy. */
export interface ServicePolicy {
  /** Requests in flight per pod before its sidecar answers 503. */
  perPodCapacity: number;
  home: Autoscaling;
  standby: Autoscaling;
  /** Istio's `attempts`: retries (tries = retries + 1). */
  retries: number;
  /** Whether a 503 answer is retried (`retriable-status-codes` with 503, `5xx` or `gateway-error`). */
  retriesOn503: boolean;
  /** `retryRemoteLocalities`: Envoy's previous_priorities with update frequency 2. */
  retryRemoteLocalities: boolean;
  /** Whether the home cluster is one priority (failoverPriority starts with the network label). */
  homeIsOnePriority: boolean;
  outlier: OutlierSettings;
  panicThresholdPercent: number;
  overprovisioningFactor: number;
}

const networkLabel = "topology.istio.io/network";
/** Kubernetes' HPA defaults (autoscaling/v2 behavior). */
const defaultScaleUp = {
  stabilizationWindowSeconds: 0,
  selectPolicy: "Max" as const,
  policies: [
    { type: "Percent" as const, value: 100, periodSeconds: 15 },
    { type: "Pods" as const, value: 4, periodSeconds: 15 },
  ],
};
const defaultScaleDown = {
  stabilizationWindowSeconds: 300,
  selectPolicy: "Max" as const,
  policies: [{ type: "Percent" as const, value: 100, periodSeconds: 15 }],
};
/** Envoy's default cap on one ejection. */
const defaultMaxEjectionSeconds = 300;

/** Reads the policy from the home cluster's and a standby cluster's objects; explains what is missing. */
export function readPolicy(home: PolicyObjects, standby: PolicyObjects): ServicePolicy {
  const perPodCapacity = home.sidecar?.spec.inboundConnectionPool?.http?.http2MaxRequests;
  if (perPodCapacity === undefined) {
    throw new Error(
      "the service has no per-pod capacity (Sidecar inboundConnectionPool.http.http2MaxRequests): only overflow mode can be modelled",
    );
  }
  const trafficPolicy = home.destinationRule.spec.trafficPolicy;
  const outlier = trafficPolicy?.outlierDetection;
  if (!outlier) throw new Error("the DestinationRule has no outlierDetection: Istio would not enable locality load balancing");
  const retry = home.virtualService.spec.http?.[0]?.retries;
  const retryOn = (retry?.retryOn ?? "").split(",").map((token) => token.trim());
  const baseEjectionSeconds = seconds(outlier.baseEjectionTime ?? "30s");
  const consecutive5xx = outlier.consecutive5xxErrors ?? 5;
  return {
    perPodCapacity,
    home: autoscaling(home.hpa.spec),
    standby: autoscaling(standby.hpa.spec),
    retries: retry?.attempts ?? 2,
    retriesOn503: retryOn.some((token) => token === "503" || token === "5xx" || token === "gateway-error"),
    retryRemoteLocalities: retry?.retryRemoteLocalities === true,
    homeIsOnePriority: trafficPolicy?.loadBalancer?.localityLbSetting?.failoverPriority?.[0] === networkLabel,
    outlier: {
      consecutive5xx,
      consecutiveGatewayFailure: outlier.consecutiveGatewayErrors || undefined,
      splitExternalLocalOriginErrors: outlier.splitExternalLocalOriginErrors === true,
      consecutiveLocalOriginFailure: outlier.consecutiveLocalOriginFailures ?? 5,
      intervalSeconds: seconds(outlier.interval ?? "10s"),
      baseEjectionSeconds,
      maxEjectionSeconds: Math.max(defaultMaxEjectionSeconds, baseEjectionSeconds),
      maxEjectionPercent: outlier.maxEjectionPercent ?? 10,
    },
    panicThresholdPercent: outlier.minHealthPercent ?? 0,
    overprovisioningFactor: defaultOverprovisioningFactor,
  };
}

/**
 * The recipe burstmesh used before: the same objects with 5xx-driven ejection (5 consecutive 5xx,
 * 3 consecutive gateway errors, every pod ejectable, panic off). Kept so that the model can show
 * what it did under load.
 */
export function ejectionRecipe(objects: PolicyObjects): PolicyObjects {
  const trafficPolicy = objects.destinationRule.spec.trafficPolicy ?? {};
  const { interval, baseEjectionTime } = trafficPolicy.outlierDetection ?? {};
  return {
    ...objects,
    destinationRule: {
      ...objects.destinationRule,
      spec: {
        ...objects.destinationRule.spec,
        trafficPolicy: {
          ...trafficPolicy,
          outlierDetection: {
            consecutive5xxErrors: 5,
            consecutiveGatewayErrors: 3,
            interval,
            baseEjectionTime,
            maxEjectionPercent: 100,
            minHealthPercent: 0,
          },
        },
      },
    },
  };
}

function autoscaling(spec: HpaSpec): Autoscaling {
  const metric = spec.metrics?.[0];
  const target = metric?.containerResource?.target?.averageUtilization ?? metric?.resource?.target?.averageUtilization ?? 80;
  return {
    minReplicas: spec.minReplicas ?? 1,
    maxReplicas: spec.maxReplicas,
    targetUtilizationPercent: target,
    scaleUp: rules(spec.behavior?.scaleUp, defaultScaleUp),
    scaleDown: rules(spec.behavior?.scaleDown, defaultScaleDown),
  };
}

function rules(given: ScalingRules | undefined, defaults: Autoscaling["scaleUp"]): Autoscaling["scaleUp"] {
  return {
    stabilizationWindowSeconds: given?.stabilizationWindowSeconds ?? defaults.stabilizationWindowSeconds,
    selectPolicy: given?.selectPolicy ?? defaults.selectPolicy,
    policies: given?.policies ?? defaults.policies,
  };
}

/** Seconds in a Go duration such as 1m30s or 500ms. */
function seconds(duration: string): number {
  const value = durationSeconds(duration);
  if (value === undefined) throw new Error(`'${duration}' is not a duration such as 5s or 1m30s`);
  return value;
}
