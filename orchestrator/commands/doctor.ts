/** `npm run mesh -- doctor`: ✓ or × per check of the live mesh, with a hint per problem. */
import type { StackConfig } from "../../config";
import { type CheckResult, exitCode, formatResults } from "../../doctor/check";
import type { ExpectedMember, ExpectedMesh, PublishedPeer } from "../../doctor/expected";
import { kubectlPortForward } from "../../doctor/portForward";
import { type DoctorRun, type MemberAccess, runDoctor } from "../../doctor/run";
import { preflightChecks } from "../preflight";
import type { Log, MeshPlan, MeshWorkspace } from "../ports";
import type { Invocation, StackCommand } from "./command";

type ClusterConfig = Extract<StackConfig, { role: "cluster" }>;

/** What the doctor holds the mesh to: each cluster stack's validated config. */
export function expectedMesh(plan: MeshPlan): ExpectedMesh {
  const clusters = plan.clusters.map((stack) => ({ stack, config: plan.configs?.get(stack) }));
  const unread = clusters.filter(({ config }) => config?.role !== "cluster").map(({ stack }) => stack);
  if (unread.length > 0)
    throw new Error(`doctor needs every cluster stack's config; fix ${unread.join(", ")} first (npm run mesh -- validate)`);
  const configs = clusters.map(({ config }) => config as ClusterConfig);
  const { meshId, trustDomain } = configs[0]?.mesh ?? { meshId: "", trustDomain: "" };
  return {
    meshId,
    trustDomain,
    members: configs.map(({ cluster }) => ({
      name: cluster.clusterName,
      cloud: cluster.cloud,
      network: cluster.network,
      peers: cluster.peers,
      gatewayAllowedCidrs: cluster.gatewayAllowedCidrs,
    })),
  };
}

/**
 * Each member's kubeconfig and published peer record from its stack's outputs. Both are secrets: they
 * go to the doctor's API clients only, never to the log.
 */
async function readMembers(
  workspace: MeshWorkspace,
  mesh: ExpectedMesh,
  istiodUrls: ReadonlyMap<string, string>,
): Promise<{ mesh: ExpectedMesh; access: Map<string, MemberAccess> }> {
  const access = new Map<string, MemberAccess>();
  const members: ExpectedMember[] = [];
  for (const member of mesh.members) {
    const outputs = await (await workspace.open(member.name, { create: false }))?.outputs();
    const kubeconfig = outputs?.kubeconfig?.value;
    const published = outputs?.meshPeer?.value as PublishedPeer | undefined;
    members.push({ ...member, published });
    if (typeof kubeconfig === "string")
      access.set(member.name, { kubeconfig, istiod: istiodUrls.get(member.name) ?? kubectlPortForward(kubeconfig) });
  }
  return { mesh: { ...mesh, members }, access };
}

/** `--istiod-url member=url`, each once. */
export function parseIstiodUrls(entries: readonly string[], members: readonly string[]): Map<string, string> {
  const urls = new Map<string, string>();
  for (const entry of entries) {
    const match = /^([a-z0-9-]+)=(https?:\/\/.+)$/.exec(entry);
    if (!match) throw new Error(`--istiod-url takes member=http://host:port/debug (got '${entry}')`);
    if (!members.includes(match[1]!)) throw new Error(`--istiod-url: '${match[1]}' is not a member (${members.join(", ")})`);
    urls.set(match[1]!, match[2]!.replace(/\/$/, ""));
  }
  return urls;
}

function report(results: readonly CheckResult[], log: Log, json: boolean): number {
  const code = exitCode(results);
  // One line, as every command's --json summary is.
  if (json) log.out(JSON.stringify({ exitCode: code, results }));
  else {
    for (const line of formatResults(results)) log.out(line);
    const count = (status: CheckResult["status"]) => results.filter((r) => r.status === status).length;
    log.out(`doctor: ${count("ok")} ok, ${count("warn")} warning(s), ${count("fail")} problem(s), ${count("unknown")} not checked`);
  }
  return code;
}

/** The doctor's checks of the live mesh, for `doctor` and for the commands that use it as their gate. */
export async function meshHealth(
  workspace: MeshWorkspace,
  plan: MeshPlan,
  invocation: Pick<Invocation, "member" | "istiodUrls">,
): Promise<DoctorRun> {
  const mesh = expectedMesh(plan);
  const names = mesh.members.map((m) => m.name);
  if (invocation.member !== undefined && !names.includes(invocation.member))
    throw new Error(`--member: '${invocation.member}' is not a member (${names.join(", ")})`);
  const read = await readMembers(workspace, mesh, parseIstiodUrls(invocation.istiodUrls, names));
  return runDoctor({ ...read, only: invocation.member });
}

export const doctorCommand: StackCommand = {
  name: "doctor",
  asksFirst: false,
  findingsStopIt: false,
  summary: [
    "Check the live mesh, read-only: ✓ or × per check (versions, identity, trust, gateways,",
    "remote secrets and reader tokens, clocks, istiod's view), with a hint per problem. Exit",
    "0 healthy, 1 problems, 2 could not check. --pre checks this machine before a first up.",
  ],
  options: ["json", "member", "pre", "istiod-url"],
  async run({ workspace, log, plan, settled, runTool }, invocation) {
    const results = invocation.pre
      ? await preflightChecks({ plan, workspace, settled, run: runTool })
      : (await meshHealth(workspace, plan, invocation)).results;
    return report(results, log, invocation.json);
  },
};
