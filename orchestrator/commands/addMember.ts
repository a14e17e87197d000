/**
 * `npm run mesh -- add-member <name>`: brings a new member into a running mesh in the order that
 * never leaves a member pointing at what does not exist yet: the trust stack (the new member's
 * intermediate), the new member's stack, then every other member (their remote secrets, allowlists and
 * gateway source ranges now include it), and the doctor as the gate.
 */
import { blockingProblems } from "../../doctor/check";
import type { Log, MeshPlan, MeshWorkspace } from "../ports";
import type { StackCommand } from "./command";
import { meshHealth } from "./doctor";
import { meshUp } from "./up";

/** Whether the mesh passes the gate, and what stands in the way when not. */
export interface MeshGate {
  (plan: MeshPlan): Promise<{ ok: boolean; problems: string[] }>;
}

/** The doctor as a gate: every check passes (a warning passes; a check that could not run does not). */
export function doctorGate(workspace: MeshWorkspace, istiodUrls: readonly string[]): MeshGate {
  return async (plan) => {
    const { results } = await meshHealth(workspace, plan, { istiodUrls: [...istiodUrls] });
    const problems = blockingProblems(results);
    return { ok: problems.length === 0, problems };
  };
}

/** The plan narrowed to some stacks of it (the trust stack only when `trust`). */
export const only = (plan: MeshPlan, clusters: readonly string[], trust = false): MeshPlan => ({
  ...plan,
  selection: { ...(trust ? { trust: plan.trust } : {}), clusters: [...clusters] },
});

/** Runs the gate, printing its problems; resolves with whether it passed. */
export async function passesGate(log: Log, gate: MeshGate, plan: MeshPlan, command: string, resume: string): Promise<boolean> {
  const outcome = await gate(plan);
  if (outcome.ok) return true;
  for (const problem of outcome.problems) log.err(`  × ${problem}`);
  log.err(`${command}: the doctor's gate did not pass. Fix the above (npm run mesh -- doctor says more), then ${resume}.`);
  return false;
}

export async function addMember(options: {
  workspace: MeshWorkspace;
  log: Log;
  plan: MeshPlan;
  name: string;
  gate: MeshGate;
}): Promise<number> {
  const { workspace, log, plan, name } = options;
  if (!plan.clusters.includes(name)) {
    log.err(
      `add-member: '${name}' has no stack file: create Pulumi.${name}.yaml and add '${name}' to burstmesh:members in Pulumi.yaml first`,
    );
    return 1;
  }
  const others = plan.clusters.filter((stack) => stack !== name);
  const steps: [string, MeshPlan][] = [
    [`the trust stack, for ${name}'s intermediate CA`, only(plan, [], true)],
    [`${name}`, only(plan, [name])],
    [`every other member, for the remote secrets, allowlists and gateway ranges (${others.join(", ") || "none"})`, only(plan, others)],
  ];
  for (const [index, [what, step]] of steps.entries()) {
    log.out(`add-member: ${index + 1}/${steps.length + 1}: ${what}`);
    await meshUp(workspace, log, step);
  }
  log.out(`add-member: ${steps.length + 1}/${steps.length + 1}: the doctor's gate`);
  if (!(await passesGate(log, options.gate, plan, "add-member", `run npm run mesh -- add-member ${name} again (every step is an up)`)))
    return 1;
  log.out(`add-member: ${name} is a member of the mesh`);
  return 0;
}

export const addMemberCommand: StackCommand = {
  name: "add-member",
  argument: "name",
  asksFirst: true,
  findingsStopIt: true,
  summary: [
    "Bring a new member (its stack file and members entry in place) into the running mesh:",
    "the trust stack, the new stack, every other stack, then the doctor as the gate.",
  ],
  options: ["istiod-url"],
  run: ({ workspace, log, plan }, invocation) =>
    addMember({ workspace, log, plan, name: invocation.argument!, gate: doctorGate(workspace, invocation.istiodUrls) }),
};
