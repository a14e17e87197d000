import { strict as assert } from "node:assert";
import { loadConfig, RawConfig } from "../config";
import { burstHpaBehavior } from "../components/clusters/burstScaling";
import { apiServerAccessProfile } from "../components/clusters/aksCluster";
import { eastWestGatewayValues, istiodValues } from "../components/mesh/values";
import { sharedBootstrap } from "./support/bootstrap";
import { ofType, reveal, single, StackRun } from "./support/harness";
import { configErrorOf, stackFileConfig, withConfig } from "./support/stackFiles";

function autoscalingOf(raw: RawConfig): unknown {
  const config = loadConfig(raw);
  assert.ok(config.role === "cluster" && config.cluster.cloud !== "existing");
  return config.cluster.autoscaling;
}

describe("capacity", () => {
  describe("config: burstmesh:autoscaling", () => {
    it("defaults every key on both clouds when the section is left out", () => {
      assert.deepEqual(autoscalingOf(withConfig("eks", { "burstmesh:autoscaling": undefined })), {
        enabled: true,
        instanceFamilies: ["m6i", "m7i"],
        capacityTypes: ["on-demand"],
        cpuLimit: 64,
        amiAlias: "al2023@latest",
      });
      assert.deepEqual(autoscalingOf(withConfig("aks", { "burstmesh:autoscaling": undefined })), {
        scanInterval: "10s",
        scaleDownDelayAfterAdd: "10m",
      });
    });

    it("reads the stack files' sections and fills the keys a section leaves out", () => {
      assert.deepEqual(autoscalingOf(stackFileConfig("eks")), {
        enabled: true,
        instanceFamilies: ["m6i", "m7i"],
        capacityTypes: ["on-demand"],
        cpuLimit: 64,
        amiAlias: "al2023@latest",
      });
      assert.deepEqual(
        autoscalingOf(withConfig("eks", { "burstmesh:autoscaling": { capacityTypes: ["spot", "on-demand"], cpuLimit: 200 } })),
        {
          enabled: true,
          instanceFamilies: ["m6i", "m7i"],
          capacityTypes: ["spot", "on-demand"],
          cpuLimit: 200,
          amiAlias: "al2023@latest",
        },
      );
      assert.deepEqual(autoscalingOf(withConfig("aks", { "burstmesh:autoscaling": { scanInterval: "20s" } })), {
        scanInterval: "20s",
        scaleDownDelayAfterAdd: "10m",
      });
    });

    const cases: [string, string, unknown, RegExp][] = [
      ["enabled that is not a boolean", "eks", { enabled: "yes" }, /burstmesh:autoscaling\.enabled: must be true or false/],
      [
        "no instance family",
        "eks",
        { instanceFamilies: [] },
        /burstmesh:autoscaling\.instanceFamilies: must name at least one instance family/,
      ],
      [
        "an instance type where a family belongs",
        "eks",
        { instanceFamilies: ["m6i.xlarge"] },
        /burstmesh:autoscaling\.instanceFamilies\[0\]: must be an EC2 instance family such as m6i/,
      ],
      [
        "a family listed twice",
        "eks",
        { instanceFamilies: ["m6i", "m6i"] },
        /burstmesh:autoscaling\.instanceFamilies\[1\]: lists 'm6i' twice/,
      ],
      [
        "an unknown capacity type",
        "eks",
        { capacityTypes: ["reserved"] },
        /burstmesh:autoscaling\.capacityTypes\[0\]: must be on-demand or spot/,
      ],
      ["no capacity type", "eks", { capacityTypes: [] }, /burstmesh:autoscaling\.capacityTypes: must name at least one capacity type/],
      [
        "a capacity type listed twice",
        "eks",
        { capacityTypes: ["spot", "spot"] },
        /burstmesh:autoscaling\.capacityTypes\[1\]: lists 'spot' twice/,
      ],
      ["a CPU limit of zero", "eks", { cpuLimit: 0 }, /burstmesh:autoscaling\.cpuLimit: must be a positive whole number/],
      ["a fractional CPU limit", "eks", { cpuLimit: 1.5 }, /burstmesh:autoscaling\.cpuLimit: must be a whole number/],
      [
        "an AMI alias of an unknown family",
        "eks",
        { amiAlias: "ubuntu@latest" },
        /burstmesh:autoscaling\.amiAlias: must be al2023@<version>/,
      ],
      ["an AMI alias without a version", "eks", { amiAlias: "al2023" }, /burstmesh:autoscaling\.amiAlias: must be al2023@<version>/],
      ["an AKS key on EKS", "eks", { scanInterval: "10s" }, /burstmesh:autoscaling: has no key 'scanInterval' on aws; it takes enabled, /],
      ["an EKS key on AKS", "aks", { cpuLimit: 8 }, /burstmesh:autoscaling: has no key 'cpuLimit' on azure; it takes scanInterval, /],
      [
        "a scan interval without its unit",
        "aks",
        { scanInterval: "10" },
        /burstmesh:autoscaling\.scanInterval: must be a whole number of seconds such as 10s/,
      ],
      [
        "a scale-down delay in seconds",
        "aks",
        { scaleDownDelayAfterAdd: "600s" },
        /burstmesh:autoscaling\.scaleDownDelayAfterAdd: must be a whole number of minutes such as 10m/,
      ],
      ["a section that is not an object", "eks", "on", /burstmesh:autoscaling: must be a number, list or object \(got 'on'\)/],
    ];
    for (const [what, stack, section, expected] of cases) {
      it(`rejects ${what}`, () => {
        assert.match(configErrorOf(withConfig(stack, { "burstmesh:autoscaling": section })), expected);
      });
    }
  });

  describe("HPAs made for bursts", () => {
    const behavior = burstHpaBehavior();

    it("scales up on the first sample and may at least double the pods every 15 s", () => {
      assert.equal(behavior.scaleUp.stabilizationWindowSeconds, 0);
      assert.equal(behavior.scaleUp.selectPolicy, "Max");
      const doubling = behavior.scaleUp.policies.find((p) => p.type === "Percent");
      assert.ok(doubling && doubling.value >= 100 && doubling.periodSeconds <= 15, "a Percent policy of at least 100 % per 15 s");
    });

    it("scales down only after five minutes of lower recommendations", () => {
      assert.equal(behavior.scaleDown.stabilizationWindowSeconds, 300);
    });

    it("is the behavior of istiod's and the east-west gateway's HPAs (chart values)", () => {
      const istiod = istiodValues({ meshId: "m", trustDomain: "cluster.local", clusterName: "eks", network: "n" });
      assert.equal(istiod.autoscaleEnabled, true);
      assert.deepEqual(istiod.autoscaleBehavior, behavior);
      for (const cloud of ["aws", "azure"] as const) {
        const gateway = eastWestGatewayValues({ network: "n", cloud, sourceRanges: ["198.51.100.7/32"] }) as {
          autoscaling: Record<string, unknown>;
        };
        assert.equal(gateway.autoscaling.enabled, true);
        assert.deepEqual(gateway.autoscaling.autoscaleBehavior, behavior);
      }
    });

    it("is the behavior of every service HPA in both clusters", async () => {
      const { first } = await sharedBootstrap();
      for (const run of [first.eks, first.aks]) {
        const hpas = ofType(run, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler");
        assert.ok(hpas.length > 0);
        for (const hpa of hpas) assert.deepEqual(reveal<{ spec: { behavior: unknown } }>(hpa.inputs).spec.behavior, behavior);
      }
    });
  });

  describe("AKS", () => {
    let aks: StackRun;
    before(async () => {
      aks = (await sharedBootstrap()).first.aks;
    });

    const managedCluster = () => reveal<Record<string, any>>(single(aks, "azure-native:containerservice:ManagedCluster").inputs);

    it("sends the autoscaler's scan interval and scale-down delay from config", () => {
      assert.deepEqual(managedCluster().autoScalerProfile, { scanInterval: "10s", scaleDownDelayAfterAdd: "10m" });
    });

    it("sends an explicit empty authorizedIPRanges when apiAllowedCidrs is empty, so that earlier ranges are cleared", () => {
      assert.deepEqual(apiServerAccessProfile([]), { authorizedIPRanges: [] });
      assert.deepEqual(managedCluster().apiServerAccessProfile, { authorizedIPRanges: [] });
    });
  });
});
