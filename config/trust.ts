import { z } from "zod";
import { checkGenerations, type TrustGenerations } from "../model/trust";
import { decodeJson, typeNote } from "./fields";
import { issuesAt } from "./issues";
import { projectName } from "./projectFile";

/**
 * The trust generations (`burstmesh:trust`), a setting of the trust stack only: which root CAs the
 * mesh trusts, which of them signs the intermediates, and each member's intermediate generation. A
 * root rotation moves them in three phases (model/trust.ts); `npm run mesh -- rotate-root` drives
 * them. Every default lives here, next to its field.
 */
export const trustKey = `${projectName}:trust`;

const generation = z.number(typeNote("a whole number")).int("must be a whole number").positive("must be a positive whole number");

const trustSchema = z
  .strictObject({
    /**
     * The trusted root generations, ascending: every one is in every member's `root-cert.pem`. One,
     * or two while a rotation holds the old and the new root side by side. Default: `[1]`.
     */
    roots: z.array(generation, typeNote("a list of generations such as [1, 2]")).default([1]),
    /**
     * The root generation that signs every intermediate; one of `roots`. Default: the only root when
     * `roots` has one; with two it must be set, since either is a phase of a rotation.
     */
    signingRoot: generation.optional(),
    /** Per member, the generation of its intermediate CA. Default: 1 for every member. */
    intermediates: z.record(z.string(), generation, typeNote("an object of member name to generation")).default({}),
    /**
     * Hours the third phase of a root rotation (retiring the old root) waits after the second (signing
     * with the new one): at least the workload certificates' lifetime, 24 hours by Istio's default, so
     * that no workload still holds a certificate from the old root. Default: 24.
     */
    retireAfterHours: generation.default(24),
  })
  .prefault({});

/** The trust generations, every default applied: the signing root resolved and every member's intermediate listed. */
export interface TrustSettings extends TrustGenerations {
  /** See `retireAfterHours` above. */
  retireAfterHours: number;
}

type TrustConfigResult = { ok: true; trust: TrustSettings } | { ok: false; issues: string[] };

/**
 * Validates a `burstmesh:trust` value (raw JSON text as a stack file or the engine holds it, or the
 * decoded value; undefined for none) against the mesh's members, and applies the defaults. Needs no
 * Pulumi engine: the orchestrator reads Pulumi.trust.yaml's value with it.
 */
export function parseTrustConfig(raw: unknown, members: readonly string[]): TrustConfigResult {
  const issues: string[] = [];
  const input = decodeJson(trustKey, raw, issues);
  if (issues.length > 0) return { ok: false, issues };
  const parsed = trustSchema.safeParse(input, { reportInput: true });
  if (!parsed.success) return { ok: false, issues: issuesAt(trustKey, parsed.error.issues, trustSchema) };
  const { roots, signingRoot, intermediates, retireAfterHours } = parsed.data;
  for (const member of Object.keys(intermediates).filter((name) => !members.includes(name))) {
    issues.push(`${trustKey}.intermediates.${member}: '${member}' is not one of ${projectName}:members (${members.join(", ")})`);
  }
  if (signingRoot === undefined && roots.length > 1) {
    issues.push(
      `${trustKey}.signingRoot: is required when ${trustKey}.roots lists two roots (${roots.join(", ")}): ` +
        "it says which phase of the rotation the mesh is in (the old root signs after phase 1, the new one after phase 2)",
    );
  }
  const generations: TrustGenerations = {
    roots,
    signingRoot: signingRoot ?? roots[0]!,
    intermediates: Object.fromEntries(members.map((member) => [member, intermediates[member] ?? 1])),
  };
  issues.push(...checkGenerations(generations, trustKey));
  return issues.length > 0 ? { ok: false, issues } : { ok: true, trust: { ...generations, retireAfterHours } };
}
