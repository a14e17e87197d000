/** `npm run mesh -- status`: what exists and how its last update went, read-only. */
import { stackOrder } from "../discovery";
import { errorMessage } from "../errors";
import type { LastUpdate, Log, MeshPlan, MeshWorkspace } from "../ports";
import { describeLast } from "../summary";
import type { StackCommand } from "./command";

interface StackStatus {
  name: string;
  exists: boolean;
  last?: LastUpdate;
  outputs?: { name: string; secret: boolean }[];
  error?: string;
}

/**
 * `status`: per selected stack, whether it exists, its last operation and its output names
 * (secret ones marked `[secret]`). Never prints output values and never creates a stack.
 */
export async function meshStatus(workspace: MeshWorkspace, log: Log, plan: MeshPlan): Promise<StackStatus[]> {
  const statuses = await Promise.all(
    stackOrder(plan.selection).map(async (name): Promise<StackStatus> => {
      try {
        const handle = await workspace.open(name, { create: false });
        if (!handle) return { name, exists: false };
        const [last, outputs] = await Promise.all([handle.info(), handle.outputs()]);
        return {
          name,
          exists: true,
          last,
          outputs: Object.entries(outputs)
            .map(([key, o]) => ({ name: key, secret: o.secret }))
            .sort((a, b) => a.name.localeCompare(b.name)),
        };
      } catch (err) {
        return { name, exists: true, error: errorMessage(err) };
      }
    }),
  );
  for (const s of statuses) {
    const role = s.name === plan.trust ? "trust" : "cluster";
    if (s.error !== undefined) {
      log.err(`[${s.name}] (${role}) status failed: ${s.error}`);
      continue;
    }
    if (!s.exists) {
      log.out(`[${s.name}] (${role}) not created yet`);
      continue;
    }
    log.out(`[${s.name}] (${role}) exists; last update: ${describeLast(s.last)}`);
    const outputs = s.outputs ?? [];
    log.out(
      `[${s.name}] outputs: ${outputs.length === 0 ? "(none)" : outputs.map((o) => (o.secret ? `${o.name} [secret]` : o.name)).join(", ")}`,
    );
  }
  return statuses;
}

export const statusCommand: StackCommand = {
  name: "status",
  asksFirst: false,
  findingsStopIt: false,
  summary: [
    "Per stack: whether it exists, its last update, and its output names (secret outputs",
    "are shown as [secret], never their values).",
  ],
  options: [],
  async run({ workspace, log, plan }) {
    const statuses = await meshStatus(workspace, log, plan);
    return statuses.some((s) => s.error !== undefined) ? 1 : 0;
  },
};
