/**
 * Istio in revisions: which istiods a member runs, what its revision tags point to, and the steps a
 * change of them may take in one deployment. Pure: the config, the cluster stack and the upgrade
 * planner (model/upgrade.ts) call it.
 *
 * Each istiod is a revision, named from its version (`1.30.8` is `1-30-8`), or `default`: the
 * non-revisioned istiod of a member installed before revisions, until an upgrade replaces it.
 * Namespaces ask for the `stable` tag (`istio.io/rev: stable`), never for a revision, so that moving
 * the tag moves what new pods get, with no moment when a pod starts without a sidecar.
 */

/** The revision name of the non-revisioned istiod (Istio's own name for it). */
export const unrevisioned = "default";

/** The tags burstmesh owns: `stable`, which namespaces use, and `canary`, for trying a revision on labelled pods. */
export const revisionTags = ["stable", "canary"] as const;
export type RevisionTag = (typeof revisionTags)[number];

/** The tag that burstmesh's namespaces and the east-west gateway's pods ask for. */
export const stableTag: RevisionTag = "stable";

/** The most istiod revisions a member runs at once: the one in use and the one an upgrade adds. */
const maxRevisions = 2;

/** One istiod revision: its name and the Istio version of its charts. */
export interface Revision {
  name: string;
  version: string;
}

/** What of Istio a member runs: the state an upgrade moves (`burstmesh:istio`, and each cluster stack's `istio` output). */
export interface IstioInstall {
  /** The istiod revisions, oldest first: one, or two during an upgrade. */
  revisions: Revision[];
  /** Tag to revision name; `stable` always points somewhere. */
  tags: { stable: string; canary?: string };
  /** The revision the east-west gateway's chart and proxies are at. */
  gateway: string;
}

/** The revision name of an Istio version: its dots as dashes (`1.30.8` is `1-30-8`), as Istio's docs name revisions. */
export function revisionName(version: string): string {
  return version.replace(/\./g, "-");
}

/** The istiod Service and Deployment of a revision: `istiod` for the non-revisioned one, else `istiod-<revision>`. */
export function istiodServiceName(revision: string): string {
  return revision === unrevisioned ? "istiod" : `istiod-${revision}`;
}

/** One member at one version, as a fresh install (or, with `name` {@link unrevisioned}, a pre-revision one) runs it. */
export function steadyInstall(version: string, name = revisionName(version)): IstioInstall {
  return { revisions: [{ name, version }], tags: { stable: name }, gateway: name };
}

/** Parses `x.y.z` into numbers; undefined for anything else. */
function parseVersion(version: string): [number, number, number] | undefined {
  const match = /^(\d+)\.(\d+)\.(\d+)$/.exec(version);
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : undefined;
}

/** Orders two `x.y.z` versions: negative when `a` is older. */
export function compareVersions(a: string, b: string): number {
  const [x, y] = [parseVersion(a) ?? [0, 0, 0], parseVersion(b) ?? [0, 0, 0]];
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
}

/** How many minor versions `to` is ahead of `from` (negative when behind); a major change counts as many. */
export function minorsBetween(from: string, to: string): number {
  const [a, b] = [parseVersion(from) ?? [0, 0, 0], parseVersion(to) ?? [0, 0, 0]];
  return (b[0] - a[0]) * 100 + (b[1] - a[1]);
}

/** The revision of `install` named `name`. */
export function revisionNamed(install: IstioInstall, name: string): Revision | undefined {
  return install.revisions.find((revision) => revision.name === name);
}

/** The newest revision's version: the version of the `base` chart (the CRDs) and of the CNI node agent. */
export function newestVersion(install: IstioInstall): string {
  return install.revisions.map((revision) => revision.version).reduce((a, b) => (compareVersions(a, b) >= 0 ? a : b));
}

/** The revision the `stable` tag points to: the base chart's `defaultRevision` (validation) follows it. */
export function stableRevision(install: IstioInstall): Revision {
  return revisionNamed(install, install.tags.stable)!;
}

/** The revision names some tag or the gateway points to: those a deployment may not remove. */
function revisionsInUse(install: IstioInstall): Set<string> {
  return new Set([install.tags.stable, install.tags.canary, install.gateway].filter((name): name is string => name !== undefined));
}

/**
 * What is wrong with an install on its own, each issue naming its field: no revision or too many,
 * a name that is neither its version's nor `default` (or `default` anywhere but oldest), two with
 * one name, a tag or the gateway at a revision that is not installed.
 */
export function installIssues(install: IstioInstall): string[] {
  const issues: string[] = [];
  const { revisions } = install;
  if (revisions.length === 0) issues.push("revisions: must list at least one istiod revision");
  if (revisions.length > maxRevisions) {
    issues.push(`revisions: lists ${revisions.length}; at most ${maxRevisions} istiod revisions run at once (the one in use and the next)`);
  }
  revisions.forEach((revision, index) => {
    if (revision.name === unrevisioned) {
      if (index !== 0) issues.push(`revisions[${index}]: '${unrevisioned}' (the non-revisioned istiod) can only be the oldest`);
    } else if (revision.name !== revisionName(revision.version)) {
      issues.push(
        `revisions[${index}].name: must be '${revisionName(revision.version)}' (its version's) or '${unrevisioned}' (got '${revision.name}')`,
      );
    }
    if (revisions.findIndex((other) => other.name === revision.name) !== index) {
      issues.push(`revisions[${index}]: names revision '${revision.name}' twice`);
    }
  });
  if (revisions.length === 2 && compareVersions(revisions[0]!.version, revisions[1]!.version) > 0) {
    issues.push("revisions: must be oldest first (the newest is the one an upgrade adds)");
  }
  const names = revisions.map((revision) => revision.name);
  const installed = names.join(", ") || "none";
  for (const [field, name] of [
    ["tags.stable", install.tags.stable],
    ["tags.canary", install.tags.canary],
    ["gateway", install.gateway],
  ] as const) {
    if (name !== undefined && !names.includes(name)) issues.push(`${field}: '${name}' is not an installed revision (${installed})`);
  }
  return issues;
}

/**
 * What is wrong with going from the install of the last deployment to `next` in one deployment:
 * the steps an upgrade takes are one at a time (add a revision, move tags or the gateway, remove a
 * revision nothing pointed to), and a revision's version changes in place only for the
 * non-revisioned istiod, by one minor at most and never backwards. Empty when the step is one of
 * those, or nothing.
 */
export function istioStepIssues(last: IstioInstall, next: IstioInstall, upgradeHint: string): string[] {
  const issues: string[] = [];
  const lastNames = last.revisions.map((revision) => revision.name);
  const nextNames = next.revisions.map((revision) => revision.name);
  const added = nextNames.filter((name) => !lastNames.includes(name));
  const removed = lastNames.filter((name) => !nextNames.includes(name));
  if (added.length > 0 && removed.length > 0) {
    issues.push(
      `would remove istiod revision ${removed.join(", ")} and add ${added.join(", ")} in one deployment: the pods of the removed ` +
        `one would lose their control plane. ${upgradeHint}`,
    );
  }
  const lastInUse = revisionsInUse(last);
  for (const name of removed.filter((name) => lastInUse.has(name))) {
    issues.push(
      `would remove istiod revision ${name}, which a tag or the gateway pointed to in the last deployment: move them first, ` +
        `restart the workloads, then remove it. ${upgradeHint}`,
    );
  }
  for (const revision of next.revisions) {
    const before = revisionNamed(last, revision.name);
    if (!before || before.version === revision.version) continue;
    const minors = minorsBetween(before.version, revision.version);
    if (compareVersions(revision.version, before.version) < 0) {
      issues.push(
        `would move istiod revision ${revision.name} back from ${before.version} to ${revision.version}: its control plane would ` +
          `fall behind the proxies it injected`,
      );
    } else if (minors > 1) {
      issues.push(
        `would upgrade istiod revision ${revision.name} in place from ${before.version} to ${revision.version}, ${minors} minor ` +
          `versions; Istio supports one minor in place. ${upgradeHint}`,
      );
    }
  }
  return issues;
}
