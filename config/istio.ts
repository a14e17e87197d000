import { z } from "zod";
import { installIssues, type IstioInstall, revisionName, steadyInstall, unrevisioned } from "../model/istioRevisions";
import { istioReleases } from "./charts";
import { decodeJson, typeNote } from "./fields";
import { issuesAt } from "./issues";
import { projectName } from "./projectFile";

/**
 * A cluster stack's Istio revisions (`burstmesh:istio`): which istiods it runs, where its revision
 * tags point, and the east-west gateway's revision. `npm run mesh -- upgrade` writes it step by step
 * and removes it when the upgrade is done; without it a member runs `burstmesh:istioVersion` as one
 * revision. A person can finish an upgrade by editing it (docs/operations.md, "Upgrading Istio").
 * Every default lives here, next to its field.
 */
export const istioKey = `${projectName}:istio`;

const version = z
  .string(typeNote("an Istio version such as 1.30.8"))
  .refine((value) => (istioReleases as readonly string[]).includes(value), {
    message: `must be an Istio release whose charts burstmesh pins and checks: ${istioReleases.join(" or ")}`,
  });

const revisionRef = z.string(typeNote("a revision name such as 1-30-8"));

const istioSchema = z.strictObject({
  /**
   * The istiod revisions, oldest first: one, or two during an upgrade. Each `name` defaults to its
   * version's (`1.30.8` is `1-30-8`); `default` is a member's non-revisioned istiod from before revisions.
   */
  revisions: z.array(
    z.strictObject({ version, name: z.string(typeNote("a revision name such as 1-30-8")).optional() }),
    typeNote("a list of revisions such as [{version: 1.30.8}]"),
  ),
  /** Revision tag to revision name. `stable`, which namespaces use, defaults to the oldest revision; `canary` is unset by default. */
  tags: z.strictObject({ stable: revisionRef.optional(), canary: revisionRef.optional() }).prefault({}),
  /** The revision the east-west gateway's chart and proxies are at. Default: the one `stable` points to. */
  gateway: revisionRef.optional(),
});

type IstioConfigResult = { ok: true; install: IstioInstall | undefined } | { ok: false; issues: string[] };

/**
 * Validates a `burstmesh:istio` value (raw JSON text as a stack file or the engine holds it, or the
 * decoded value; undefined for none, which leaves the member at `burstmesh:istioVersion`) and applies
 * the defaults. Needs no Pulumi engine: the orchestrator reads stack files with it.
 */
export function parseIstioConfig(raw: unknown): IstioConfigResult {
  const issues: string[] = [];
  const input = decodeJson(istioKey, raw, issues);
  if (issues.length > 0) return { ok: false, issues };
  if (input === undefined) return { ok: true, install: undefined };
  const parsed = istioSchema.safeParse(input, { reportInput: true });
  if (!parsed.success) return { ok: false, issues: issuesAt(istioKey, parsed.error.issues, istioSchema) };
  const revisions = parsed.data.revisions.map((revision) => ({
    name: revision.name ?? revisionName(revision.version),
    version: revision.version,
  }));
  const stable = parsed.data.tags.stable ?? revisions[0]?.name ?? "";
  const install: IstioInstall = {
    revisions,
    tags: { stable, ...(parsed.data.tags.canary ? { canary: parsed.data.tags.canary } : {}) },
    gateway: parsed.data.gateway ?? stable,
  };
  const problems = installIssues(install).map((issue) => `${istioKey}.${issue}`);
  return problems.length > 0 ? { ok: false, issues: problems } : { ok: true, install };
}

/** A member's install as `burstmesh:istio` writes it: the defaults left out, so that the stack file shows only what differs. */
export function istioConfigValue(install: IstioInstall): Record<string, unknown> {
  return {
    revisions: install.revisions.map((revision) =>
      revision.name === revisionName(revision.version) ? { version: revision.version } : { version: revision.version, name: revision.name },
    ),
    tags: install.tags,
    gateway: install.gateway,
  };
}

/**
 * The install a member runs: its `burstmesh:istio`, else `istioVersion` as one revision. A member
 * deployed before revisions (its last deployment published no `istio` output), or one whose last
 * deployment ran only the non-revisioned istiod, keeps that istiod (`default`) until an upgrade
 * moves it: a new revision name would replace istiod at once.
 */
export function resolveInstall(
  configured: IstioInstall | undefined,
  istioVersion: string,
  last: IstioInstall | "before-revisions" | undefined,
): IstioInstall {
  if (configured) return configured;
  const legacy =
    last === "before-revisions" || (last !== undefined && last.revisions.length === 1 && last.revisions[0]!.name === unrevisioned);
  return legacy ? steadyInstall(istioVersion, unrevisioned) : steadyInstall(istioVersion);
}
