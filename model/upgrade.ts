/**
 * The steps of an Istio upgrade across the members, and of its rollback, from where each member
 * stands: pure, so that `npm run mesh -- upgrade` plans, resumes and rolls back with the same
 * function, and tests can walk every interruption.
 *
 * An upgrade is a canary by revision (docs/operations.md, "Upgrading Istio"):
 * 1. every member adds the new revision (and the base chart's CRDs and the CNI agent follow the newest);
 * 2. one member at a time: the `stable` tag moves to it, the tagged namespaces' workloads restart
 *    onto it, the east-west gateway moves to it, and a gate checks the member;
 * 3. every member removes the old revision, once no pod uses it.
 * A rollback is the same walk toward the old revision, without phase 1.
 */
import {
  compareVersions,
  type IstioInstall,
  minorsBetween,
  type Revision,
  revisionName,
  revisionNamed,
  unrevisioned,
} from "./istioRevisions";

/** One step of an upgrade or rollback; those with an `install` are a deployment of the member's stack with it. */
export type UpgradeStep =
  | { phase: 1; kind: "add-revision"; member: string; install: IstioInstall }
  | { phase: 2; kind: "move-tags"; member: string; install: IstioInstall }
  | { phase: 2; kind: "restart-workloads"; member: string; revision: string }
  | { phase: 2; kind: "move-gateway"; member: string; install: IstioInstall }
  | { phase: 2; kind: "gate"; member: string }
  | { phase: 3; kind: "remove-revision"; member: string; install: IstioInstall; removed: string };

/** The most minor versions an upgrade moves by: Istio supports a canary across two minors. */
const maxCanaryMinors = 2;

/**
 * Members in the order phase 2 takes them: the one carrying the least traffic first, which is the one
 * fewest services call home (`homes`, per member), then in `members` order.
 */
export function upgradeOrder(members: readonly string[], homes: Readonly<Record<string, number>>): string[] {
  return [...members].sort((a, b) => (homes[a] ?? 0) - (homes[b] ?? 0) || members.indexOf(a) - members.indexOf(b));
}

/** Whether a member serves everything from `target`: its stable tag and gateway are there. */
function movedTo(install: IstioInstall, target: string): boolean {
  return install.tags.stable === target && install.gateway === target;
}

/** The revision an upgrade to `version` adds: named from the version. */
function targetRevision(version: string): Revision {
  return { name: revisionName(version), version };
}

/**
 * Why an upgrade of `installs` to `version` is refused; empty when it may start. It starts only from
 * members that each run one revision; it moves forward by at most {@link maxCanaryMinors} minors, to a
 * version newer than every member's (or the same, to move a member off its non-revisioned istiod).
 */
export function upgradeProblems(installs: Readonly<Record<string, IstioInstall>>, version: string): string[] {
  const problems: string[] = [];
  for (const [member, install] of Object.entries(installs)) {
    if (install.revisions.length > 1) {
      problems.push(
        `${member} runs revisions ${install.revisions.map((r) => r.name).join(" and ")}: an upgrade is under way; ` +
          "finish it with --resume or undo it with --rollback",
      );
      continue;
    }
    const current = install.revisions[0]!;
    const minors = minorsBetween(current.version, version);
    if (compareVersions(version, current.version) < 0) {
      problems.push(
        `${member} runs ${current.version}, newer than ${version}: a control plane older than its proxies is unsupported; ` +
          "a finished upgrade is not rolled back",
      );
    } else if (version === current.version && current.name !== unrevisioned) {
      problems.push(`${member} already runs ${version}`);
    } else if (minors > maxCanaryMinors) {
      problems.push(
        `${member} runs ${current.version}: ${version} is ${minors} minor versions ahead, and Istio's canary upgrade spans ` +
          `at most ${maxCanaryMinors}; upgrade through an intermediate minor first`,
      );
    }
  }
  return problems;
}

/**
 * Why the members' installs cannot be walked toward one revision: two members mid-migration (their
 * tag moved, their gateway not), which no plan makes and only a hand edit does.
 */
export function walkProblems(installs: Readonly<Record<string, IstioInstall>>): string[] {
  const midway = Object.entries(installs).filter(([, install]) => install.tags.stable !== install.gateway);
  return midway.length > 1
    ? [`${midway.map(([member]) => member).join(" and ")} are each between their tag and their gateway; finish one by hand first`]
    : [];
}

/**
 * The steps that bring every member of `order` onto its revision of `targets` and remove its other
 * revision, from where each stands. A member whose stable tag and gateway are at its target has
 * finished phase 2; when the next member has not begun, the last finished one gets its gate again,
 * as an interruption may have come between its gateway and its gate. Phase 3 starts only when every
 * member has finished phase 2.
 */
function walkToward(
  installs: Readonly<Record<string, IstioInstall>>,
  targets: Readonly<Record<string, Revision>>,
  order: readonly string[],
): UpgradeStep[] {
  const steps: UpgradeStep[] = [];
  const current = new Map(order.map((member) => [member, structuredClone(installs[member]!)]));
  const target = (member: string) => targets[member]!;
  const finished = (member: string) => movedTo(current.get(member)!, target(member).name);
  for (const member of order) {
    const install = current.get(member)!;
    if (revisionNamed(install, target(member).name)) continue;
    install.revisions = [...install.revisions, target(member)];
    steps.push({ phase: 1, kind: "add-revision", member, install: structuredClone(install) });
  }
  const removing = order.some((member) => {
    const { revisions } = current.get(member)!;
    return revisions.length === 1 && revisions[0]!.name === target(member).name;
  });
  const firstUnfinished = order.findIndex((member) => !finished(member));
  const begun = firstUnfinished !== -1 && current.get(order[firstUnfinished]!)!.tags.stable === target(order[firstUnfinished]!).name;
  const lastFinished = (firstUnfinished === -1 ? order : order.slice(0, firstUnfinished)).at(-1);
  if (!removing && !begun && lastFinished !== undefined) steps.push({ phase: 2, kind: "gate", member: lastFinished });
  for (const member of order) {
    const install = current.get(member)!;
    const to = target(member).name;
    if (movedTo(install, to)) continue;
    if (install.tags.stable !== to) {
      const keepCanary = install.tags.canary === to;
      install.tags = { stable: to, ...(keepCanary ? { canary: to } : {}) };
      steps.push({ phase: 2, kind: "move-tags", member, install: structuredClone(install) });
    }
    steps.push({ phase: 2, kind: "restart-workloads", member, revision: to });
    install.gateway = to;
    steps.push({ phase: 2, kind: "move-gateway", member, install: structuredClone(install) });
    steps.push({ phase: 2, kind: "gate", member });
  }
  for (const member of order) {
    const install = current.get(member)!;
    const to = target(member);
    const old = install.revisions.find((revision) => revision.name !== to.name);
    if (!old) continue;
    install.revisions = [to];
    install.tags = { stable: to.name, ...(install.tags.canary === to.name ? { canary: to.name } : {}) };
    steps.push({ phase: 3, kind: "remove-revision", member, install: structuredClone(install), removed: old.name });
  }
  return steps;
}

/** The steps of an upgrade to `version` (started, or resumed from where the members stand). */
export function upgradeSteps(installs: Readonly<Record<string, IstioInstall>>, version: string, order: readonly string[]): UpgradeStep[] {
  const target = targetRevision(version);
  return walkToward(installs, Object.fromEntries(order.map((member) => [member, target])), order);
}

/** The version an upgrade under way goes to: the newer revision of a member that runs two; undefined when none does. */
export function upgradeUnderWay(installs: Readonly<Record<string, IstioInstall>>): string | undefined {
  const pairs = Object.values(installs).filter((install) => install.revisions.length === 2);
  return pairs[0]?.revisions[1]!.version;
}

/**
 * Why a rollback is refused: nothing to roll back, or phase 3 has begun (a member has removed the
 * old revision, so its pods would have nowhere to go back to).
 */
export function rollbackProblems(installs: Readonly<Record<string, IstioInstall>>): string[] {
  const version = upgradeUnderWay(installs);
  if (version === undefined) return ["no upgrade is under way: no member runs two revisions"];
  const done = Object.entries(installs).filter(
    ([, install]) => install.revisions.length === 1 && install.revisions[0]!.version === version,
  );
  return done.length > 0
    ? [
        `${done.map(([member]) => member).join(", ")} removed the old revision already (phase 3): the upgrade can only go on, ` +
          "with --resume",
      ]
    : [];
}

/**
 * The steps of a rollback, before phase 3: back toward the old revision in the reverse order, the
 * tags first, then the workloads and the gateway, then every member removes the new revision.
 */
export function rollbackSteps(installs: Readonly<Record<string, IstioInstall>>, order: readonly string[]): UpgradeStep[] {
  return walkToward(installs, Object.fromEntries(order.map((member) => [member, installs[member]!.revisions[0]!])), [...order].reverse());
}
