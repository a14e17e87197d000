/**
 * The mesh components (IstioPrimary, EastWestGateway, ReaderToken, RemoteSecret): their pure builders
 * directly, then the components themselves under Pulumi mocks, one EKS and one AKS cluster, wired to
 * each other the way the cluster stacks wire peers.
 */
import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";
import { istioChartRepo } from "../components/charts/pinned";
import { EastWestGateway, loadBalancerAddress } from "../components/mesh/eastWestGateway";
import { crossNetworkGateway, meshPeerAuthentication } from "../components/mesh/objects";
import { awsNlbAnnotations, statusNodePort, baseValues, cniValues, eastWestGatewayValues, istiodValues } from "../components/mesh/values";
import { cacertsStringData, IstioPrimary } from "../components/mesh/istioPrimary";
import { burstHpaBehavior } from "../components/kube/burstScaling";
import { buildKubeconfig } from "../components/kube/kubeconfig";
import { checkedFor } from "../components/invariant";
import { decodeReaderToken, ReaderToken, readerTokenSecret } from "../components/mesh/readerToken";
import { RemoteSecret, remoteSecretKubeconfig, remoteSecretStringData } from "../components/mesh/remoteSecret";
import type { CaBundle, MeshPeer } from "../components/stackOutputs";
import { isSecret, RecordedResource, resolveOutputs, reveal, settle, startMockedRun, StackOutput } from "./support/harness";
import { resourceMocks } from "./support/mocks";
import { fakeReaderToken } from "./support/mocks/kubernetes";

// --- fixtures -------------------------------------------------------------------------------------

const istioVersion = "1.30.3";

function pem(label: string, seed: string): string {
  const body = createHash("sha512").update(seed).digest("base64");
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

function caBundle(cluster: string): CaBundle {
  const intermediate = pem("CERTIFICATE", `intermediate:${cluster}`);
  const root = pem("CERTIFICATE", "root");
  return {
    "ca-cert.pem": intermediate,
    "ca-key.pem": pem("PRIVATE KEY", `key:${cluster}`),
    "root-cert.pem": root,
    "cert-chain.pem": intermediate + root,
  };
}

/** A cluster CA as EKS and AKS return it: PEM, base64-encoded once. */
function caData(seed: string): string {
  return Buffer.from(pem("CERTIFICATE", `cluster-ca:${seed}`)).toString("base64");
}

const eks = {
  stack: "eks",
  clusterName: "eks",
  network: "network-eks",
  cloud: "aws" as const,
  server: "https://0123456789ABCDEF0123456789ABCDEF.gr7.eu-central-1.eks.amazonaws.com",
  kubeconfig: () =>
    buildKubeconfig(
      { name: "eks", server: eks.server, certificateAuthorityData: caData("eks") },
      {
        exec: {
          apiVersion: "client.authentication.k8s.io/v1beta1",
          command: "aws",
          args: ["eks", "get-token", "--cluster-name", "eks", "--region", "eu-central-1"],
        },
      },
    ),
};

const aks = {
  stack: "aks",
  clusterName: "aks",
  network: "network-aks",
  cloud: "azure" as const,
  server: "https://aks-0123abcd.hcp.westeurope.azmk8s.io:443",
  kubeconfig: () => buildKubeconfig({ name: "aks", server: aks.server, certificateAuthorityData: caData("aks") }, { token: "admin-token" }),
};

function peerFixture(overrides: Partial<MeshPeer> = {}): MeshPeer {
  return {
    clusterName: "aks",
    network: "network-aks",
    apiServerUrl: aks.server,
    certificateAuthorityData: caData("aks"),
    readerToken: fakeReaderToken("fixture"),
    gatewayAddress: "20.1.2.3",
    egressCidrs: ["20.1.2.4/32"],
    ...overrides,
  };
}

// --- a small mocked run that records registrations with their parent, provider and dependencies ---

interface Run {
  resources: RecordedResource[];
  outputs: Record<string, StackOutput>;
}

/** Runs `build` under mocks as stack `stack` and returns what it registered and its outputs, resolved. */
async function run(stack: string, build: () => Record<string, pulumi.Input<unknown>>): Promise<Run> {
  const { resources, restoreLogs } = await startMockedRun({ stack });
  try {
    const outputs = await resolveOutputs(build());
    await settle();
    return { resources, outputs };
  } finally {
    restoreLogs();
  }
}

function only(run: Run, predicate: (r: RecordedResource) => boolean, what: string): RecordedResource {
  const found = run.resources.filter(predicate);
  assert.equal(found.length, 1, `expected one ${what}, found ${found.length}: ${found.map((r) => r.name).join(", ")}`);
  return found[0]!;
}

function k8sObject(run: Run, type: string, name: string): RecordedResource {
  return only(
    run,
    (r) => !r.read && r.type === type && reveal<{ metadata?: { name?: string } }>(r.inputs).metadata?.name === name,
    `${type} ${name}`,
  );
}

function release(run: Run, releaseName: string): RecordedResource {
  return only(
    run,
    (r) => r.type === "kubernetes:helm.sh/v3:Release" && reveal<{ name?: string }>(r.inputs).name === releaseName,
    `release ${releaseName}`,
  );
}

function component(run: Run, type: string): RecordedResource {
  return only(run, (r) => r.type === type, type);
}

/** The east-west gateway's source ranges in a fixture cluster: the other fixture's egress address. */
function sourceRangesOf(fixture: typeof eks | typeof aks): string[] {
  return fixture.cloud === "aws" ? ["20.1.2.4/32"] : ["203.0.113.7/32"];
}

/** One member cluster's mesh components, as a cluster stack composes them. */
function cluster(
  fixture: typeof eks | typeof aks,
  peers: { name: string; peer: pulumi.Input<MeshPeer> }[],
): Record<string, pulumi.Input<unknown>> {
  const provider = new k8s.Provider(`${fixture.clusterName}-k8s`, { kubeconfig: pulumi.secret(fixture.kubeconfig()) });
  const istio = new IstioPrimary("istio", {
    provider,
    istioVersion,
    meshId: "burstmesh",
    trustDomain: "cluster.local",
    clusterName: fixture.clusterName,
    network: fixture.network,
    cacerts: pulumi.secret({ ...caBundle(fixture.clusterName), "extra.pem": "not for istiod" } as CaBundle),
  });
  const afterIstio = { dependsOn: istio.ready };
  const gateway = new EastWestGateway(
    "eastwest",
    { provider, istioVersion, network: fixture.network, cloud: fixture.cloud, sourceRanges: sourceRangesOf(fixture) },
    afterIstio,
  );
  const reader = new ReaderToken("reader", { provider }, afterIstio);
  for (const { name, peer } of peers) new RemoteSecret(`peer-${name}`, { provider, peerName: name, peer }, afterIstio);
  return { namespace: istio.namespace, address: gateway.address, token: reader.token };
}

// --- pure builders --------------------------------------------------------------------------------

describe("mesh: pure builders", () => {
  it("istiod values: mesh identity, network and production settings, exactly", () => {
    assert.deepEqual(istiodValues({ meshId: "burstmesh", trustDomain: "cluster.local", clusterName: "eks", network: "network-eks" }), {
      global: {
        meshID: "burstmesh",
        multiCluster: { clusterName: "eks" },
        network: "network-eks",
        proxy: { seccompProfile: { type: "RuntimeDefault" } },
      },
      meshConfig: { trustDomain: "cluster.local" },
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
    });
  });

  it("base values: default revision and the istio-reader service account", () => {
    assert.deepEqual(baseValues(), { defaultRevision: "default", global: { enableReaderRBAC: true } });
  });

  it("gateway values on aws: explicit network form, 15021 and 15443 only, in-tree NLB", () => {
    assert.deepEqual(eastWestGatewayValues({ network: "network-eks", cloud: "aws", sourceRanges: ["20.1.2.4/32", "198.51.100.0/24"] }), {
      labels: { istio: "eastwestgateway", "topology.istio.io/network": "network-eks" },
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
    });
  });

  it("gateway values on azure: no annotations, no fixed node port", () => {
    const values = eastWestGatewayValues({ network: "network-aks", cloud: "azure", sourceRanges: ["203.0.113.7/32"] }) as {
      service: { annotations: object; ports: object[]; loadBalancerSourceRanges: string[] };
    };
    assert.deepEqual(values.service.annotations, {});
    assert.deepEqual(values.service.loadBalancerSourceRanges, ["203.0.113.7/32"]);
    assert.deepEqual(values.service.ports, [
      { name: "status-port", port: 15021, targetPort: 15021, protocol: "TCP" },
      { name: "tls", port: 15443, targetPort: 15443, protocol: "TCP" },
    ]);
  });

  it("the NLB health check aims at the node port of the status port (instance targets), in the node-port range", () => {
    const values = eastWestGatewayValues({ network: "n", cloud: "aws", sourceRanges: ["20.1.2.4/32"] }) as {
      service: { ports: { name: string; nodePort?: number }[] };
    };
    const status = values.service.ports.find((p) => p.name === "status-port");
    assert.equal(awsNlbAnnotations()["service.beta.kubernetes.io/aws-load-balancer-healthcheck-port"], String(status?.nodePort));
    assert.ok(statusNodePort >= 30000 && statusNodePort <= 32767);
  });

  it("PeerAuthentication: mesh-wide STRICT in istio-system, exactly", () => {
    assert.deepEqual(meshPeerAuthentication(), {
      apiVersion: "security.istio.io/v1",
      kind: "PeerAuthentication",
      metadata: { name: "default", namespace: "istio-system" },
      spec: { mtls: { mode: "STRICT" } },
    });
  });

  it("cross-network Gateway: 15443 tls TLS AUTO_PASSTHROUGH *.local on the east-west gateway, exactly", () => {
    assert.deepEqual(crossNetworkGateway(), {
      apiVersion: "networking.istio.io/v1",
      kind: "Gateway",
      metadata: { name: "cross-network-gateway", namespace: "istio-system" },
      spec: {
        selector: { istio: "eastwestgateway" },
        servers: [{ port: { number: 15443, name: "tls", protocol: "TLS" }, tls: { mode: "AUTO_PASSTHROUGH" }, hosts: ["*.local"] }],
      },
    });
  });

  it("cacerts: exactly the four files, extra keys dropped", () => {
    const bundle = caBundle("eks");
    assert.deepEqual(cacertsStringData({ ...bundle, "extra.pem": "x" } as CaBundle), bundle);
  });

  it("cacerts: refuses a missing file, a non-PEM file, a key that is no key and a chain out of order", () => {
    const bundle = caBundle("eks");
    const { "root-cert.pem": _root, ...withoutRoot } = bundle;
    assert.throws(() => cacertsStringData(withoutRoot as CaBundle), /lacks root-cert\.pem/);
    assert.throws(() => cacertsStringData({ ...bundle, "ca-cert.pem": "not pem" }), /ca-cert\.pem holds no PEM certificate/);
    assert.throws(() => cacertsStringData({ ...bundle, "ca-key.pem": bundle["root-cert.pem"] }), /no PEM private key/);
    assert.throws(
      () => cacertsStringData({ ...bundle, "cert-chain.pem": bundle["root-cert.pem"] + bundle["ca-cert.pem"] }),
      /ca-cert\.pem followed by root-cert\.pem/,
    );
  });

  it("reader token Secret: the service-account-token type and annotation, exactly", () => {
    assert.deepEqual(readerTokenSecret(), {
      metadata: {
        name: "istio-reader-service-account-istio-remote-secret-token",
        namespace: "istio-system",
        annotations: { "kubernetes.io/service-account.name": "istio-reader-service-account" },
      },
      type: "kubernetes.io/service-account-token",
    });
  });

  it("reader token: decodes data.token, refuses a Secret the controller has not filled", () => {
    assert.equal(decodeReaderToken({ token: Buffer.from("a.b.c").toString("base64") }), "a.b.c");
    assert.throws(() => decodeReaderToken({}), /has no data\.token/);
    assert.throws(() => decodeReaderToken(undefined), /has no data\.token/);
  });

  it("load-balancer address: hostname first, else IP, else nothing", () => {
    assert.equal(
      loadBalancerAddress({ loadBalancer: { ingress: [{ hostname: "a.elb.amazonaws.com", ip: "1.2.3.4" }] } } as never),
      "a.elb.amazonaws.com",
    );
    assert.equal(loadBalancerAddress({ loadBalancer: { ingress: [{ ip: "20.1.2.3" }] } } as never), "20.1.2.3");
    assert.equal(loadBalancerAddress({ loadBalancer: { ingress: [] } } as never), undefined);
    assert.equal(loadBalancerAddress(undefined), undefined);
  });

  describe("remote-secret kubeconfig", () => {
    it("one cluster, context and user named after the peer; server, CA as given, token user", () => {
      const peer = peerFixture();
      const config = parseYaml(remoteSecretKubeconfig(peer)) as Record<string, unknown>;
      assert.deepEqual(config, {
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "aks", cluster: { server: aks.server, "certificate-authority-data": peer.certificateAuthorityData } }],
        contexts: [{ name: "aks", context: { cluster: "aks", user: "aks" } }],
        "current-context": "aks",
        preferences: {},
        users: [{ name: "aks", user: { token: peer.readerToken } }],
      });
    });

    it("the Secret data: one key, the peer's cluster name", () => {
      const data = remoteSecretStringData("aks", peerFixture());
      assert.deepEqual(Object.keys(data), ["aks"]);
    });

    it("refuses a key other than the peer's cluster name", () => {
      assert.throws(() => remoteSecretKubeconfig(peerFixture(), "eks"), /must equal the peer's clusterName 'aks'/);
      assert.throws(() => remoteSecretStringData("eks", peerFixture()), /must equal the peer's clusterName/);
    });

    it("refuses what would not give a token-only kubeconfig with inline CA", () => {
      const cases: [Partial<MeshPeer>, RegExp][] = [
        [{ readerToken: "/var/run/secrets/kubernetes.io/serviceaccount/token" }, /readerToken must be a service-account token/],
        [{ readerToken: "" }, /readerToken must be a service-account token/],
        [{ readerToken: "exec: aws eks get-token" }, /readerToken must be a service-account token/],
        [{ apiServerUrl: "http://aks.example:443" }, /https:\/\/ URL/],
        [{ apiServerUrl: "/etc/kubernetes/admin.conf" }, /https:\/\/ URL/],
        [{ apiServerUrl: "https://user:pw@aks.example" }, /without credentials/],
        [{ certificateAuthorityData: pem("CERTIFICATE", "raw") }, /raw PEM/],
        [{ certificateAuthorityData: Buffer.from(caData("twice")).toString("base64") }, /does not decode to a PEM certificate/],
        [{ certificateAuthorityData: "/etc/ssl/ca.crt" }, /not base64/],
        [{ clusterName: "AKS_1" }, /DNS-1123/],
      ];
      for (const [override, error] of cases) {
        assert.throws(
          () => remoteSecretKubeconfig(peerFixture(override), peerFixture(override).clusterName),
          error,
          JSON.stringify(override),
        );
      }
    });
  });
});

// --- the Kubernetes mock itself -------------------------------------------------------------------

describe("mesh: the Kubernetes mock", () => {
  const readService = (provider: string) =>
    resourceMocks["kubernetes:core/v1:Service"]!({
      type: "kubernetes:core/v1:Service",
      name: "svc",
      inputs: {},
      id: "istio-system/istio-eastwestgateway",
      provider,
    }) as {
      status: { loadBalancer: { ingress: Record<string, string>[] } };
    };
  const ref = (types: string, name: string, stack = "unit") => `urn:pulumi:${stack}::burstmesh::${types}::${name}::${name}-id`;

  it("without a known kubeconfig, tells the cloud from the provider's name, then its parent types, then the stack", () => {
    assert.match(readService(ref("pulumi:providers:kubernetes", "aks-k8s")).status.loadBalancer.ingress[0]!.ip!, /^20\./);
    assert.match(
      readService(ref("pulumi:providers:kubernetes", "eks-k8s")).status.loadBalancer.ingress[0]!.hostname!,
      /\.elb\.[a-z0-9-]+\.amazonaws\.com$/,
    );
    assert.ok(readService(ref("burstmesh:clusters:AksCluster$pulumi:providers:kubernetes", "main")).status.loadBalancer.ingress[0]!.ip);
    assert.ok(readService(ref("pulumi:providers:kubernetes", "main", "eks")).status.loadBalancer.ingress[0]!.hostname);
  });

  it("refuses to guess: no provider, or a provider that names no cloud", () => {
    assert.throws(() => readService(""), /without an explicit Kubernetes provider/);
    assert.throws(() => readService(ref("pulumi:providers:kubernetes", "main", "dev")), /cannot tell the cloud/);
  });

  it("derives tokens from the cluster: the same cluster the same token, another cluster another", () => {
    assert.equal(fakeReaderToken("eks::eks-k8s"), fakeReaderToken("eks::eks-k8s"));
    assert.notEqual(fakeReaderToken("eks::eks-k8s"), fakeReaderToken("aks::aks-k8s"));
    assert.match(fakeReaderToken("x"), /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  });
});

// --- components under mocks -----------------------------------------------------------------------

describe("mesh: components under mocks", () => {
  let eksRun: Run;
  let aksRun: Run;

  before(async () => {
    eksRun = await run(eks.stack, () => cluster(eks, [{ name: "aks", peer: pulumi.secret(peerFixture()) }]));
    const eksPeer: MeshPeer = {
      clusterName: "eks",
      network: eks.network,
      apiServerUrl: eks.server,
      certificateAuthorityData: caData("eks"),
      readerToken: eksRun.outputs.token!.value as string,
      gatewayAddress: eksRun.outputs.address!.value as string,
      egressCidrs: ["203.0.113.7/32"],
    };
    aksRun = await run(aks.stack, () => cluster(aks, [{ name: "eks", peer: pulumi.secret(eksPeer) }]));
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

  describe("IstioPrimary", () => {
    it("labels istio-system with the cluster's network and the privileged Pod Security level the CNI agent needs", () => {
      for (const { fixture, result } of runs()) {
        const namespace = k8sObject(result, "kubernetes:core/v1:Namespace", "istio-system");
        assert.deepEqual(reveal(namespace.inputs.metadata), {
          name: "istio-system",
          labels: {
            "topology.istio.io/network": fixture.network,
            "pod-security.kubernetes.io/enforce": "privileged",
            "pod-security.kubernetes.io/enforce-version": "latest",
          },
        });
        assert.equal(result.outputs.namespace!.value, "istio-system");
      }
    });

    it("puts exactly the four CA files into the secret Secret cacerts", () => {
      for (const { fixture, result } of runs()) {
        const cacerts = k8sObject(result, "kubernetes:core/v1:Secret", "cacerts");
        assert.ok(isSecret(cacerts.inputs.stringData), "stringData is a Pulumi secret");
        assert.equal(cacerts.inputs.data, undefined);
        assert.deepEqual(reveal(cacerts.inputs.stringData), caBundle(fixture.clusterName));
        assert.equal(reveal<{ metadata: { namespace: string } }>(cacerts.inputs).metadata.namespace, "istio-system");
      }
    });

    it("installs base, cni and istiod, pinned to the Istio version, from Istio's repository, with exact values", () => {
      for (const { fixture, result } of runs()) {
        const expected = {
          "istio-base": { chart: "base", values: baseValues() },
          "istio-cni": { chart: "cni", values: cniValues() },
          istiod: {
            chart: "istiod",
            values: istiodValues({
              meshId: "burstmesh",
              trustDomain: "cluster.local",
              clusterName: fixture.clusterName,
              network: fixture.network,
            }),
          },
        };
        for (const [name, { chart, values }] of Object.entries(expected)) {
          const inputs = reveal<Record<string, unknown>>(release(result, name).inputs);
          assert.equal(inputs.chart, chart);
          assert.equal(inputs.version, istioVersion);
          assert.deepEqual(inputs.repositoryOpts, { repo: istioChartRepo });
          assert.equal(istioChartRepo, "https://istio-release.storage.googleapis.com/charts");
          assert.equal(inputs.namespace, "istio-system");
          assert.deepEqual(inputs.values, values);
        }
        const istiod = reveal<{ values: { global: Record<string, unknown>; meshConfig: unknown } }>(
          release(result, "istiod").inputs,
        ).values;
        assert.deepEqual(istiod.global, {
          meshID: "burstmesh",
          multiCluster: { clusterName: fixture.clusterName },
          network: fixture.network,
          proxy: { seccompProfile: { type: "RuntimeDefault" } },
        });
        assert.deepEqual(istiod.meshConfig, { trustDomain: "cluster.local" });
      }
    });

    it("creates istiod after the namespace, cacerts, base and the CNI agent; base and cni after the namespace", () => {
      for (const { result } of runs()) {
        const namespace = k8sObject(result, "kubernetes:core/v1:Namespace", "istio-system");
        const cacerts = k8sObject(result, "kubernetes:core/v1:Secret", "cacerts");
        const base = release(result, "istio-base");
        const cni = release(result, "istio-cni");
        const istiod = release(result, "istiod");
        for (const dependency of [namespace, cacerts, base, cni]) {
          assert.ok(istiod.dependencies.includes(dependency.urn), `istiod depends on ${dependency.name}`);
        }
        assert.ok(base.dependencies.includes(namespace.urn), "base depends on the namespace");
        assert.ok(cni.dependencies.includes(namespace.urn), "cni depends on the namespace");
      }
    });

    it("enforces STRICT mTLS mesh-wide, built from the typed model, after istiod", () => {
      for (const { result } of runs()) {
        const peerAuthentication = only(
          result,
          (r) => r.type === "kubernetes:security.istio.io/v1:PeerAuthentication",
          "PeerAuthentication",
        );
        assert.deepEqual(reveal(peerAuthentication.inputs), meshPeerAuthentication());
        assert.ok(peerAuthentication.dependencies.includes(release(result, "istiod").urn));
      }
    });
  });

  describe("EastWestGateway", () => {
    it("installs the gateway chart as istio-eastwestgateway, pinned, with the exact values for the cloud, after istiod", () => {
      for (const { fixture, result } of runs()) {
        const gateway = release(result, "istio-eastwestgateway");
        const inputs = reveal<Record<string, unknown>>(gateway.inputs);
        assert.equal(inputs.chart, "gateway");
        assert.equal(inputs.version, istioVersion);
        assert.deepEqual(inputs.repositoryOpts, { repo: istioChartRepo });
        assert.equal(inputs.namespace, "istio-system");
        assert.deepEqual(
          inputs.values,
          eastWestGatewayValues({ network: fixture.network, cloud: fixture.cloud, sourceRanges: sourceRangesOf(fixture) }),
        );
        assert.ok(gateway.dependencies.includes(release(result, "istiod").urn), "gateway after istiod");
      }
    });

    it("asks for the NLB on aws only", () => {
      const annotations = (run: Run) =>
        reveal<{ values: { service: { annotations: Record<string, string> } } }>(release(run, "istio-eastwestgateway").inputs).values
          .service.annotations;
      assert.deepEqual(annotations(eksRun), awsNlbAnnotations());
      assert.equal(annotations(eksRun)["service.beta.kubernetes.io/aws-load-balancer-type"], "nlb");
      assert.deepEqual(annotations(aksRun), {});
    });

    it("creates the cross-network Gateway from the typed model, after the release", () => {
      for (const { result } of runs()) {
        const gateways = result.resources.filter((r) => r.type === "kubernetes:networking.istio.io/v1:Gateway");
        assert.equal(gateways.length, 1);
        assert.deepEqual(reveal(gateways[0]!.inputs), crossNetworkGateway());
        assert.ok(gateways[0]!.dependencies.includes(release(result, "istio-eastwestgateway").urn));
      }
    });

    it("reads the gateway Service back and outputs its address: NLB hostname on aws, IP on azure", () => {
      for (const { result } of runs()) {
        const read = only(result, (r) => r.read && r.type === "kubernetes:core/v1:Service", "Service read");
        assert.equal(read.provider.split("::")[3], `${result === eksRun ? "eks" : "aks"}-k8s`);
      }
      assert.match(eksRun.outputs.address!.value as string, /^a[0-9a-f]{31}-[0-9a-f]{16}\.elb\.eu-central-1\.amazonaws\.com$/);
      assert.match(aksRun.outputs.address!.value as string, /^20\.\d{1,3}\.\d{1,3}\.\d{1,3}$/);
    });
  });

  it("builds every Istio object it creates from the typed models", () => {
    for (const { result } of runs()) {
      const istio = result.resources.filter((r) => /^kubernetes:[a-z.]+\.istio\.io\//.test(r.type));
      assert.deepEqual(
        istio.map((r) => reveal(r.inputs)).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
        [crossNetworkGateway(), meshPeerAuthentication()].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
      );
    }
  });

  describe("ReaderToken", () => {
    it("creates the service-account token Secret exactly, after istiod (and so after the base chart's service account)", () => {
      for (const { result } of runs()) {
        const secret = k8sObject(result, "kubernetes:core/v1:Secret", "istio-reader-service-account-istio-remote-secret-token");
        assert.deepEqual(reveal(secret.inputs), { apiVersion: "v1", kind: "Secret", ...readerTokenSecret() });
        assert.ok(secret.dependencies.includes(release(result, "istiod").urn));
      }
    });

    it("reads the token back and outputs it decoded, as a secret", () => {
      for (const { result } of runs()) {
        const read = only(result, (r) => r.read && r.type === "kubernetes:core/v1:Secret", "Secret read");
        const data = reveal<{ data: { token: string } }>(read.state).data;
        assert.equal(result.outputs.token!.secret, true, "token is a Pulumi secret");
        assert.equal(result.outputs.token!.value, Buffer.from(data.token, "base64").toString("utf8"));
        const [, payload] = (result.outputs.token!.value as string).split(".");
        assert.equal(
          JSON.parse(Buffer.from(payload!, "base64url").toString()).sub,
          "system:serviceaccount:istio-system:istio-reader-service-account",
        );
      }
      assert.notEqual(eksRun.outputs.token!.value, aksRun.outputs.token!.value, "each cluster has its own token");
    });
  });

  describe("RemoteSecret", () => {
    it("creates istio-remote-secret-<peer> with the multicluster label and cluster annotation, exactly", () => {
      for (const [result, peer] of [
        [eksRun, "aks"],
        [aksRun, "eks"],
      ] as const) {
        const secret = k8sObject(result, "kubernetes:core/v1:Secret", `istio-remote-secret-${peer}`);
        assert.deepEqual(reveal(secret.inputs.metadata), {
          name: `istio-remote-secret-${peer}`,
          namespace: "istio-system",
          labels: { "istio/multiCluster": "true" },
          annotations: { "networking.istio.io/cluster": peer },
        });
        assert.ok(secret.dependencies.includes(release(result, "istiod").urn));
      }
    });

    it("holds one key, the peer's name, with a token-only kubeconfig of the peer; the whole data is secret", () => {
      const secret = k8sObject(aksRun, "kubernetes:core/v1:Secret", "istio-remote-secret-eks");
      assert.ok(isSecret(secret.inputs.stringData), "stringData is a Pulumi secret");
      assert.equal(secret.inputs.data, undefined, "no data besides stringData");
      const data = reveal<Record<string, string>>(secret.inputs.stringData);
      assert.deepEqual(Object.keys(data), ["eks"]);
      const config = parseYaml(data.eks!) as {
        clusters: { name: string; cluster: Record<string, string> }[];
        contexts: { name: string; context: { cluster: string; user: string } }[];
        users: { name: string; user: Record<string, string> }[];
      };
      assert.deepEqual(config.clusters, [{ name: "eks", cluster: { server: eks.server, "certificate-authority-data": caData("eks") } }]);
      assert.deepEqual(config.contexts, [{ name: "eks", context: { cluster: "eks", user: "eks" } }]);
      // The EKS cluster's own reader token, as its ReaderToken read it back.
      assert.deepEqual(config.users, [{ name: "eks", user: { token: eksRun.outputs.token!.value } }]);
      for (const forbidden of [/\bexec:/, /auth-provider:/, /tokenFile:/, /client-certificate:/, /client-key:/, /certificate-authority:/]) {
        assert.doesNotMatch(data.eks!, forbidden);
      }
    });
  });
});

describe("a component's invariant on values it received", () => {
  it("fails as a ResourceError against the component, without a stack trace, keeping the builder's message", async () => {
    const { restoreLogs } = await startMockedRun({ stack: "invariant" });
    try {
      const peerName = "aks";
      const secret = new pulumi.ComponentResource("burstmesh:mesh:RemoteSecret", "peer-aks");
      const mismatched = { ...peerFixture(), clusterName: "gke" };
      assert.throws(
        () => checkedFor(secret, () => remoteSecretStringData(peerName, mismatched)),
        (error: pulumi.ResourceError) =>
          pulumi.ResourceError.isInstance(error) &&
          error.resource === secret &&
          error.hideStack === true &&
          /remote secret for peer 'aks': the Secret key must equal the peer's clusterName 'gke'/.test(error.message),
      );
      assert.deepEqual(
        checkedFor(secret, () => 42),
        42,
      );
    } finally {
      await settle();
      restoreLogs();
    }
  });
});
