import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { checkSecretsProviders, discoverStacks, LayoutError, selectStacks } from "../../orchestrator/discovery";
import { repoRoot } from "../support/stackFiles";

describe("stack discovery", () => {
  it("finds trust as the trust stack and eks, aks as cluster stacks in this repository", () => {
    const layout = discoverStacks(repoRoot);
    assert.equal(layout.trust, "trust");
    assert.deepEqual(layout.clusters, ["aks", "eks"]);
  });

  describe("in a scratch repository", () => {
    let dir: string;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "burstmesh-orch-"));
      fs.copyFileSync(path.join(repoRoot, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
      fs.writeFileSync(path.join(dir, "Pulumi.trust.yaml"), "config:\n  burstmesh:role: trust\n");
      for (const [name, peers] of [
        ["eks", "[aks]"],
        ["aks", "[eks]"],
      ]) {
        fs.writeFileSync(path.join(dir, `Pulumi.${name}.yaml`), `config:\n  burstmesh:cloud: aws\n  burstmesh:peers: ${peers}\n`);
      }
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("picks up a third cluster stack from its stack file alone", () => {
      fs.writeFileSync(path.join(dir, "Pulumi.gke.yaml"), "config:\n  burstmesh:peers: [eks, aks]\n");
      const layout = discoverStacks(dir);
      assert.equal(layout.trust, "trust");
      assert.deepEqual(layout.clusters, ["aks", "eks", "gke"]);
    });

    it("refuses zero or two trust stacks", () => {
      fs.writeFileSync(path.join(dir, "Pulumi.other.yaml"), "config:\n  burstmesh:role: trust\n");
      assert.throws(() => discoverStacks(dir), /more than one trust stack \(other, trust\)/);
      fs.rmSync(path.join(dir, "Pulumi.other.yaml"));
      fs.rmSync(path.join(dir, "Pulumi.trust.yaml"));
      assert.throws(() => discoverStacks(dir), /no trust stack/);
    });

    it("finds the secrets provider the stack files record, and refuses stacks with different ones", () => {
      assert.deepEqual(checkSecretsProviders(discoverStacks(dir)), { provider: undefined });
      fs.appendFileSync(path.join(dir, "Pulumi.trust.yaml"), "encryptionsalt: v1:abc:def\n");
      assert.deepEqual(checkSecretsProviders(discoverStacks(dir)), { provider: "passphrase" });
      fs.appendFileSync(path.join(dir, "Pulumi.eks.yaml"), "secretsprovider: awskms://alias/burstmesh?region=eu-central-1&token=x\n");
      assert.throws(
        () => checkSecretsProviders(discoverStacks(dir)),
        (e: unknown) =>
          e instanceof LayoutError &&
          /different secrets providers \(eks: awskms:\/\/alias\/burstmesh\?…; trust: passphrase\)/.test(e.message) &&
          !e.message.includes("token=x"),
      );
    });
  });

  it("selects a subset of stacks and rejects unknown names", () => {
    const layout = discoverStacks(repoRoot);
    assert.deepEqual(selectStacks(layout), { trust: "trust", clusters: ["aks", "eks"] });
    assert.deepEqual(selectStacks(layout, ["eks"]), { trust: undefined, clusters: ["eks"] });
    assert.throws(
      () => selectStacks(layout, ["eks", "gke"]),
      (e: unknown) => e instanceof LayoutError && /unknown stack\(s\) gke.*trust, aks, eks/.test(e.message),
    );
  });
});
