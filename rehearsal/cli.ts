/**
 * `npm run rehearse -- [--members 2|3] [--json FILE] [--keep] | --build | destroy | down | fixtures`
 *
 * The mesh for real on this machine, with no cloud: the real Pulumi engine and providers against
 * real Kubernetes API servers, one per member in a network namespace of its own (see lifecycle.ts).
 * Needs root (network namespaces) and the toolchain (`--build`, once; cached outside the repository).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { formatDuration } from "../orchestrator/summary";
import { destroyKept, rehearse, type RehearsalReport, stopRunningCommands } from "./lifecycle";
import { rehearsalNamespaces, removeMemberNetwork, memberNetwork } from "./network";
import { readProcessRecords, stopProcesses } from "./processes";
import { buildToolchain, toolchainStatus } from "./toolchain/build";
import { recordedFixtures } from "./xds";

const usage = `Usage: npm run rehearse -- [options] | --build | destroy | down | fixtures

  (no command)     The life cycle: control planes, validate, preview on the fresh mesh, up until
                   converged, a second up, preview --expect-no-changes, the checks, destroy.
  --members N      2 (default) or 3 members besides the trust stack.
  --json FILE      Also write the report as JSON.
  --keep           Stop after the checks and leave the control planes and the state running;
                   writes .rehearsal/env.sh for 'npm run mesh' and pulumi by hand. 'down' ends it.
  --build          Build the toolchain (Go modules, about 25 min to an hour cold on 2 cores).
  destroy          A kept rehearsal's destroy and leftover check; the control planes keep running.
  down             Stop a kept rehearsal's processes and remove its network namespaces.
  fixtures         Refresh tests/fixtures/xds/ from the last rehearsal's xDS dumps (trimmed to
                   each service) and what its checks held them to.
  -h, --help       Show this help.`;

const repoRoot = path.join(__dirname, "..");
const workRoot = path.join(repoRoot, ".rehearsal");

function printReport(report: RehearsalReport): void {
  for (const check of report.checks) console.log(`${check.ok ? "ok  " : "FAIL"} ${check.name}: ${check.detail}`);
  if (report.xdsDumps?.length) console.log(`xDS dumps (as Envoy config dumps): ${path.join(workRoot, "xds")}`);
  if (report.error) console.log(`FAIL the rehearsal stopped: ${report.error}`);
  const phases = Object.entries(report.durations).map(([phase, ms]) => `${phase} ${formatDuration(ms)}`);
  console.log(`timings: ${phases.join(", ")}`);
  console.log(report.ok ? "rehearsal passed" : "rehearsal failed");
}

/** The environment a person needs to reach a kept rehearsal's stacks and control planes. */
function writeEnvFile(report: RehearsalReport): void {
  const project = path.join(workRoot, "project");
  const lines = [
    "# The kept rehearsal: source this file, then run npm run mesh or pulumi in .rehearsal/project.",
    // The toolchain's pulumi first, so that nothing installs or downloads another.
    `export PATH=${JSON.stringify(`${path.join(toolchainStatus().dir, "bin")}:${path.join(repoRoot, "node_modules", ".bin")}:$PATH`)}`,
    "export BURSTMESH_NO_CLI_INSTALL=1",
    `export PULUMI_HOME=${JSON.stringify(path.join(workRoot, "pulumi-home"))}`,
    `export PULUMI_BACKEND_URL=${JSON.stringify(`file://${path.join(workRoot, "state")}`)}`,
    "export PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true",
    `# PULUMI_CONFIG_PASSPHRASE is in ${path.join(workRoot, "passphrase")} (mode 0600)`,
    `export PULUMI_CONFIG_PASSPHRASE_FILE=${JSON.stringify(path.join(workRoot, "passphrase"))}`,
    ...report.members.map(
      (name) =>
        `export KUBECONFIG_${name.replace(/-/g, "_").toUpperCase()}=${JSON.stringify(path.join(workRoot, "members", name, "admin.kubeconfig"))}`,
    ),
    `cd ${JSON.stringify(project)}`,
  ];
  fs.writeFileSync(path.join(workRoot, "env.sh"), `${lines.join("\n")}\n`);
}

async function down(): Promise<number> {
  await stopProcesses(readProcessRecords(path.join(workRoot, "processes.json")));
  for (const namespace of rehearsalNamespaces()) removeMemberNetwork(memberNetwork(Number(namespace.split("-").at(-1))));
  fs.rmSync(path.join(workRoot, "processes.json"), { force: true });
  console.log("down: the rehearsal's processes are stopped and its network namespaces removed");
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      members: { type: "string", default: "2" },
      json: { type: "string" },
      keep: { type: "boolean", default: false },
      build: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  if (values.build) return (await buildToolchain()).complete ? 0 : 1;
  if (positionals[0] === "down" && positionals.length === 1) return down();
  if (positionals[0] === "fixtures" && positionals.length === 1) {
    const dir = path.join(repoRoot, "tests", "fixtures", "xds");
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    for (const fixture of recordedFixtures(workRoot)) {
      fs.writeFileSync(path.join(dir, `${fixture.service}.json`), `${JSON.stringify(fixture, null, 2)}\n`);
      console.log(`fixtures: tests/fixtures/xds/${fixture.service}.json (${fixture.mode})`);
    }
    return 0;
  }
  if (positionals[0] === "destroy" && positionals.length === 1) {
    const report = await destroyKept(workRoot, (line) => console.log(line));
    printReport(report);
    return report.ok ? 0 : 1;
  }
  if (positionals.length > 0) {
    console.error(`unknown command '${positionals.join(" ")}'\n${usage}`);
    return 2;
  }
  if (values.members !== "2" && values.members !== "3") {
    console.error(`--members must be 2 or 3 (got '${values.members}')`);
    return 2;
  }
  if (process.getuid?.() !== 0) {
    console.error("the rehearsal creates network namespaces: run it as root");
    return 1;
  }
  // An interrupted rehearsal stops what it started and removes its namespaces, as a failed one does.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      console.error(`rehearse: ${signal}: stopping the rehearsal's processes`);
      stopRunningCommands();
      void down().finally(() => process.exit(130));
    });
  }
  const report = await rehearse({
    repoRoot,
    members: Number(values.members),
    workRoot,
    keep: values.keep,
    say: (line) => console.log(line),
  });
  if (values.keep && !report.error) writeEnvFile(report);
  printReport(report);
  if (values.json) fs.writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
  return report.ok ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`rehearse: ${error.message}`);
    process.exit(1);
  },
);
