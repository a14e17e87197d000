/**
 * `npm run mesh -- rotate-intermediate --member X`: a new intermediate CA for one member, under the
 * same root. istiod reloads a new intermediate from `cacerts` while it runs, and every peer already
 * trusts the root that signed it, so nothing restarts; certificates istiod issued under the old
 * intermediate stay valid until they expire.
 */
import { trustKey, type TrustSettings } from "../../config";
import { errorMessage } from "../errors";
import type { Log, MeshPlan, MeshWorkspace } from "../ports";
import { type GateOutcome, type PublishedTrust, readPublishedTrust, trustGate } from "../trustGate";
import { writeTrustSettings } from "../trustFile";
import type { StackCommand } from "./command";
import { meshHealth } from "./doctor";
import { meshUp } from "./up";

interface IntermediateRotation {
  workspace: MeshWorkspace;
  log: Log;
  plan: MeshPlan;
  trustFile: string;
  trust: TrustSettings;
  member: string;
  /** Deploys the trust stack and then the member's stack. */
  deploy(): Promise<void>;
  gate(published: PublishedTrust): Promise<GateOutcome>;
}

/** Bumps the member's intermediate generation, deploys, and gates; resolves with the exit code. */
export async function rotateIntermediate(rotation: IntermediateRotation): Promise<number> {
  const { trust, member, log } = rotation;
  const from = trust.intermediates[member];
  if (from === undefined) {
    log.err(`rotate-intermediate: '${member}' is not a member (${Object.keys(trust.intermediates).join(", ")})`);
    return 1;
  }
  writeTrustSettings(rotation.trustFile, { ...trust, intermediates: { ...trust.intermediates, [member]: from + 1 } });
  log.out(`rotate-intermediate: ${trustKey}.intermediates.${member} ${from} → ${from + 1}; deploying the trust stack, then ${member}`);
  try {
    await rotation.deploy();
  } catch (err) {
    log.err(
      `rotate-intermediate: stopped while deploying: ${errorMessage(err)}. Fix that and run npm run mesh -- up --stacks ${rotation.plan.trust},${member}.`,
    );
    return 1;
  }
  const outcome = await rotation.gate(await readPublishedTrust(rotation.workspace, rotation.plan.trust));
  if (!outcome.ok) {
    for (const problem of outcome.problems) log.err(`  × ${problem}`);
    log.err(`rotate-intermediate: ${member}'s new intermediate has not landed; npm run mesh -- doctor --member ${member} says more`);
    return 1;
  }
  log.out(`rotate-intermediate: ${member} issues workload certificates under intermediate generation ${from + 1}`);
  return 0;
}

export const rotateIntermediateCommand: StackCommand = {
  name: "rotate-intermediate",
  asksFirst: true,
  findingsStopIt: true,
  summary: [
    "A new intermediate CA for one member (--member X), under the same root: the trust stack",
    "and that member are deployed, istiod reloads it without a restart, and the doctor gates it.",
  ],
  options: ["member", "istiod-url"],
  async run({ workspace, log, plan }, invocation) {
    const trust = plan.configs?.get(plan.trust);
    if (trust?.role !== "trust" || !plan.files?.stacks[plan.trust])
      throw new Error(`cannot read ${trustKey} of the trust stack ${plan.trust}: run npm run mesh -- validate`);
    if (!invocation.member) throw new Error("rotate-intermediate needs --member <name>: the member whose intermediate CA is renewed");
    const member = invocation.member;
    return rotateIntermediate({
      workspace,
      log,
      plan,
      trustFile: plan.files.stacks[plan.trust]!,
      trust: trust.trust,
      member,
      deploy: async () => void (await meshUp(workspace, log, { ...plan, selection: { trust: plan.trust, clusters: [member] } })),
      gate: async (published) => trustGate(await meshHealth(workspace, plan, invocation), published),
    });
  },
};
