/**
 * The mesh components (IstioPrimary, EastWestGateway, ReaderToken, RemoteSecret): their pure builders
 * directly, then the components themselves under Pulumi mocks, one EKS and one AKS cluster, wired to
 * each other the way the cluster stacks wire peers.
 */
import { strict as assert } from "node:assert";
import { awsNlbAnnotations, statusNodePort, baseValues, eastWestGatewayValues, istiodValues } from "../../../components/mesh/values";
import { burstHpaBehavior } from "../../../components/kube/burstScaling";

describe("components/mesh/values: the Helm values", () => {
  it("istiod values: mesh identity, network and production settings, exactly", () => {
    assert.deepEqual(
      istiodValues({ revision: "1-30-8", meshId: "burstmesh", trustDomain: "cluster.local", clusterName: "eks", network: "network-eks" }),
      {
        revision: "1-30-8",
        global: {
          meshID: "burstmesh",
          multiCluster: { clusterName: "eks" },
          network: "network-eks",
          proxy: { seccompProfile: { type: "RuntimeDefault" } },
        },
        env: { ISTIO_MULTIROOT_MESH: "true" },
        meshConfig: { trustDomain: "cluster.local", defaultConfig: { proxyMetadata: { PROXY_CONFIG_XDS_AGENT: "true" } } },
        cni: { enabled: true },
        autoscaleEnabled: true,
        autoscaleMin: 2,
        autoscaleMax: 5,
        autoscaleBehavior: burstHpaBehavior(),
        resources: { requests: { cpu: "500m", memory: "2048Mi" } },
        topologySpreadConstraints: [
          {
            maxSkew: 1,
            topologyKey: "topology.kubernetes.io/zone",
            whenUnsatisfiable: "ScheduleAnyway",
            labelSelector: { matchLabels: { app: "istiod" } },
          },
        ],
      },
    );
  });

  it("istiod values of the non-revisioned istiod name no revision", () => {
    const values = istiodValues({ revision: "default", meshId: "m", trustDomain: "cluster.local", clusterName: "eks", network: "n" });
    assert.equal("revision" in values, false);
  });

  it("base values: the stable tag's revision as the default one, and the istio-reader service account", () => {
    assert.deepEqual(baseValues("1-30-8"), { defaultRevision: "1-30-8", global: { enableReaderRBAC: true } });
  });

  it("gateway values on aws: explicit network form, 15021 and 15443 only, in-tree NLB", () => {
    assert.deepEqual(
      eastWestGatewayValues({ revision: "1-30-8", network: "network-eks", cloud: "aws", sourceRanges: ["20.1.2.4/32", "198.51.100.0/24"] }),
      {
        labels: { istio: "eastwestgateway", "topology.istio.io/network": "network-eks" },
        revision: "stable",
        podAnnotations: { "burstmesh.io/istio-revision": "1-30-8" },
        strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        minReadySeconds: 15,
        env: { ISTIO_META_REQUESTED_NETWORK_VIEW: "network-eks" },
        service: {
          type: "LoadBalancer",
          ports: [
            { name: "status-port", port: 15021, targetPort: 15021, protocol: "TCP", nodePort: statusNodePort },
            { name: "tls", port: 15443, targetPort: 15443, protocol: "TCP" },
          ],
          annotations: {
            "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
            "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
            "service.beta.kubernetes.io/aws-load-balancer-healthcheck-protocol": "HTTP",
            "service.beta.kubernetes.io/aws-load-balancer-healthcheck-port": String(statusNodePort),
            "service.beta.kubernetes.io/aws-load-balancer-healthcheck-path": "/healthz/ready",
          },
          loadBalancerSourceRanges: ["20.1.2.4/32", "198.51.100.0/24"],
        },
        autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 5, autoscaleBehavior: burstHpaBehavior() },
        podDisruptionBudget: { minAvailable: 1 },
      },
    );
  });

  it("gateway values on azure: no annotations, no fixed node port", () => {
    const values = eastWestGatewayValues({
      revision: "1-30-8",
      network: "network-aks",
      cloud: "azure",
      sourceRanges: ["203.0.113.7/32"],
    }) as {
      service: { annotations: object; ports: object[]; loadBalancerSourceRanges: string[] };
    };
    assert.deepEqual(values.service.annotations, {});
    assert.deepEqual(values.service.loadBalancerSourceRanges, ["203.0.113.7/32"]);
    assert.deepEqual(values.service.ports, [
      { name: "status-port", port: 15021, targetPort: 15021, protocol: "TCP" },
      { name: "tls", port: 15443, targetPort: 15443, protocol: "TCP" },
    ]);
  });

  it("refuses more source ranges than the cloud's load balancer rules hold, naming what to change; an existing cluster's is its own", () => {
    const ranges = (count: number) => Array.from({ length: count }, (_, index) => `198.51.100.${index}/32`);
    assert.doesNotThrow(() => eastWestGatewayValues({ revision: "1-30-8", network: "n", cloud: "aws", sourceRanges: ranges(19) }));
    assert.throws(
      () => eastWestGatewayValues({ revision: "1-30-8", network: "n", cloud: "aws", sourceRanges: ranges(20) }),
      /east-west gateway: 20 source ranges \(every peer's egress CIDRs and burstmesh:gatewayAllowedCidrs\), more than the 19 that an EKS node security group's 60 inbound rules hold .*burstmesh:natGateways: single/,
    );
    const azure = Array.from({ length: 1001 }, (_, index) => `10.${index >> 8}.${index & 255}.0/24`);
    assert.doesNotThrow(() =>
      eastWestGatewayValues({ revision: "1-30-8", network: "n", cloud: "azure", sourceRanges: azure.slice(0, 1000) }),
    );
    assert.throws(
      () => eastWestGatewayValues({ revision: "1-30-8", network: "n", cloud: "azure", sourceRanges: azure }),
      /1001 source ranges .* more than the 1000/,
    );
    assert.doesNotThrow(() => eastWestGatewayValues({ revision: "1-30-8", network: "n", cloud: "existing", sourceRanges: ranges(250) }));
  });

  it("the NLB health check aims at the node port of the status port (instance targets), in the node-port range", () => {
    const values = eastWestGatewayValues({ revision: "1-30-8", network: "n", cloud: "aws", sourceRanges: ["20.1.2.4/32"] }) as {
      service: { ports: { name: string; nodePort?: number }[] };
    };
    const status = values.service.ports.find((p) => p.name === "status-port");
    assert.equal(awsNlbAnnotations()["service.beta.kubernetes.io/aws-load-balancer-healthcheck-port"], String(status?.nodePort));
    assert.ok(statusNodePort >= 30000 && statusNodePort <= 32767);
  });

  describe("the east-west gateway", () => {
    it("is a plain LoadBalancer on an existing cluster: no cloud annotations", () => {
      const values = eastWestGatewayValues({
        revision: "1-30-8",
        network: "network-onprem",
        cloud: "existing",
        sourceRanges: ["20.1.2.4/32"],
      }) as {
        service: Record<string, unknown>;
      };
      assert.equal(values.service.type, "LoadBalancer");
      assert.deepEqual(values.service.annotations, {});
      assert.equal(values.service.externalIPs, undefined);
      assert.deepEqual(values.service.loadBalancerSourceRanges, ["20.1.2.4/32"]);
    });

    it("is a NodePort with the peers' address as external IP and fixed node ports in NodePort mode", () => {
      const values = eastWestGatewayValues({
        revision: "1-30-8",
        network: "network-onprem",
        cloud: "existing",
        nodePortAddress: "203.0.113.20",
        sourceRanges: ["20.1.2.4/32"],
      }) as {
        service: Record<string, unknown>;
      };
      assert.equal(values.service.type, "NodePort");
      assert.deepEqual(values.service.externalIPs, ["203.0.113.20"]);
      // Kubernetes accepts loadBalancerSourceRanges on LoadBalancer Services only; the NodePort's firewall is the operator's.
      assert.equal(values.service.loadBalancerSourceRanges, undefined);
      assert.deepEqual(values.service.ports, [
        { name: "status-port", port: 15021, targetPort: 15021, protocol: "TCP", nodePort: 31021 },
        { name: "tls", port: 15443, targetPort: 15443, protocol: "TCP", nodePort: 31443 },
      ]);
    });
  });
});
