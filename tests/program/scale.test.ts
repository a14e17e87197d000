/**
 * Ten members, fifty services: the whole mesh at that size, built by config alone under
 * mocks. Every member links every other, builds every service (home bounds in its home member),
 * the bootstrap still converges in two passes, and no member's program takes long.
 */
import { strict as assert } from "node:assert";
import { MeshRuns, peerReadOutputs, simulateMesh } from "../support/bootstrap";
import { ofType, RecordedResource, reveal, StackRun } from "../support/harness";
import { helmRelease } from "../support/k8s";
import { ScaledMesh, scaledMesh, tenMembers } from "../support/scale";

/** The most a member's program may take under the mocks, in milliseconds (docs/architecture.md, "At ten members"). */
const programBudgetMs = 15_000;

const remoteSecrets = (run: StackRun) =>
  ofType(run, "kubernetes:core/v1:Secret").filter(
    (r) => !r.read && (reveal<{ metadata?: { name?: string } }>(r.inputs).metadata?.name ?? "").startsWith("istio-remote-secret-"),
  );

/** The `minReplicas` of the HPA of a service's (single-version) Deployment. */
const hpaMinReplicas = (run: StackRun, service: string): number => {
  const [hpa, ...others] = ofType(run, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler").filter(
    (r: RecordedResource) => reveal<{ metadata: { namespace: string } }>(r.inputs).metadata.namespace === service,
  );
  assert.ok(hpa && others.length === 0, `one HPA in namespace ${service}`);
  return reveal<{ spec: { minReplicas: number } }>(hpa.inputs).spec.minReplicas;
};

describe("ten members, fifty services under mocks", function () {
  // Twenty whole-stack runs and a trust stack with ten intermediates: about a minute on two busy cores.
  this.timeout(600_000);
  let mesh: ScaledMesh;
  let runs: MeshRuns<string>;

  before(async () => {
    mesh = scaledMesh(tenMembers);
    runs = await simulateMesh(mesh.trust, mesh.clusters);
  });

  it("is ten members (4 EKS, 4 AKS, 2 existing) and fifty services, every member the home of five", () => {
    assert.equal(mesh.members.length, 10);
    const clouds = mesh.members.map((member) => runs.second[member]!.outputs.cloud!.value);
    assert.deepEqual(
      ["aws", "azure", "existing"].map((cloud) => clouds.filter((c) => c === cloud).length),
      [4, 4, 2],
    );
    assert.equal(mesh.services.length, 50);
    for (const member of mesh.members) assert.equal(mesh.services.filter((s) => s.homeCluster === member).length, 5);
    assert.deepEqual(Object.keys(runs.trust.outputs.cacerts!.value as object).sort(), [...mesh.members].sort());
  });

  it("wires every ordered pair: each member holds a remote secret for each of its nine peers", () => {
    for (const member of mesh.members) {
      const peers = remoteSecrets(runs.second[member]!).map((r) => Object.keys(reveal<{ stringData: object }>(r.inputs).stringData)[0]);
      assert.deepEqual(peers.sort(), mesh.members.filter((m) => m !== member).sort(), `${member}'s remote secrets`);
      assert.deepEqual(remoteSecrets(runs.first[member]!), [], `${member} links no peer before any has published`);
    }
  });

  it("builds every service in every member, with home bounds in its home member and standby bounds elsewhere", () => {
    for (const member of mesh.members) {
      const run = runs.second[member]!;
      const built = ofType(run, "burstmesh:traffic:OverflowService").map((r) => r.name);
      assert.deepEqual(built.sort(), mesh.services.map((s) => s.name).sort(), `${member}'s services`);
      for (const service of mesh.services) {
        assert.equal(hpaMinReplicas(run, service.name), service.homeCluster === member ? 2 : 1, `${service.name} in ${member}`);
      }
    }
  });

  it("converges in two passes: the second changes no output a peer reads, so a third would change nothing", () => {
    for (const member of mesh.members) {
      assert.deepEqual(peerReadOutputs(runs.second[member]!), peerReadOutputs(runs.first[member]!), `${member}'s outputs are stable`);
      assert.deepEqual(
        [...(runs.second[member]!.outputs.linkedPeers!.value as string[])].sort(),
        mesh.members.filter((m) => m !== member).sort(),
      );
    }
  });

  it("gives the observer's Grafana all fifty dashboards, in providers whose ConfigMaps the API server takes (1 MiB)", () => {
    const values = reveal<{ dashboards: Record<string, Record<string, { json?: string }>> }>(
      helmRelease(runs.second.eks1!, "grafana").inputs.values,
    );
    const burstmesh = Object.entries(values.dashboards).filter(([provider]) => provider.startsWith("burstmesh"));
    assert.ok(burstmesh.length >= 2, "fifty dashboards of ten members are more than one ConfigMap holds");
    assert.equal(burstmesh.flatMap(([, held]) => Object.keys(held)).length, 50);
    for (const [provider, held] of burstmesh) {
      const bytes = Object.entries(held).reduce((total, [name, entry]) => total + name.length + 5 + Buffer.byteLength(entry.json!), 0);
      assert.ok(bytes < 1024 * 1024, `${provider}: ${bytes} bytes of ConfigMap data`);
    }
  });

  it(`runs each member's program in under ${programBudgetMs / 1000} s`, () => {
    for (const member of mesh.members) {
      const ms = runs.milliseconds.second[member]!;
      assert.ok(ms < programBudgetMs, `${member}'s second pass took ${Math.round(ms)} ms`);
    }
  });
});

describe("a fifth member joins four under mocks", function () {
  this.timeout(600_000);
  const four = { eks: 2, aks: 1, existing: 1, services: 4 };
  const five = { ...four, existing: 2 };
  let grownFrom: MeshRuns<string>;
  let after: MeshRuns<string>;
  let joined: string[];

  before(async () => {
    grownFrom = await simulateMesh(scaledMesh(four).trust, scaledMesh(four).clusters);
    // The same services and the same four members first, so that only the fifth is new.
    const grown = scaledMesh(five);
    joined = grown.members.filter((member) => !(member in grownFrom.second));
    assert.deepEqual(joined, ["onprem2"]);
    after = await simulateMesh(grown.trust, grown.clusters);
  });

  it("leaves every existing member's cacerts byte-identical", () => {
    const cacerts = (runs: MeshRuns<string>) => runs.trust.outputs.cacerts!.value as Record<string, Record<string, string>>;
    for (const member of Object.keys(grownFrom.second)) assert.deepEqual(cacerts(after)[member], cacerts(grownFrom)[member], member);
    assert.ok(cacerts(after).onprem2, "the fifth has its own intermediate");
  });

  it("leaves every existing remote secret byte-identical, and adds one for the fifth in each member", () => {
    const secrets = (run: StackRun) =>
      Object.fromEntries(remoteSecrets(run).map((r) => [reveal<{ metadata: { name: string } }>(r.inputs).metadata.name, reveal(r.inputs)]));
    for (const member of Object.keys(grownFrom.second)) {
      const [was, now] = [secrets(grownFrom.second[member]!), secrets(after.second[member]!)];
      const { "istio-remote-secret-onprem2": added, ...kept } = now;
      assert.deepEqual(kept, was, `${member}'s remote secrets for the other four`);
      assert.ok(added, `${member} links the fifth`);
    }
  });
});
