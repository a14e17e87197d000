/**
 * The local two-member mesh that scripts/kind-up.sh builds from two kind clusters, and the check
 * the kind workflow runs on it (the commands: {@link USAGE}).
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { parse as parseYaml, stringify as toYaml } from "yaml";
import { DrillSettings, parseServiceConfig, readProjectFile, ServiceSettings } from "../config";
import { homeCapacity } from "../components/traffic/drillJob";
import type { SweepRow } from "../model/scenarios";

const repoRoot = path.join(__dirname, "..");

/** The kind members: the services' home and the cluster they burst into. */
export const kindMembers = { home: "kind-home", burst: "kind-burst" } as const;

/** How far above the home capacity the drill loads the service (a multiple of it). */
export const drillLoadMultiple = 1.5;

/** The absolute difference allowed between a live share and the model's, by default (10 points). */
export const defaultTolerance = 0.1;

/** Declared project config (Pulumi.yaml) that a kind member's stack file derives from. */
export interface ProjectServices {
  members: string[];
  services: Record<string, unknown>[];
  drill: Record<string, unknown>;
}

export function readProjectServices(defaults = readProjectFile().defaults): ProjectServices {
  return {
    members: defaults["burstmesh:members"] as string[],
    services: defaults["burstmesh:services"] as Record<string, unknown>[],
    drill: defaults["burstmesh:drill"] as Record<string, unknown>,
  };
}

/** The project's services and drill with their defaults applied, or the config errors. */
function effectiveServices(
  services: unknown,
  drill: unknown,
  members: readonly string[],
): { services: ServiceSettings[]; drill: DrillSettings } {
  const parsed = parseServiceConfig(services, drill, { members });
  if (!parsed.ok) throw new Error(`the services do not validate:\n  ${parsed.issues.join("\n  ")}`);
  return parsed;
}

/** Every member of the local mesh's trust stack: the project's members and the two kind members. */
export function localMembers(project: ProjectServices): string[] {
  return [...new Set([...project.members, kindMembers.home, kindMembers.burst])];
}

/**
 * The config of a kind member's stack file. Every service's home is the kind home member, and both
 * clusters run every service at its HPA ceiling from the start, which is the steady state the model's
 * sweep predicts (the drill would otherwise measure the HPA's ramp as much as the overflow). The home
 * member carries the drill, disabled until the mesh is wired, sized to {@link drillLoadMultiple} times
 * the home capacity. The kubeconfig and the API server URL are set by `pulumi config set`, not here.
 */
export function kindStackConfig(member: string, peer: string, project: ProjectServices): Record<string, unknown> {
  const members = localMembers(project);
  const { services, drill } = effectiveServices(project.services, project.drill, project.members);
  const declared = project.services.map((entry, index) => {
    const service = services[index]!;
    return {
      ...entry,
      homeCluster: kindMembers.home,
      home: { minReplicas: service.home.maxReplicas, maxReplicas: service.home.maxReplicas },
      standby: { minReplicas: service.standby.maxReplicas, maxReplicas: service.standby.maxReplicas },
    };
  });
  const config: Record<string, unknown> = {
    "burstmesh:cloud": "existing",
    "burstmesh:clusterName": member,
    "burstmesh:network": `network-${member}`,
    "burstmesh:peers": [peer],
    "burstmesh:region": member,
    "burstmesh:gatewayService": "LoadBalancer",
    "burstmesh:members": members,
    "burstmesh:services": declared,
  };
  if (member === kindMembers.home) {
    const drilled = services.find((service) => service.name === drill.service);
    const capacity = drilled && homeCapacity(drilled);
    if (!drilled || capacity === undefined) throw new Error(`the drilled service '${drill.service}' must be an overflow service`);
    config["burstmesh:drill"] = {
      enabled: false,
      service: drilled.name,
      connections: Math.ceil(drillLoadMultiple * capacity),
      duration: "180s",
    };
  }
  return config;
}

/** The YAML of a kind member's stack file. */
export function kindStackFile(member: string, peer: string, project: ProjectServices): string {
  return `# Member '${member}' of the local kind mesh, written by scripts/kind-up.sh.\n${toYaml({ config: kindStackConfig(member, peer, project) })}`;
}

/** The three shares the drill reports, as fractions of the offered requests. */
export interface Shares {
  home: number;
  other: number;
  failed: number;
}

/** The drill report's `SHARES home=… other=… failed=…` line. */
export function parseDrillShares(report: string): Shares {
  const match = /^SHARES home=([\d.]+) other=([\d.]+) failed=([\d.]+)\s*$/m.exec(report);
  if (!match) throw new Error("the drill report has no 'SHARES home=… other=… failed=…' line (did the drill finish?)");
  return { home: Number(match[1]), other: Number(match[2]), failed: Number(match[3]) };
}

/** The drill's offered load as a multiple of the home capacity: its connections over the requests the home pods hold. */
export function drillLoad(stackConfig: Record<string, unknown>): { service: string; load: number } {
  const { services, drill } = effectiveServices(
    stackConfig["burstmesh:services"],
    stackConfig["burstmesh:drill"],
    stackConfig["burstmesh:members"] as string[],
  );
  const service = services.find((candidate) => candidate.name === drill.service);
  const capacity = service && homeCapacity(service);
  if (!service || capacity === undefined) throw new Error(`the drilled service '${drill.service}' must be an overflow service`);
  return { service: service.name, load: Math.round((drill.connections / capacity) * 1000) / 1000 };
}

/** The live shares against the model's, share by share, and whether every one is within the tolerance. */
export function compareShares(live: Shares, predicted: SweepRow, tolerance: number): { ok: boolean; lines: string[] } {
  const rows: [string, number, number][] = [
    ["home", live.home, predicted.home],
    ["other cloud", live.other, predicted.remote],
    ["failed", live.failed, predicted.failed],
  ];
  const pct = (value: number) => `${(100 * value).toFixed(1)}%`.padStart(7);
  const lines = [
    `load ${predicted.load}x home capacity; tolerance ±${(100 * tolerance).toFixed(1)} points`,
    "share         live   model   diff",
  ];
  let ok = true;
  for (const [name, liveShare, modelShare] of rows) {
    const within = Math.abs(liveShare - modelShare) <= tolerance;
    ok &&= within;
    lines.push(
      `${name.padEnd(11)} ${pct(liveShare)} ${pct(modelShare)} ${pct(liveShare - modelShare)}${within ? "" : "  <- beyond the tolerance"}`,
    );
  }
  lines.push(ok ? "RESULT: the live shares match the model" : "RESULT: the live shares are further from the model than the tolerance");
  return { ok, lines };
}

/** Runs the model's sweep at one load through its CLI and returns that row. */
function predict(service: string, load: number): SweepRow {
  const output = execFileSync(
    "npm",
    ["run", "--silent", "overflow", "--", "sweep", "--service", service, "--loads", String(load), "--json"],
    {
      cwd: repoRoot,
      encoding: "utf8",
    },
  );
  const rows = JSON.parse(output) as SweepRow[];
  const row = rows.find((candidate) => Math.abs(candidate.load - load) < 1e-9) ?? rows[0];
  if (!row) throw new Error(`the sweep printed no row for load ${load}`);
  return row;
}

const USAGE = `Usage: npx ts-node --transpile-only scripts/localMesh.ts <command>

The local kind mesh of scripts/kind-up.sh (see README, "Try it locally").

Commands:
  stack-file <member> <peer>    print the stack file (YAML) of a kind member
  members                       print the trust stack's members, one per line
  check --report <file> [--tolerance ${defaultTolerance}]
                                hold the drill's shares (its SHARES line in <file>) against the
                                overflow model's prediction for the drill's load; exits 1 when a
                                share is further from the model's than the tolerance

Options:
  -h, --help                    this help`;

/** Bad input: the entry prints the message with the usage. */
class UsageError extends Error {}

/** Where the commands write: the process's streams, or a test's capture. */
export interface LocalMeshIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

const processIo: LocalMeshIo = { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text) };

function main(argv: string[], io: LocalMeshIo): number {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      report: { type: "string" },
      tolerance: { type: "string", default: String(defaultTolerance) },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    io.out(`${USAGE}\n`);
    return 0;
  }
  const [command, ...rest] = positionals;
  const project = readProjectServices();
  if (command === "stack-file" && rest.length === 2) {
    io.out(kindStackFile(rest[0]!, rest[1]!, project));
    return 0;
  }
  if (command === "members" && rest.length === 0) {
    io.out(`${localMembers(project).join("\n")}\n`);
    return 0;
  }
  if (command === "check" && rest.length === 0) {
    if (!values.report)
      throw new UsageError("check: --report <file> is required: the drill's report (kubectl logs job/overflow-drill -c report)");
    if (!fs.existsSync(values.report)) throw new UsageError(`--report: there is no file '${values.report}'`);
    const tolerance = Number(values.tolerance);
    if (!(tolerance > 0 && tolerance < 1))
      throw new UsageError(`--tolerance: expected a fraction between 0 and 1, got '${values.tolerance}'`);
    const stackFile = path.join(repoRoot, `Pulumi.${kindMembers.home}.yaml`);
    const config = (parseYaml(fs.readFileSync(stackFile, "utf8")) as { config: Record<string, unknown> }).config;
    const { service, load } = drillLoad(config);
    const verdict = compareShares(parseDrillShares(fs.readFileSync(values.report, "utf8")), predict(service, load), tolerance);
    io.out(`${verdict.lines.join("\n")}\n`);
    return verdict.ok ? 0 : 1;
  }
  throw new UsageError(
    command === undefined ? "a command is required" : `unknown command or wrong arguments: '${[command, ...rest].join(" ")}'`,
  );
}

/** Bad input (ours, or parseArgs' unknown and malformed options) gets its message and the usage, not a stack trace. */
function isUsageError(error: unknown): error is Error {
  return error instanceof UsageError || (error instanceof TypeError && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS"));
}

/** The script's entry: runs one command and returns its exit code; bad input gets 2, with the usage. */
export function runLocalMesh(argv: string[], io: LocalMeshIo = processIo): number {
  try {
    return main(argv, io);
  } catch (error) {
    if (!isUsageError(error)) throw error;
    io.err(`localMesh: ${error.message}\n\n${USAGE}\n`);
    return 2;
  }
}

if (require.main === module) process.exitCode = runLocalMesh(process.argv.slice(2));
