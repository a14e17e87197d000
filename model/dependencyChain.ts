/**
 * The longest chain of a deployment's resource graph: the resources that waited for one another
 * from the first start to the last finish, and how long that took. The same computation serves the
 * typical create times of the program's registered graph (tests/program/dependencyChain.test.ts) and
 * the times a real `up` measured (orchestrator/runChain.ts). Pure: nothing but the graph and a
 * duration per resource.
 */

/** One resource of the graph: its URN, its type, and the URNs it waits for before it starts. */
export interface ChainNode {
  urn: string;
  type: string;
  /** See {@link waitsFor}. URNs outside the graph are ignored. */
  waitsFor: readonly string[];
}

/** One resource of a chain, with the time its own create (or update) took. */
interface ChainLink {
  urn: string;
  /** The resource's name, the last part of its URN. */
  name: string;
  type: string;
  duration: number;
}

/** The chain, first resource first, and its length in the unit of the durations. */
export interface LongestChain {
  links: ChainLink[];
  total: number;
}

/** How the engine records a resource: the fields of a registration or of a state file that make it wait. */
interface RecordedWaits {
  dependencies?: readonly string[];
  parent?: string;
  /** A provider reference, `<provider URN>::<provider ID>`. */
  provider?: string;
}

/**
 * What a resource of a Pulumi Node.js program waits for before it starts: its dependencies (its
 * `dependsOn`, a component's expanded to the component's children, and the resources behind its
 * inputs), its provider (the SDK awaits the provider's ID, so the provider's own dependencies come
 * first), and its parent: a child awaits its parent's URN, which a component gets only once the
 * engine has registered it, and the SDK registers a component only after the component's own
 * dependencies are done. So a child waits for everything its parent component waits for, although its
 * own dependency list does not say so.
 */
export function waitsFor(resource: RecordedWaits): string[] {
  const provider = resource.provider ? resource.provider.slice(0, resource.provider.lastIndexOf("::")) : "";
  return [...new Set([...(resource.dependencies ?? []), resource.parent ?? "", provider])].filter((urn) => urn !== "");
}

/** The last `::`-separated part of a URN: the resource's name. */
function nameOf(urn: string): string {
  return urn.slice(urn.lastIndexOf("::") + 2);
}

/**
 * The longest chain of `nodes`: the path through "waits for" whose durations add up to the most,
 * which is when the last resource would finish if everything started as soon as what it waits for
 * had finished. Resources that took no time are left out of the links. Ties go to the URN that sorts
 * first, so the answer is the same on every run. Throws
 * on a cycle, naming it (an engine would never start any resource of one).
 */
export function longestChain(nodes: readonly ChainNode[], durationOf: (node: ChainNode) => number): LongestChain {
  const byUrn = new Map(nodes.map((node) => [node.urn, node]));
  // When each resource finishes, and what it waited for last: filled once per resource.
  const finish = new Map<string, { at: number; after?: string }>();
  const visiting: string[] = [];

  const finishOf = (node: ChainNode): number => {
    const known = finish.get(node.urn);
    if (known) return known.at;
    if (visiting.includes(node.urn)) {
      const cycle = [...visiting.slice(visiting.indexOf(node.urn)), node.urn].map(nameOf);
      throw new Error(`the resource graph has a cycle: ${cycle.join(" → ")}`);
    }
    visiting.push(node.urn);
    let start = 0;
    let after: string | undefined;
    for (const urn of [...node.waitsFor].sort()) {
      const before = byUrn.get(urn);
      if (!before) continue;
      const at = finishOf(before);
      if (after === undefined || at > start) [start, after] = [at, urn];
    }
    visiting.pop();
    const at = start + durationOf(node);
    finish.set(node.urn, { at, after });
    return at;
  };

  let last: ChainNode | undefined;
  for (const node of [...nodes].sort((a, b) => a.urn.localeCompare(b.urn))) {
    if (!last || finishOf(node) > finishOf(last)) last = node;
  }
  const links: ChainLink[] = [];
  for (let node = last; node; node = byUrn.get(finish.get(node.urn)?.after ?? "")) {
    // What took no time (a component, which only passes on what it waits for) is no link of the chain.
    const duration = durationOf(node);
    if (duration > 0) links.unshift({ urn: node.urn, name: nameOf(node.urn), type: node.type, duration });
  }
  return { links, total: last ? finishOf(last) : 0 };
}
