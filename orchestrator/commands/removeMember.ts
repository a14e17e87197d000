/**
 * `npm run mesh -- remove-member <name>`: takes a member out of a running mesh without leaving its
 * endpoints behind in the others (istio/istio#35082: a cluster destroyed before its remote secrets
 * are gone stays healthy in its peers' istiods) and without leaving it able to read them (it holds
 * their reader tokens). The plan is printed and confirmed first; every step is an `up` or a
 * `destroy`, so an interrupted run is resumed by running it again.
 */
import * as path from "node:path";
import { projectDefaults, projectName, readStackFileConfig, type StackConfig } from "../../config";
import type { Log, MeshPlan, MeshWorkspace } from "../ports";
import { validateMesh } from "../validate";
import { removeMemberFromConfig, setStackConfig } from "../memberFiles";
import { doctorGate, type MeshGate, only, passesGate } from "./addMember";
import type { StackCommand } from "./command";
import { meshDestroy } from "./destroy";
import { meshUp } from "./up";

/**
 * The services that still need `name`: homed there, or running a version only there. Read from the
 * stack files as written (each one's `burstmesh:services`, else Pulumi.yaml's), since a stack file
 * with encrypted values has no config offline; `validate` has checked their shape.
 */
export function servicesOn(
  files: { project: string; stacks: Readonly<Record<string, string>> },
  clusters: readonly string[],
  name: string,
): string[] {
  const key = `${projectName}:services`;
  const defaults = projectDefaults(path.dirname(files.project));
  const needing = new Set<string>();
  for (const stack of clusters) {
    const raw = readStackFileConfig(files.stacks[stack]!).raw[key];
    const services = (raw === undefined ? defaults[key] : JSON.parse(raw)) as
      { name: string; homeCluster?: string; versions?: { clusters: string[] }[] }[] | undefined;
    for (const service of services ?? []) {
      const onlyThere = (service.versions ?? []).some((version) => version.clusters.length === 1 && version.clusters[0] === name);
      if (service.homeCluster === name || onlyThere) needing.add(service.name);
    }
  }
  return [...needing];
}

const steps = (name: string, survivors: readonly string[]) => [
  `check that no service needs ${name} (homed there, or a version only there)`,
  `drop ${name} from burstmesh:members (and any peers list) and update ${survivors.join(", ")}: their remote secrets for ${name} go; then the doctor checks their gateways`,
  `destroy ${name}'s stack`,
  `update the trust stack: ${name}'s intermediate CA is retired`,
  `re-issue the reader tokens of ${survivors.join(", ")}, which ${name} held, and update them with each other's new ones; then the doctor's gate`,
];

export async function removeMember(options: {
  workspace: MeshWorkspace;
  log: Log;
  plan: MeshPlan;
  name: string;
  /** Asks before anything changes; resolves with the answer. */
  confirm(question: string): Promise<boolean>;
  gate: MeshGate;
  /** Re-reads the stack files after the config changed, as `validate` reads them. */
  reread(): ReadonlyMap<string, StackConfig>;
}): Promise<number> {
  const { workspace, log, plan, name } = options;
  const survivors = plan.clusters.filter((stack) => stack !== name);
  if (!plan.clusters.includes(name) || !plan.files) {
    log.err(`remove-member: '${name}' is not a member with a stack file (members: ${plan.clusters.join(", ")})`);
    return 1;
  }
  if (survivors.length === 0) {
    log.err(`remove-member: '${name}' is the only member; npm run mesh -- destroy tears the whole mesh down`);
    return 1;
  }
  // Step 1, before anything is asked or changed.
  const needed = servicesOn(plan.files, plan.clusters, name);
  if (needed.length > 0) {
    log.err(
      `remove-member: ${needed.join(", ")} still need ${name}: set their burstmesh:services[].homeCluster (and any version's clusters) ` +
        `to another member and run npm run mesh -- up first; nothing changed`,
    );
    return 1;
  }

  log.out(`remove-member ${name}, in order:`);
  steps(name, survivors).forEach((step, index) => log.out(`  ${index + 1}. ${step}`));
  if (!(await options.confirm(`Remove ${name} from the mesh and destroy its stack?`))) {
    log.err("remove-member cancelled; nothing changed");
    return 1;
  }

  const changed = removeMemberFromConfig(plan.files, name);
  log.out(
    `remove-member: 2/5: ${changed.map((file) => path.basename(file)).join(", ") || "the config already left it out"}; updating ${survivors.join(", ")}`,
  );
  const remaining: MeshPlan = { ...plan, clusters: survivors, configs: options.reread(), selection: { clusters: survivors } };
  await meshUp(workspace, log, remaining);
  const resume = `run npm run mesh -- remove-member ${name} again (it resumes: every step is an up or a destroy)`;
  if (!(await passesGate(log, options.gate, remaining, "remove-member", resume))) return 1;

  log.out(`remove-member: 3/5: destroying ${name}`);
  await meshDestroy(workspace, log, { ...plan, selection: { clusters: [name] } });

  log.out("remove-member: 4/5: the trust stack");
  await meshUp(workspace, log, only(remaining, [], true));

  // A new token generation is a token Secret of another name, so a new token (model: readerToken.ts):
  // the old one, which the removed member holds, is deleted with its Secret.
  const tokenKey = `${projectName}:readerTokenGeneration`;
  const generations = survivors.map((stack) => {
    const config = remaining.configs?.get(stack);
    return { stack, next: (config?.role === "cluster" ? config.cluster.readerTokenGeneration : 1) + 1 };
  });
  log.out(`remove-member: 5/5: new reader tokens: ${generations.map(({ stack, next }) => `${stack} ${tokenKey} ${next}`).join(", ")}`);
  for (const { stack, next } of generations) setStackConfig(plan.files.stacks[stack]!, tokenKey, next);
  await meshUp(workspace, log, remaining);
  if (!(await passesGate(log, options.gate, remaining, "remove-member", resume))) return 1;
  log.out(`remove-member: ${name} has left the mesh; its stack file Pulumi.${name}.yaml can go`);
  return 0;
}

export const removeMemberCommand: StackCommand = {
  name: "remove-member",
  argument: "name",
  asksFirst: true,
  // Once it has taken the member out of the config, its stack file is a finding until it is deleted;
  // a resumed run must not stop at it.
  findingsStopIt: false,
  summary: [
    "Take a member out of the running mesh (plan first, then confirm): check nothing is homed",
    "there, drop it and update the others, destroy its stack, retire its intermediate CA, and",
    "re-issue the reader tokens it held. The doctor gates the others.",
  ],
  options: ["istiod-url"],
  run({ workspace, log, plan, confirm }, invocation) {
    return removeMember({
      workspace,
      log,
      plan,
      name: invocation.argument!,
      confirm: async (question) => invocation.yes || (confirm ? confirm(question) : false),
      gate: doctorGate(workspace, invocation.istiodUrls),
      reread: () => validateMesh(path.dirname(plan.files!.project)).configs,
    });
  },
};
