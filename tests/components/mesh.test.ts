/**
 * The mesh components (IstioPrimary, EastWestGateway, ReaderToken, RemoteSecret): their pure builders
 * directly, then the components themselves under Pulumi mocks, one EKS and one AKS cluster, wired to
 * each other the way the cluster stacks wire peers.
 */
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { reveal } from "../support/harness";
import { eks, aks, peerFixture, Run, run, only, component, cluster, meshComponentRuns } from "../support/meshComponents";
describe("components/mesh: the four components of a member's mesh, under mocks", () => {
  let eksRun: Run;
  let aksRun: Run;

  before(async () => {
    ({ eksRun, aksRun } = await meshComponentRuns());
  });

  const runs = () => [
    { fixture: eks, result: eksRun },
    { fixture: aks, result: aksRun },
  ];

  describe("every component", () => {
    it("has its burstmesh:mesh type and parents its children, which use the cluster's provider explicitly", () => {
      for (const { fixture, result } of runs()) {
        const provider = only(result, (r) => r.type === "pulumi:providers:kubernetes", "provider");
        for (const type of ["IstioPrimary", "EastWestGateway", "ReaderToken", "RemoteSecret"]) {
          const parent = component(result, `burstmesh:mesh:${type}`);
          const children = result.resources.filter((r) => r.parent === parent.urn);
          assert.ok(children.length > 0, `${type} has children`);
          for (const child of children) {
            assert.ok(
              child.provider.startsWith(`${provider.urn}::`),
              `${fixture.stack}: ${child.type} ${child.name} uses provider ${child.provider}`,
            );
          }
        }
        const mine = result.resources.filter((r) => r.type.startsWith("kubernetes:"));
        for (const resource of mine) {
          assert.ok(
            result.resources.some((r) => r.urn === resource.parent && r.type.startsWith("burstmesh:mesh:")),
            `${resource.name} is a component's child`,
          );
        }
      }
    });

    it("names everything deterministically: a second run registers the same URNs and values", async () => {
      const again = await run(eks.stack, () => cluster(eks, [{ name: "aks", peer: pulumi.secret(peerFixture()) }]));
      const summary = (r: Run) =>
        r.resources.map((x) => [x.urn, reveal(x.inputs)]).sort((a, b) => String(a[0]).localeCompare(String(b[0])));
      assert.deepEqual(summary(again), summary(eksRun));
      assert.deepEqual(again.outputs, eksRun.outputs);
      for (const resource of eksRun.resources.filter((r) => r.type.startsWith("kubernetes:") && !r.read)) {
        const inputs = reveal<{ metadata?: { name?: string }; name?: string }>(resource.inputs);
        assert.ok(inputs.metadata?.name ?? inputs.name, `${resource.type} ${resource.name} has an explicit Kubernetes name`);
      }
    });

    it("keeps every release and object in the teardown graph: no skipAwait, no deletedWith", () => {
      for (const { result } of runs()) {
        for (const resource of result.resources.filter((r) => r.type.startsWith("kubernetes:") && !r.read)) {
          const inputs = reveal<{ skipAwait?: boolean; metadata?: { annotations?: Record<string, string> } }>(resource.inputs);
          assert.notEqual(inputs.skipAwait, true, `${resource.name} skipAwait`);
          assert.equal(inputs.metadata?.annotations?.["pulumi.com/skipAwait"], undefined, `${resource.name} pulumi.com/skipAwait`);
          assert.equal(resource.deletedWith, "", `${resource.name} deletedWith`);
        }
      }
    });
  });
});
