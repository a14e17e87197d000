import { strict as assert } from "node:assert";
import { ChainNode, LongestChain, longestChain, waitsFor } from "../../model/dependencyChain";
import { sharedBootstrap } from "../support/bootstrap";
import type { StackRun } from "../support/harness";

/** Typical create times in minutes (issue 20): what a fresh deploy waits through, resource by resource. */
const typicalMinutes: Record<string, number> = {
  "aws:eks/cluster:Cluster": 10,
  "aws:eks/nodeGroup:NodeGroup": 3.5,
  "aws:eks/addon:Addon": 1,
  "kubernetes:helm.sh/v3:Release": 1.5,
  "kubernetes:apps/v1:Deployment": 1,
  "kubernetes:batch/v1:Job": 1,
};

/** A resource's typical minutes: the table's, 2 for a LoadBalancer Service, none for a component, else 0.1. */
function typicalDuration(resources: Map<string, StackRun["resources"][number]>) {
  return (node: ChainNode): number => {
    if (node.type.startsWith("burstmesh:")) return 0;
    const type = typicalMinutes[node.type];
    if (type !== undefined) return type;
    const spec = resources.get(node.urn)?.inputs.spec as { type?: string } | undefined;
    return node.type === "kubernetes:core/v1:Service" && spec?.type === "LoadBalancer" ? 2 : 0.1;
  };
}

/** The longest chain of a run's registered graph at the typical times. */
function chainOf(run: StackRun): LongestChain {
  const nodes = run.resources.map((r) => ({ urn: r.urn, type: r.type, waitsFor: waitsFor(r) }));
  return longestChain(nodes, typicalDuration(new Map(run.resources.map((r) => [r.urn, r]))));
}

/** The chain as the failure message names it. */
function spelled(chain: LongestChain): string {
  return `${chain.links.map((l) => `${l.name} (${l.type}, ${l.duration})`).join(" → ")} = ${chain.total.toFixed(1)} min`;
}

describe("program: the longest dependency chain", function () {
  // The first test to ask for the shared bootstrap runs it (the trust stack and four cluster runs).
  this.timeout(60_000);

  describe("longestChain", () => {
    const node = (urn: string, ...waits: string[]): ChainNode => ({
      urn: `urn:pulumi:s::p::t::${urn}`,
      type: `t:${urn}`,
      waitsFor: waits.map((w) => `urn:pulumi:s::p::t::${w}`),
    });
    const minutes: Record<string, number> = { a: 1, b: 5, c: 2, d: 1, e: 3, comp: 0 };
    const duration = (n: ChainNode) => minutes[n.urn.split("::").pop()!]!;

    it("follows the slowest of what each resource waits for, and adds up the durations", () => {
      const chain = longestChain([node("a"), node("b", "a"), node("c", "a"), node("d", "b", "c"), node("e", "a")], duration);
      assert.deepEqual(
        chain.links.map((l) => [l.name, l.type, l.duration]),
        [
          ["a", "t:a", 1],
          ["b", "t:b", 5],
          ["d", "t:d", 1],
        ],
      );
      assert.equal(chain.total, 7);
    });

    it("leaves out what took no time, ignores URNs outside the graph, and is empty for no resources", () => {
      const chain = longestChain([node("a", "elsewhere"), node("comp", "a"), node("c", "comp")], duration);
      assert.deepEqual(
        chain.links.map((l) => l.name),
        ["a", "c"],
      );
      assert.equal(chain.total, 3);
      assert.deepEqual(longestChain([], duration), { links: [], total: 0 });
    });

    it("breaks ties by URN, whatever the order of the resources", () => {
      const graph = [node("c"), node("a"), node("d", "c", "a")];
      const even = (n: ChainNode) => (n.urn.endsWith("d") ? 1 : 2);
      for (const order of [graph, [...graph].reverse()]) {
        assert.deepEqual(
          longestChain(order, even).links.map((l) => l.name),
          ["a", "d"],
        );
      }
    });

    it("names a cycle instead of looping", () => {
      assert.throws(() => longestChain([node("a", "c"), node("b", "a"), node("c", "b")], duration), /cycle: b → a → c → b/);
    });

    it("waits for a resource's dependencies, its parent and its provider (the reference without its ID)", () => {
      assert.deepEqual(
        waitsFor({
          dependencies: ["urn:dep", "urn:parent"],
          parent: "urn:parent",
          provider: "urn:pulumi:s::p::pulumi:providers:kubernetes::eks-k8s::04da6b54-80e4-46f7-96ec-b56ff0331ba9",
        }),
        ["urn:dep", "urn:parent", "urn:pulumi:s::p::pulumi:providers:kubernetes::eks-k8s"],
      );
      assert.deepEqual(waitsFor({ parent: "", provider: "" }), []);
    });
  });

  describe("the default stacks at typical create times", () => {
    let runs: { pass: string; eks: LongestChain; aks: LongestChain }[];
    before(async () => {
      const { first, second } = await sharedBootstrap();
      // The first pass is the fresh deploy; the second registers the whole program (the peers' secrets too).
      runs = [first, second].map((run, i) => ({ pass: `pass ${i + 1}`, eks: chainOf(run.eks), aks: chainOf(run.aks) }));
    });

    /** The chain's links of a minute or more, by type: what the time goes to. */
    const slow = (chain: LongestChain) => chain.links.filter((l) => l.duration >= 1).map((l) => l.type);
    const release = "kubernetes:helm.sh/v3:Release";

    it("eks: control plane → node group → one release → one release, about 17 minutes", () => {
      for (const { pass, eks } of runs) {
        assert.deepEqual(
          slow(eks),
          ["aws:eks/cluster:Cluster", "aws:eks/nodeGroup:NodeGroup", release, release],
          `${pass}: ${spelled(eks)}`,
        );
        // 16.5 minutes of those, and a few tenths of what else lies on the path (providers, a namespace).
        assert.ok(eks.total <= 17.5, `${pass}: ${spelled(eks)}`);
      }
    });

    it("eks: each part waits only for what it needs of the mesh", async () => {
      const { resources } = (await sharedBootstrap()).second.eks;
      const byName = (name: string) => resources.find((r) => r.name === name && !r.read)!;
      const nodes = new Map(resources.map((r) => [r.urn, waitsFor(r)]));
      /** Every URN the resource named `name` (or with URN `urn`) waits for, directly or through what it waits for. */
      const before = (name: string, urn = byName(name).urn): Set<string> => {
        const seen = new Set<string>();
        const queue = [urn];
        while (queue.length > 0) {
          for (const next of nodes.get(queue.pop()!) ?? []) {
            if (seen.has(next)) continue;
            seen.add(next);
            queue.push(next);
          }
        }
        return seen;
      };
      const [istiod, cni, metricsServer] = ["istio-istiod-1-30-8", "istio-cni", "eks-metrics-server"].map((n) => byName(n).urn);
      const observability = ["prometheus-release", "observer-grafana", "observer-kiali"].map((n) => byName(n).urn);
      assert.ok(!before("istio-istiod-1-30-8").has(cni) && !before("istio-cni").has(istiod), "istiod and the CNI agent run side by side");
      assert.ok(!before("istio-istiod-1-30-8").has(metricsServer), "istiod does not wait for metrics-server");
      for (const workload of ["podinfo-deployment", "prometheus-release", "observer-grafana", "observer-kiali"]) {
        assert.ok(before(workload).has(istiod) && before(workload).has(cni), `${workload} waits for istiod and the CNI agent`);
      }
      assert.ok(!before("observer-grafana").has(observability[0]!), "Grafana does not wait for Prometheus");
      assert.ok(!before("observer-kiali").has(observability[1]!), "Kiali does not wait for Grafana");
      for (const part of resources.filter((r) => r.name.startsWith("podinfo-"))) {
        const waits = before(part.name, part.urn);
        assert.ok(
          !observability.some((urn) => waits.has(urn)) && !waits.has(metricsServer),
          `${part.name} waits for neither observability nor metrics-server`,
        );
      }
    });

    it("aks: the cluster with its nodes → base → istiod → one release", () => {
      for (const { pass, aks } of runs) {
        assert.deepEqual(slow(aks), [release, release, release], `${pass}: ${spelled(aks)}`);
        assert.deepEqual(
          aks.links
            .filter((l) => l.type === release)
            .slice(0, 2)
            .map((l) => l.name),
          ["istio-base", "istio-istiod-1-30-8"],
          `${pass}: ${spelled(aks)}`,
        );
        assert.ok(
          aks.links.some((l) => l.type === "azure-native:containerservice:ManagedCluster"),
          `${pass}: ${spelled(aks)}`,
        );
      }
    });
  });
});
