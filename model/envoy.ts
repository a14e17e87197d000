/**
 * Envoy's load-balancing arithmetic, as its sources compute it (load_balancer_impl.cc, the
 * previous_priorities retry plugin, outlier_detection_impl.cc): integer priority loads with the
 * overprovisioning factor, degraded hosts and panic; the retry plugin that skips priorities already
 * tried; locality weights scaled by health; and the outlier detector's ejection state machine.
 * Pure TypeScript, no I/O: the traffic simulation and the tests build on it.
 */

/** Envoy's default overprovisioning factor (1.4, kept as 140 in the source). */
export const defaultOverprovisioningFactor = 1.4;
/** Envoy's default panic threshold; Istio sets `minHealthPercent` instead (0 by default). */
const defaultPanicThresholdPercent = 50;

/** One priority level: its hosts, and how many of them are healthy or degraded. */
interface PriorityLevel {
  hosts: number;
  healthy: number;
  degraded?: number;
}

interface PriorityLoadOptions {
  overprovisioningFactor?: number;
  panicThresholdPercent?: number;
}

/** A level's health: min(100, floor(factor x 100 x healthy / hosts)), in integer arithmetic as Envoy does it. */
function levelAvailability(count: number, hosts: number, overprovisioningFactor = defaultOverprovisioningFactor): number {
  if (hosts <= 0) return 0;
  return Math.min(100, Math.floor((Math.round(overprovisioningFactor * 100) * count) / hosts));
}

/**
 * Envoy's per-priority load (`recalculatePerPriorityState`, `recalculatePerPriorityPanic`,
 * `recalculateLoadInTotalPanic`): each level's health and degraded availability, the normalized
 * total (their sum, capped at 100), loads `floor(availability x 100 / total)` handed out in priority
 * order (healthy first, then degraded) with the remainder to the first priority with health (else
 * the first with degraded hosts). Panic is only checked when the normalized total is below 100: a
 * level is in panic when its healthy plus degraded share is below the threshold; when every level is
 * in panic, loads follow host counts. With the threshold at 0 and nothing available, P0 gets 100%
 * (and Envoy then finds no host: "no healthy upstream").
 */
export function priorityLoad(
  levels: { hosts: number; healthy: number; degraded?: number }[],
  options?: { overprovisioningFactor?: number; panicThresholdPercent?: number },
): { healthy: number[]; degraded: number[]; panic: boolean[] } {
  const factor = options?.overprovisioningFactor ?? defaultOverprovisioningFactor;
  const threshold = Math.min(100, options?.panicThresholdPercent ?? defaultPanicThresholdPercent);
  const health = levels.map((level) => levelAvailability(level.healthy, level.hosts, factor));
  const degraded = levels.map((level) => levelAvailability(level.degraded ?? 0, level.hosts, factor));
  const healthyLoad = levels.map(() => 0);
  const degradedLoad = levels.map(() => 0);
  const total = normalizedTotalAvailability(health, degraded);

  if (total > 0) {
    const first = distributeLoad(healthyLoad, health, 100, total);
    const second = distributeLoad(degradedLoad, degraded, first.remaining, total);
    if (second.remaining > 0) {
      if (first.firstAvailable >= 0) healthyLoad[first.firstAvailable] += second.remaining;
      else degradedLoad[second.firstAvailable] += second.remaining;
    }
  }

  if (threshold === 0 && total === 0) {
    healthyLoad[0] = 100;
    return { healthy: healthyLoad, degraded: degradedLoad, panic: levels.map(() => false) };
  }
  const panic = levels.map((level) => total < 100 && inPanic(level, threshold));
  if (levels.length > 0 && panic.every(Boolean)) return { ...loadInTotalPanic(levels), panic };
  return { healthy: healthyLoad, degraded: degradedLoad, panic };
}

function normalizedTotalAvailability(health: number[], degraded: number[]): number {
  return Math.min(100, sum(health) + sum(degraded));
}

function distributeLoad(load: number[], availability: number[], totalLoad: number, normalizedTotal: number) {
  let remaining = totalLoad;
  let firstAvailable = -1;
  availability.forEach((value, index) => {
    if (firstAvailable < 0 && value > 0) firstAvailable = index;
    load[index] = Math.min(remaining, Math.floor((value * 100) / normalizedTotal));
    remaining -= load[index]!;
  });
  return { firstAvailable, remaining };
}

function inPanic(level: PriorityLevel, threshold: number): boolean {
  if (level.hosts <= 0) return 0 < threshold;
  return (100 * level.healthy) / level.hosts + (100 * (level.degraded ?? 0)) / level.hosts < threshold;
}

function loadInTotalPanic(levels: PriorityLevel[]): { healthy: number[]; degraded: number[] } {
  const totalHosts = sum(levels.map((level) => level.hosts));
  const healthy = levels.map(() => 0);
  if (totalHosts === 0) {
    healthy[0] = 100;
    return { healthy, degraded: levels.map(() => 0) };
  }
  let remaining = 100;
  levels.forEach((level, index) => {
    healthy[index] = Math.floor((100 * level.hosts) / totalHosts);
    remaining -= healthy[index]!;
  });
  healthy[levels.findIndex((level) => level.hosts > 0)] += remaining;
  return { healthy, degraded: levels.map(() => 0) };
}

/**
 * The load that Envoy's `previous_priorities` retry plugin uses with some priorities excluded
 * (`adjustForAttemptedPriorities`): excluded levels count as unavailable and the rest is shared
 * out again by availability, remainders handed out in further rounds. Returns undefined when no
 * level is left available: the plugin then falls back to the unmodified load.
 */
function loadExcluding(
  levels: PriorityLevel[],
  excluded: readonly boolean[],
  options?: PriorityLoadOptions,
): { healthy: number[]; degraded: number[] } | undefined {
  const factor = options?.overprovisioningFactor ?? defaultOverprovisioningFactor;
  const health = levels.map((level, index) => (excluded[index] ? 0 : levelAvailability(level.healthy, level.hosts, factor)));
  const degraded = levels.map((level, index) => (excluded[index] ? 0 : levelAvailability(level.degraded ?? 0, level.hosts, factor)));
  const total = normalizedTotalAvailability(health, degraded);
  if (total === 0) return undefined;
  const healthy = levels.map(() => 0);
  const degradedLoad = levels.map(() => 0);
  let remaining = 100;
  while (remaining > 0) {
    for (const [load, availability] of [
      [healthy, health],
      [degradedLoad, degraded],
    ] as const) {
      availability.forEach((value, index) => {
        const delta = Math.min(remaining, Math.floor((value * 100) / total));
        load[index] += delta;
        remaining -= delta;
      });
    }
  }
  return { healthy, degraded: degradedLoad };
}

/**
 * The retry plugin `previous_priorities` for one request, with Istio's update frequency of 2: the
 * first `updateFrequency` tries use the cluster's own load; on every further multiple of it, the
 * priorities of all hosts tried so far are excluded; in between, the last adjusted load is reused.
 */
export class PreviousPriorities {
  private readonly attempted: number[] = [];
  private readonly excluded: boolean[] = [];
  private adjusted: { healthy: number[]; degraded: number[] } | undefined;

  constructor(private readonly updateFrequency = 2) {}

  /** Records the priority of a host that was tried. */
  tried(priority: number): void {
    this.attempted.push(priority);
  }

  /** The load for the next try, given the cluster's current levels and original load. */
  load(levels: PriorityLevel[], original: { healthy: number[]; degraded: number[] }, options?: PriorityLoadOptions) {
    const count = this.attempted.length;
    if (count < this.updateFrequency) return original;
    if (count % this.updateFrequency === 0) {
      for (const priority of this.attempted) this.excluded[priority] = true;
      const adjusted = loadExcluding(levels, this.excluded, options);
      if (!adjusted) {
        // Every level excluded: Envoy clears the attempted hosts (its loop meant to clear the
        // excluded flags assigns to copies, so they stay) and falls back to the original load.
        this.attempted.length = 0;
        return original;
      }
      this.adjusted = adjusted;
    }
    return this.adjusted ?? original;
  }
}

/**
 * Locality weighted load balancing within a priority: each locality's weight scaled by
 * min(1, factor x healthy / hosts), then shares of their sum (fractions, not integers: Envoy
 * picks the locality by weighted round robin).
 */
export function localityShares(
  localities: { weight: number; hosts: number; healthy: number }[],
  overprovisioningFactor = defaultOverprovisioningFactor,
): number[] {
  const effective = localities.map(({ weight, hosts, healthy }) =>
    hosts > 0 ? weight * Math.min(1, (overprovisioningFactor * healthy) / hosts) : 0,
  );
  const total = sum(effective);
  return effective.map((value) => (total > 0 ? value / total : 0));
}

/** Outlier detection as a DestinationRule sets it (Envoy's fields after Istio's translation). */
export interface OutlierSettings {
  /** Consecutive 5xx before ejection; 0 turns it off (Istio: `consecutive5xxErrors`). */
  consecutive5xx: number;
  /** Consecutive 502/503/504 before ejection; undefined when not enforced (Istio enforces it only when set). */
  consecutiveGatewayFailure?: number;
  /** Separate local-origin failures (connect failure, reset) from responses. */
  splitExternalLocalOriginErrors: boolean;
  /** Consecutive local-origin failures before ejection (split mode). */
  consecutiveLocalOriginFailure: number;
  intervalSeconds: number;
  baseEjectionSeconds: number;
  /** Envoy's default cap, 300 s (or the base time when that is longer). */
  maxEjectionSeconds: number;
  /** Of all hosts of the cluster, every priority together. */
  maxEjectionPercent: number;
}

/** What a try reported back to the outlier detector. */
type TryOutcome = "success" | "503" | "local-origin-failure";

interface HostState {
  consecutive5xx: number;
  consecutiveGateway: number;
  consecutiveLocalOrigin: number;
  ejected: boolean;
  ejectedAt: number;
  backoff: number;
}

/**
 * One client's outlier detector over a cluster's hosts (Envoy's `DetectorImpl`): consecutive
 * counters per host, reset by a success; an ejection when a counter reaches its threshold (if the
 * ejected share of all hosts stays within `maxEjectionPercent`), lasting base x the host's backoff
 * (capped); unejection only at interval sweeps, where hosts that are not ejected also count their
 * backoff down by one.
 */
export class OutlierDetector {
  private readonly hosts: HostState[];

  constructor(
    hostCount: number,
    private readonly settings: OutlierSettings,
  ) {
    this.hosts = Array.from({ length: hostCount }, () => freshHost());
  }

  /** Grows or shrinks the host list (pods added or removed); new hosts start healthy. */
  resize(hostCount: number): void {
    while (this.hosts.length < hostCount) this.hosts.push(freshHost());
    this.hosts.length = hostCount;
  }

  isEjected(host: number): boolean {
    return this.hosts[host]?.ejected ?? false;
  }

  ejectedCount(from = 0, to = this.hosts.length): number {
    let count = 0;
    for (let host = from; host < to; host++) if (this.hosts[host]!.ejected) count++;
    return count;
  }

  /** Reports a try's outcome; returns true when it ejected the host. */
  report(host: number, outcome: TryOutcome, now: number): boolean {
    const state = this.hosts[host];
    if (!state) return false;
    const s = this.settings;
    if (outcome === "success") {
      state.consecutive5xx = 0;
      state.consecutiveGateway = 0;
      state.consecutiveLocalOrigin = 0;
      return false;
    }
    if (outcome === "local-origin-failure" && s.splitExternalLocalOriginErrors) {
      state.consecutiveLocalOrigin++;
      return state.consecutiveLocalOrigin >= s.consecutiveLocalOriginFailure && this.eject(state, now);
    }
    // A 503 (and, without the split, a local-origin failure, which Envoy maps to 503) advances both
    // the 5xx and the gateway-failure counters.
    state.consecutive5xx++;
    state.consecutiveGateway++;
    if (s.consecutive5xx > 0 && state.consecutive5xx >= s.consecutive5xx) return this.eject(state, now);
    if (s.consecutiveGatewayFailure !== undefined && state.consecutiveGateway >= s.consecutiveGatewayFailure) return this.eject(state, now);
    return false;
  }

  /** The interval sweep: unejects hosts whose time is up, counts the others' backoff down. */
  sweep(now: number): number {
    let unejected = 0;
    for (const state of this.hosts) {
      if (!state.ejected) {
        if (state.backoff > 0) state.backoff--;
        continue;
      }
      const ejection = Math.min(this.settings.baseEjectionSeconds * state.backoff, this.settings.maxEjectionSeconds);
      if (ejection <= now - state.ejectedAt) {
        Object.assign(state, { ejected: false, consecutive5xx: 0, consecutiveGateway: 0, consecutiveLocalOrigin: 0 });
        unejected++;
      }
    }
    return unejected;
  }

  private eject(state: HostState, now: number): boolean {
    if (state.ejected) return false;
    const ejectedShare = (100 * (this.ejectedCount() + 1)) / this.hosts.length;
    if (ejectedShare > this.settings.maxEjectionPercent) return false;
    state.ejected = true;
    state.ejectedAt = now;
    const { baseEjectionSeconds, maxEjectionSeconds } = this.settings;
    if (state.backoff * baseEjectionSeconds < maxEjectionSeconds + baseEjectionSeconds) state.backoff++;
    return true;
  }
}

function freshHost(): HostState {
  return { consecutive5xx: 0, consecutiveGateway: 0, consecutiveLocalOrigin: 0, ejected: false, ejectedAt: 0, backoff: 0 };
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
