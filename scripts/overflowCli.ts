/**
 * `npm run overflow -- sweep|surge`: the traffic model for a service declared in
 * `burstmesh:services`, on the same objects the program deploys. Everything here is pure: the
 * entry script hands in the parsed services and a writer, the tests call it directly.
 */
import { parseArgs } from "node:util";
import { durationSeconds } from "../model/units";
import type { ServiceSettings } from "../config/services";
import { servicePolicy } from "../components/traffic/servicePolicy";
import { palette, stackedAreaSvg } from "../model/plot";
import type { ServicePolicy } from "../model/policy";
import { type ConfigDump, envoyPolicy, serviceEnvoyConfig, podAddresses } from "../model/configDump";
import { pointShares, remoteCapacity, standbyForSurge, surge, surgeLeadSeconds, sweep, Workload } from "../model/scenarios";

export const USAGE = `Usage: npm run overflow -- <command> --service <name> [options]

Simulates one service of burstmesh:services request by request (Envoy's priority load, retries,
outlier detection, both HPAs) on the objects the program deploys for it.

Commands:
  sweep   The steady state with both clusters at their maxReplicas, per load.
            --loads 0.5,1,1.5,2   loads as multiples of the home capacity (a single load
                                  gets its table row and no plot: an area needs two loads)
            --json                print exactly one JSON array instead of the table, one row
                                  per load: { load, home, remote, failed, remoteCapacity };
                                  writes a plot only when --svg names one
  surge   The time series through a surge while both HPAs scale, and the standby
          (standby.minReplicas) that keeps its failures under 1%.
            --from 0.5 --to 2     starting and final load (multiples of the home capacity)
            --ramp 60s --hold 300s

Options:
  --recipe retry|ejection   retry: the policy as deployed (default); ejection: the old recipe
                            (eject on 5xx), kept to show why it was replaced
  --envoy-config POD[,POD2]  the policy from what Envoy received instead of the objects: the config
                            dump of one of the service's pods in its home cluster (istioctl
                            proxy-config all -o json, or /config_dump?include_eds), which holds both
                            its outbound and its inbound side; or a client's dump, then a pod's.
                            The HPA bounds still come from the service's config
  --svg <file>              where to write the plot (default overflow-<command>-<service>.svg,
                            none with --json)
  --clients N               client sidecars in the home cluster (default 10)
  --service-time 250ms      mean service time per request (shares do not depend on it; run time does)
  --pod-start 30s           from the HPA's decision to a ready endpoint (minutes when nodes must be added)
  --seconds N               measured seconds per sweep load (default 60)
  --seed N                  random seed (default 1)
  -h, --help                this help`;

export interface CliIo {
  out: (text: string) => void;
  writeFile: (file: string, content: string) => void;
  readFile: (file: string) => string;
}

export class UsageError extends Error {}

/** Runs one command; throws UsageError for bad input (the entry prints it with the usage). */
export function runOverflowCli(argv: string[], services: readonly ServiceSettings[], members: readonly string[], io: CliIo): void {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      service: { type: "string" },
      loads: { type: "string", default: "0.5,0.9,1.2,1.5,2,4" },
      json: { type: "boolean", default: false },
      from: { type: "string", default: "0.5" },
      to: { type: "string", default: "2" },
      ramp: { type: "string", default: "60s" },
      hold: { type: "string", default: "300s" },
      recipe: { type: "string", default: "retry" },
      "envoy-config": { type: "string" },
      svg: { type: "string" },
      clients: { type: "string", default: "10" },
      "service-time": { type: "string", default: "250ms" },
      "pod-start": { type: "string", default: "30s" },
      seconds: { type: "string", default: "60" },
      seed: { type: "string", default: "1" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const command = positionals[0];
  if (values.help) return io.out(USAGE);
  if (command === undefined) throw new UsageError("a command is required: sweep or surge");
  if (command !== "sweep" && command !== "surge") throw new UsageError(`unknown command '${command}': expected sweep or surge`);
  const declared = `burstmesh:services (${services.map((s) => s.name).join(", ")})`;
  if (values.service === undefined) throw new UsageError(`--service is required: the name of one of ${declared}`);
  const service = services.find((candidate) => candidate.name === values.service);
  if (!service) throw new UsageError(`--service: '${values.service}' is not one of ${declared}`);
  if (values.json && command !== "sweep") throw new UsageError("--json: only sweep prints JSON");
  if (service.mode !== "overflow")
    throw new UsageError(`--service: '${service.name}' is in ${service.mode} mode; the model covers overflow mode`);
  if (values.recipe !== "retry" && values.recipe !== "ejection")
    throw new UsageError(`--recipe: expected retry or ejection, got '${values.recipe}'`);
  const envoyConfig = values["envoy-config"];
  if (envoyConfig !== undefined && values.recipe !== "retry")
    throw new UsageError("--envoy-config: the dumps are what is deployed, the retry recipe; drop --recipe ejection");
  const policy =
    envoyConfig === undefined ? servicePolicy(service, members, values.recipe) : dumpedPolicy(service, members, envoyConfig, io);
  const workload: Workload = {
    serviceTimeSeconds: duration("--service-time", values["service-time"]),
    clients: whole("--clients", values.clients),
    podStartSeconds: duration("--pod-start", values["pod-start"]),
    seed: whole("--seed", values.seed),
  };
  const defaultSvg = `overflow-${command}-${service.name}.svg`;
  const recipeNote = values.recipe === "ejection" ? " (old recipe: ejection on 5xx)" : "";

  if (command === "sweep") {
    const loads = values.loads.split(",").map((text) => positive("--loads", text));
    // A stacked area over one load has no width: the table (or the JSON) is the whole answer then.
    const plottable = new Set(loads).size >= 2;
    if (!plottable && values.svg !== undefined)
      throw new UsageError(`--svg: a plot needs two or more loads, --loads has one (${loads[0]})`);
    const svg = plottable ? (values.svg ?? (values.json ? undefined : defaultSvg)) : undefined;
    const rows = sweep(policy, loads, workload, positive("--seconds", values.seconds));
    if (svg !== undefined) {
      io.writeFile(
        svg,
        stackedAreaSvg({
          title: `${service.name}: steady state by load${recipeNote}`,
          xLabel: "offered load (multiples of home capacity)",
          x: rows.map((row) => row.load),
          layers: shareLayers(rows),
        }),
      );
    }
    if (values.json)
      return io.out(
        JSON.stringify(rows.map(({ load, home, remote, failed, remoteCapacity }) => ({ load, home, remote, failed, remoteCapacity }))),
      );
    io.out(header(service, policy, recipeNote));
    io.out(
      table(
        ["load", "home", "other cloud", "failed", "ideal home"],
        rows.map((row) => [fixed(row.load), pct(row.home), pct(row.remote), pct(row.failed, 2), pct(Math.min(1, 1 / row.load))]),
      ),
    );
    io.out(svg === undefined ? "plot: none (one load; a plot needs two or more)" : `plot: ${svg}`);
    return;
  }

  const shape = {
    from: positive("--from", values.from),
    to: positive("--to", values.to),
    rampSeconds: duration("--ramp", values.ramp),
    holdSeconds: duration("--hold", values.hold),
  };
  const { result, failed } = surge(policy, shape, workload);
  const points = result.series;
  const svg = values.svg ?? defaultSvg;
  io.writeFile(
    svg,
    stackedAreaSvg({
      title: `${service.name}: surge ${shape.from}x to ${shape.to}x${recipeNote}`,
      xLabel: "seconds",
      x: points.map((point) => point.time),
      layers: shareLayers(points.map(pointShares)),
      lines: [
        { name: "home pods", color: palette.homePods, values: points.map((point) => point.homePods) },
        { name: "standby pods", color: palette.standbyPods, values: points.map((point) => point.standbyPods) },
      ],
      linesLabel: "pods",
    }),
  );
  io.out(header(service, policy, recipeNote));
  const every = Math.max(1, Math.round(30 / (points[1]?.time ?? 30)));
  io.out(
    table(
      ["second", "load", "home", "other cloud", "failed", "home pods", "standby pods"],
      points
        .filter((_, index) => index % every === 0)
        .map((point) => {
          const share = pointShares(point);
          return [
            String(point.time),
            fixed(point.load),
            pct(share.home),
            pct(share.remote),
            pct(share.failed, 2),
            String(point.homePods),
            String(point.standbyPods),
          ];
        }),
    ),
  );
  io.out(`failed during the ramp and hold (after the first ${surgeLeadSeconds} s): ${pct(failed, 2)}`);
  const sizing = standbyForSurge(policy, shape, workload);
  const tried = [...sizing.tried]
    .sort((a, b) => a.minReplicas - b.minReplicas)
    .map((entry) => `${entry.minReplicas} -> ${pct(entry.failed, 2)}`)
    .join(", ");
  io.out(
    sizing.minReplicas === undefined
      ? `standby: even ${sizing.limit} standby pods from the start leave ${pct(sizing.tried[0]!.failed, 2)} failed; the surge is beyond what retries can spill (tried ${tried})`
      : `standby: standby.minReplicas = ${sizing.minReplicas} keeps failures under 1% for this surge` +
          (sizing.aboveMaxReplicas ? ` (raise standby.maxReplicas to at least ${sizing.minReplicas} too)` : "") +
          ` (failed share per standby.minReplicas tried: ${tried})`,
  );
  io.out(`plot: ${svg}`);
}

/** The policy with every field Envoy's config decides read from the two dumps (`--envoy-config`). */
function dumpedPolicy(service: ServiceSettings, members: readonly string[], files: string, io: CliIo): ServicePolicy {
  const [clientFile, podFile = clientFile, ...rest] = files.split(",");
  if (!clientFile || !podFile || rest.length > 0)
    throw new UsageError(`--envoy-config: expected a pod's dump, or a client's and a pod's (CLIENT,POD), got '${files}'`);
  const read = (file: string): ConfigDump => {
    try {
      return JSON.parse(io.readFile(file)) as ConfigDump;
    } catch (error) {
      throw new UsageError(`--envoy-config: ${file} is not a JSON config dump (${(error as Error).message})`);
    }
  };
  const host = `${service.name}.${service.namespace ?? service.name}.svc.cluster.local`;
  const [client, pod] = [read(clientFile), read(podFile)];
  try {
    const config = serviceEnvoyConfig(client, pod, host, service.port);
    return { ...servicePolicy(service, members), ...envoyPolicy(config, podAddresses(config)) };
  } catch (error) {
    throw new UsageError(`--envoy-config: ${(error as Error).message}`);
  }
}

function header(service: ServiceSettings, policy: ServicePolicy, recipeNote: string): string {
  return (
    `${service.name}${recipeNote}: home ${policy.home.maxReplicas} pods x ${policy.perPodCapacity} in flight; ` +
    `the other cloud ${fixed(remoteCapacity(policy))}x that at its ceiling; ${policy.retries} retries (${policy.retries + 1} tries)`
  );
}

function shareLayers(rows: { home: number; remote: number; failed: number }[]) {
  return [
    { name: "served home", color: palette.home, values: rows.map((row) => row.home) },
    { name: "served by the other cloud", color: palette.remote, values: rows.map((row) => row.remote) },
    { name: "failed", color: palette.failed, values: rows.map((row) => row.failed) },
  ];
}

function table(headings: string[], rows: string[][]): string {
  const widths = headings.map((heading, column) => Math.max(heading.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) => cells.map((cell, column) => cell.padStart(widths[column]!)).join("  ");
  return [line(headings), ...rows.map(line)].join("\n");
}

const pct = (share: number, digits = 1) => `${(100 * share).toFixed(digits)}%`;
const fixed = (value: number) => value.toFixed(2);

function positive(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new UsageError(`${flag}: expected a positive number, got '${text}'`);
  return value;
}

function whole(flag: string, text: string): number {
  const value = positive(flag, text);
  if (!Number.isInteger(value)) throw new UsageError(`${flag}: expected a whole number, got '${text}'`);
  return value;
}

function duration(flag: string, text: string): number {
  const value = durationSeconds(text);
  if (value === undefined) throw new UsageError(`${flag}: expected a duration such as 250ms or 60s, got '${text}'`);
  return value;
}
