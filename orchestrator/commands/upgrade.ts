/**
 * `npm run mesh -- upgrade --to <version>`: Istio's revision-based canary across the members, one
 * step per deployment (model/upgrade.ts plans them; docs/operations.md, "Upgrading Istio", says what
 * each does and how to recover). Each step writes the member's `burstmesh:istio` first, so that the
 * stack files always say where the upgrade is, and then deploys that member alone; a gate after
 * each member's move stops the upgrade at the first failure. `--resume` and `--rollback` start from
 * what the stacks last published.
 */
import * as fs from "node:fs";
import { parseDocument } from "yaml";
import * as path from "node:path";
import {
  istioConfigValue,
  istioKey,
  istioReleases,
  parseIstioConfig,
  projectDefaults,
  projectName,
  readStackFileConfig,
  resolveInstall,
} from "../../config";
import { blockingProblems } from "../../doctor/check";
import { KubeApi } from "../../doctor/kubeApi";
import { type IstioInstall, stableTag } from "../../model/istioRevisions";
import {
  rollbackProblems,
  rollbackSteps,
  upgradeOrder,
  upgradeProblems,
  type UpgradeStep,
  upgradeSteps,
  upgradeUnderWay,
  walkProblems,
} from "../../model/upgrade";
import { errorMessage } from "../errors";
import { setStackConfig } from "../memberFiles";
import type { Log, MeshPlan, MeshWorkspace } from "../ports";
import { type Pod, restartStaleSidecars, sidecarRevision } from "../rollout";
import type { StackCommand } from "./command";
import { meshHealth } from "./doctor";
import { only } from "./addMember";
import { meshUp } from "./up";

type MeshFiles = NonNullable<MeshPlan["files"]>;

/** What the upgrade is asked to do. */
export type UpgradeMode = { to: string } | { resume: true } | { rollback: true };

/** What the upgrade acts through; the command wires these to the stacks and clusters, tests to fakes. */
export interface UpgradeRun {
  log: Log;
  /** Per member, its install as its stack last published it. */
  installs: Readonly<Record<string, IstioInstall>>;
  /** Members in phase 2's order. */
  order: readonly string[];
  mode: UpgradeMode;
  /** Writes a member's `burstmesh:istio`. */
  record(member: string, install: IstioInstall): void;
  /** At the end of an upgrade: `burstmesh:istioVersion` becomes `version`, and every `burstmesh:istio` goes. */
  finish(version: string | undefined): void;
  /** Deploys one member's stack. */
  deploy(member: string): Promise<void>;
  /** Restarts the member's workloads whose sidecars another revision injected; resolves with them. */
  restartWorkloads(member: string, revision: string): Promise<string[]>;
  /** The member's pods whose sidecars `revision` injected, as `namespace/name`. */
  podsOn(member: string, revision: string): Promise<string[]>;
  gate(member: string): Promise<{ ok: boolean; problems: string[] }>;
}

function describe(step: UpgradeStep): string {
  switch (step.kind) {
    case "add-revision":
      return `${step.member}: add istiod ${step.install.revisions.at(-1)!.name} beside ${step.install.revisions[0]!.name} (base and CNI follow the newest)`;
    case "move-tags":
      return `${step.member}: move tag ${stableTag} to ${step.install.tags.stable}`;
    case "restart-workloads":
      return `${step.member}: restart the workloads of the ${stableTag} namespaces onto ${step.revision}`;
    case "move-gateway":
      return `${step.member}: move the east-west gateway to ${step.install.gateway}`;
    case "gate":
      return `${step.member}: gate (the doctor's checks)`;
    case "remove-revision":
      return `${step.member}: remove istiod ${step.removed} once no pod uses it`;
  }
}

/** The steps the mode asks for, or why it is refused. */
function planFor(run: UpgradeRun): { steps: UpgradeStep[]; version?: string } | { problems: string[] } {
  const { installs, order, mode } = run;
  const walk = walkProblems(installs);
  if ("rollback" in mode) {
    const problems = [...walk, ...rollbackProblems(installs)];
    return problems.length > 0 ? { problems } : { steps: rollbackSteps(installs, order) };
  }
  if ("resume" in mode) {
    const version = upgradeUnderWay(installs);
    if (version === undefined) return { steps: [], version: Object.values(installs)[0]?.revisions[0]?.version };
    return walk.length > 0 ? { problems: walk } : { steps: upgradeSteps(installs, version, order), version };
  }
  if (!(istioReleases as readonly string[]).includes(mode.to)) {
    return { problems: [`--to ${mode.to}: burstmesh pins and checks the charts of ${istioReleases.join(" and ")} only`] };
  }
  const problems = [...walk, ...upgradeProblems(installs, mode.to)];
  return problems.length > 0 ? { problems } : { steps: upgradeSteps(installs, mode.to, order), version: mode.to };
}

/** Runs an upgrade, resume or rollback; resolves with the exit code. */
export async function runUpgrade(run: UpgradeRun): Promise<number> {
  const { log } = run;
  const planned = planFor(run);
  if ("problems" in planned) {
    for (const problem of planned.problems) log.err(`  × ${problem}`);
    log.err("upgrade: refused; nothing has been changed");
    return 1;
  }
  const rollback = "rollback" in run.mode;
  log.out(`upgrade: ${planned.steps.length} step(s), members in the order ${run.order.join(", ")} (the least traffic first):`);
  planned.steps.forEach((step, index) => log.out(`  ${index + 1}. phase ${step.phase}: ${describe(step)}`));
  const again = rollback ? "npm run mesh -- upgrade --rollback" : "npm run mesh -- upgrade --resume";
  // Before phase 3 the old revision still serves: the upgrade can still be undone.
  const undo = (step: UpgradeStep) => (rollback || step.phase === 3 ? "" : ", or undo it with npm run mesh -- upgrade --rollback");
  for (const [index, step] of planned.steps.entries()) {
    log.out(`upgrade: ${index + 1}/${planned.steps.length} ${describe(step)}`);
    try {
      const outcome = await take(run, step);
      if (outcome.length > 0) {
        for (const problem of outcome) log.err(`  × ${problem}`);
        log.err(
          `upgrade: stopped at step ${index + 1} (${describe(step)}). Fix the above (npm run mesh -- doctor says more), then ` +
            `${again}${undo(step)}. ${istioKey} in each stack file says where every member stands.`,
        );
        return 1;
      }
    } catch (err) {
      log.err(
        `upgrade: stopped at step ${index + 1} (${describe(step)}): ${errorMessage(err)}. Fix that, then ${again}` + `${undo(step)}.`,
      );
      return 1;
    }
  }
  run.finish(rollback ? undefined : planned.version);
  log.out(rollback ? "upgrade: rolled back; every member runs its old revision alone" : `upgrade: every member runs ${planned.version}`);
  return 0;
}

/** Takes one step; resolves with what stops the upgrade (empty when it may go on). */
async function take(run: UpgradeRun, step: UpgradeStep): Promise<string[]> {
  switch (step.kind) {
    case "restart-workloads": {
      const restarted = await run.restartWorkloads(step.member, step.revision);
      run.log.out(`upgrade: ${step.member}: restarted ${restarted.length > 0 ? restarted.join(", ") : "nothing (every pod was on it)"}`);
      return [];
    }
    case "gate":
      return (await run.gate(step.member)).problems;
    case "remove-revision": {
      const pods = await run.podsOn(step.member, step.removed);
      if (pods.length > 0) {
        return [
          `${step.member}: ${pods.length} pod(s) still run sidecars of ${step.removed} (${pods.slice(0, 5).join(", ")}); restart them first`,
        ];
      }
      break;
    }
  }
  run.record(step.member, step.install);
  await run.deploy(step.member);
  return [];
}

/**
 * Each member's install as its stack last published it. A stack deployed before revisions published
 * none: it runs what its stack file says, read as written (a stack file with encrypted values has no
 * config offline; `validate` has checked its shape).
 */
async function publishedInstalls(workspace: MeshWorkspace, plan: MeshPlan, files: MeshFiles): Promise<Record<string, IstioInstall>> {
  const defaults = projectDefaults(path.dirname(files.project));
  const installs: Record<string, IstioInstall> = {};
  for (const stack of plan.clusters) {
    const outputs = await (await workspace.open(stack, { create: false }))?.outputs();
    if (outputs?.clusterName === undefined) throw new Error(`${stack} has not been deployed: npm run mesh -- up first`);
    const published = outputs.istio?.value as IstioInstall | undefined;
    if (published) {
      installs[stack] = published;
      continue;
    }
    const raw = readStackFileConfig(files.stacks[stack]!).raw;
    const configured = parseIstioConfig(raw[istioKey]);
    if (!configured.ok) throw new Error(configured.issues.join("; "));
    const version = raw[`${projectName}:istioVersion`] ?? String(defaults[`${projectName}:istioVersion`]);
    installs[stack] = resolveInstall(configured.install, version, "before-revisions");
  }
  return installs;
}

/** How many services call each member home, from the stack files as written (each one's `burstmesh:services`, else Pulumi.yaml's). */
function homes(files: MeshFiles, clusters: readonly string[]): Record<string, number> {
  const key = `${projectName}:services`;
  const raw = readStackFileConfig(files.stacks[clusters[0]!]!).raw[key];
  const services = (raw === undefined ? projectDefaults(path.dirname(files.project))[key] : JSON.parse(raw)) as
    { homeCluster?: string }[] | undefined;
  const counts: Record<string, number> = {};
  for (const { homeCluster } of services ?? []) if (homeCluster) counts[homeCluster] = (counts[homeCluster] ?? 0) + 1;
  return counts;
}

/** The member's Kubernetes API, through the admin kubeconfig its stack publishes. */
async function memberApi(workspace: MeshWorkspace, member: string): Promise<KubeApi> {
  const kubeconfig = (await (await workspace.open(member, { create: false }))?.outputs())?.kubeconfig?.value;
  if (typeof kubeconfig !== "string") throw new Error(`${member} has published no kubeconfig: run npm run mesh -- up first`);
  return KubeApi.fromKubeconfig(kubeconfig);
}

/** How long one member's workloads may take to roll out. */
const rolloutTimeoutMs = 20 * 60_000;

/**
 * Sets `burstmesh:istioVersion` in Pulumi.yaml (and in any stack file that sets it) and drops
 * `burstmesh:istio` from every stack file, keeping the rest of each file.
 */
export function finishInFiles(files: MeshFiles, version: string | undefined): void {
  if (version !== undefined) {
    const project = parseDocument(fs.readFileSync(files.project, "utf8"));
    project.setIn(["config", "istioVersion", "default"], version);
    fs.writeFileSync(files.project, project.toString());
  }
  const versionKey = `${projectName}:istioVersion`;
  for (const file of Object.values(files.stacks)) {
    const document = parseDocument(fs.readFileSync(file, "utf8"));
    const pinned = version !== undefined && document.hasIn(["config", versionKey]);
    if (pinned) document.setIn(["config", versionKey], version);
    const dropped = document.hasIn(["config", istioKey]) && document.deleteIn(["config", istioKey]);
    if (pinned || dropped) fs.writeFileSync(file, document.toString());
  }
}

export const upgradeCommand: StackCommand = {
  name: "upgrade",
  asksFirst: true,
  findingsStopIt: true,
  summary: [
    "Istio to a new version (--to x.y.z) without an outage: a new istiod revision everywhere,",
    "then one member at a time its tag, workloads and gateway, each gated by the doctor, then the",
    "old revision goes. --resume goes on from where the stacks stand; --rollback undoes it before phase 3.",
  ],
  options: ["to", "resume", "rollback", "istiod-url"],
  async run({ workspace, log, plan }, invocation) {
    const modes = [invocation.to !== undefined, invocation.resume, invocation.rollback].filter(Boolean).length;
    if (modes !== 1) throw new Error("upgrade takes exactly one of --to <version>, --resume and --rollback");
    if (!plan.files) throw new Error("upgrade needs the stack files: run it from the project folder");
    const files = plan.files;
    const installs = await publishedInstalls(workspace, plan, files);
    return runUpgrade({
      log,
      installs,
      // Every cluster stack reads the same services: the first one's say where each is home.
      order: upgradeOrder(plan.clusters, homes(files, plan.clusters)),
      mode: invocation.to !== undefined ? { to: invocation.to } : invocation.resume ? { resume: true } : { rollback: true },
      record: (member, install) => setStackConfig(files.stacks[member]!, istioKey, istioConfigValue(install)),
      finish: (version) => finishInFiles(files, version),
      deploy: async (member) => void (await meshUp(workspace, log, only(plan, [member]))),
      restartWorkloads: async (member, revision) => {
        const api = await memberApi(workspace, member);
        const namespaces = (
          (await api.list(`/api/v1/namespaces?labelSelector=${encodeURIComponent(`istio.io/rev=${stableTag}`)}`)) as {
            metadata: { name: string };
          }[]
        ).map((namespace) => namespace.metadata.name);
        return restartStaleSidecars({
          api,
          namespaces,
          stale: (pod) => sidecarRevision(pod) !== undefined && sidecarRevision(pod) !== revision,
          now: new Date(),
          timeoutMs: rolloutTimeoutMs,
        });
      },
      podsOn: async (member, revision) => {
        const pods = (await (await memberApi(workspace, member)).list("/api/v1/pods")) as unknown as Pod[];
        return pods.filter((pod) => sidecarRevision(pod) === revision).map((pod) => `${pod.metadata?.namespace}/${pod.metadata?.name}`);
      },
      gate: async (member) => {
        const { results } = await meshHealth(workspace, plan, { member, istiodUrls: invocation.istiodUrls });
        const problems = blockingProblems(results);
        return { ok: problems.length === 0, problems };
      },
    });
  },
};
