/** `npm run mesh -- doctor`: ✓ or × per check of the live mesh, with a hint per problem. */
import type { StackConfig } from "../../config";
import { type CheckResult, exitCode, formatResults } from "../../doctor/check";
import type { ExpectedMember, ExpectedMesh, PublishedPeer } from "../../doctor/expected";
import { kubectlPortForward } from "../../doctor/portForward";
import { istiodServiceName, type IstioInstall, unrevisioned } from "../../model/istioRevisions";
import { type DoctorRun, type MemberAccess, runDoctor } from "../../doctor/run";
import { preflightChecks } from "../preflight";
import type { Log, MeshPlan, MeshWorkspace, StackOutputs } from "../ports";
import type { Invocation, StackCommand } from "./command";

/**
 * What the doctor holds a member to: its stack file's config where it reads offline, else what its
 * stack last deployed (its outputs: a stack file with encrypted values, such as an existing member's
 * kubeconfig, validates only with its secrets provider). A member with neither is only reported.
 */
function expectedMember(stack: string, config: StackConfig | undefined, outputs: StackOutputs | undefined): ExpectedMember {
  const published = outputs?.meshPeer?.value as PublishedPeer | undefined;
  if (config?.role === "cluster") {
    const { cluster } = config;
    return {
      name: stack,
      cloud: cluster.cloud,
      network: cluster.network,
      peers: cluster.peers,
      gatewayAllowedCidrs: cluster.gatewayAllowedCidrs,
      published,
    };
  }
  const output = (name: string) => outputs?.[name]?.value;
  return {
    name: stack,
    cloud: (output("cloud") as ExpectedMember["cloud"] | undefined) ?? "existing",
    network: (output("network") as string | undefined) ?? "",
    peers: (output("linkedPeers") as string[] | undefined) ?? [],
    gatewayAllowedCidrs: [],
    published,
  };
}

/** The mesh the doctor holds the members to, from the plan's configs and each cluster stack's outputs. */
export function expectedMesh(plan: MeshPlan, outputs: ReadonlyMap<string, StackOutputs | undefined>): ExpectedMesh {
  const configs = [plan.trust, ...plan.clusters].map((stack) => plan.configs?.get(stack));
  const mesh = configs.find((config) => config !== undefined)?.mesh;
  if (!mesh) throw new Error("doctor needs the mesh-wide settings: fix the stack files first (npm run mesh -- validate)");
  return {
    meshId: mesh.meshId,
    trustDomain: mesh.trustDomain,
    members: plan.clusters.map((stack) => expectedMember(stack, plan.configs?.get(stack), outputs.get(stack))),
  };
}

/** Each cluster stack's outputs; undefined for a stack not created yet. */
async function readOutputs(workspace: MeshWorkspace, plan: MeshPlan): Promise<Map<string, StackOutputs | undefined>> {
  const outputs = new Map<string, StackOutputs | undefined>();
  for (const stack of plan.clusters) outputs.set(stack, await (await workspace.open(stack, { create: false }))?.outputs());
  return outputs;
}

/**
 * How to reach each member: the admin kubeconfig its stack publishes, a secret that goes to the
 * doctor's API clients only, never to the log; istiod through the given URL or a port-forward.
 */
function memberAccess(
  outputs: ReadonlyMap<string, StackOutputs | undefined>,
  istiodUrls: ReadonlyMap<string, string>,
): Map<string, MemberAccess> {
  const access = new Map<string, MemberAccess>();
  for (const [stack, published] of outputs) {
    const kubeconfig = published?.kubeconfig?.value;
    // The stable tag's istiod is the one the member's workloads use; a stack from before revisions runs `istiod`.
    const stable = (published?.istio?.value as IstioInstall | undefined)?.tags.stable ?? unrevisioned;
    if (typeof kubeconfig === "string")
      access.set(stack, { kubeconfig, istiod: istiodUrls.get(stack) ?? kubectlPortForward(kubeconfig, istiodServiceName(stable)) });
  }
  return access;
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
  const names = plan.clusters;
  if (invocation.member !== undefined && !names.includes(invocation.member))
    throw new Error(`--member: '${invocation.member}' is not a member (${names.join(", ")})`);
  const urls = parseIstiodUrls(invocation.istiodUrls, names);
  const outputs = await readOutputs(workspace, plan);
  return runDoctor({ mesh: expectedMesh(plan, outputs), access: memberAccess(outputs, urls), only: invocation.member });
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
