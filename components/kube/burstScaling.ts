/**
 * How every HorizontalPodAutoscaler burstmesh makes scales (its `spec.behavior`): the services' HPAs
 * and, through their charts' `autoscaleBehavior` values, istiod's and the east-west gateway's. One
 * definition, so that every HPA in the mesh reacts to a burst the same way.
 */

/** The `behavior` of an `autoscaling/v2` HorizontalPodAutoscaler (the fields set here). */
interface HpaBehavior {
  scaleUp: HpaScalingRules;
  scaleDown: HpaScalingRules;
}

interface HpaScalingRules {
  stabilizationWindowSeconds: number;
  selectPolicy: "Max" | "Min" | "Disabled";
  policies: { type: "Percent" | "Pods"; value: number; periodSeconds: number }[];
}

/** How often the HPA controller may act on a scale-up policy; also the controller's default sync period. */
const scaleUpPeriodSeconds = 15;

/** How long a lower recommendation must hold before the HPA scales down: a shrinking overflow does not flap. */
const scaleDownStabilizationSeconds = 300;

/**
 * Scale-up acts on the first sample (no stabilization) and may at least double the pods every 15 s
 * (100 %), or add 4, whichever is more. These equal Kubernetes' defaults, written out so that no chart
 * default or API default can change them unseen. The policy is a ceiling, not the pace: the HPA asks
 * for pods x utilisation / target, and a pod at its in-flight limit does no more work (the excess gets
 * cheap 503s), so its CPU stops rising with the load and each step grows the pods by what that CPU
 * asks for; the warm standby carries the rest meanwhile (docs/capacity.md). Scale-down waits for five minutes of lower recommendations
 * and then removes at most half of the pods a minute, so the overflow to the other cloud shrinks
 * while the home pods are still there to take the traffic back.
 */
export function burstHpaBehavior(): HpaBehavior {
  return {
    scaleUp: {
      stabilizationWindowSeconds: 0,
      selectPolicy: "Max",
      policies: [
        { type: "Percent", value: 100, periodSeconds: scaleUpPeriodSeconds },
        { type: "Pods", value: 4, periodSeconds: scaleUpPeriodSeconds },
      ],
    },
    scaleDown: {
      stabilizationWindowSeconds: scaleDownStabilizationSeconds,
      selectPolicy: "Max",
      policies: [{ type: "Percent", value: 50, periodSeconds: 60 }],
    },
  };
}
