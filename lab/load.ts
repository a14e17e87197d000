/**
 * The lab's load: open-loop Poisson arrivals at a given rate for a given time (a request is sent
 * when its time comes, whether or not earlier ones have answered), and the count per outcome.
 * The schedule and the accounting are pure; `sendLoad` is the HTTP driver that plays a schedule
 * against the client sidecar, bounded in requests in flight and in time.
 */
import * as http from "node:http";
import { labHeaders } from "./envoyConfig";
import type { Endpoint } from "./topology";

/** Arrival times (seconds from the start) of a Poisson process at `ratePerSecond`, drawn from `random`. */
export function poissonArrivals(ratePerSecond: number, seconds: number, random: () => number): number[] {
  const arrivals: number[] = [];
  for (let time = -Math.log(1 - random()) / ratePerSecond; time < seconds; time += -Math.log(1 - random()) / ratePerSecond) {
    arrivals.push(time);
  }
  return arrivals;
}

/** What became of one request, as the load generator saw it. */
type Outcome =
  | { served: "home" | "remote"; tries: number }
  /** `reason`: the status code and Envoy's response flags (UO: a full pod, UH: no healthy upstream, URX: retries exhausted), or the client's error. */
  | { served: "failed"; reason: string; tries: number };

/** Reads one response: who served it (the app's header), else why it failed. */
export function classify(status: number, headers: http.IncomingHttpHeaders): Outcome {
  const tries = Number(headers["x-envoy-attempt-count"] ?? 1);
  const cluster = headers[labHeaders.cluster];
  if (status === 200 && (cluster === "home" || cluster === "remote")) return { served: cluster, tries };
  const flags = headers[labHeaders.flags];
  return { served: "failed", reason: `${status}${flags && flags !== "-" ? ` ${flags}` : ""}`, tries };
}

/** Counts of one load's measured requests. */
export interface Tally {
  offered: number;
  home: number;
  remote: number;
  failed: number;
  /** Failed requests by reason, most frequent first. */
  failures: { reason: string; count: number }[];
  /** Mean tries per request (1 = no retry). */
  meanTries: number;
}

export function tally(outcomes: readonly Outcome[]): Tally {
  const counts = { home: 0, remote: 0, failed: 0 };
  const reasons = new Map<string, number>();
  let tries = 0;
  for (const outcome of outcomes) {
    counts[outcome.served]++;
    tries += outcome.tries;
    if (outcome.served === "failed") reasons.set(outcome.reason, (reasons.get(outcome.reason) ?? 0) + 1);
  }
  return {
    offered: outcomes.length,
    ...counts,
    failures: [...reasons].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count),
    meanTries: outcomes.length > 0 ? tries / outcomes.length : 0,
  };
}

/** Shares of the offered requests. */
export function shares(counts: Pick<Tally, "offered" | "home" | "remote" | "failed">): { home: number; remote: number; failed: number } {
  const of = (count: number) => (counts.offered > 0 ? count / counts.offered : 0);
  return { home: of(counts.home), remote: of(counts.remote), failed: of(counts.failed) };
}

/** A request as sent: when it was due (seconds from the start) and what became of it. */
export interface Sent {
  due: number;
  outcome: Outcome;
}

interface SendOptions {
  /** Requests in flight beyond this fail at once as `generator-overload`, so the generator stays open-loop and bounded. */
  maxInFlight: number;
  /** Per request, from its send to its last byte. */
  timeoutMs: number;
}

/** Plays `arrivals` against `target`; resolves when every request has an outcome. */
export async function sendLoad(target: Endpoint, arrivals: readonly number[], options: SendOptions): Promise<Sent[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.maxInFlight });
  const results: Promise<Sent>[] = [];
  let inFlight = 0;
  const start = performance.now();
  const send = (due: number): Promise<Sent> => {
    if (inFlight >= options.maxInFlight)
      return Promise.resolve({ due, outcome: { served: "failed", reason: "generator-overload", tries: 0 } });
    inFlight++;
    return new Promise<Outcome>((resolve) => {
      const request = http.get({ host: target.address, port: target.port, path: "/", agent, timeout: options.timeoutMs }, (response) => {
        response.resume();
        response.on("end", () => resolve(classify(response.statusCode ?? 0, response.headers)));
        response.on("error", (error) => resolve({ served: "failed", reason: `client ${error.message}`, tries: 1 }));
      });
      request.on("timeout", () => request.destroy(new Error("timeout")));
      request.on("error", (error) => resolve({ served: "failed", reason: `client ${error.message}`, tries: 1 }));
    }).then((outcome) => {
      inFlight--;
      return { due, outcome };
    });
  };
  let next = 0;
  while (next < arrivals.length) {
    const elapsed = (performance.now() - start) / 1000;
    while (next < arrivals.length && arrivals[next]! <= elapsed) results.push(send(arrivals[next++]!));
    if (next < arrivals.length) await new Promise((resolve) => setTimeout(resolve, Math.min(5, (arrivals[next]! - elapsed) * 1000)));
  }
  const sent = await Promise.all(results);
  agent.destroy();
  return sent;
}
