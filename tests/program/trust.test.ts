import { strict as assert } from "node:assert";
import { ConfigError } from "../../config";
import type { CaBundle } from "../../components/stackOutputs";
import { published } from "../support/bootstrap";
import { RecordedResource, reveal, runScenario, runStack, stackRef, StackRun } from "../support/harness";
import { stackFileConfig, withConfig } from "../support/stackFiles";
import { onlyCert } from "../support/sharedCa";

describe("the trust stack under mocks", () => {
  describe("the trust stack under mocks, against its own last deployment", function () {
    this.timeout(60_000);
    let first: StackRun;
    before(async () => {
      first = await runScenario({ stack: "trust", config: stackFileConfig("trust") });
    });
    const itself = () => ({ [stackRef("trust")]: published(first) });

    it("reads its own outputs, and deploys again unchanged with the same root", async () => {
      const again = await runStack({ stack: "trust", config: stackFileConfig("trust"), published: itself() });
      const self = again.resources.filter((r) => r.type === "pulumi:pulumi:StackReference");
      assert.deepEqual(
        self.map((r) => reveal<{ name: string }>(r.inputs).name),
        [stackRef("trust")],
      );
      assert.equal(again.outputs.rootCertPem!.value, first.outputs.rootCertPem!.value);
    });

    it("takes a new intermediate validity: the intermediates are re-issued under the same root", async () => {
      const longer = await runStack({
        stack: "trust",
        config: withConfig("trust", { "burstmesh:intermediateCertValidityHours": 8760 }),
        published: itself(),
      });
      assert.equal(longer.outputs.rootCertPem!.value, first.outputs.rootCertPem!.value);
      const bundles = (run: StackRun) => run.outputs.cacerts!.value as Record<string, CaBundle>;
      assert.notEqual(bundles(longer)["eks"]!["ca-cert.pem"], bundles(first)["eks"]!["ca-cert.pem"]);
    });

    it("refuses a new certOrganization and rootCertValidityHours before it creates anything", async () => {
      await assert.rejects(
        runStack({
          stack: "trust",
          config: withConfig("trust", { "burstmesh:certOrganization": "acme", "burstmesh:rootCertValidityHours": 43800 }),
          published: itself(),
        }),
        (error: Error & { resources?: RecordedResource[] }) => {
          assert.ok(error instanceof ConfigError, String(error));
          assert.match(
            error.message,
            /burstmesh:certOrganization: the deployed root CA was issued for 'burstmesh'; this run asks for 'acme'\./,
          );
          assert.match(
            error.message,
            /burstmesh:rootCertValidityHours: the deployed root CA is valid for 87600 hours; this run asks for 43800\./,
          );
          assert.deepEqual(
            error.resources!.filter((r) => r.type.startsWith("tls:")),
            [],
          );
          return true;
        },
      );
    });

    it("bumps one member's intermediate: the root and the other member's intermediate keep their URNs, the other bundle is byte-identical", async () => {
      const bumped = await runStack({
        stack: "trust",
        config: withConfig("trust", { "burstmesh:trust": { intermediates: { aks: 2 } } }),
        published: itself(),
      });
      const bundles = (run: StackRun) => run.outputs.cacerts!.value as Record<string, CaBundle>;
      const urns = (run: StackRun) => new Set(run.resources.filter((r) => r.type.startsWith("tls:")).map((r) => r.urn));
      const [before, after] = [urns(first), urns(bumped)];
      for (const urn of before) {
        if (!urn.includes("aks-intermediate")) assert.ok(after.has(urn), `${urn} kept`);
      }
      assert.ok([...after].some((urn) => urn.endsWith("::aks-intermediate-g2-cert")));
      assert.ok(![...after].some((urn) => urn.endsWith("::aks-intermediate-cert")), "generation 1 of aks is gone");
      assert.equal(
        bundles(bumped)["eks"]!["ca-cert.pem"] + bundles(bumped)["eks"]!["ca-key.pem"],
        bundles(first)["eks"]!["ca-cert.pem"] + bundles(first)["eks"]!["ca-key.pem"],
      );
      assert.deepEqual(bundles(bumped)["eks"], bundles(first)["eks"]);
      assert.notEqual(bundles(bumped)["aks"]!["ca-key.pem"], bundles(first)["aks"]!["ca-key.pem"]);
      assert.equal(bumped.outputs.rootCertPem!.value, first.outputs.rootCertPem!.value);
      assert.deepEqual(bumped.outputs.trustGenerations!.value, { roots: [1], signingRoot: 1, intermediates: { eks: 1, aks: 2 } });
    });

    it("refuses a one-step root swap against its last deployment, before it creates anything", async () => {
      await assert.rejects(
        runStack({ stack: "trust", config: withConfig("trust", { "burstmesh:trust": { roots: [2] } }), published: itself() }),
        (error: Error & { resources?: RecordedResource[] }) => {
          assert.ok(error instanceof ConfigError, String(error));
          assert.match(error.message, /burstmesh:trust\.roots: from \[1\] to \[2\] is a change istiod ignores while it runs/);
          assert.match(error.message, /npm run mesh -- rotate-root/);
          assert.deepEqual(
            error.resources!.filter((r) => r.type.startsWith("tls:")),
            [],
          );
          return true;
        },
      );
    });

    it("takes any organization and validity on its first deployment", async () => {
      const fresh = await runStack({
        stack: "trust",
        config: withConfig("trust", { "burstmesh:certOrganization": "acme", "burstmesh:rootCertValidityHours": 43800 }),
      });
      assert.match(onlyCert(String(fresh.outputs.rootCertPem!.value)).subject, /^O=acme$/m);
    });
  });
});
