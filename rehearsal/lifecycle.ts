/**
 * The rehearsal's life cycle, with the program and the orchestrator users run: control planes up,
 * then `npm run mesh -- validate`, `preview` on the fresh mesh, `up` until converged, a second `up`
 * that changes nothing, `pulumi preview --expect-no-changes` on every stack, the checks, and
 * `destroy`, which must leave nothing that was not there before.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { onlySame, unchangingOps } from "../orchestrator/commands/up";
import { loadPins, toolchainStatus } from "./toolchain/build";
import { serveCharts, type ChartServer } from "./chartServer";
import {
  checkCacerts,
  checkDeclaredObjects,
  checkHelmReleases,
  checkRemoteSecret,
  checkStateHoldsNoSecret,
  type CheckResult,
  type StateResource,
} from "./checks";
import { startMember, type RunningMember } from "./controlPlane";
import { checkDoctor, type DoctorReport } from "./faults";
import { checkMembers } from "./members";
import { checkIntermediateRotation } from "./rotation";
import { markInjectedPods, startIstiods } from "./istiod";
import { checkUpgrade } from "./upgrade";
import { createMemberNetwork, memberNetwork, removeMemberNetwork } from "./network";
import { ProcessGroup } from "./processes";
import { istiodNamespaceCopies, leftovers, snapshot } from "./snapshot";
import { memberStackConfig, rehearsalMemberNames, rehearsalTrustStack, type RehearsalSettings, trustStackConfig } from "./stacks";
import { KubeApi } from "../doctor/kubeApi";
import { checkGeneratedConfig, type XdsDump } from "./xds";
import { createStack, createWorkdir, installPlugin, lockedVersion, openWorkdir, pulumi, type Workdir } from "./workdir";

/** One `npm run mesh` command as the rehearsal ran it. */
interface MeshRun {
  args: string[];
  code: number;
  durationMs: number;
  log: string;
  /** The command's last line when it is the JSON summary (`--json`). */
  summary?: Record<string, unknown>;
}

export interface RehearsalReport {
  ok: boolean;
  members: string[];
  toolchain: Record<string, string>;
  preview?: unknown;
  passes?: { pass: number; changed: Record<string, unknown> }[];
  changingPasses?: number;
  secondUp?: unknown;
  checks: CheckResult[];
  /** What istiod sent the xDS client for each overflow service, as Envoy config dumps (files relative to the work folder). */
  xdsDumps?: XdsDump[];
  leftovers?: Record<string, string[]>;
  durations: Record<string, number>;
  /** Why the rehearsal stopped early, when it did. */
  error?: string;
}

export interface RehearsalOptions {
  repoRoot: string;
  members: number;
  /** Where the work folder goes (removed first when it is a previous rehearsal's). */
  workRoot: string;
  keep: boolean;
  say: (line: string) => void;
}

/** Timeout of one `npm run mesh` command, preview and destroy included: generous, bounded. */
const meshCommandTimeoutMs = 30 * 60_000;

/** The `npm run mesh` commands running now, each the leader of its own process group (it and the Pulumi CLIs it starts). */
const runningCommands = new Set<number>();

/** Stops the `npm run mesh` commands under way, with the Pulumi CLIs and plugins they started: for an interrupted rehearsal. */
export function stopRunningCommands(): void {
  for (const pid of runningCommands) {
    try {
      process.kill(-pid, "SIGTERM");
    } catch {
      // Already gone.
    }
  }
}

/** Runs `npm run mesh -- <args>` in the work folder's project, its output in `log`. */
function mesh(workdir: Workdir, args: string[], log: string): Promise<MeshRun> {
  const started = Date.now();
  const tsNode = path.join(workdir.project, "node_modules", ".bin", "ts-node");
  return new Promise((resolve, reject) => {
    const out = fs.openSync(log, "w");
    const child = spawn(tsNode, ["--transpile-only", "orchestrator/cli.ts", ...args], {
      cwd: workdir.project,
      env: workdir.env,
      stdio: ["ignore", out, out],
      detached: true,
    });
    fs.closeSync(out);
    if (child.pid !== undefined) runningCommands.add(child.pid);
    const timer = setTimeout(() => stopRunningCommands(), meshCommandTimeoutMs);
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      if (child.pid !== undefined) runningCommands.delete(child.pid);
      clearTimeout(timer);
      const lines = fs.readFileSync(log, "utf8").trim().split("\n");
      let summary: Record<string, unknown> | undefined;
      try {
        summary = JSON.parse(lines.at(-1) ?? "") as Record<string, unknown>;
      } catch {
        summary = undefined;
      }
      resolve({ args, code: code ?? (signal ? 128 : 1), durationMs: Date.now() - started, log, summary });
    });
  });
}

/** The cluster passes of an `up` summary with what changed in each: the passes that were not all `same`. */
export function changingPasses(summary: Record<string, unknown>): { pass: number; changed: Record<string, unknown> }[] {
  const updates = (summary.updates ?? []) as { stack: string; pass: number; changes?: Record<string, number> }[];
  const passes = new Map<number, Record<string, unknown>>();
  for (const update of updates) {
    if (update.pass === 0) continue;
    const changed = Object.fromEntries(
      Object.entries(update.changes ?? {}).filter(([op, count]) => !unchangingOps.includes(op) && count > 0),
    );
    if (Object.keys(changed).length === 0) continue;
    passes.set(update.pass, { ...(passes.get(update.pass) ?? {}), [update.stack]: changed });
  }
  return [...passes].map(([pass, changed]) => ({ pass, changed }));
}

/** True when no update of the summary changed anything. */
export function changedNothing(summary: Record<string, unknown>): boolean {
  const updates = (summary.updates ?? []) as { changes?: Record<string, number> }[];
  return updates.every((u) => onlySame(u.changes));
}

/** A resource list from `pulumi stack export`. */
async function stateResources(workdir: Workdir, stack: string): Promise<StateResource[]> {
  const exported = JSON.parse(await pulumi(workdir, ["stack", "export", "--stack", stack])) as {
    deployment?: { resources?: StateResource[] };
  };
  return exported.deployment?.resources ?? [];
}

/** Runs the rehearsal; the report says what passed. Cleans up what it started unless `keep`, also on failure. */
export async function rehearse(options: RehearsalOptions): Promise<RehearsalReport> {
  const durations: Record<string, number> = {};
  const timed = phaseTimer(durations, options.say);

  const pins = loadPins();
  const status = toolchainStatus(pins);
  if (!status.complete) {
    throw new Error(
      `the rehearsal toolchain is not built (missing: ${status.missing.join(", ")}); build it with: npm run rehearse -- --build`,
    );
  }
  const bin = path.join(status.dir, "bin");
  const istioVersion = pins.pins.tools.istio?.stampedAs ?? "";
  const names = rehearsalMemberNames(options.members);
  const report: RehearsalReport = {
    ok: false,
    members: names,
    toolchain: Object.fromEntries(
      Object.entries(pins.pins.tools).map(([name, tool]) => [name, tool.release ?? tool.stampedAs ?? tool.version]),
    ),
    checks: [],
    durations,
  };

  fs.rmSync(options.workRoot, { recursive: true, force: true });
  fs.mkdirSync(options.workRoot, { recursive: true });
  const processes = new ProcessGroup(path.join(options.workRoot, "processes.json"));
  const networks = names.map((_, index) => memberNetwork(index));
  let charts: ChartServer | undefined;
  const members: RunningMember[] = [];
  try {
    await timed("control planes", async () => {
      for (const [index, name] of names.entries()) {
        createMemberNetwork(networks[index]!);
        members.push(
          await startMember({
            name,
            network: networks[index]!,
            dir: path.join(options.workRoot, "members", name),
            bin,
            kwokStages: path.join(status.dir, "kwok", "stages.yaml"),
            processes,
          }),
        );
      }
    });
    charts = await serveCharts(path.join(status.dir, "charts"));
    const workdir = await timed("work folder and stacks", async () => {
      const folder = createWorkdir(options.repoRoot, options.workRoot, bin);
      await installPlugin(
        folder,
        "kubernetes",
        lockedVersion(options.repoRoot, "@pulumi/kubernetes"),
        path.join(bin, "pulumi-resource-kubernetes"),
      );
      await installPlugin(folder, "tls", lockedVersion(options.repoRoot, "@pulumi/tls"), path.join(bin, "pulumi-resource-tls"));
      const settings: RehearsalSettings = {
        project: "burstmesh",
        members: members.map((m) => ({ name: m.name, address: m.network.memberAddress })),
        istioVersion,
        chartRepository: charts!.url,
      };
      await createStack(folder, rehearsalTrustStack, trustStackConfig(settings));
      for (const member of members) {
        const config = memberStackConfig(settings, { name: member.name, address: member.network.memberAddress });
        await createStack(folder, member.name, config, { "burstmesh:kubeconfig": member.kubeconfig });
      }
      return folder;
    });
    const before = await timed("snapshot before up", async () =>
      Object.fromEntries(await Promise.all(members.map(async (m) => [m.name, (await snapshot(m.api)).objects]))),
    );
    // What `npm run rehearse -- destroy` needs of a kept rehearsal.
    fs.writeFileSync(path.join(options.workRoot, "before.json"), JSON.stringify(before));
    fs.writeFileSync(
      path.join(options.workRoot, "members.json"),
      JSON.stringify(members.map((m) => ({ name: m.name, kubeconfig: m.kubeconfigFile }))),
    );

    const logs = path.join(options.workRoot, "logs");
    fs.mkdirSync(logs, { recursive: true });
    const step = async (phase: string, args: string[]): Promise<MeshRun> => {
      const run = await timed(phase, () => mesh(workdir, args, path.join(logs, `${phase.replace(/[^a-z0-9]+/gi, "-")}.log`)));
      if (run.code !== 0) throw new Error(`npm run mesh -- ${args.join(" ")} failed (exit ${run.code}); see ${run.log}`);
      return run;
    };

    await step("validate", ["validate"]);
    report.preview = (await step("preview on the fresh mesh", ["preview", "--json"])).summary?.preview;
    const up = await step("up", ["up", "--yes", "--json"]);
    report.passes = changingPasses(up.summary ?? {});
    report.changingPasses = report.passes.length;
    report.checks.push({
      name: "up converges in at most 2 changing passes",
      ok: report.changingPasses <= 2,
      detail: `${report.changingPasses} changing passes of ${String(up.summary?.clusterPasses)}`,
    });
    const again = await step("second up", ["up", "--yes", "--json"]);
    report.secondUp = again.summary?.updates;
    report.checks.push({
      name: "a second up changes nothing",
      ok: changedNothing(again.summary ?? {}),
      detail: JSON.stringify((again.summary?.updates as unknown[] | undefined)?.map((u) => (u as { changes?: unknown }).changes)),
    });
    await timed("preview --expect-no-changes", async () => {
      for (const stack of [rehearsalTrustStack, ...names]) {
        let ok = true;
        let detail = "no changes";
        try {
          await pulumi(workdir, ["preview", "--expect-no-changes", "--stack", stack], undefined, 10 * 60_000);
        } catch (error) {
          ok = false;
          detail = String((error as { stdout?: string }).stdout ?? error)
            .trim()
            .split("\n")
            .slice(-6)
            .join(" | ");
        }
        report.checks.push({ name: `${stack}: pulumi preview --expect-no-changes`, ok, detail });
      }
    });

    const istiods = await timed("istiod for every member", async () => {
      for (const member of members) await markInjectedPods(member);
      return startIstiods({ members, bin, workRoot: options.workRoot, processes });
    });

    await timed("checks", async () => {
      const secrets: Record<string, string> = { "the stacks' passphrase": workdir.passphrase };
      for (const member of members) {
        const resources = await stateResources(workdir, member.name);
        report.checks.push(await checkDeclaredObjects(member.name, member.api, resources));
        report.checks.push(await checkHelmReleases(member.name, member.api, resources));
        for (const peer of members.filter((m) => m !== member)) {
          report.checks.push(await checkRemoteSecret(member.name, member.api, peer.name, peer.server));
        }
        secrets[`${member.name}'s admin token`] = /token: (\S+)/.exec(member.kubeconfig)![1]!;
        const reader = await member.api.get<{ data?: { token?: string } }>(
          "/api/v1/namespaces/istio-system/secrets/istio-reader-service-account-istio-remote-secret-token",
        );
        if (reader?.data?.token) secrets[`${member.name}'s reader token`] = Buffer.from(reader.data.token, "base64").toString("utf8");
      }
      const rootCertPem = (await pulumi(workdir, ["stack", "output", "rootCertPem", "--stack", rehearsalTrustStack])).trim();
      report.checks.push(await checkCacerts(members, rootCertPem));
      // The rehearsal homes every service in its first member (stacks.ts).
      const generated = await checkGeneratedConfig({ members, home: members[0]!, bin, workRoot: options.workRoot, istioVersion });
      report.checks.push(...generated.checks);
      report.xdsDumps = generated.dumps.map((entry) => ({ ...entry, file: path.relative(options.workRoot, entry.file) }));
      report.checks.push(checkStateHoldsNoSecret(workdir.state, secrets));
    });

    // The real commands, with istiod's debug endpoints where the rehearsal runs each istiod.
    const urls = istiods.flatMap((istiod) => ["--istiod-url", `${istiod.member}=${istiod.debugUrl}`]);
    await timed("rotate-intermediate", async () => {
      const member = members[0]!;
      const rotate = () =>
        step("rotate-intermediate", ["rotate-intermediate", "--member", member.name, "--yes", ...urls]).catch((error: Error) => ({
          code: 1,
          log: error.message,
        }));
      report.checks.push(await checkIntermediateRotation(member, rotate));
    });
    if (members.length >= 3) {
      await timed("remove-member and add-member", async () => {
        const running = new Map(istiods.map((istiod) => [istiod.member, istiod]));
        report.checks.push(
          ...(await checkMembers({
            members,
            before: before[members.at(-1)!.name]!,
            projectDir: workdir.project,
            mesh: (args) => mesh(workdir, args, path.join(logs, `${args[0]}.log`)),
            stopIstiod: (member) => processes.stop([running.get(member.name)!.process]),
            startIstiod: async (member) => {
              const [started] = await startIstiods({ members: [member], bin, workRoot: options.workRoot, processes });
              running.set(member.name, started!);
            },
            istiodUrls: (some) => some.flatMap((member) => ["--istiod-url", `${member.name}=${running.get(member.name)!.debugUrl}`]),
          })),
        );
      });
    }
    await timed("upgrade", async () => {
      report.checks.push(
        ...(await checkUpgrade({
          members,
          istioVersion,
          projectDir: workdir.project,
          mesh: (args) => mesh(workdir, [...args, ...urls], path.join(logs, "upgrade.log")),
          restartIstiods: async () => {
            await processes.stop(istiods.map((istiod) => istiod.process));
            istiods.splice(0, istiods.length, ...(await startIstiods({ members, bin, workRoot: options.workRoot, processes })));
          },
        })),
      );
    });
    await timed("doctor, healthy and under faults", async () => {
      let run = 0;
      const doctor = async (): Promise<DoctorReport> => {
        const result = await mesh(workdir, ["doctor", "--json", ...urls], path.join(logs, `doctor-${++run}.log`));
        const summary = result.summary as DoctorReport | undefined;
        if (!summary?.results) throw new Error(`npm run mesh -- doctor printed no JSON report (exit ${result.code}); see ${result.log}`);
        return summary;
      };
      report.checks.push(...(await checkDoctor({ members, workRoot: options.workRoot, doctor })));
      // The last fault (a reader token's Secret deleted) is undone as the doctor's hint says: a refresh of the
      // peer's stack (its state still holds the deleted Secret), then up, which issues a new token.
      if (options.keep) {
        await pulumi(workdir, ["refresh", "--yes", "--skip-preview", "--stack", members[1]!.name], undefined, 10 * 60_000);
        await step("up after the doctor's faults", ["up", "--yes", "--json"]);
      }
    });

    if (options.keep) {
      options.say(`kept: the control planes run, the state is in ${workdir.state}; 'npm run rehearse -- destroy' tears the mesh down`);
    } else {
      // istiod writes into the members as it runs; it stops first, as the uninstall of its release would stop it.
      await processes.stop(istiods.map((istiod) => istiod.process));
      report.leftovers = await tearDown(workdir, members, before, report, timed);
    }
    report.ok = report.checks.every((check) => check.ok);
    return report;
  } catch (error) {
    report.error = (error as Error).message;
    return report;
  } finally {
    await charts?.close();
    if (!options.keep || report.error) {
      await processes.stopAll();
      for (const network of networks) removeMemberNetwork(network);
    }
  }
}

/**
 * Step 5 of a kept rehearsal (`npm run rehearse -- destroy`): `destroy` and the leftovers check;
 * the control planes keep running, so that what is left can be inspected.
 */
export async function destroyKept(workRoot: string, say: (line: string) => void): Promise<RehearsalReport> {
  const status = toolchainStatus();
  const workdir = openWorkdir(workRoot, path.join(status.dir, "bin"));
  const saved = JSON.parse(fs.readFileSync(path.join(workRoot, "members.json"), "utf8")) as { name: string; kubeconfig: string }[];
  const members = saved.map(({ name, kubeconfig }) => ({ name, api: KubeApi.fromKubeconfig(fs.readFileSync(kubeconfig, "utf8")) }));
  const before = JSON.parse(fs.readFileSync(path.join(workRoot, "before.json"), "utf8")) as Record<string, string[]>;
  const durations: Record<string, number> = {};
  const report: RehearsalReport = { ok: false, members: members.map((m) => m.name), toolchain: {}, checks: [], durations };
  try {
    report.leftovers = await tearDown(workdir, members, before, report, phaseTimer(durations, say));
    report.ok = report.checks.every((check) => check.ok);
  } catch (error) {
    report.error = (error as Error).message;
  }
  return report;
}

/** Times each phase into `durations`, announcing it. */
function phaseTimer(durations: Record<string, number>, say: (line: string) => void) {
  return async <T>(phase: string, work: () => Promise<T> | T): Promise<T> => {
    const started = Date.now();
    say(`== ${phase}`);
    try {
      return await work();
    } finally {
      durations[phase] = Date.now() - started;
      say(`   ${phase}: ${(durations[phase]! / 1000).toFixed(1)}s`);
    }
  };
}

/** `destroy`, then what each member holds that it did not before `up`, and whether every stack is empty. */
async function tearDown(
  workdir: Workdir,
  members: readonly { name: string; api: KubeApi }[],
  before: Record<string, string[]>,
  report: RehearsalReport,
  timed: <T>(phase: string, work: () => Promise<T> | T) => Promise<T>,
): Promise<Record<string, string[]>> {
  fs.mkdirSync(path.join(workdir.root, "logs"), { recursive: true });
  const run = await timed("destroy", () => mesh(workdir, ["destroy", "--yes"], path.join(workdir.root, "logs", "destroy.log")));
  report.checks.push({ name: "npm run mesh -- destroy succeeds", ok: run.code === 0, detail: `exit ${run.code}; log ${run.log}` });
  const left: Record<string, string[]> = {};
  const kept: string[] = [];
  for (const member of members) {
    const after = leftovers(before[member.name]!, await snapshot(member.api));
    left[member.name] = after.left;
    if (kept.length === 0) kept.push(...after.keptByDesign);
  }
  const remaining = Object.entries(left).filter(([, keys]) => keys.length > 0);
  const keptCrds = kept.filter((key) => key.includes(" CustomResourceDefinition ")).length;
  const keptCopies = kept.filter((key) => istiodNamespaceCopies.some((name) => key.endsWith(`/${name}`))).length;
  report.checks.push({
    name: "destroy leaves nothing burstmesh created",
    ok: remaining.length === 0,
    detail:
      remaining.length > 0
        ? remaining.map(([name, keys]) => `${name}: ${keys.join(", ")}`).join("; ")
        : `every member as before up, but for Istio's ${keptCrds} CRDs, which the base chart keeps on uninstall by design (README, "Teardown"), and ${keptCopies} ConfigMaps istiod left in namespaces that outlive the mesh (${istiodNamespaceCopies.join(", ")})`,
  });
  const stacks = [rehearsalTrustStack, ...members.map((m) => m.name)];
  const nonEmpty: string[] = [];
  for (const stack of stacks) if ((await stateResources(workdir, stack)).length > 0) nonEmpty.push(stack);
  report.checks.push({
    name: "every stack is empty",
    ok: nonEmpty.length === 0,
    detail: nonEmpty.length > 0 ? `resources left in ${nonEmpty.join(", ")}` : `${stacks.length} stacks`,
  });
  return left;
}
