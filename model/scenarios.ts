/**
 * The questions a user asks the model: what share stays home, spills and fails at a steady load
 * (`sweep`), what happens through a surge while both HPAs scale (`surge`), and how many standby
 * pods keep a surge's failures under a budget (`standbyForSurge`).
 */
import type { ServicePolicy } from "./policy";
import { SeriesPoint, simulate, SimulationResult } from "./simulate";

/** How the service behaves per request, and how the simulation is sized. */
export interface Workload {
  /** Mean service time of one request, seconds. */
  serviceTimeSeconds: number;
  /** Client sidecars in the home cluster. */
  clients: number;
  /** From the HPA's decision to a ready endpoint (more where nodes must be added first). */
  podStartSeconds?: number;
  seed: number;
}

/** One sweep row: shares of offered requests at a steady load. */
export interface SweepRow {
  /** Offered load as a multiple of home capacity. */
  load: number;
  home: number;
  remote: number;
  failed: number;
  /** The other clouds' capacity as a multiple of home capacity. */
  remoteCapacity: number;
}

/** The other clouds' capacity at their HPA ceiling, as a multiple of the home capacity at its ceiling. */
export function remoteCapacity(policy: ServicePolicy): number {
  return policy.standby.maxReplicas / policy.home.maxReplicas;
}

/** The steady state at each load with both clusters at their maxReplicas. */
export function sweep(policy: ServicePolicy, loads: number[], workload: Workload, measureSeconds: number): SweepRow[] {
  const warmupSeconds = 5 * workload.serviceTimeSeconds + 2 * policy.outlier.intervalSeconds;
  return loads.map((load) => {
    const { totals } = simulate({
      policy,
      ...workload,
      load: () => load,
      durationSeconds: warmupSeconds + measureSeconds,
      warmupSeconds,
      autoscale: false,
    });
    const share = (count: number) => (totals.offered > 0 ? count / totals.offered : 0);
    return {
      load,
      home: share(totals.home),
      remote: share(totals.remote),
      failed: share(totals.failed),
      remoteCapacity: remoteCapacity(policy),
    };
  });
}

/** A surge: steady at `from` for a minute, a linear ramp to `to`, held there. */
interface Surge {
  from: number;
  to: number;
  rampSeconds: number;
  holdSeconds: number;
}

/** Seconds at the starting load before the ramp begins. */
export const surgeLeadSeconds = 60;

function surgeProfile(surge: Surge): (time: number) => number {
  return (time) => {
    const intoRamp = time - surgeLeadSeconds;
    if (intoRamp <= 0) return surge.from;
    if (intoRamp >= surge.rampSeconds) return surge.to;
    return surge.from + ((surge.to - surge.from) * intoRamp) / surge.rampSeconds;
  };
}

interface SurgeResult {
  result: SimulationResult;
  /** Failed share of the requests offered during the ramp and the hold. */
  failed: number;
}

/** The time series through a surge, both HPAs scaling from what the starting load needs. */
export function surge(policy: ServicePolicy, shape: Surge, workload: Workload, bucketSeconds = 5): SurgeResult {
  const result = simulate({
    policy,
    ...workload,
    load: surgeProfile(shape),
    durationSeconds: surgeLeadSeconds + shape.rampSeconds + shape.holdSeconds,
    warmupSeconds: surgeLeadSeconds,
    autoscale: true,
    bucketSeconds,
  });
  const { offered, failed } = result.totals;
  return { result, failed: offered > 0 ? failed / offered : 0 };
}

/** The answer to "how many warm standby pods does this surge need?". */
interface StandbySizing {
  /** The smallest standby.minReplicas found that keeps failures under the budget, or undefined when none up to `limit` does. */
  minReplicas: number | undefined;
  /** Whether that many pods is more than standby.maxReplicas (which must then rise with it). */
  aboveMaxReplicas: boolean;
  /** The largest standby tried: enough pods to carry the whole final load without the home cluster. */
  limit: number;
  /** Failed share of the surge per standby.minReplicas tried, in the order tried. */
  tried: { minReplicas: number; failed: number }[];
}

/**
 * Bisects standby.minReplicas between 1 and what could carry the whole final load alone (raising
 * standby.maxReplicas with it where needed) for the smallest that keeps the surge's failures under
 * `budget`. Failures fall as the standby grows; where the simulation's noise makes that not quite
 * monotone, bisection finds one of the smallest.
 */
export function standbyForSurge(policy: ServicePolicy, shape: Surge, workload: Workload, budget = 0.01): StandbySizing {
  const limit = Math.max(policy.standby.maxReplicas, Math.ceil(policy.home.maxReplicas * shape.to));
  const tried: StandbySizing["tried"] = [];
  const failedWith = (minReplicas: number) => {
    const standby = { ...policy.standby, minReplicas, maxReplicas: Math.max(policy.standby.maxReplicas, minReplicas) };
    const { failed } = surge({ ...policy, standby }, shape, workload);
    tried.push({ minReplicas, failed });
    return failed;
  };
  if (failedWith(limit) >= budget) return { minReplicas: undefined, aboveMaxReplicas: false, limit, tried };
  let low = 0;
  let high = limit;
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (failedWith(middle) < budget) high = middle;
    else low = middle;
  }
  return { minReplicas: high, aboveMaxReplicas: high > policy.standby.maxReplicas, limit, tried };
}

/** Shares of one series point (fractions of the requests offered in it). */
export function pointShares(point: SeriesPoint): { home: number; remote: number; failed: number } {
  const offered = Math.max(1, point.offered);
  return { home: point.home / offered, remote: point.remote / offered, failed: point.failed / offered };
}
