/**
 * Members for real, in a rehearsal of three or more: `remove-member` takes the last member out of the
 * running mesh and `add-member` brings it back, through the real engine and the doctor's gates. After
 * the removal the member's API server holds nothing burstmesh created, the survivors hold no remote
 * secret for it, and the reader tokens it held no longer authenticate at the survivors.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { isSeq, parseDocument } from "yaml";
import { reviewToken } from "../doctor/facts";
import { KubeApi } from "../doctor/kubeApi";
import type { CheckResult } from "./checks";
import type { RunningMember } from "./controlPlane";
import { leftovers, snapshot } from "./snapshot";
import { rolledOut } from "../orchestrator/rollout";
import { injectedNamespacesPath, markInjectedPods, stableIstiodPath } from "./istiod";
import { sleep, waitUntil } from "./processes";

/** The API servers' cache of token reviews: a revoked token is refused once its entry expires. */
const tokenReviewCacheMs = 12_000;

/** The kubeconfigs a member's remote secrets hold, by peer: what it could read its peers with. */
async function heldKubeconfigs(member: RunningMember, peers: readonly string[]): Promise<Record<string, string>> {
  const held: Record<string, string> = {};
  for (const peer of peers) {
    const secret = await member.api.get<{ data?: Record<string, string> }>(
      `/api/v1/namespaces/istio-system/secrets/istio-remote-secret-${peer}`,
    );
    const data = secret?.data?.[peer];
    if (data) held[peer] = Buffer.from(data, "base64").toString("utf8");
  }
  return held;
}

/** Adds `member` back to `burstmesh:members` wherever the project copy sets it, as a user would before add-member. */
function addToMembers(projectDir: string, member: string): void {
  for (const file of fs.readdirSync(projectDir).filter((name) => /^Pulumi(\..+)?\.yaml$/.test(name))) {
    const document = parseDocument(fs.readFileSync(path.join(projectDir, file), "utf8"));
    const at = file === "Pulumi.yaml" ? ["config", "members", "default"] : ["config", "burstmesh:members"];
    const members = document.getIn(at);
    if (!isSeq(members) || members.items.some((item) => String((item as { value?: unknown }).value ?? item) === member)) continue;
    members.add(member);
    fs.writeFileSync(path.join(projectDir, file), document.toString());
  }
}

/**
 * What the cluster does for a member whose mesh comes back: starts its istiod once the istiod
 * Deployment exists again, and, once its workloads are available, labels their pods as the injector
 * would (the rehearsal runs no webhook: istiod.ts, {@link markInjectedPods}).
 */
async function whenDeployed(member: RunningMember, startIstiod: (member: RunningMember) => Promise<void>): Promise<void> {
  await waitUntil(
    `${member.name}'s istiod Deployment`,
    10 * 60_000,
    async () => {
      const deployment = await stableIstiodPath(member);
      return deployment !== undefined && (await member.api.get(deployment)) !== undefined;
    },
    2000,
  );
  await startIstiod(member);
  await waitUntil(
    `${member.name}'s workloads`,
    10 * 60_000,
    async () => {
      const namespaces = await member.api.list(injectedNamespacesPath);
      if (namespaces.length === 0) return false;
      for (const namespace of namespaces) {
        const name = (namespace.metadata as { name: string }).name;
        const workloads = (await member.api.list(`/apis/apps/v1/namespaces/${name}/deployments`)) as unknown as Parameters<
          typeof rolledOut
        >[0][];
        if (workloads.length === 0 || !workloads.every(rolledOut)) return false;
      }
      return true;
    },
    2000,
  );
  await markInjectedPods(member);
}

export async function checkMembers(options: {
  members: readonly RunningMember[];
  /** What the member held before the mesh's first up. */
  before: readonly string[];
  /** The project copy: Pulumi.yaml and the stack files. */
  projectDir: string;
  /** Runs `npm run mesh -- <args>`; resolves with its exit code and log. */
  mesh(args: string[]): Promise<{ code: number; log: string }>;
  /** Stops the member's istiod before it leaves. */
  stopIstiod(member: RunningMember): Promise<void>;
  /** Starts the member's istiod (its Deployment exists); resolves when it runs. */
  startIstiod(member: RunningMember): Promise<void>;
  /** `--istiod-url` arguments for these members. */
  istiodUrls(members: readonly RunningMember[]): string[];
}): Promise<CheckResult[]> {
  const leaving = options.members.at(-1)!;
  const survivors = options.members.slice(0, -1);
  const held = await heldKubeconfigs(
    leaving,
    survivors.map((s) => s.name),
  );
  const checks: CheckResult[] = [];

  await options.stopIstiod(leaving);
  const removed = await options.mesh(["remove-member", leaving.name, "--yes", ...options.istiodUrls(survivors)]);
  const problems: string[] = [];
  if (removed.code !== 0) problems.push(`exit ${removed.code}; see ${removed.log}`);
  const left = leftovers(options.before, await snapshot(leaving.api)).left;
  if (left.length > 0) problems.push(`${leaving.name} still holds ${left.slice(0, 5).join(", ")}${left.length > 5 ? ", …" : ""}`);
  for (const survivor of survivors) {
    if (await survivor.api.get(`/api/v1/namespaces/istio-system/secrets/istio-remote-secret-${leaving.name}`))
      problems.push(`${survivor.name} still has a remote secret for ${leaving.name}`);
  }
  await sleep(tokenReviewCacheMs);
  for (const [peer, kubeconfig] of Object.entries(held)) {
    const review = await reviewToken(KubeApi.fromKubeconfig(kubeconfig)).catch((error: Error) => ({
      allowed: false,
      reason: error.message,
    }));
    if (review.allowed) problems.push(`the reader token ${leaving.name} held still reads ${peer}`);
  }
  checks.push({
    name: `npm run mesh -- remove-member ${leaving.name}: nothing left in it, no remote secret for it in ${survivors.map((s) => s.name).join(", ")}, the tokens it held refused`,
    ok: problems.length === 0 && Object.keys(held).length === survivors.length,
    detail: problems.length > 0 ? problems.join("; ") : `${Object.keys(held).length} reader tokens revoked`,
  });

  addToMembers(options.projectDir, leaving.name);
  const [added] = await Promise.all([
    options.mesh(["add-member", leaving.name, "--yes", ...options.istiodUrls(options.members)]),
    whenDeployed(leaving, options.startIstiod),
  ]);
  checks.push({
    name: `npm run mesh -- add-member ${leaving.name}: back in the mesh, the doctor's gate passed`,
    ok: added.code === 0,
    detail: `exit ${added.code}; see ${added.log}`,
  });
  return checks;
}
