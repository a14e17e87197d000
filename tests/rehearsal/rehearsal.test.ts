import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { checkConfig, projectDefaults } from "../../config";
import { checkAdminKubeconfig } from "../../config/kubeconfig";
import { checkStateHoldsNoSecret, declaredObjects } from "../../rehearsal/checks";
import { adminKubeconfig, fakeNodes } from "../../rehearsal/controlPlane";
import { KubeApi } from "../../doctor/kubeApi";
import { changedNothing, changingPasses } from "../../rehearsal/lifecycle";
import { memberNetwork } from "../../rehearsal/network";
import { leftovers, objectKey } from "../../rehearsal/snapshot";
import { memberStackConfig, rehearsalMemberNames, type RehearsalSettings, trustStackConfig } from "../../rehearsal/stacks";
import { encodeConfig } from "../support/stackFiles";

const caPem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

function settings(count: number): RehearsalSettings {
  return {
    project: "burstmesh",
    members: rehearsalMemberNames(count).map((name, index) => ({ name, address: memberNetwork(index).memberAddress })),
    istioVersion: "1.30.4",
    chartRepository: "http://127.0.0.1:8080",
  };
}

describe("rehearsal (the parts that need no toolchain)", () => {
  describe("its stack files", () => {
    for (const count of [2, 3]) {
      it(`pass the program's own validation with ${count} members, each an existing cluster on its own address`, () => {
        const rehearsal = settings(count);
        const trust = checkConfig(encodeConfig(trustStackConfig(rehearsal)), projectDefaults(), []);
        assert.ok(trust.ok, JSON.stringify(trust));
        for (const [index, member] of rehearsal.members.entries()) {
          const kubeconfig = adminKubeconfig(member.name, `https://${member.address}:6443`, caPem, "token");
          const raw = encodeConfig({ ...memberStackConfig(rehearsal, member), "burstmesh:kubeconfig": kubeconfig });
          const check = checkConfig(raw, projectDefaults(), []);
          assert.ok(check.ok, JSON.stringify(check));
          assert.equal(check.config.role === "cluster" && check.config.cluster.clusterName, member.name);
          assert.deepEqual(check.config.role === "cluster" && check.config.cluster.peers.length, count - 1);
          assert.equal(member.address, `10.213.${index}.2`);
        }
      });
    }

    it("give every member an inline admin kubeconfig that travels (no files, no exec) and round-trips to an API client", () => {
      const kubeconfig = adminKubeconfig("rehearsal-a", "https://10.213.0.2:6443", caPem, "secret-token");
      const check = checkAdminKubeconfig(kubeconfig);
      assert.ok(check.ok && check.kubeconfig.server === "https://10.213.0.2:6443");
      assert.equal(KubeApi.fromKubeconfig(kubeconfig).server, "https://10.213.0.2:6443");
    });

    it("label the fake nodes with the member as region, as the program's locality reads it", () => {
      const nodes = fakeNodes("rehearsal-b") as { metadata: { labels: Record<string, string>; annotations: Record<string, string> } }[];
      assert.equal(nodes.length, 3);
      for (const node of nodes) {
        assert.equal(node.metadata.labels["topology.kubernetes.io/region"], "rehearsal-b");
        assert.equal(node.metadata.annotations["kwok.x-k8s.io/node"], "fake");
      }
    });
  });

  describe("its reading of up's JSON summary", () => {
    const summary = {
      updates: [
        { stack: "trust", pass: 0, changes: { create: 8 } },
        { stack: "a", pass: 1, changes: { create: 30 } },
        { stack: "b", pass: 1, changes: { create: 30 } },
        { stack: "a", pass: 2, changes: { create: 2, same: 30 } },
        { stack: "b", pass: 2, changes: { same: 30 } },
      ],
    };

    it("counts the cluster passes that changed something, and what", () => {
      assert.deepEqual(changingPasses(summary), [
        { pass: 1, changed: { a: { create: 30 }, b: { create: 30 } } },
        { pass: 2, changed: { a: { create: 2 } } },
      ]);
    });

    it("calls an up unchanged only when every update reported nothing but same", () => {
      assert.equal(changedNothing(summary), false);
      assert.equal(changedNothing({ updates: [{ stack: "a", pass: 1, changes: { same: 3, read: 2 } }] }), true);
      assert.equal(changedNothing({ updates: [{ stack: "a", pass: 1 }] }), false, "missing counts are no proof");
    });
  });

  describe("its checks", () => {
    it("read the declared Kubernetes objects from a stack's state, Helm releases and providers aside", () => {
      const objects = declaredObjects([
        {
          type: "kubernetes:core/v1:Namespace",
          urn: "u1",
          outputs: { apiVersion: "v1", kind: "Namespace", metadata: { name: "istio-system" } },
        },
        { type: "kubernetes:helm.sh/v3:Release", urn: "u2", outputs: { name: "istiod" } },
        { type: "pulumi:providers:kubernetes", urn: "u3", outputs: {} },
        {
          type: "kubernetes:networking.istio.io/v1:Gateway",
          urn: "u4",
          outputs: {
            apiVersion: "networking.istio.io/v1",
            kind: "Gateway",
            metadata: { name: "cross-network-gateway", namespace: "istio-system" },
          },
        },
      ]);
      assert.deepEqual(objects, [
        { apiVersion: "v1", kind: "Namespace", namespace: undefined, name: "istio-system" },
        { apiVersion: "networking.istio.io/v1", kind: "Gateway", namespace: "istio-system", name: "cross-network-gateway" },
      ]);
    });

    it("find what a teardown left, apart from what a Helm uninstall keeps by design", () => {
      const before = [objectKey("v1", "Namespace", undefined, "default")];
      const crd = objectKey("apiextensions.k8s.io/v1", "CustomResourceDefinition", undefined, "gateways.networking.istio.io");
      const stray = objectKey("v1", "Namespace", undefined, "istio-system");
      assert.deepEqual(leftovers(before, { objects: [...before, crd, stray], keptByDesign: [crd] }), {
        left: [stray],
        keptByDesign: [crd],
      });
    });

    it("find a private key or a known secret in the state files, and pass a state without them", () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "burstmesh-state-"));
      try {
        fs.mkdirSync(path.join(dir, ".pulumi", "stacks"), { recursive: true });
        const stackFile = path.join(dir, ".pulumi", "stacks", "a.json");
        fs.writeFileSync(stackFile, JSON.stringify({ ciphertext: "v1:abc" }));
        assert.equal(checkStateHoldsNoSecret(dir, { "a token": "tok-123" }).ok, true);
        fs.writeFileSync(stackFile, JSON.stringify({ outputs: { kubeconfig: "token: tok-123" } }));
        assert.match(checkStateHoldsNoSecret(dir, { "a token": "tok-123" }).detail, /a token \(\.pulumi\/stacks\/a\.json\)/);
        fs.writeFileSync(stackFile, "-----BEGIN EC PRIVATE KEY-----\nx\n");
        assert.equal(checkStateHoldsNoSecret(dir, {}).ok, false);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
