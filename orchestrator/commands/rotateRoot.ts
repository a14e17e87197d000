/**
 * `npm run mesh -- rotate-root`: replaces the mesh's root CA without an outage, in the three phases
 * istiod can take while it runs (root A, then A and B, then B), one phase per run. Each run first
 * checks that the phase the config records has landed (and resumes it when not), then takes the next
 * one; the state lives in the trust stack file's `burstmesh:trust`, readable and editable by hand.
 */
import { trustKey, type TrustSettings } from "../../config";
import { injectedNamespace, type KubeObject } from "../../doctor/facts";
import { KubeApi } from "../../doctor/kubeApi";
import { nextRotationStep, rotationPhase, type RotationStep, trustBundleProxySetting } from "../../model/trust";
import { restartStaleSidecars, sidecarHas } from "../rollout";
import { errorMessage } from "../errors";
import type { Log, MeshPlan, MeshWorkspace } from "../ports";
import { type GateOutcome, type PublishedTrust, readPublishedTrust, trustGate } from "../trustGate";
import { writeTrustSettings } from "../trustFile";
import type { StackCommand } from "./command";
import { meshHealth } from "./doctor";
import { meshUp } from "./up";

/** How long the restart of one member's workloads may take to roll out. */
const rolloutTimeoutMs = 20 * 60_000;

/** {@link restartStaleSidecars} in every member, through the admin kubeconfig its stack publishes. */
async function restartMeshSidecars(workspace: MeshWorkspace, plan: MeshPlan): Promise<string[]> {
  const restarted: string[] = [];
  for (const stack of plan.clusters) {
    const kubeconfig = (await (await workspace.open(stack, { create: false }))?.outputs())?.kubeconfig?.value;
    if (typeof kubeconfig !== "string") throw new Error(`${stack} has published no kubeconfig: run npm run mesh -- up first`);
    const api = KubeApi.fromKubeconfig(kubeconfig);
    const namespaces = ((await api.list("/api/v1/namespaces")) as unknown as KubeObject[])
      .filter(injectedNamespace)
      .map((n) => n.metadata.name);
    const names = await restartStaleSidecars({
      api,
      namespaces,
      stale: (pod) => !sidecarHas(pod, trustBundleProxySetting),
      now: new Date(),
      timeoutMs: rolloutTimeoutMs,
    });
    restarted.push(...names.map((name) => `${stack} ${name}`));
  }
  return restarted;
}

const hourMs = 3_600_000;

/** The plan with every stack selected: a trust change reaches every member, whatever `--stacks` says. */
export const everyStack = (plan: MeshPlan): MeshPlan => ({ ...plan, selection: { trust: plan.trust, clusters: [...plan.clusters] } });

/** What each phase does, for the log: its number and what it leaves the mesh with. */
const phases: Record<RotationStep, { number: 1 | 2 | 3; done: string; next: string }> = {
  add: {
    number: 1,
    done: "every member trusts the old and the new root; the old one still signs",
    next: "run npm run mesh -- rotate-root again for phase 2 (the new root signs every intermediate)",
  },
  sign: {
    number: 2,
    done: "every member's intermediate is signed by the new root; both roots are still trusted",
    next: "phase 3 (trust the new root only) waits until every workload certificate from the old root has expired: run npm run mesh -- rotate-root again after the wait",
  },
  retire: { number: 3, done: "every member trusts the new root only: the rotation is complete", next: "nothing: the rotation is complete" },
};

/** What a rotation needs around it: the mesh, where the state is kept, and how to deploy and check. */
export interface RotationContext {
  workspace: MeshWorkspace;
  log: Log;
  plan: MeshPlan;
  /** The trust stack's file, where `burstmesh:trust` is kept. */
  trustFile: string;
  /** `burstmesh:trust` as the file holds it now. */
  trust: TrustSettings;
  /** Deploys every stack (the trust stack first), as `up` does. */
  deploy(): Promise<void>;
  /** The gate over the live mesh against what the trust stack published. */
  gate(published: PublishedTrust): Promise<GateOutcome>;
  /**
   * Restarts the workloads whose sidecars predate the trust-bundle setting (once in a mesh's life: on
   * its first rotation), waiting until they are available; resolves with what it restarted.
   */
  restartStaleSidecars(): Promise<string[]>;
  now: Date;
}

/** Deploys `state` and runs the gate; logs what the phase did and what comes next, or how to resume. */
async function runPhase(context: RotationContext, step: RotationStep, state: TrustSettings): Promise<number> {
  const { log } = context;
  const phase = phases[step];
  writeTrustSettings(context.trustFile, state);
  log.out(
    `rotate-root: phase ${phase.number} of 3: ${trustKey} is now ${JSON.stringify({ roots: state.roots, signingRoot: state.signingRoot })}; deploying`,
  );
  const resume = `run npm run mesh -- rotate-root again: it resumes phase ${phase.number}. docs/operations.md, "Rotating trust", says how to step back`;
  try {
    await context.deploy();
    // Phase 1 is the first a new root needs the proxies to take pushed trust bundles, which only pods
    // created since the mesh had the setting do.
    if (step === "add") {
      const restarted = await context.restartStaleSidecars();
      if (restarted.length > 0) log.out(`rotate-root: restarted for the trust-bundle setting (once): ${restarted.join(", ")}`);
    }
  } catch (err) {
    log.err(`rotate-root: phase ${phase.number} stopped while deploying: ${errorMessage(err)}. Fix that and ${resume}.`);
    return 1;
  }
  const outcome = await context.gate(await readPublishedTrust(context.workspace, context.plan.trust));
  if (!outcome.ok) {
    for (const problem of outcome.problems) log.err(`  × ${problem}`);
    log.err(`rotate-root: phase ${phase.number} has not landed. Fix the above (npm run mesh -- doctor says more) and ${resume}.`);
    return 1;
  }
  log.out(`rotate-root: phase ${phase.number} of 3 done: ${phase.done}. Next: ${phase.next}.`);
  return 0;
}

/** One run of `rotate-root`; see the module comment. `start` begins a rotation from a steady root. */
export async function rotateRoot(context: RotationContext, start: boolean): Promise<number> {
  const { trust, log } = context;
  const phase = rotationPhase(trust);
  if (phase === "steady") {
    if (!start) {
      log.out(`rotate-root: no rotation in progress (the mesh trusts root ${trust.roots[0]} only); --start begins one with phase 1 of 3.`);
      return 0;
    }
    return runPhase(context, "add", { ...trust, ...nextRotationStep(trust).next });
  }
  if (start) {
    log.err(
      `rotate-root: a rotation is already in progress (${trustKey}.roots is [${trust.roots.join(", ")}]); run it without --start to go on.`,
    );
    return 1;
  }
  const current: RotationStep = phase === "added" ? "add" : "sign";
  const published = await readPublishedTrust(context.workspace, context.plan.trust);
  const landed = await context.gate(published);
  if (!landed.ok) {
    log.out(`rotate-root: phase ${phases[current].number} has not landed everywhere yet; resuming it`);
    return runPhase(context, current, trust);
  }
  if (phase === "signed") {
    const signedAt = Math.max(...Object.values(published.issuedAt));
    const leftMs = signedAt + trust.retireAfterHours * hourMs - context.now.getTime();
    if (leftMs > 0) {
      const hours = Math.floor(leftMs / hourMs);
      const minutes = Math.ceil((leftMs % hourMs) / 60_000);
      log.out(
        `rotate-root: phase 3 waits ${trust.retireAfterHours} h after phase 2 (${trustKey}.retireAfterHours), until ` +
          `${new Date(signedAt + trust.retireAfterHours * hourMs).toISOString()}: ${hours} h ${minutes} min left. Run it again then.`,
      );
      return 0;
    }
  }
  const { step, next } = nextRotationStep(trust);
  return runPhase(context, step, { ...trust, ...next });
}

export const rotateRootCommand: StackCommand = {
  name: "rotate-root",
  asksFirst: true,
  findingsStopIt: true,
  summary: [
    "Replace the root CA without an outage, one phase per run: 1. trust old and new root,",
    "2. sign with the new one, 3. after the wait (burstmesh:trust.retireAfterHours), trust the",
    "new one only. --start begins; each later run resumes or goes on. The doctor gates each phase.",
  ],
  options: ["start", "istiod-url"],
  confirmation: () => "rotate-root changes every member's trust and deploys every stack. Go on?",
  async run({ workspace, log, plan }, invocation) {
    const trust = plan.configs?.get(plan.trust);
    if (trust?.role !== "trust" || !plan.files?.stacks[plan.trust])
      throw new Error(`cannot read ${trustKey} of the trust stack ${plan.trust}: run npm run mesh -- validate`);
    return rotateRoot(
      {
        workspace,
        log,
        plan,
        trustFile: plan.files.stacks[plan.trust]!,
        trust: trust.trust,
        deploy: async () => void (await meshUp(workspace, log, everyStack(plan))),
        gate: async (published) => trustGate(await meshHealth(workspace, plan, invocation), published),
        restartStaleSidecars: () => restartMeshSidecars(workspace, plan),
        now: new Date(),
      },
      invocation.start,
    );
  },
};
