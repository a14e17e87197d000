/** `npm run mesh -- validate`: the offline check of Pulumi.yaml and every stack file. */
import { describeFinding } from "../validate";
import type { OfflineCommand } from "./command";

export const validateCommand: OfflineCommand = {
  name: "validate",
  summary: [
    "Check Pulumi.yaml and every stack file offline (no CLI, credentials or network): each",
    "stack's config as the program validates it, then membership, names, peering, the trust",
    "stack and the observer across stacks. preview, up and destroy run it first.",
  ],
  options: ["json"],
  offline: true,
  report({ findings, layout }, log, { json }) {
    const stacks = layout ? [layout.trust, ...layout.clusters] : [];
    if (json) {
      log.out(JSON.stringify({ ok: findings.length === 0, stacks, findings }, null, 2));
    } else if (findings.length === 0) {
      log.out(`validate: ${stacks.join(", ")}: no findings`);
    } else {
      for (const finding of findings) log.err(`error: ${describeFinding(finding)}`);
      log.err(`validate: ${findings.length} finding(s)`);
    }
    return findings.length === 0 ? 0 : 1;
  },
};
