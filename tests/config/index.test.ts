import { strict as assert } from "node:assert";
import { loadConfig, readProjectFile } from "../../config";
import { configErrorOf, repoRoot, stackFileConfig, withConfig } from "../support/stackFiles";

describe("config", () => {
  describe("the stack files", () => {
    it("the trust stack gets the mesh-wide defaults of Pulumi.yaml", () => {
      const trust = loadConfig(stackFileConfig("trust"));
      assert.equal(trust.role, "trust");
      assert.deepEqual(trust.mesh, {
        istioVersion: "1.30.8",
        meshId: "burstmesh",
        trustDomain: "cluster.local",
        members: ["eks", "aks"],
        trustStack: "trust",
        certOrganization: "burstmesh",
        rootCertValidityHours: 87600,
        intermediateCertValidityHours: 17520,
        tags: {},
      });
    });

    it("eks is an AWS member cluster peered with aks", () => {
      const eks = loadConfig(stackFileConfig("eks"));
      assert.ok(eks.role === "cluster" && eks.cluster.cloud === "aws");
      assert.equal(eks.cluster.region, "eu-central-1");
      assert.equal(eks.cluster.clusterName, "eks");
      assert.deepEqual(eks.cluster.peers, ["aks"]);
      assert.equal(eks.cluster.kubernetesVersion, "1.34", "a version such as 1.30 must stay a string, not become 1.3");
      assert.deepEqual(eks.cluster.nodePool, { instanceTypes: ["m6i.xlarge"], minCount: 2, desiredCount: 3, maxCount: 6, diskSizeGb: 50 });
    });

    it("aks is an Azure member cluster peered with eks, on its own network", () => {
      const aks = loadConfig(stackFileConfig("aks"));
      const eks = loadConfig(stackFileConfig("eks"));
      assert.ok(aks.role === "cluster" && aks.cluster.cloud === "azure" && eks.role === "cluster");
      assert.equal(aks.cluster.location, "westeurope");
      assert.deepEqual(aks.cluster.peers, ["eks"]);
      assert.notEqual(aks.cluster.network, eks.cluster.network);
    });

    it("peers with every other member by default, and with the listed ones only when peers is set (a partial mesh)", () => {
      const three = { "burstmesh:members": ["eks", "aks", "onprem"] };
      const all = loadConfig(withConfig("eks", three));
      assert.ok(all.role === "cluster");
      assert.deepEqual(all.cluster.peers, ["aks", "onprem"]);
      const partial = loadConfig(withConfig("eks", { ...three, "burstmesh:peers": ["onprem"] }));
      assert.ok(partial.role === "cluster");
      assert.deepEqual(partial.cluster.peers, ["onprem"]);
    });

    it("stack values override the project defaults", () => {
      const config = loadConfig(withConfig("eks", { "burstmesh:istioVersion": "1.30.4", "burstmesh:intermediateCertValidityHours": 720 }));
      assert.equal(config.mesh.istioVersion, "1.30.4");
      assert.equal(config.mesh.intermediateCertValidityHours, 720);
    });

    it("takes its defaults from Pulumi.yaml, the one place they are written", () => {
      const { defaults } = readProjectFile(repoRoot);
      assert.equal(defaults["burstmesh:istioVersion"], "1.30.8");
      assert.deepEqual(defaults["burstmesh:members"], ["eks", "aks"]);
      const otherDefaults = { ...defaults, "burstmesh:meshId": "other-mesh" };
      assert.equal(loadConfig(stackFileConfig("trust"), otherDefaults).mesh.meshId, "other-mesh");
    });
  });

  describe("bad values are rejected with the key and what is expected", () => {
    const cases: [string, string, Record<string, unknown>, RegExp][] = [
      ["an unknown cloud", "eks", { "burstmesh:cloud": "gcp" }, /burstmesh:cloud: must be 'aws', 'azure' or 'existing' \(got 'gcp'\)/],
      ["a missing cloud", "eks", { "burstmesh:cloud": undefined }, /burstmesh:cloud: must be 'aws', 'azure' or 'existing' \(got nothing\)/],
      ["an unknown role", "trust", { "burstmesh:role": "ca" }, /burstmesh:role: must be 'trust' or 'cluster'/],
      [
        "a cluster name that is not DNS-1123",
        "eks",
        { "burstmesh:clusterName": "EKS_1" },
        /burstmesh:clusterName: must be a DNS-1123 label/,
      ],
      [
        "a cluster listed among its own peers",
        "eks",
        { "burstmesh:peers": ["aks", "eks"] },
        /burstmesh:peers\[1\]: lists this cluster's own name 'eks'/,
      ],
      [
        "a peer that is not a member",
        "eks",
        { "burstmesh:peers": ["gke"] },
        /burstmesh:peers\[0\]: 'gke' is not one of burstmesh:members \(eks, aks\)/,
      ],
      ["a peer listed twice", "eks", { "burstmesh:peers": ["aks", "aks"] }, /burstmesh:peers\[1\]: lists 'aks' twice/],
      [
        "a cluster that is not a member",
        "eks",
        { "burstmesh:clusterName": "eks2" },
        /burstmesh:clusterName: 'eks2' is not one of burstmesh:members/,
      ],
      [
        "a member listed twice",
        "trust",
        { "burstmesh:members": ["eks", "aks", "eks"] },
        /burstmesh:members\[2\]: lists cluster 'eks' twice/,
      ],
      ["an invalid VPC CIDR", "eks", { "burstmesh:vpcCidr": "10.20.0.0/33" }, /burstmesh:vpcCidr: must be an IPv4 CIDR block/],
      [
        "an invalid API CIDR",
        "aks",
        { "burstmesh:apiAllowedCidrs": ["203.0.113.0"] },
        /burstmesh:apiAllowedCidrs\[0\]: must be an IPv4 CIDR block/,
      ],
      [
        "min nodes above desired",
        "eks",
        { "burstmesh:nodePool": { instanceTypes: ["m6i.large"], minCount: 4, desiredCount: 3, maxCount: 6, diskSizeGb: 50 } },
        /burstmesh:nodePool\.desiredCount: must be at least minCount \(4\)/,
      ],
      [
        "desired nodes above max",
        "aks",
        { "burstmesh:nodePool": { vmSize: "Standard_D4s_v5", minCount: 2, desiredCount: 7, maxCount: 6, diskSizeGb: 64 } },
        /burstmesh:nodePool\.desiredCount: must be at most maxCount \(6\)/,
      ],
      [
        "min nodes below one",
        "eks",
        { "burstmesh:nodePool": { instanceTypes: ["m6i.large"], minCount: 0, desiredCount: 1, maxCount: 2, diskSizeGb: 50 } },
        /burstmesh:nodePool\.minCount: must be at least 1/,
      ],
      [
        "an Istio version that is not x.y.z",
        "eks",
        { "burstmesh:istioVersion": "1.30" },
        /burstmesh:istioVersion: must be an Istio release version x\.y\.z/,
      ],
      [
        "an Istio release whose charts burstmesh does not pin",
        "eks",
        { "burstmesh:istioVersion": "1.29.2" },
        /burstmesh:istioVersion: must be an Istio release whose charts burstmesh pins and checks: 1\.30\.8 or 1\.30\.4/,
      ],
      [
        "a certificate validity of zero",
        "trust",
        { "burstmesh:rootCertValidityHours": 0 },
        /burstmesh:rootCertValidityHours: must be a positive whole number/,
      ],
      [
        "a negative certificate validity",
        "trust",
        { "burstmesh:intermediateCertValidityHours": -24 },
        /burstmesh:intermediateCertValidityHours: must be a positive whole number/,
      ],
      [
        "an intermediate certificate that outlives the root",
        "trust",
        { "burstmesh:rootCertValidityHours": 100, "burstmesh:intermediateCertValidityHours": 101 },
        /burstmesh:intermediateCertValidityHours: must not exceed rootCertValidityHours \(100\)/,
      ],
      ["no member at all", "trust", { "burstmesh:members": [] }, /burstmesh:members: must list at least one member cluster/],
      ["a member list that is not a list", "trust", { "burstmesh:members": { eks: true } }, /burstmesh:members: must be a list/],
      [
        "a member name that is not DNS-1123",
        "trust",
        { "burstmesh:members": ["eks", "AKS"] },
        /burstmesh:members\[1\]: must be a DNS-1123 label/,
      ],
      ["a tag key with a slash", "eks", { "burstmesh:tags": { "team/a": "x" } }, /burstmesh:tags\.team\/a: the key may hold only/],
      [
        "a tag key in a reserved prefix",
        "eks",
        { "burstmesh:tags": { "aws:owner": "x" } },
        /burstmesh:tags\.aws:owner: the key uses a prefix/,
      ],
      [
        "a tag key in the default tags' prefix",
        "aks",
        { "burstmesh:tags": { "burstmesh:stack": "x" } },
        /burstmesh:tags\.burstmesh:stack: the burstmesh: prefix is reserved/,
      ],
      [
        "a tag value too long",
        "aks",
        { "burstmesh:tags": { team: "x".repeat(257) } },
        /burstmesh:tags\.team: the value must be at most 256/,
      ],
      ["a tag value that is not text", "aks", { "burstmesh:tags": { team: 5 } }, /burstmesh:tags\.team: must be a text value/],
      ["a missing AWS region", "eks", { "aws:region": undefined }, /aws:region: is required when burstmesh:cloud is aws/],
      [
        "a missing Azure location",
        "aks",
        { "azure-native:location": undefined },
        /azure-native:location: is required when burstmesh:cloud is azure/,
      ],
      [
        "a single availability zone",
        "eks",
        { "burstmesh:availabilityZoneCount": 1 },
        /burstmesh:availabilityZoneCount: must be at least 2/,
      ],
      ["a non-JSON list", "eks", { "burstmesh:peers": "aks" }, /^ {2}- burstmesh:peers: must be a list \(got 'aks'\)$/m],
    ];
    for (const [what, stack, changes, expected] of cases) {
      it(`rejects ${what}`, () => {
        assert.match(configErrorOf(withConfig(stack, changes)), expected);
      });
    }

    it("says a string where a list belongs once, without a second 'is required'", () => {
      const lines = configErrorOf(withConfig("aks", { "burstmesh:peers": "eks" }))
        .split("\n")
        .slice(1);
      assert.deepEqual(lines, ["  - burstmesh:peers: must be a list (got 'eks')"]);
    });

    it("reports invalid members once, without a false 'observer is required'", () => {
      const lines = configErrorOf(withConfig("aks", { "burstmesh:members": "x" }))
        .split("\n")
        .slice(1);
      assert.deepEqual(lines, ["  - burstmesh:members: must be a list (got 'x')"]);
    });

    it("says a missing choice is required, and which values it takes", () => {
      assert.match(
        configErrorOf(withConfig("eks", { "burstmesh:natGateways": undefined })),
        /^ {2}- burstmesh:natGateways: is required \('single' or 'perZone'\)$/m,
      );
    });

    describe("unknown keys", () => {
      it("refuses a misspelt top-level key, naming the key it most likely means", () => {
        const message = configErrorOf(withConfig("eks", { "burstmesh:natGateway": "single", "burstmesh:observabilty": {} }));
        assert.match(message, /^ {2}- burstmesh:natGateway: is not a known setting; did you mean 'burstmesh:natGateways'\?$/m);
        assert.match(message, /^ {2}- burstmesh:observabilty: is not a known setting; did you mean 'burstmesh:observability'\?$/m);
      });

      it("refuses a key that resembles none without a guess", () => {
        assert.match(
          configErrorOf(withConfig("trust", { "burstmesh:frobnicate": "yes" })),
          /^ {2}- burstmesh:frobnicate: is not a known setting$/m,
        );
      });

      it("refuses misspelt keys inside sections and list entries, with the sibling they misspell", () => {
        const message = configErrorOf(
          withConfig("eks", {
            "burstmesh:autoscaling": { enabeld: false },
            "burstmesh:services": [{ name: "podinfo", homeCluster: "eks", capacity: { maxConcurentRequests: 32 } }],
            "burstmesh:observability": { retension: "15d" },
          }),
        );
        assert.match(message, /burstmesh:autoscaling: has no key 'enabeld' on aws/);
        assert.match(
          message,
          /^ {2}- burstmesh:services\[0\]\.capacity\.maxConcurentRequests: is not a known setting; did you mean 'maxConcurrentRequests'\?$/m,
        );
        assert.match(message, /^ {2}- burstmesh:observability\.retension: is not a known setting; did you mean 'retention'\?$/m);
      });

      it("leaves other namespaces to their providers", () => {
        assert.doesNotThrow(() => loadConfig(withConfig("eks", { "aws:profile": "prod", "kubernetes:enableServerSideApply": "true" })));
      });
    });

    it("reports every bad key at once, naming the stack", () => {
      const message = configErrorOf(
        withConfig("eks", { "burstmesh:vpcCidr": "nope", "burstmesh:istioVersion": "latest", "aws:region": undefined }),
      );
      assert.match(message, /^Invalid configuration for stack '[^']+':/);
      assert.match(message, /burstmesh:vpcCidr/);
      assert.match(message, /burstmesh:istioVersion/);
      assert.match(message, /aws:region/);
    });
  });
});
