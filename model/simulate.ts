/**
 * A discrete-event simulation of one overflow service, request by request: Poisson arrivals from
 * the home cluster's client sidecars, pods that hold `perPodCapacity` requests in flight and answer
 * 503 beyond it, exponential service times, Envoy's priority load, previous_hosts and
 * previous_priorities retries with jittered backoff, each client's own outlier detector, and both
 * clusters' HPAs. The time-stepped parts (HPA syncs, outlier sweeps) are events too.
 *
 * Assumptions, on purpose and stated: a pod at its capacity uses exactly its CPU request (so the HPA
 * sees busy slots / capacity); service time does not grow with concurrency; the other cloud is one
 * host as a client sees it (its east-west gateway), and each spilled try lands on the less busy of
 * two random remote pods, as the gateway's least-request balancer picks one for a new connection
 * (HTTP/1.1; HTTP/2 through the gateway would pin a client to few pods); the other cluster's own
 * clients send nothing.
 */
import { OutlierDetector, PreviousPriorities, priorityLoad } from "./envoy";
import type { Autoscaling, ServicePolicy } from "./policy";
import { seededRandom } from "./random";

/** Load as a multiple of the home capacity, over time (seconds). */
type LoadProfile = (time: number) => number;

interface SimulationOptions {
  policy: ServicePolicy;
  /** Mean service time of one request, seconds. */
  serviceTimeSeconds: number;
  /** Client sidecars in the home cluster, each with its own load balancer and outlier detector. */
  clients: number;
  load: LoadProfile;
  durationSeconds: number;
  /** Requests that arrive before this time are not counted (the pods fill up first). */
  warmupSeconds?: number;
  /** Scale with the HPAs; otherwise both clusters run at their maxReplicas. */
  autoscale: boolean;
  /** Pods at the start; defaults to maxReplicas without autoscaling, else what the starting load needs at home and minReplicas elsewhere. */
  initialPods?: { home: number; standby: number };
  /** From the HPA's decision to a ready endpoint in every client: scheduling, image, readiness, xDS. */
  podStartSeconds?: number;
  hpaSyncSeconds?: number;
  /** One-way latency between the clouds, added to every try that leaves home. */
  crossCloudSeconds?: number;
  /** Width of the time series buckets. */
  bucketSeconds?: number;
  seed: number;
}

interface Shares {
  offered: number;
  home: number;
  remote: number;
  failed: number;
}

export interface SeriesPoint extends Shares {
  /** Start of the bucket, seconds. */
  time: number;
  /** Offered load in the bucket, as a multiple of home capacity. */
  load: number;
  homePods: number;
  standbyPods: number;
  /** Client-side ejections in force at the end of the bucket (home pods plus gateways, all clients). */
  ejected: number;
}

export interface SimulationResult {
  /** Counts of requests over the measured time. */
  totals: Shares;
  series: SeriesPoint[];
  /** Requests per second the home cluster serves at its HPA ceiling: maxReplicas x capacity / service time. */
  homeCapacityPerSecond: number;
}

/** Kubernetes' HPA tolerance: no change while the ratio is within 10% of 1. */
const hpaTolerance = 0.1;
/** Envoy's retry backoff: 25 ms base, jittered, growing, capped at 10 x base. */
const retryBaseSeconds = 0.025;
const retryMaxSeconds = 0.25;
/** Istio's host selection retries for the previous_hosts predicate. */
const hostSelectionAttempts = 5;

/** Where a try lands: a home pod (index) or the other cloud's gateway. */
const gateway = -1;

interface Request {
  client: number;
  arrival: number;
  tries: number;
  triedHomePods: number[];
  priorities: PreviousPriorities | undefined;
}

/** A binary min-heap of timed events. */
class EventQueue {
  private readonly times: number[] = [];
  private readonly actions: (() => void)[] = [];

  get size(): number {
    return this.times.length;
  }

  push(time: number, action: () => void): void {
    const times = this.times;
    const actions = this.actions;
    let index = times.length;
    times.push(time);
    actions.push(action);
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (times[parent]! <= time) break;
      times[index] = times[parent]!;
      actions[index] = actions[parent]!;
      index = parent;
    }
    times[index] = time;
    actions[index] = action;
  }

  /** Runs the earliest event; returns its time. */
  runNext(): number {
    const times = this.times;
    const actions = this.actions;
    const time = times[0]!;
    const action = actions[0]!;
    const lastTime = times.pop()!;
    const lastAction = actions.pop()!;
    if (times.length > 0) {
      let index = 0;
      const length = times.length;
      for (;;) {
        const left = 2 * index + 1;
        if (left >= length) break;
        const right = left + 1;
        const child = right < length && times[right]! < times[left]! ? right : left;
        if (times[child]! >= lastTime) break;
        times[index] = times[child]!;
        actions[index] = actions[child]!;
        index = child;
      }
      times[index] = lastTime;
      actions[index] = lastAction;
    }
    action();
    return time;
  }

  peekTime(): number {
    return this.times[0]!;
  }
}

/** One cluster's pods: in flight per pod, ready pods first, and the HPA's bookkeeping. */
class Cluster {
  readonly inFlight: Int32Array;
  ready: number;
  starting = 0;
  private busyArea = 0;
  private busyNow = 0;
  private lastChange = 0;
  private readonly recommendations: { time: number; replicas: number }[] = [];

  constructor(
    readonly scaling: Autoscaling,
    readonly capacity: number,
    initial: number,
  ) {
    this.inFlight = new Int32Array(Math.max(scaling.maxReplicas, initial));
    this.ready = initial;
  }

  /** Takes a slot on a pod; false (a 503) when the pod is full. */
  admit(pod: number, now: number): boolean {
    if (this.inFlight[pod]! >= this.capacity) return false;
    this.track(now, 1);
    this.inFlight[pod]!++;
    return true;
  }

  release(pod: number, now: number): void {
    this.track(now, -1);
    this.inFlight[pod]!--;
  }

  /** Average busy share of the ready pods' slots since the last call (the HPA's CPU metric). */
  utilizationSince(now: number, windowSeconds: number): number {
    this.track(now, 0);
    const area = this.busyArea;
    this.busyArea = 0;
    return this.ready > 0 ? area / (windowSeconds * this.ready * this.capacity) : 0;
  }

  /** One HPA sync: the replica count it asks for, within its bounds and rate limits. */
  decide(now: number, utilization: number): number {
    const current = this.ready + this.starting;
    const ratio = utilization / (this.scaling.targetUtilizationPercent / 100);
    let desired = Math.abs(ratio - 1) <= hpaTolerance ? current : Math.ceil(this.ready * ratio);
    desired = Math.min(this.scaling.maxReplicas, Math.max(this.scaling.minReplicas, desired));
    this.recommendations.push({ time: now, replicas: desired });
    const window = Math.max(this.scaling.scaleUp.stabilizationWindowSeconds, this.scaling.scaleDown.stabilizationWindowSeconds);
    while (this.recommendations.length > 0 && this.recommendations[0]!.time < now - window) this.recommendations.shift();
    const within = (seconds: number) => this.recommendations.filter((entry) => entry.time >= now - seconds).map((entry) => entry.replicas);
    if (desired > current) {
      const stable = Math.min(...within(this.scaling.scaleUp.stabilizationWindowSeconds));
      return Math.min(stable, limit(current, this.scaling.scaleUp, +1));
    }
    if (desired < current) {
      const stable = Math.max(...within(this.scaling.scaleDown.stabilizationWindowSeconds));
      return Math.max(stable, limit(current, this.scaling.scaleDown, -1));
    }
    return current;
  }

  private track(now: number, delta: number): void {
    this.busyArea += this.busyNow * (now - this.lastChange);
    this.lastChange = now;
    this.busyNow += delta;
  }
}

/** The furthest one HPA sync may move the count under a scaling rule's policies. */
function limit(current: number, rules: Autoscaling["scaleUp"], direction: 1 | -1): number {
  if (rules.selectPolicy === "Disabled" || rules.policies.length === 0) return current;
  const steps = rules.policies.map((policy) =>
    policy.type === "Pods" ? policy.value : Math.ceil((current * policy.value) / 100) || (direction > 0 ? 1 : 0),
  );
  const step = rules.selectPolicy === "Min" ? Math.min(...steps) : Math.max(...steps);
  return current + direction * step;
}

/** Runs the simulation. Deterministic for a given seed. */
export function simulate(options: SimulationOptions): SimulationResult {
  const { policy } = options;
  const random = seededRandom(options.seed);
  const exponential = (mean: number) => -Math.log(1 - random()) * mean;
  const serviceTime = options.serviceTimeSeconds;
  const warmup = options.warmupSeconds ?? 0;
  const bucketSeconds = options.bucketSeconds ?? 5;
  const podStart = options.podStartSeconds ?? 30;
  const hpaSync = options.hpaSyncSeconds ?? 15;
  const crossCloud = options.crossCloudSeconds ?? 0.02;
  const homeCapacityPerSecond = (policy.home.maxReplicas * policy.perPodCapacity) / serviceTime;
  const initial = options.initialPods ?? startingPods(options);

  const home = new Cluster(policy.home, policy.perPodCapacity, initial.home);
  const standby = new Cluster(policy.standby, policy.perPodCapacity, initial.standby);
  // Per client: its own active requests per home pod (least-request picks), and its outlier detector
  // over the gateway (host 0) and the home pods (hosts 1..n).
  const clientActive = Array.from({ length: options.clients }, () => new Int32Array(home.inFlight.length));
  const detectors = Array.from({ length: options.clients }, () => new OutlierDetector(home.ready + 1, policy.outlier));
  const ejectedHome = new Int32Array(options.clients);
  const ejectedGateway = new Uint8Array(options.clients);

  const buckets = Math.ceil(options.durationSeconds / bucketSeconds);
  const series: SeriesPoint[] = Array.from({ length: buckets }, (_, index) => ({
    time: index * bucketSeconds,
    load: 0,
    offered: 0,
    home: 0,
    remote: 0,
    failed: 0,
    homePods: 0,
    standbyPods: 0,
    ejected: 0,
  }));
  const totals: Shares = { offered: 0, home: 0, remote: 0, failed: 0 };
  const queue = new EventQueue();

  const finish = (request: Request, outcome: "home" | "remote" | "failed") => {
    const bucket = series[Math.floor(request.arrival / bucketSeconds)];
    if (bucket) bucket[outcome]++;
    if (request.arrival < warmup) return;
    totals[outcome]++;
  };

  const levelsFor = (client: number) => [
    { hosts: home.ready, healthy: home.ready - ejectedHome[client]! },
    { hosts: standby.ready > 0 ? 1 : 0, healthy: standby.ready > 0 && !ejectedGateway[client] ? 1 : 0 },
  ];

  const report = (client: number, target: number, outcome: "success" | "503", now: number) => {
    const detector = detectors[client]!;
    const host = target === gateway ? 0 : target + 1;
    if (detector.report(host, outcome, now)) {
      if (target === gateway) ejectedGateway[client] = 1;
      else ejectedHome[client]!++;
    }
  };

  /** Envoy's least-request pick (two random healthy hosts, the one with fewer of this client's requests), re-picked while previous_hosts rejects it. */
  const pickHomePod = (client: number, tried: number[]): number | undefined => {
    const detector = detectors[client]!;
    const healthy: number[] = [];
    for (let pod = 0; pod < home.ready; pod++) if (!detector.isEjected(pod + 1)) healthy.push(pod);
    if (healthy.length === 0) return undefined;
    const active = clientActive[client]!;
    let pick = healthy[0]!;
    for (let attempt = 0; attempt <= hostSelectionAttempts; attempt++) {
      const a = healthy[Math.floor(random() * healthy.length)]!;
      const b = healthy[Math.floor(random() * healthy.length)]!;
      pick = active[b]! < active[a]! ? b : a;
      if (!tried.includes(pick)) break;
    }
    return pick;
  };

  /**
   * The remote pod a spilled try reaches: the gateway passes its connection through, and its
   * least-request balancer gives the one of two random pods with fewer requests in flight.
   */
  const pickStandbyPod = (): number => {
    const a = Math.floor(random() * standby.ready);
    const b = Math.floor(random() * standby.ready);
    return standby.inFlight[b]! < standby.inFlight[a]! ? b : a;
  };

  const attempt = (request: Request, now: number) => {
    const client = request.client;
    const levels = levelsFor(client);
    const original = priorityLoad(levels, {
      overprovisioningFactor: policy.overprovisioningFactor,
      panicThresholdPercent: policy.panicThresholdPercent,
    });
    const load = request.priorities ? request.priorities.load(levels, original) : original;
    const roll = Math.floor(random() * 100) + 1;
    const priority = roll <= load.healthy[0]! ? 0 : 1;
    request.tries++;
    if (priority === 0) {
      const pod = pickHomePod(client, request.triedHomePods);
      if (pod === undefined) return finish(request, "failed"); // no healthy upstream: not retried
      request.triedHomePods.push(pod);
      request.priorities?.tried(0);
      if (home.admit(pod, now)) {
        clientActive[client]![pod]!++;
        const done = now + exponential(serviceTime);
        queue.push(done, () => {
          home.release(pod, done);
          clientActive[client]![pod]!--;
          report(client, pod, "success", done);
          finish(request, "home");
        });
      } else {
        report(client, pod, "503", now);
        retryOrFail(request, now);
      }
      return;
    }
    if (levels[1]!.healthy === 0) return finish(request, "failed"); // the other cloud is ejected too: no healthy upstream
    request.priorities?.tried(1);
    const arrives = now + crossCloud;
    queue.push(arrives, () => {
      const pod = pickStandbyPod();
      if (standby.ready > 0 && standby.admit(pod, arrives)) {
        const done = arrives + exponential(serviceTime);
        queue.push(done, () => {
          standby.release(pod, done);
          report(client, gateway, "success", done + crossCloud);
          finish(request, "remote");
        });
      } else {
        report(client, gateway, "503", arrives + crossCloud);
        retryOrFail(request, arrives + crossCloud);
      }
    });
  };

  const retryOrFail = (request: Request, now: number) => {
    if (!policy.retriesOn503 || request.tries > policy.retries) return finish(request, "failed");
    const backoff = Math.min(retryMaxSeconds, random() * (2 ** request.tries - 1) * retryBaseSeconds);
    queue.push(now + backoff, () => attempt(request, now + backoff));
  };

  // Arrivals: Poisson at the profile's rate, each from a random client.
  const arrive = (now: number) => {
    if (now >= options.durationSeconds) return;
    const rate = Math.max(1e-9, options.load(now) * homeCapacityPerSecond);
    const request: Request = {
      client: Math.floor(random() * options.clients),
      arrival: now,
      tries: 0,
      triedHomePods: [],
      priorities: policy.retryRemoteLocalities && policy.homeIsOnePriority ? new PreviousPriorities(2) : undefined,
    };
    const bucket = series[Math.floor(now / bucketSeconds)];
    if (bucket) bucket.offered++;
    if (now >= warmup) totals.offered++;
    attempt(request, now);
    const next = now + exponential(1 / rate);
    queue.push(next, () => arrive(next));
  };
  const firstArrival = exponential(1 / Math.max(1e-9, options.load(0) * homeCapacityPerSecond));
  queue.push(firstArrival, () => arrive(firstArrival));

  // Outlier sweeps, one timer per client at its own phase.
  detectors.forEach((detector, client) => {
    const interval = policy.outlier.intervalSeconds;
    const sweep = (now: number) => {
      if (detector.sweep(now) > 0) {
        ejectedGateway[client] = detector.isEjected(0) ? 1 : 0;
        ejectedHome[client] = detector.ejectedCount(1, home.ready + 1);
      }
      queue.push(now + interval, () => sweep(now + interval));
    };
    const first = random() * interval;
    queue.push(first, () => sweep(first));
  });

  // HPAs: every sync, each cluster asks for replicas; new pods become endpoints after podStart.
  if (options.autoscale) {
    const sync = (now: number) => {
      for (const cluster of [home, standby]) {
        const wanted = cluster.decide(now, cluster.utilizationSince(now, hpaSync));
        const current = cluster.ready + cluster.starting;
        if (wanted > current) {
          cluster.starting += wanted - current;
          for (let pod = 0; pod < wanted - current; pod++) {
            queue.push(now + podStart, () => {
              cluster.starting--;
              cluster.ready++;
              if (cluster === home) resizeClients(cluster.ready);
            });
          }
        } else if (wanted < current) {
          const fewer = Math.min(cluster.ready, current - wanted);
          cluster.ready -= fewer;
          if (cluster === home) resizeClients(cluster.ready);
        }
      }
      queue.push(now + hpaSync, () => sync(now + hpaSync));
    };
    queue.push(hpaSync, () => sync(hpaSync));
  }

  const resizeClients = (pods: number) => {
    detectors.forEach((detector, client) => {
      detector.resize(pods + 1);
      ejectedHome[client] = detector.ejectedCount(1, pods + 1);
    });
  };

  // Per-bucket snapshots of pods and ejections.
  series.forEach((point) => {
    const end = Math.min(options.durationSeconds, point.time + bucketSeconds) - 1e-9;
    queue.push(end, () => {
      point.homePods = home.ready;
      point.standbyPods = standby.ready;
      point.ejected = sum(Array.from(ejectedHome)) + sum(Array.from(ejectedGateway));
      point.load = point.offered / (homeCapacityPerSecond * Math.min(bucketSeconds, options.durationSeconds - point.time));
    });
  });

  // Run until the last request that arrived has finished (the timers stop after the end).
  const horizon = options.durationSeconds + 60;
  while (queue.size > 0 && queue.peekTime() <= horizon) queue.runNext();

  return { totals, series, homeCapacityPerSecond };
}

/** Pods at the start: maxReplicas without autoscaling; with it, what the starting load needs at home and the standby's floor. */
function startingPods(options: SimulationOptions): { home: number; standby: number } {
  const { home, standby } = options.policy;
  if (!options.autoscale) return { home: home.maxReplicas, standby: standby.maxReplicas };
  const needed = Math.ceil((options.load(0) * home.maxReplicas * 100) / home.targetUtilizationPercent);
  return { home: Math.min(home.maxReplicas, Math.max(home.minReplicas, needed)), standby: standby.minReplicas };
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
