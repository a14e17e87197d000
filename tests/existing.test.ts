import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseYaml, stringify as toYaml } from "yaml";
import { loadConfig, RawConfig, secretsInClearText } from "../config";
import { checkAdminKubeconfig } from "../config/kubeconfig";
import { eastWestGatewayValues } from "../components/mesh/values";
import { MeshRuns, peerReadOutputs, simulateMesh } from "./support/bootstrap";
import { isSecret, ofType, RecordedResource, reveal, runStack, StackRun } from "./support/harness";
import { helmRelease } from "./support/k8s";
import { fakeCaData } from "./support/mocks/clouds";
import { configErrorOf, encodeConfig, stackFileConfig, withConfig } from "./support/stackFiles";

const token = "kind-admin-token-not-to-be-printed";

/** An admin kubeconfig as `kind get kubeconfig` writes it, with a few fields replaced. */
function kindKubeconfig(
  changes: { server?: string; cluster?: Record<string, unknown>; user?: Record<string, unknown>; currentContext?: string | null } = {},
) {
  const document: Record<string, unknown> = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name: "kind-onprem",
        cluster: {
          server: changes.server ?? "https://127.0.0.1:40123",
          "certificate-authority-data": fakeCaData("onprem"),
          ...changes.cluster,
        },
      },
    ],
    contexts: [{ name: "kind-onprem", context: { cluster: "kind-onprem", user: "kind-onprem" } }],
    users: [{ name: "kind-onprem", user: changes.user ?? { token } }],
    "current-context": changes.currentContext === null ? undefined : (changes.currentContext ?? "kind-onprem"),
  };
  return toYaml(document);
}

const members = ["eks", "aks", "onprem"];

/** The stack config of an existing member `onprem` in a three-member mesh. */
function onpremConfig(changes: Record<string, unknown> = {}): RawConfig {
  const config: Record<string, string | undefined> = encodeConfig({
    "burstmesh:cloud": "existing",
    "burstmesh:clusterName": "onprem",
    "burstmesh:network": "network-onprem",
    "burstmesh:peers": ["eks", "aks"],
    "burstmesh:members": members,
    "burstmesh:region": "on-prem-fra",
    "burstmesh:kubeconfig": kindKubeconfig(),
    "burstmesh:apiServerUrl": "https://203.0.113.10:6443",
    "burstmesh:gatewayService": "NodePort",
    "burstmesh:gatewayAddress": "203.0.113.20",
    "burstmesh:egressCidrs": ["203.0.113.16/28"],
  });
  for (const [key, value] of Object.entries(changes)) {
    config[key] = value === undefined ? undefined : typeof value === "string" ? value : JSON.stringify(value);
  }
  return config;
}

const kubernetesObjects = (run: StackRun) => run.resources.filter((r) => r.type.startsWith("kubernetes:") && !r.read);
const remoteSecretNamed = (r: RecordedResource) => /^peer-/.test(r.name);

describe("existing member clusters", function () {
  this.timeout(120_000);

  describe("the admin kubeconfig must work from a CI runner", () => {
    it("accepts kind's kubeconfig: inline CA, token or client certificate", () => {
      assert.deepEqual(checkAdminKubeconfig(kindKubeconfig()), { ok: true, kubeconfig: { server: "https://127.0.0.1:40123" } });
      const certificate = { "client-certificate-data": "Y2VydA==", "client-key-data": "a2V5" };
      assert.equal(checkAdminKubeconfig(kindKubeconfig({ user: certificate })).ok, true);
    });

    it("accepts an exec credential plugin and says which binary it runs", () => {
      const exec = { exec: { apiVersion: "client.authentication.k8s.io/v1", command: "kubelogin", args: ["get-token"] } };
      assert.deepEqual(checkAdminKubeconfig(kindKubeconfig({ user: exec })), {
        ok: true,
        kubeconfig: { server: "https://127.0.0.1:40123", credentialPlugin: "kubelogin" },
      });
    });

    const refused: [string, Parameters<typeof kindKubeconfig>[0] | string, RegExp][] = [
      ["no current context", { currentContext: null }, /has no current-context; select the context to use/],
      ["a current context it does not define", { currentContext: "prod" }, /names current-context 'prod', but has no context of that name/],
      ["a CA file", { cluster: { "certificate-authority": "/home/me/.minikube/ca.crt" } }, /reads its CA from a file.*--flatten/],
      [
        "no CA at all",
        { cluster: { "certificate-authority-data": undefined, "insecure-skip-tls-verify": true } },
        /no certificate-authority-data.*insecure-skip-tls-verify is not accepted/,
      ],
      [
        "client certificate files",
        { user: { "client-certificate": "/a.crt", "client-key": "/a.key" } },
        /reads client-certificate, client-key from files/,
      ],
      ["a token file", { user: { tokenFile: "/var/run/token" } }, /reads tokenFile from files/],
      ["a removed auth provider", { user: { "auth-provider": { name: "gcp" } } }, /auth-provider 'gcp'.*exec credential plugin/],
      ["basic authentication", { user: { username: "admin", password: "secret" } }, /basic authentication/],
      [
        "a plugin at a path on this machine",
        { user: { exec: { command: "/Users/me/bin/aws", args: [] } } },
        /at a path on this machine.*PATH/,
      ],
      ["an interactive plugin", { user: { exec: { command: "kubelogin", interactiveMode: "Always" } } }, /interactiveMode Always/],
      ["a user without credentials", { user: {} }, /has no credentials/],
      ["a plain-http server", { server: "http://10.0.0.1:8080" }, /must have an https:\/\/ server URL/],
      ["something that is not a kubeconfig", "just a string", /is not a kubeconfig/],
    ];
    for (const [what, change, message] of refused) {
      it(`refuses ${what}`, () => {
        const check = checkAdminKubeconfig(typeof change === "string" ? change : kindKubeconfig(change));
        assert.equal(check.ok, false);
        assert.match((check as { problems: string[] }).problems.join("\n"), message);
      });
    }
  });

  describe("config", () => {
    it("reads an existing member: kubeconfig, region, gateway and API server URL", () => {
      const config = loadConfig(onpremConfig(), undefined, []);
      assert.ok(config.role === "cluster" && config.cluster.cloud === "existing");
      assert.deepEqual(
        { ...config.cluster, kubeconfig: undefined },
        {
          cloud: "existing",
          clusterName: "onprem",
          network: "network-onprem",
          peers: ["eks", "aks"],
          kubeconfig: undefined,
          region: "on-prem-fra",
          gatewayService: "NodePort",
          gatewayAddress: "203.0.113.20",
          apiServerUrl: "https://203.0.113.10:6443",
          egressCidrs: ["203.0.113.16/28"],
          gatewayAllowedCidrs: [],
        },
      );
      assert.equal(config.cluster.kubeconfig, kindKubeconfig());
    });

    it("defaults to a LoadBalancer gateway", () => {
      const config = loadConfig(
        onpremConfig({ "burstmesh:gatewayService": undefined, "burstmesh:gatewayAddress": undefined }),
        undefined,
        [],
      );
      assert.ok(config.role === "cluster" && config.cluster.cloud === "existing");
      assert.equal(config.cluster.gatewayService, "LoadBalancer");
    });

    const cases: [string, Record<string, unknown>, RegExp][] = [
      ["a missing kubeconfig", { "burstmesh:kubeconfig": undefined }, /burstmesh:kubeconfig: is required when burstmesh:cloud is existing/],
      [
        "a kubeconfig with file paths",
        { "burstmesh:kubeconfig": kindKubeconfig({ user: { tokenFile: "/t" } }) },
        /burstmesh:kubeconfig: user 'kind-onprem' reads tokenFile from files/,
      ],
      ["a missing region", { "burstmesh:region": undefined }, /burstmesh:region: is required when burstmesh:cloud is existing/],
      ["a region that is no label value", { "burstmesh:region": "on prem" }, /burstmesh:region: must be a Kubernetes label value/],
      [
        "an unknown gateway service",
        { "burstmesh:gatewayService": "ClusterIP" },
        /burstmesh:gatewayService: must be LoadBalancer or NodePort/,
      ],
      [
        "NodePort without an address",
        { "burstmesh:gatewayAddress": undefined },
        /burstmesh:gatewayAddress: is required when burstmesh:gatewayService is NodePort/,
      ],
      [
        "a NodePort address that is a hostname",
        { "burstmesh:gatewayAddress": "gw.example.com" },
        /burstmesh:gatewayAddress: must be an IP address/,
      ],
      [
        "an address with a LoadBalancer",
        { "burstmesh:gatewayService": "LoadBalancer" },
        /burstmesh:gatewayAddress: applies only when burstmesh:gatewayService is NodePort/,
      ],
      [
        "an API server URL that is not https",
        { "burstmesh:apiServerUrl": "http://203.0.113.10:6443" },
        /burstmesh:apiServerUrl: must be an https:\/\/ URL/,
      ],
      [
        "a loopback API server URL",
        { "burstmesh:apiServerUrl": "https://localhost:6443" },
        /burstmesh:apiServerUrl: is a loopback address/,
      ],
      ["missing egress CIDRs", { "burstmesh:egressCidrs": undefined }, /burstmesh:egressCidrs: is required/],
      [
        "empty egress CIDRs",
        { "burstmesh:egressCidrs": [] },
        /burstmesh:egressCidrs: must list at least one CIDR: peers admit only these addresses/,
      ],
      [
        "an egress CIDR that is no CIDR",
        { "burstmesh:egressCidrs": ["203.0.113.7"] },
        /burstmesh:egressCidrs\[0\]: must be an IPv4 CIDR block/,
      ],
      [
        "a loopback kubeconfig server without an override",
        { "burstmesh:apiServerUrl": undefined },
        /burstmesh:apiServerUrl: is required: the kubeconfig's API server https:\/\/127\.0\.0\.1:40123 is a loopback address/,
      ],
    ];
    for (const [what, changes, message] of cases) {
      it(`rejects ${what}, naming the key`, () => {
        const error = configErrorOf(onpremConfig(changes));
        assert.match(error, message);
        assert.ok(!error.includes(token), "the message never quotes the kubeconfig's credentials");
      });
    }

    it("accepts a routable kubeconfig server without an override", () => {
      const config = loadConfig(
        onpremConfig({ "burstmesh:apiServerUrl": undefined, "burstmesh:kubeconfig": kindKubeconfig({ server: "https://10.0.0.5:6443" }) }),
        undefined,
        [],
      );
      assert.ok(config.role === "cluster" && config.cluster.cloud === "existing" && config.cluster.apiServerUrl === undefined);
    });

    it("refuses a kubeconfig stored in plain text in the stack file", () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "burstmesh-"));
      const file = path.join(dir, "Pulumi.onprem.yaml");
      try {
        fs.writeFileSync(file, toYaml({ config: { "burstmesh:cloud": "existing", "burstmesh:kubeconfig": kindKubeconfig() } }));
        assert.deepEqual(secretsInClearText(file), ["burstmesh:kubeconfig"]);
        fs.writeFileSync(file, toYaml({ config: { "burstmesh:kubeconfig": { secure: "v1:abc" } } }));
        assert.deepEqual(secretsInClearText(file), []);
        assert.deepEqual(secretsInClearText(path.join(dir, "Pulumi.absent.yaml")), []);
      } finally {
        fs.rmSync(dir, { recursive: true });
      }
      assert.match(
        configErrorOf(onpremConfig(), ["burstmesh:kubeconfig"]),
        /burstmesh:kubeconfig: is stored in plain text in the stack file; store it as a secret: pulumi config set --secret burstmesh:kubeconfig < file/,
      );
    });
  });

  describe("the east-west gateway", () => {
    it("is a plain LoadBalancer on an existing cluster: no cloud annotations", () => {
      const values = eastWestGatewayValues({ network: "network-onprem", cloud: "existing", sourceRanges: ["20.1.2.4/32"] }) as {
        service: Record<string, unknown>;
      };
      assert.equal(values.service.type, "LoadBalancer");
      assert.deepEqual(values.service.annotations, {});
      assert.equal(values.service.externalIPs, undefined);
      assert.deepEqual(values.service.loadBalancerSourceRanges, ["20.1.2.4/32"]);
    });

    it("is a NodePort with the peers' address as external IP and fixed node ports in NodePort mode", () => {
      const values = eastWestGatewayValues({
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

  describe("a three-member mesh under mocks: eks, aks and an existing cluster", () => {
    let mesh: MeshRuns<"eks" | "aks" | "onprem">;
    let loadBalanced: StackRun;

    before(async () => {
      const meshWide = { "burstmesh:members": members };
      mesh = await simulateMesh(withConfig("trust", meshWide), {
        eks: withConfig("eks", { ...meshWide, "burstmesh:peers": ["aks", "onprem"] }),
        aks: withConfig("aks", { ...meshWide, "burstmesh:peers": ["eks", "onprem"] }),
        onprem: onpremConfig(),
      });
      loadBalanced = await runStack({
        stack: "onprem",
        config: onpremConfig({ "burstmesh:gatewayService": undefined, "burstmesh:gatewayAddress": undefined }),
        published: {
          "organization/burstmesh/trust": { outputs: { cacerts: mesh.trust.outputs.cacerts!.value }, secretOutputNames: ["cacerts"] },
        },
      });
    });

    it("the existing member creates no cloud resource: only a Kubernetes provider and what goes through it", () => {
      const kinds = new Set(mesh.second.onprem.resources.map((r) => r.type.split(":")[0]));
      assert.deepEqual([...kinds].sort(), ["burstmesh", "kubernetes", "pulumi"]);
      const providers = ofType(mesh.second.onprem, "pulumi:providers:kubernetes");
      assert.equal(providers.length, 1);
      assert.ok(isSecret(providers[0]!.inputs.kubeconfig), "the provider's kubeconfig is a secret");
      assert.equal(reveal(providers[0]!.inputs.kubeconfig), kindKubeconfig());
      assert.ok(!JSON.stringify(mesh.second.onprem.logs).includes(token));
      const pulumiTypes = new Set(ofType(mesh.second.onprem, "pulumi:pulumi:StackReference").map((r) => r.type));
      assert.deepEqual([...pulumiTypes], ["pulumi:pulumi:StackReference"]);
    });

    it("installs the same Istio objects as an EKS or AKS member", () => {
      // The observer (eks, the first member) runs the consoles; every other member gives its Kiali read access.
      // Karpenter's objects are EKS's node autoscaling, not part of what the mesh installs.
      const observerRole = /burstmesh:observability:(Observer|KialiRemoteAccess)/;
      const shape = (run: StackRun) =>
        kubernetesObjects(run)
          .filter((r) => !remoteSecretNamed(r) && !observerRole.test(r.urn) && !/karpenter/.test(r.name))
          .map((r) => `${r.type} ${r.name}`)
          .sort();
      assert.deepEqual(shape(mesh.second.onprem), shape(mesh.second.eks));
      assert.deepEqual(shape(mesh.second.onprem), shape(mesh.second.aks));
      const istiod = reveal<{ values: { global: Record<string, unknown> } }>(helmRelease(mesh.second.onprem, "istiod").inputs).values;
      assert.deepEqual(istiod.global.multiCluster, { clusterName: "onprem" });
      assert.equal(istiod.global.network, "network-onprem");
    });

    it("sends every Kubernetes object through the existing cluster's provider", () => {
      const provider = ofType(mesh.second.onprem, "pulumi:providers:kubernetes")[0]!;
      for (const object of kubernetesObjects(mesh.second.onprem)) {
        assert.equal(object.provider.split("::").slice(0, -1).join("::"), provider.urn, `${object.type} ${object.name}`);
      }
    });

    it("publishes meshPeer with the overridden API server URL and the NodePort gateway address, as a secret", () => {
      const meshPeer = mesh.first.onprem.outputs.meshPeer!;
      assert.equal(meshPeer.secret, true);
      const value = meshPeer.value as Record<string, string>;
      assert.equal(value.apiServerUrl, "https://203.0.113.10:6443");
      assert.equal(value.gatewayAddress, "203.0.113.20");
      assert.deepEqual(meshPeer.value && (meshPeer.value as { egressCidrs: string[] }).egressCidrs, ["203.0.113.16/28"]);
      assert.equal(value.certificateAuthorityData, fakeCaData("onprem"));
      assert.equal(mesh.first.onprem.outputs.cloud!.value, "existing");
      assert.equal(mesh.first.onprem.outputs.region!.value, "on-prem-fra");
      assert.equal(mesh.first.onprem.outputs.kubeconfig!.secret, true);
    });

    it("publishes the load balancer's address in LoadBalancer mode", () => {
      const gateway = reveal<{ values: { service: { type: string } } }>(helmRelease(loadBalanced, "istio-eastwestgateway").inputs);
      assert.equal(gateway.values.service.type, "LoadBalancer");
      assert.match((loadBalanced.outputs.meshPeer!.value as Record<string, string>).gatewayAddress!, /^172\.18\.\d+\.\d+$/);
    });

    it("every member holds a remote secret for each of the two others, pointing at the URL they published", () => {
      for (const [stack, peers] of [
        ["eks", ["aks", "onprem"]],
        ["aks", ["eks", "onprem"]],
        ["onprem", ["aks", "eks"]],
      ] as const) {
        const secrets = kubernetesObjects(mesh.second[stack]).filter((r) => r.type === "kubernetes:core/v1:Secret" && remoteSecretNamed(r));
        const data = secrets.map((r) => reveal<{ stringData: Record<string, string> }>(r.inputs).stringData);
        assert.deepEqual(data.map((d) => Object.keys(d)[0]).sort(), [...peers].sort(), `${stack}'s remote secrets`);
        for (const entry of data) {
          const [peer, kubeconfig] = Object.entries(entry)[0]!;
          const server = (parseYaml(kubeconfig) as { clusters: { cluster: { server: string } }[] }).clusters[0]!.cluster.server;
          assert.equal(server, (mesh.first[peer as "eks"].outputs.meshPeer!.value as { apiServerUrl: string }).apiServerUrl);
        }
      }
    });

    it("converges: the second pass changes no member's outputs", () => {
      for (const stack of ["eks", "aks", "onprem"] as const) {
        assert.deepEqual(peerReadOutputs(mesh.second[stack]), peerReadOutputs(mesh.first[stack]), `${stack} outputs are stable`);
      }
    });

    it("the trust stack issues an intermediate for the existing member too", () => {
      assert.deepEqual(Object.keys(mesh.trust.outputs.cacerts!.value as object).sort(), ["aks", "eks", "onprem"]);
    });

    it("refuses a bad existing-member config before registering anything", async () => {
      const failure = await runStack({ stack: "onprem", config: onpremConfig({ "burstmesh:gatewayAddress": "gw.example.com" }) }).then(
        () => assert.fail("the run should fail"),
        (error: Error & { resources: RecordedResource[] }) => error,
      );
      assert.match(failure.message, /burstmesh:gatewayAddress: must be an IP address/);
      assert.deepEqual(failure.resources, []);
    });
  });

  it("the committed stack files are unaffected: eks is still an AWS member", () => {
    const eks = loadConfig(stackFileConfig("eks"), undefined, []);
    assert.ok(eks.role === "cluster" && eks.cluster.cloud === "aws");
  });
});
