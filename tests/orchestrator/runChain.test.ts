import { strict as assert } from "node:assert";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import type { LongestChain } from "../../model/dependencyChain";
import { meshUp } from "../../orchestrator/commands/up";
import type { MeshWorkspace } from "../../orchestrator/ports";
import { runChain, stepDurations } from "../../orchestrator/runChain";
import { CapturedLog, FakeMesh, fullPlan, twoClusterMesh } from "./fakeMesh";

const urn = (type: string, name: string, parents = "") => `urn:pulumi:eks::burstmesh::${parents}${type}::${name}`;

/** An engine event of a step: its pre or outputs event, at a Unix time in seconds. */
function step(kind: "pre" | "outputs", op: string, resource: string, timestamp: number): EngineEvent {
  const metadata = { op, urn: resource, type: "t", provider: "" } as NonNullable<EngineEvent["resourcePreEvent"]>["metadata"];
  return { sequence: timestamp, timestamp, ...(kind === "pre" ? { resourcePreEvent: { metadata } } : { resOutputsEvent: { metadata } }) };
}

describe("orchestrator: the longest chain of a real update", () => {
  const stack = urn("pulumi:pulumi:Stack", "burstmesh-eks");
  const aws = urn("pulumi:providers:aws", "aws");
  const cluster = urn("aws:eks/cluster:Cluster", "eks-eks", "burstmesh:clusters:EksCluster$");
  const nodes = urn("aws:eks/nodeGroup:NodeGroup", "eks-nodes", "burstmesh:clusters:EksCluster$");
  const istio = urn("burstmesh:mesh:IstioPrimary", "istio");
  const istiod = urn("kubernetes:helm.sh/v3:Release", "istio-istiod", "burstmesh:mesh:IstioPrimary$");
  const vpc = urn("aws:ec2/vpc:Vpc", "eks-vpc", "burstmesh:clusters:EksCluster$");

  describe("stepDurations", () => {
    it("takes each resource's time from its first pre event to its last outputs event, deletions aside", () => {
      const durations = stepDurations([
        step("pre", "create", cluster, 1_000),
        step("pre", "same", vpc, 1_000),
        step("outputs", "same", vpc, 1_000),
        step("outputs", "create", cluster, 1_580),
        // A replacement: its create and its logical replace are one step; the old one's deletion at the end is not.
        step("pre", "create-replacement", istiod, 1_600),
        step("outputs", "create-replacement", istiod, 1_690),
        step("pre", "replace", istiod, 1_690),
        step("outputs", "replace", istiod, 1_690),
        step("pre", "delete-replaced", istiod, 2_000),
        step("outputs", "delete-replaced", istiod, 2_010),
        // Started and never finished (the update failed there).
        step("pre", "create", nodes, 1_580),
        { sequence: 99, timestamp: 1_700, diagnosticEvent: { message: "x", color: "never", severity: "info" } },
      ]);
      assert.deepEqual(
        [...durations].sort(),
        [
          [cluster, 580_000],
          [istiod, 90_000],
          [vpc, 0],
        ].sort(),
      );
    });
  });

  describe("runChain", () => {
    // As `pulumi stack export` writes them: the provider reference with its ID, the component's children by parent.
    const deployment = {
      resources: [
        { urn: stack, type: "pulumi:pulumi:Stack", custom: false },
        { urn: aws, type: "pulumi:providers:aws", custom: true, parent: stack },
        { urn: vpc, type: "aws:ec2/vpc:Vpc", custom: true, parent: stack, provider: `${aws}::1b2c` },
        { urn: cluster, type: "aws:eks/cluster:Cluster", custom: true, parent: stack, dependencies: [vpc], provider: `${aws}::1b2c` },
        { urn: nodes, type: "aws:eks/nodeGroup:NodeGroup", custom: true, parent: stack, dependencies: [cluster], provider: `${aws}::1b2c` },
        { urn: istio, type: "burstmesh:mesh:IstioPrimary", custom: false, parent: stack, dependencies: [nodes] },
        // No dependency of its own: it waits for its parent's.
        { urn: istiod, type: "kubernetes:helm.sh/v3:Release", custom: true, parent: istio },
      ],
    };
    const measured = new Map([
      [stack, 900_000],
      [aws, 1_000],
      [vpc, 3_000],
      [cluster, 580_000],
      [nodes, 130_000],
      [istio, 800_000],
      [istiod, 65_000],
    ]);

    it("follows dependencies, providers and parents, and gives components (and the stack) no time of their own", () => {
      const chain = runChain(deployment, measured)!;
      assert.deepEqual(
        chain.links.map((l) => [l.name, l.duration]),
        [
          ["aws", 1_000],
          ["eks-vpc", 3_000],
          ["eks-eks", 580_000],
          ["eks-nodes", 130_000],
          ["istio-istiod", 65_000],
        ],
      );
      assert.equal(chain.total, 779_000);
    });

    it("counts a resource the update did not step as taking no time, and knows no chain of an empty state", () => {
      assert.equal(runChain(deployment, new Map([[nodes, 5_000]]))!.total, 5_000);
      assert.equal(runChain({ resources: [] }, measured), undefined);
      assert.equal(runChain(undefined, measured), undefined);
    });
  });

  describe("the up summary", () => {
    const chain = (...links: [string, string, number][]): LongestChain => ({
      links: links.map(([name, type, minutes]) => ({ urn: urn(type, name), name, type, duration: minutes * 60_000 })),
      total: links.reduce((sum, [, , minutes]) => sum + minutes * 60_000, 0),
    });
    const chains: Record<string, (LongestChain | undefined)[]> = {
      trust: [undefined],
      aks: [chain(["aks-aks", "azure-native:containerservice:ManagedCluster", 3], ["istio-istiod", "kubernetes:helm.sh/v3:Release", 1.5])],
      eks: [
        chain(
          ["eks-eks", "aws:eks/cluster:Cluster", 9.5],
          ["eks-nodes", "aws:eks/nodeGroup:NodeGroup", 2],
          ["prometheus-release", "kubernetes:helm.sh/v3:Release", 1],
        ),
        chain(["peer-aks-secret", "kubernetes:core/v1:Secret", 0.1]),
      ],
    };
    /** The fake mesh, its updates reporting the chains above, run by run. */
    function measuredMesh(mesh: FakeMesh): MeshWorkspace {
      return {
        open: async (name, options) => {
          const handle = await mesh.open(name, options);
          let runs = 0;
          return (
            handle && {
              name: handle.name,
              up: async (streams) => ({ ...(await handle.up(streams)), chain: chains[name]![runs++] }),
              preview: (streams) => handle.preview(streams),
              destroy: (streams) => handle.destroy(streams),
              outputs: () => handle.outputs(),
              info: () => handle.info(),
            }
          );
        },
      };
    }

    it("names each stack's longest chain, of its update where it was longest, with each link's time", async () => {
      const mesh = twoClusterMesh();
      mesh.minutes = { trust: 3, aks: 5, eks: 9 };
      const log = new CapturedLog();
      const report = await meshUp(measuredMesh(mesh), log, fullPlan(), { now: mesh.now });
      assert.deepEqual(log.lines.slice(-4, -1), [
        "longest chain of each stack (what waited for what):",
        "  aks    pass 1, 4m 30s: aks-aks (ManagedCluster) 3m 00s → istio-istiod (Release) 1m 30s",
        "  eks    pass 1, 12m 30s: eks-eks (Cluster) 9m 30s → eks-nodes (NodeGroup) 2m 00s → prometheus-release (Release) 1m 00s",
      ]);
      assert.deepEqual(
        report.updates.filter((u) => u.stack === "eks").map((u) => u.chain?.total),
        [12.5 * 60_000, 6_000],
        "the report (and so --json) keeps every update's chain",
      );
    });

    it("says nothing of chains when no update measured one", async () => {
      const mesh = twoClusterMesh();
      const log = new CapturedLog();
      await meshUp(mesh, log, fullPlan(), { now: mesh.now });
      assert.ok(!log.lines.some((l) => l.startsWith("longest chain")));
    });
  });
});
