/**
 * The offline check of the whole mesh (`npm run mesh -- validate`, and the first step of `preview`,
 * `up` and `destroy`): Pulumi.yaml and every stack file, each stack with the program's own config
 * validation, then what only the stacks together show. No Pulumi CLI, credentials or network.
 */
import { checkConfig, readStackFileConfig, resolvePeers, secretsInClearText, type StackConfig } from "../config";
import { isRecord } from "../config/fields";
import { cidrCovers } from "../model/cidr";
import { discoverStacks, LayoutError, type MeshLayout, type Selection, selectStacks, setting, stackOrder } from "./discovery";

/** One problem to fix, in the stack file it belongs to (none for the project or the layout). */
interface Finding {
  stack?: string;
  message: string;
}

/** What the check found, and the stacks it read. */
export interface MeshValidation {
  findings: Finding[];
  /** The layout, when the stack files could be read at all. */
  layout?: MeshLayout;
  /** The validated config of every checked stack that has no finding of its own, by stack. */
  configs: Map<string, StackConfig>;
}

/**
 * Checks Pulumi.yaml and the `Pulumi.<stack>.yaml` files in `root`: every one, or the mesh the
 * stacks named on the command line form (such as the local mesh's trust, kind-home, kind-burst).
 */
export function validateMesh(root: string, names?: readonly string[]): MeshValidation {
  let layout: MeshLayout;
  let selection: Selection;
  try {
    layout = discoverStacks(root);
    selection = selectStacks(layout, names);
  } catch (error) {
    if (error instanceof LayoutError) return { findings: [{ message: error.message }], configs: new Map() };
    throw error;
  }
  const findings: Finding[] = [];
  const configs = new Map<string, StackConfig>();
  for (const stack of stackOrder(selection)) {
    const check = checkStack(layout, stack);
    if (check.config) configs.set(stack, check.config);
    for (const message of check.issues) findings.push({ stack, message });
  }
  findings.push(...meshIssues(layout, selection));
  return { findings, layout, configs };
}

/**
 * The program's own validation of one stack's config, with encrypted values left to `preview` (they
 * need the secrets provider): its issues, or its config when it has none.
 */
function checkStack(layout: MeshLayout, stack: string): { issues: string[]; config?: StackConfig } {
  const file = layout.files[stack]!.file;
  let stackFile: ReturnType<typeof readStackFileConfig>;
  try {
    stackFile = readStackFileConfig(file);
  } catch (error) {
    return { issues: [(error as Error).message] };
  }
  const check = checkConfig(stackFile.raw, layout.defaults, secretsInClearText(file));
  if (check.ok) return { issues: [], config: check.config };
  const aboutEncrypted = (issue: string) => stackFile.encrypted.some((key) => new RegExp(`^${escape(key)}[:.[]`).test(issue));
  return { issues: check.issues.filter((issue) => !aboutEncrypted(issue)) };
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The settings the checks across stacks read, as each stack declares them (its file, else Pulumi.yaml). */
function declared(layout: MeshLayout, stack: string, key: string): unknown {
  return setting(layout.files[stack]!.config, layout.project, key) ?? layout.defaults[`${layout.project}:${key}`];
}

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : []);

/**
 * What only the stacks together show: membership, names, peering both ways, the trust stack, one
 * observer. The trust stack takes part even when not selected: every cluster stack reads it.
 */
function meshIssues(layout: MeshLayout, selection: Selection): Finding[] {
  const { project, trust } = layout;
  const { clusters } = selection;
  const key = (name: string) => `${project}:${name}`;
  const findings: Finding[] = [];
  const all = [trust, ...clusters];

  // Settings that must agree everywhere, or the stacks build different meshes.
  for (const name of ["members", "meshId", "trustDomain", "trustStack"]) {
    const values = new Map(all.map((stack) => [stack, JSON.stringify(declared(layout, stack, name))]));
    if (new Set(values.values()).size > 1) {
      const described = [...values].map(([stack, value]) => `${stack}: ${value ?? "unset"}`).join("; ");
      findings.push({ message: `${key(name)}: differs between stacks (${described}); set it once, in Pulumi.yaml` });
    }
  }

  const members = strings(declared(layout, trust, "members"));
  for (const stack of clusters.filter((c) => !members.includes(c))) {
    findings.push({
      stack,
      message: `is a cluster stack, but '${stack}' is not one of ${key("members")} (${members.join(", ")}); add it there, or remove the file`,
    });
  }
  for (const member of members.filter((m) => !layout.clusters.includes(m))) {
    findings.push({ message: `${key("members")}: lists '${member}', which has no stack file Pulumi.${member}.yaml` });
  }

  const trustStack = declared(layout, trust, "trustStack");
  if (trustStack !== trust) {
    findings.push({
      message: `${key("trustStack")}: is '${String(trustStack)}', but the stack file with ${key("role")}: trust is Pulumi.${trust}.yaml`,
    });
  }
  if (typeof trustStack === "string" && members.includes(trustStack)) {
    findings.push({ message: `${key("trustStack")}: '${trustStack}' is also one of ${key("members")}; the trust stack holds no cluster` });
  }

  const owners = new Map<string, string[]>();
  for (const stack of clusters) {
    const clusterName = declared(layout, stack, "clusterName");
    if (clusterName !== undefined && clusterName !== stack) {
      findings.push({
        stack,
        message: `${key("clusterName")}: is '${String(clusterName)}', but peers find a cluster by its stack name; name it '${stack}'`,
      });
    }
    const network = declared(layout, stack, "network");
    if (typeof network === "string") owners.set(network, [...(owners.get(network) ?? []), stack]);
  }
  for (const [network, stacks] of owners) {
    if (stacks.length > 1) {
      for (const stack of stacks) {
        const others = stacks.filter((s) => s !== stack).join(", ");
        findings.push({ stack, message: `${key("network")}: '${network}' is also the network of ${others}; every member has its own` });
      }
    }
  }

  const peersOf = (stack: string) => {
    const listed = declared(layout, stack, "peers");
    return resolvePeers(listed === undefined ? undefined : strings(listed), members, stack);
  };
  for (const stack of clusters) {
    for (const peer of peersOf(stack)) {
      if (!layout.clusters.includes(peer) || peer === stack) continue; // the stack's own validation names these
      if (!peersOf(peer).includes(stack)) {
        findings.push({
          stack,
          message: `${key("peers")}: peers with '${peer}', but Pulumi.${peer}.yaml's ${key("peers")} leaves out '${stack}'; peering goes both ways`,
        });
      }
    }
  }

  // Each member's peers admit its egress CIDRs as that member's: two members whose egress overlaps
  // would each be admitted as the other. Only existing members declare theirs; the clouds' are allocated.
  const egress = clusters.flatMap((stack) => strings(declared(layout, stack, "egressCidrs")).map((cidr) => ({ stack, cidr })));
  for (const [index, a] of egress.entries()) {
    for (const b of egress
      .slice(index + 1)
      .filter((b) => b.stack !== a.stack && (cidrCovers(a.cidr, b.cidr) || cidrCovers(b.cidr, a.cidr)))) {
      findings.push({
        stack: b.stack,
        message: `${key("egressCidrs")}: ${b.cidr} overlaps ${a.cidr} of ${a.stack}; peers tell members apart by their egress, so each needs its own`,
      });
    }
  }

  const observers = new Map(clusters.map((stack) => [stack, observerOf(declared(layout, stack, "observability"), members)]));
  if (new Set(observers.values()).size > 1) {
    const described = [...observers].map(([stack, observer]) => `${stack}: ${observer ?? "none"}`).join("; ");
    findings.push({ message: `${key("observability")}.observer: differs between stacks (${described}); the mesh has one observer` });
  }
  return findings;
}

function observerOf(observability: unknown, members: readonly string[]): string | undefined {
  const named = isRecord(observability) ? observability.observer : undefined;
  return typeof named === "string" ? named : members[0];
}

/** A finding as the command line prints it: in the stack file it belongs to, else on its own. */
export function describeFinding(finding: Finding): string {
  return finding.stack === undefined ? finding.message : `Pulumi.${finding.stack}.yaml: ${finding.message}`;
}
