/**
 * An Istio upgrade for real: `npm run mesh -- upgrade` through the real engine and providers, gated
 * by the doctor, from the members' non-revisioned istiod (the install of a mesh deployed before
 * revisions, which the rehearsal starts with) to the revision of the same version: the one upgrade
 * the toolchain's single Istio version allows, and the one every existing mesh takes first. While it
 * runs, a watcher records which istiod revisions each API server holds, and marks new pods as the
 * stable tag's injector would (the rehearsal runs no webhook).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { istiodServiceName, revisionName, stableTag } from "../model/istioRevisions";
import { sidecarRevision, type Pod } from "../orchestrator/rollout";
import type { CheckResult } from "./checks";
import type { RunningMember } from "./controlPlane";
import { injectedNamespacesPath, markInjectedPods } from "./istiod";
import { sleep } from "./processes";

/** The revisions of a member's istiod Deployments: their `istio.io/rev` label, `default` without one. */
async function istiodRevisions(member: RunningMember): Promise<string[]> {
  const deployments = (await member.api.list("/apis/apps/v1/namespaces/istio-system/deployments?labelSelector=app%3Distiod")) as {
    metadata: { labels?: Record<string, string> };
  }[];
  return deployments.map((deployment) => deployment.metadata.labels?.["istio.io/rev"] ?? "default").sort();
}

/** Watches every member until `stop` resolves (at most `limitMs`): the most revisions seen at once, per member. */
async function watch(members: readonly RunningMember[], stop: Promise<unknown>, limitMs: number): Promise<Record<string, string[]>> {
  let done = false;
  void stop.finally(() => (done = true));
  const most: Record<string, string[]> = Object.fromEntries(members.map((member) => [member.name, []]));
  const deadline = Date.now() + limitMs;
  while (!done && Date.now() < deadline) {
    for (const member of members) {
      try {
        const revisions = await istiodRevisions(member);
        if (revisions.length > most[member.name]!.length) most[member.name] = revisions;
        await markInjectedPods(member);
      } catch {
        // An API read that fails mid-deployment is tried again on the next round.
      }
    }
    await sleep(1500);
  }
  return most;
}

export async function checkUpgrade(options: {
  members: readonly RunningMember[];
  istioVersion: string;
  /** The project copy: Pulumi.yaml and the stack files. */
  projectDir: string;
  /** Runs `npm run mesh -- <args>`; resolves with its exit code and log. */
  mesh(args: string[]): Promise<{ code: number; log: string }>;
  /** Restarts every member's istiod from the Deployment the stable tag now points to; resolves once each has synced every peer. */
  restartIstiods(): Promise<void>;
}): Promise<CheckResult[]> {
  const { members, istioVersion } = options;
  const target = revisionName(istioVersion);
  const run = options.mesh(["upgrade", "--to", istioVersion, "--yes"]);
  const [upgraded, most] = await Promise.all([run, watch(members, run, 40 * 60_000)]);
  const checks: CheckResult[] = [
    {
      name: `npm run mesh -- upgrade --to ${istioVersion}: from the non-revisioned istiod to revision ${target}, every member gated by the doctor`,
      ok: upgraded.code === 0,
      detail: `exit ${upgraded.code}; log ${upgraded.log}`,
    },
  ];

  const problems: string[] = [];
  const held: string[] = [];
  for (const member of members) {
    const end = await istiodRevisions(member);
    held.push(`${member.name}: ${most[member.name]!.join(" + ")} midway, ${end.join(", ")} at the end`);
    if (most[member.name]!.join() !== ["default", target].sort().join()) problems.push(`${member.name} never held both revisions`);
    if (end.join() !== target) problems.push(`${member.name} ends with ${end.join(", ") || "no istiod"}`);
    const tag = await member.api.get<{ metadata: { labels?: Record<string, string> } }>(
      `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/istio-revision-tag-${stableTag}`,
    );
    if (tag?.metadata.labels?.["istio.io/rev"] !== target) problems.push(`${member.name}'s ${stableTag} tag does not point at ${target}`);
    if ((await member.api.list(injectedNamespacesPath)).length === 0)
      problems.push(`${member.name} has no namespace asking for ${stableTag}`);
    const stale = ((await member.api.list("/api/v1/pods")) as unknown as Pod[]).filter((pod) => sidecarRevision(pod) === "default");
    if (stale.length > 0) problems.push(`${member.name}: ${stale.length} pod(s) still on the old revision`);
    if (!(await member.api.get(`/apis/apps/v1/namespaces/istio-system/deployments/${istiodServiceName(target)}`)))
      problems.push(`${member.name} has no ${istiodServiceName(target)} Deployment`);
  }
  checks.push({
    name: "the API servers held both istiod revisions midway and one at the end; the tag, the pods and the namespaces are on it",
    ok: problems.length === 0,
    detail: problems.length > 0 ? problems.join("; ") : held.join("; "),
  });

  const files = fs.readdirSync(options.projectDir).filter((name) => /^Pulumi\..+\.yaml$/.test(name));
  const leftState = files.filter((file) =>
    parseDocument(fs.readFileSync(path.join(options.projectDir, file), "utf8")).hasIn(["config", "burstmesh:istio"]),
  );
  let restarted = "";
  try {
    await options.restartIstiods();
    restarted = `each member's ${istiodServiceName(target)} synced every peer`;
  } catch (error) {
    restarted = `the new revision's istiod did not sync: ${(error as Error).message}`;
  }
  checks.push({
    name: `the upgrade's state is gone from the stack files, and istiod runs from the ${target} Deployment`,
    ok: leftState.length === 0 && restarted.endsWith("every peer"),
    detail: [leftState.length > 0 ? `burstmesh:istio is still in ${leftState.join(", ")}` : "no burstmesh:istio left", restarted].join(
      "; ",
    ),
  });
  return checks;
}
