/**
 * The mesh's trust in generations, and how a root CA rotates without breaking mTLS: what istiod does
 * with a changed set of roots in `cacerts`, the three phases of a rotation, and the checks that keep
 * a change of `burstmesh:trust` to steps istiod takes while it runs. Pure: the config and the trust
 * stack call it, and so does the orchestrator.
 */

/**
 * The proxy-config setting (`meshConfig.defaultConfig.proxyMetadata`) under which each proxy's agent
 * takes the trust bundle istiod pushes, so that proxies trust a new root without a restart. A pod gets
 * it when it is created: pods from before it was set need one restart.
 */
export const trustBundleProxySetting = "PROXY_CONFIG_XDS_AGENT";

/** Which root and intermediate CAs exist: the state a root rotation moves. */
export interface TrustGenerations {
  /** The trusted root generations, ascending; every member's `root-cert.pem` holds them all, oldest first. */
  roots: readonly number[];
  /** The root generation that signs every intermediate; one of `roots`. */
  signingRoot: number;
  /** Per member, the generation of its intermediate CA. */
  intermediates: Readonly<Record<string, number>>;
}

/** What istiod does with a new `root-cert.pem`: nothing to do, take it, or keep the roots it runs with. */
export type RootSetUpdate = "unchanged" | "accepted" | "ignored";

/**
 * What a running istiod does when the `root-cert.pem` of its mounted `cacerts` changes, over the
 * identities of the certificates (fingerprints, or generations) in file order. A port of `handleEvent`
 * and `pemBundleHasSubsetRelation` in Istio's pilot/pkg/bootstrap/istio_ca.go (release-1.30): the
 * same file is no root change (the new intermediate is loaded, `UpdateVerifiedKeyCertBundleFromFile`).
 * A different one is ignored ("Multi root is disabled, updating new ROOT-CA not supported") unless
 * `ISTIO_MULTIROOT_MESH` is on (`features.MultiRootMesh`); with it, the new set is taken when one
 * set holds the other (adding a root, or removing one), and ignored otherwise ("Updating new ROOT-CA
 * not supported"), also when either is empty. An ignored change leaves istiod on its loaded roots and
 * intermediate until it restarts.
 */
export function istiodRootSetUpdate(loaded: readonly string[], next: readonly string[], multiRoot: boolean): RootSetUpdate {
  // istiod compares the files' bytes; the trust stack writes the same roots as the same bytes.
  if (loaded.length === next.length && loaded.every((identity, index) => identity === next[index])) return "unchanged";
  if (!multiRoot) return "ignored";
  const [a, b] = [new Set(loaded), new Set(next)];
  if (a.size === 0 || b.size === 0) return "ignored";
  const holds = (outer: Set<string>, inner: Set<string>) => [...inner].every((identity) => outer.has(identity));
  return holds(a, b) || holds(b, a) ? "accepted" : "ignored";
}

/**
 * Where a root rotation stands: `steady` (one root, which signs), `added` (phase 1 done: the new root
 * is trusted beside the old one, which still signs) or `signed` (phase 2 done: the new root signs
 * every intermediate; the old one is still trusted, for the workload certificates it signed).
 */
export type RotationPhase = "steady" | "added" | "signed";

/** The phase of a rotation `generations` is in; they must pass {@link checkGenerations}. */
export function rotationPhase(generations: TrustGenerations): RotationPhase {
  if (generations.roots.length === 1) return "steady";
  return generations.signingRoot === generations.roots[0] ? "added" : "signed";
}

/** The steps of a root rotation, in order: each takes a state of one phase to the next. */
export type RotationStep = "add" | "sign" | "retire";

/**
 * The next step of a root rotation from `generations` (which must pass {@link checkGenerations}), and
 * the state it leads to. From a steady root A: `add` trusts A and A+1, A still signing; `sign` makes
 * the new root B sign and gives every member a new intermediate generation under it; `retire` leaves
 * B alone, once every workload certificate from A's intermediates has expired.
 */
export function nextRotationStep(generations: TrustGenerations): { step: RotationStep; next: TrustGenerations } {
  const { roots, intermediates } = generations;
  switch (rotationPhase(generations)) {
    case "steady":
      return { step: "add", next: { roots: [roots[0]!, roots[0]! + 1], signingRoot: roots[0]!, intermediates: { ...intermediates } } };
    case "added":
      return {
        step: "sign",
        next: {
          roots: [...roots],
          signingRoot: roots[1]!,
          intermediates: Object.fromEntries(Object.entries(intermediates).map(([member, generation]) => [member, generation + 1])),
        },
      };
    case "signed":
      return { step: "retire", next: { roots: [roots[1]!], signingRoot: roots[1]!, intermediates: { ...intermediates } } };
  }
}

/** The most roots trusted at once: a rotation holds the old and the new one. */
const maxRoots = 2;

/**
 * What is wrong with one state of the generations, each issue naming its key under `key` (the config
 * key, `burstmesh:trust`); none when it is a state a mesh can be in.
 */
export function checkGenerations(generations: TrustGenerations, key: string): string[] {
  const { roots, signingRoot } = generations;
  if (roots.length === 0) return [`${key}.roots: must list at least one root generation`];
  const issues: string[] = [];
  if (roots.length > maxRoots) {
    issues.push(
      `${key}.roots: lists ${roots.length} roots (${roots.join(", ")}); a rotation trusts at most ${maxRoots} at once, the old root and the new one`,
    );
  }
  if (roots.some((root, index) => index > 0 && root <= roots[index - 1]!)) {
    issues.push(`${key}.roots: must be ascending, each generation once, oldest first (got ${roots.join(", ")})`);
  }
  if (!roots.includes(signingRoot)) {
    issues.push(
      `${key}.signingRoot: generation ${signingRoot} is not one of ${key}.roots (${roots.join(", ")}): ` +
        "the intermediates would be signed by a root no member trusts",
    );
  }
  return issues;
}

/**
 * What is wrong with moving the deployed generations `from` to `to` in one run of the trust stack
 * (none when it is a step every istiod takes while it runs), each issue naming its key under `key`.
 * Refused: a state {@link checkGenerations} refuses; a root set that istiod ignores (neither set holds
 * the other, such as a swap of one root for another), since every istiod would keep the old roots
 * while workloads moved to the new one; signing with a root that is not trusted yet, since the
 * clusters take the new `cacerts` one after the other and a peer that does not trust it yet would
 * refuse the certificates it signs; and retiring the root that signs now, since the workload
 * certificates it signed are still in use.
 */
export function checkTrustStep(from: TrustGenerations, to: TrustGenerations, key: string): string[] {
  const issues = checkGenerations(to, key);
  if (issues.length > 0) return issues;
  const rotate = "rotate the root in phases with `npm run mesh -- rotate-root` (add the new root, sign with it, then retire the old one)";
  const list = (roots: readonly number[]) => `[${roots.join(", ")}]`;
  if (istiodRootSetUpdate(from.roots.map(String), to.roots.map(String), true) === "ignored") {
    issues.push(
      `${key}.roots: from ${list(from.roots)} to ${list(to.roots)} is a change istiod ignores while it runs: neither set holds the other, ` +
        `so every istiod would keep the roots it loaded and refuse certificates from the new root; ${rotate}`,
    );
  }
  if (to.signingRoot !== from.signingRoot && !from.roots.includes(to.signingRoot)) {
    issues.push(
      `${key}.signingRoot: root ${to.signingRoot} is not trusted by the deployed mesh (${key}.roots is ${list(from.roots)}): ` +
        `the members take the new cacerts one after the other, and one that does not trust root ${to.signingRoot} yet would refuse ` +
        `what it signs; trust it first and sign with it in a later run: ${rotate}`,
    );
  }
  if (!to.roots.includes(from.signingRoot) && to.signingRoot !== from.signingRoot) {
    issues.push(
      `${key}.roots: retires root ${from.signingRoot}, which signs the deployed intermediates, in the same run that moves ${key}.signingRoot ` +
        `to ${to.signingRoot}: the workload certificates it signed are still in use; sign with the new root first, and retire the old one ` +
        `once they have expired (${key}.retireAfterHours later)`,
    );
  }
  return issues;
}
