import { strict as assert } from "node:assert";
import { loadConfig, type StackConfig } from "../../config";
import { describeFootprint, footprintOf } from "../../orchestrator/footprint";
import { priceTable } from "../../orchestrator/prices";
import { stackFileConfig, withConfig } from "../support/stackFiles";

function clusterConfig(raw: ReturnType<typeof withConfig>): Extract<StackConfig, { role: "cluster" }> {
  const config = loadConfig(raw, undefined, []);
  assert.equal(config.role, "cluster");
  return config as Extract<StackConfig, { role: "cluster" }>;
}

describe("orchestrator footprint: what each cloud gets, and its estimated cost", () => {
  it("counts the EKS stack's nodes, NAT gateway, public addresses and load balancer, and prices them", () => {
    const eks = footprintOf("eks", clusterConfig(stackFileConfig("eks")));
    const { aws } = priceTable;
    assert.deepEqual(
      { ...eks, hourlyCost: undefined },
      {
        stack: "eks",
        cluster: "EKS 1.34 in eu-central-1",
        nodes: "3 × m6i.xlarge (2–6); Karpenter may add up to 64 vCPU",
        loadBalancers: 1,
        natGateways: 1,
        publicAddresses: 3,
        hourlyCost: undefined,
        unpriced: [],
      },
    );
    const expected = aws.eksControlPlane + aws.natGateway + 3 * aws.publicIpv4 + aws.networkLoadBalancer + 3 * aws.instances["m6i.xlarge"]!;
    assert.ok(Math.abs(eks.hourlyCost! - expected) < 1e-9);
  });

  it("gives one NAT gateway and address per zone with perZone, and leaves an unlisted size out of the cost, saying so", () => {
    const eks = footprintOf(
      "eks",
      clusterConfig(
        withConfig("eks", {
          "burstmesh:natGateways": "perZone",
          "burstmesh:availabilityZoneCount": 3,
          "burstmesh:nodePool": { instanceTypes: ["r7g.large"], minCount: 2, desiredCount: 2, maxCount: 4, diskSizeGb: 50 },
        }),
      ),
    );
    assert.deepEqual([eks.natGateways, eks.publicAddresses, eks.unpriced], [3, 6, ["r7g.large"]]);
    assert.match(describeFootprint(eks).join("\n"), /≈ \$\d+\.\d\d\/h \(without r7g\.large: not in the price table\)/);
  });

  it("counts the AKS stack's nodes, its one Standard Load Balancer and two public IPs", () => {
    const aks = footprintOf("aks", clusterConfig(stackFileConfig("aks")));
    const { azure } = priceTable;
    assert.equal(aks.cluster, "AKS 1.34 in westeurope");
    assert.deepEqual([aks.loadBalancers, aks.natGateways, aks.publicAddresses], [1, 0, 2]);
    assert.ok(Math.abs(aks.hourlyCost! - (azure.standardLoadBalancer + 2 * azure.publicIp + 3 * azure.vms.Standard_D4s_v5!)) < 1e-9);
  });

  it("adds the consoles' internal load balancers in the observer only", () => {
    const observability = { enabled: true, observer: "aks", internalLoadBalancer: true };
    const aks = footprintOf("aks", clusterConfig(withConfig("aks", { "burstmesh:observability": observability })));
    const eks = footprintOf("eks", clusterConfig(withConfig("eks", { "burstmesh:observability": observability })));
    assert.deepEqual([aks.loadBalancers, eks.loadBalancers], [2, 1]);
  });

  it("prices every size the stack files ship", () => {
    for (const stack of ["eks", "aks"]) assert.deepEqual(footprintOf(stack, clusterConfig(stackFileConfig(stack))).unpriced, []);
  });
});
