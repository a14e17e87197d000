import { strict as assert } from "node:assert";
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { unknownCheckingProxy, UnknownValueError } from "@pulumi/policy";
import { parse as parseYaml, stringify as toYaml } from "yaml";
import { buildKubeconfig } from "../components/clusters/kubeconfig";
import { eastWestGatewayValues } from "../components/mesh/values";
import * as policy from "../policy/policies";
import { ResourceView } from "../policy/policies";
import { Bootstrap, sharedBootstrap } from "./support/bootstrap";
import { RecordedResource, reveal, StackRun } from "./support/harness";
import { wireSecret } from "./support/sdkInternals";
import { repoRoot } from "./support/stackFiles";

type ResourceCheck = (args: ResourceView, report: (message: string, urn?: string) => void) => void;
type StackCheck = (args: policy.StackView, report: (message: string, urn?: string) => void) => void;

/** The violation messages a resource policy reports for one resource. */
function violations(check: ResourceCheck, resource: ResourceView): string[] {
  const messages: string[] = [];
  check(resource, (message) => messages.push(message));
  return messages;
}

/** The violations (message and URN) a stack policy reports for a set of resources. */
function stackViolations(check: StackCheck, resources: ResourceView[]): { message: string; urn?: string }[] {
  const found: { message: string; urn?: string }[] = [];
  check({ resources }, (message, urn) => found.push({ message, urn }));
  return found;
}

function resource(type: string, name: string, props: Record<string, unknown>, additionalSecretOutputs: string[] = []): ResourceView {
  return { type, name, urn: `urn:pulumi:eks::burstmesh::${type}::${name}`, props, opts: { additionalSecretOutputs } };
}

/** The policy SDK's placeholder for an unknown string during preview (see @pulumi/policy proxy.js). */
const unknownString = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

const release = (name: string, props: Record<string, unknown>) => resource(policy.types.helmRelease, name, props);
const istiod = release("istiod", { chart: "istiod", name: "istiod", version: "1.30.3", namespace: "istio-system" });
const peerAuthentication = (name: string, namespace: string, spec: Record<string, unknown>) =>
  resource(policy.types.peerAuthentication[0], `pa-${namespace}-${name}`, {
    apiVersion: "security.istio.io/v1",
    kind: "PeerAuthentication",
    metadata: { name, namespace },
    spec,
  });
const strictDefault = peerAuthentication("default", "istio-system", { mtls: { mode: "STRICT" } });

const caData = Buffer.from("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").toString("base64");
const server = { name: "aks", server: "https://aks.example.test:443", certificateAuthorityData: caData };
const tokenKubeconfig = buildKubeconfig(server, { token: "reader-token" });
const execKubeconfig = buildKubeconfig(server, {
  exec: { apiVersion: "client.authentication.k8s.io/v1beta1", command: "aws", args: ["eks", "get-token"] },
});

/** A kubeconfig with one field of the first cluster or user replaced. */
function kubeconfigWith(part: "cluster" | "user", field: string, value: unknown): string {
  const config = parseYaml(tokenKubeconfig) as {
    clusters: { cluster: Record<string, unknown> }[];
    users: { user: Record<string, unknown> }[];
  };
  if (part === "cluster") config.clusters[0]!.cluster[field] = value;
  else config.users[0]!.user[field] = value;
  return toYaml(config);
}

const remoteSecret = (
  data: { stringData?: Record<string, string>; data?: Record<string, string> },
  labels: Record<string, string> = { "istio/multiCluster": "true" },
) =>
  resource(
    policy.types.secret,
    "peer-aks",
    {
      metadata: {
        name: "istio-remote-secret-aks",
        namespace: "istio-system",
        labels,
        annotations: { "networking.istio.io/cluster": "aks" },
      },
      ...data,
    },
    ["data", "stringData"],
  );

const pemKey = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIB\n-----END EC PRIVATE KEY-----\n";
const jwt = "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJpc3MiOiJrdWJlcm5ldGVzL3NlcnZpY2VhY2NvdW50In0.c2lnbmF0dXJlLXNpZ25hdHVyZQ";

describe("policy pack", () => {
  describe("istio-strict-mtls", () => {
    it("passes a stack with istiod and a STRICT PeerAuthentication 'default' in istio-system", () => {
      assert.deepEqual(stackViolations(policy.validateStrictMtls, [istiod, strictDefault]), []);
    });

    it("fails a stack with istiod and no mesh-wide PeerAuthentication", () => {
      const found = stackViolations(policy.validateStrictMtls, [
        istiod,
        peerAuthentication("default", "apps", { mtls: { mode: "STRICT" } }),
      ]);
      assert.equal(found.length, 1);
      assert.match(
        found[0]!.message,
        /installs istiod but has no mesh-wide STRICT mTLS: add a PeerAuthentication 'default' in namespace 'istio-system'/,
      );
    });

    it("fails a mesh-wide PeerAuthentication in PERMISSIVE mode, and names it", () => {
      const permissive = peerAuthentication("default", "istio-system", { mtls: { mode: "PERMISSIVE" } });
      const messages = stackViolations(policy.validateStrictMtls, [istiod, permissive]).map((v) => v.message);
      assert.deepEqual(messages, [
        "PeerAuthentication 'istio-system/default' sets mTLS mode PERMISSIVE; the mesh requires STRICT everywhere.",
        "This stack installs istiod but has no mesh-wide STRICT mTLS: add a PeerAuthentication 'default' in namespace 'istio-system' with spec.mtls.mode STRICT (type security.istio.io/v1 PeerAuthentication).",
      ]);
    });

    it("fails a namespace or port-level override that relaxes mTLS, even with a STRICT default", () => {
      const relaxed = peerAuthentication("legacy", "apps", { mtls: { mode: "STRICT" }, portLevelMtls: { "8080": { mode: "DISABLE" } } });
      const found = stackViolations(policy.validateStrictMtls, [istiod, strictDefault, relaxed]);
      assert.deepEqual(found, [
        { message: "PeerAuthentication 'apps/legacy' sets mTLS mode DISABLE; the mesh requires STRICT everywhere.", urn: relaxed.urn },
      ]);
    });

    it("does not apply to stacks without istiod (the trust stack)", () => {
      assert.deepEqual(stackViolations(policy.validateStrictMtls, [resource(policy.types.tlsPrivateKey, "root-key", {})]), []);
    });

    it("recognises the istiod chart by repository path, OCI reference or archive URL", () => {
      for (const chart of [
        "istio/istiod",
        "oci://registry.example/istio/istiod",
        "https://istio-release.storage.googleapis.com/charts/istiod-1.30.3.tgz",
      ]) {
        const found = stackViolations(policy.validateStrictMtls, [release("istiod", { chart, version: "1.30.3" })]);
        assert.equal(found.length, 1, chart);
      }
    });

    it("during a preview, an unknown PeerAuthentication defers the check (the SDK reports it as advisory) unless another one proves STRICT", () => {
      const unknown = {
        ...strictDefault,
        props: unknownCheckingProxy({ ...strictDefault.props, spec: { mtls: { mode: unknownString } } }),
      };
      assert.throws(() => stackViolations(policy.validateStrictMtls, [istiod, unknown]), UnknownValueError);
      assert.deepEqual(stackViolations(policy.validateStrictMtls, [istiod, unknown, strictDefault]), []);
    });
  });

  describe("remote-secret-inline-credentials", () => {
    it("passes a remote secret whose kubeconfig has an inline token and CA data, in stringData or base64 data", () => {
      assert.deepEqual(violations(policy.validateRemoteSecretKubeconfig, remoteSecret({ stringData: { aks: tokenKubeconfig } })), []);
      assert.deepEqual(
        violations(policy.validateRemoteSecretKubeconfig, remoteSecret({ data: { aks: Buffer.from(tokenKubeconfig).toString("base64") } })),
        [],
      );
    });

    it("fails an exec credential plugin (the EKS admin kubeconfig), also when base64-encoded", () => {
      const expected = [
        "Remote secret 'istio-system/istio-remote-secret-aks', key 'aks': the kubeconfig user 'aks' runs an exec credential plugin. " +
          "istiod rejects exec, auth-provider, file paths and tokenFile in remote secrets; use an inline token and certificate-authority-data.",
      ];
      assert.deepEqual(violations(policy.validateRemoteSecretKubeconfig, remoteSecret({ stringData: { aks: execKubeconfig } })), expected);
      assert.deepEqual(
        violations(policy.validateRemoteSecretKubeconfig, remoteSecret({ data: { aks: Buffer.from(execKubeconfig).toString("base64") } })),
        expected,
      );
    });

    it("fails auth-provider, file paths, tokenFile and skipped TLS verification", () => {
      const cases: [string, string][] = [
        [kubeconfigWith("user", "auth-provider", { name: "gcp" }), "user 'aks' uses an auth-provider"],
        [kubeconfigWith("user", "tokenFile", "/var/run/token"), "user 'aks' reads tokenFile from a file"],
        [kubeconfigWith("user", "client-certificate", "/home/me/client.crt"), "user 'aks' reads client-certificate from a file"],
        [kubeconfigWith("user", "client-key", "/home/me/client.key"), "user 'aks' reads client-key from a file"],
        [
          kubeconfigWith("cluster", "certificate-authority", "/etc/ca.crt"),
          "cluster 'aks' reads its CA from a file (certificate-authority)",
        ],
        [kubeconfigWith("cluster", "insecure-skip-tls-verify", true), "cluster 'aks' skips TLS verification (insecure-skip-tls-verify)"],
        ["server: [unclosed", "is not valid YAML"],
        ["token: only", "is not a kubeconfig (no clusters or no users)"],
      ];
      for (const [kubeconfig, problem] of cases) {
        const found = violations(policy.validateRemoteSecretKubeconfig, remoteSecret({ stringData: { aks: kubeconfig } }));
        assert.equal(found.length, 1, problem);
        assert.ok(found[0]!.includes(`key 'aks': the kubeconfig ${problem}.`), found[0]);
      }
    });

    it("fails a remote secret with no kubeconfig at all", () => {
      assert.deepEqual(violations(policy.validateRemoteSecretKubeconfig, remoteSecret({})), [
        "Remote secret 'istio-system/istio-remote-secret-aks' holds no kubeconfig: istiod expects one key per remote cluster, named after it.",
      ]);
    });

    it("ignores Secrets without the istio/multiCluster label", () => {
      assert.deepEqual(violations(policy.validateRemoteSecretKubeconfig, remoteSecret({ stringData: { aks: execKubeconfig } }, {})), []);
    });
  });

  describe("eastwest-gateway-ports", () => {
    const gateway = (values: Record<string, unknown>, name = "istio-eastwestgateway") =>
      release("eastwest", { chart: "gateway", name, version: "1.30.3", values });

    it("passes explicit service.ports 15021 + 15443, the program's own values, and nothing wider", () => {
      assert.deepEqual(policy.eastWestGatewayAllowedPorts, [15021, 15443]);
      for (const cloud of ["aws", "azure"] as const) {
        const values = eastWestGatewayValues({ network: `network-${cloud}`, cloud, sourceRanges: ["192.0.2.1/32"] });
        assert.deepEqual(violations(policy.validateEastWestGatewayPorts, gateway(values)), [], cloud);
      }
      const ports = [
        { name: "status-port", port: 15021, targetPort: 15021 },
        { name: "tls", port: 15443, targetPort: 15443 },
      ];
      assert.deepEqual(violations(policy.validateEastWestGatewayPorts, gateway({ service: { ports } })), []);
    });

    it("fails the chart's default ports (80 and 443) when neither networkGateway nor service.ports is set", () => {
      assert.deepEqual(violations(policy.validateEastWestGatewayPorts, gateway({ labels: { istio: "eastwestgateway" } })), [
        "East-west gateway release 'istio-eastwestgateway' exposes port(s) 80, 443 (from the chart's default service.ports); " +
          "only 15021 and 15443 are allowed. Set service.ports to exactly 15021 and 15443 (networkGateway mode always adds istiod's 15012 and 15017).",
      ]);
    });

    it("fails networkGateway mode, whose chart always publishes istiod's 15012 and 15017", () => {
      assert.deepEqual(violations(policy.validateEastWestGatewayPorts, gateway({ networkGateway: "network-eks" })), [
        "East-west gateway release 'istio-eastwestgateway' exposes port(s) 15012, 15017 (from networkGatewayPorts); " +
          "only 15021 and 15443 are allowed. Set service.ports to exactly 15021 and 15443 (networkGateway mode always adds istiod's 15012 and 15017).",
      ]);
    });

    it("fails extra service.ports and networkGatewayPorts overrides outside the allowed set", () => {
      const ports = [{ port: 15021 }, { port: 15443 }, { port: 8080 }];
      assert.match(
        violations(policy.validateEastWestGatewayPorts, gateway({ service: { ports } }))[0]!,
        /exposes port\(s\) 8080 \(from service\.ports\)/,
      );
      const override = gateway({ networkGateway: "network-aks", networkGatewayPorts: { tls: { port: 443, targetPort: 15443 } } });
      assert.match(
        violations(policy.validateEastWestGatewayPorts, override)[0]!,
        /exposes port\(s\) 443, 15012, 15017 \(from networkGatewayPorts\)/,
      );
    });

    it("leaves other gateways (an ingress gateway on 80/443) alone", () => {
      assert.deepEqual(
        violations(
          policy.validateEastWestGatewayPorts,
          release("ingress", { chart: "gateway", name: "istio-ingressgateway", version: "1.30.3", values: {} }),
        ),
        [],
      );
    });
  });

  describe("helm-release-pinned-version", () => {
    it("passes an exact version", () => {
      assert.deepEqual(violations(policy.validatePinnedChartVersion, istiod), []);
    });

    it("fails a missing version", () => {
      assert.deepEqual(violations(policy.validatePinnedChartVersion, release("base", { chart: "base" })), [
        "Helm release 'base' (chart 'base') sets no version: pin the exact chart version (e.g. 1.30.3).",
      ]);
    });

    it("fails ranges, partial versions and 'latest'", () => {
      for (const version of ["^1.30.3", "~1.30.3", ">=1.30.0", "1.30", "1.30.x", "latest", "*"]) {
        assert.deepEqual(violations(policy.validatePinnedChartVersion, release("base", { chart: "base", version })), [
          `Helm release 'base' (chart 'base') uses version '${version}', which is not one exact version (e.g. 1.30.3).`,
        ]);
      }
    });
  });

  describe("no-ca-key-in-cluster-stack", () => {
    const rootKey = resource(policy.types.tlsPrivateKey, "mesh-ca-root-key", { algorithm: "ECDSA" });
    const rootCert = resource(policy.types.tlsSelfSignedCert, "mesh-ca-root", { isCaCertificate: true });
    const eks = resource(policy.types.eksCluster, "eks", {});

    it("passes the trust stack, which holds the keys and the CA certificates but no cluster", () => {
      assert.deepEqual(stackViolations(policy.validateNoCaKeyInClusterStack, [rootKey, rootCert]), []);
    });

    it("passes a cluster stack without keys", () => {
      assert.deepEqual(stackViolations(policy.validateNoCaKeyInClusterStack, [eks, istiod]), []);
    });

    it("fails a private key in a stack with an EKS cluster, naming the key's URN", () => {
      assert.deepEqual(stackViolations(policy.validateNoCaKeyInClusterStack, [eks, rootKey]), [
        {
          message:
            "Cluster stack (it has aws:eks/cluster:Cluster 'eks') holds private key 'mesh-ca-root-key'; CA keys belong to the trust stack only.",
          urn: rootKey.urn,
        },
      ]);
    });

    it("fails a CA certificate minted in a stack with an AKS cluster", () => {
      const aks = resource("azure-native:containerservice:ManagedCluster", "aks", {});
      const intermediate = resource(policy.types.tlsLocallySignedCert, "aks-intermediate", { isCaCertificate: true });
      const leaf = resource(policy.types.tlsLocallySignedCert, "webhook-cert", { isCaCertificate: false });
      assert.deepEqual(stackViolations(policy.validateNoCaKeyInClusterStack, [aks, intermediate, leaf]), [
        {
          message:
            "Cluster stack (it has azure-native:containerservice:ManagedCluster 'aks') mints CA certificate 'aks-intermediate'; CA certificates are issued by the trust stack only.",
          urn: intermediate.urn,
        },
      ]);
    });
  });

  describe("credentials-in-secret-properties", () => {
    it("passes credentials in properties the SDK stores as secrets (k8s Secret data, tls key inputs)", () => {
      const cacerts = resource(policy.types.secret, "cacerts", { metadata: { name: "cacerts" }, stringData: { "ca-key.pem": pemKey } }, [
        "data",
        "stringData",
      ]);
      assert.deepEqual(violations(policy.validateCredentialsInSecretProperties, cacerts), []);
      const csr = resource("tls:index/certRequest:CertRequest", "csr", { privateKeyPem: pemKey }, ["privateKeyPem", "privateKeyPemWo"]);
      assert.deepEqual(violations(policy.validateCredentialsInSecretProperties, csr), []);
    });

    it("passes public material (a CA certificate, base64 or not) and skips providers and components", () => {
      const configMap = resource("kubernetes:core/v1:ConfigMap", "root-ca", {
        data: { "root-cert.pem": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----", b64: caData },
      });
      assert.deepEqual(violations(policy.validateCredentialsInSecretProperties, configMap), []);
      assert.deepEqual(
        violations(
          policy.validateCredentialsInSecretProperties,
          resource("pulumi:providers:kubernetes", "aks", { kubeconfig: tokenKubeconfig }),
        ),
        [],
      );
      assert.deepEqual(
        violations(
          policy.validateCredentialsInSecretProperties,
          resource("burstmesh:mesh:RemoteSecret", "peer-aks", { kubeconfig: tokenKubeconfig }),
        ),
        [],
      );
    });

    it("fails a private key in a ConfigMap", () => {
      assert.deepEqual(
        violations(
          policy.validateCredentialsInSecretProperties,
          resource("kubernetes:core/v1:ConfigMap", "keys", { data: { "ca-key.pem": pemKey } }),
        ),
        [
          "kubernetes:core/v1:ConfigMap 'keys' holds a PEM private key in 'data.ca-key.pem', which Pulumi does not store as a secret. " +
            "Put credentials in a k8s.core.v1.Secret (data/stringData) and reference it, or list the property in additionalSecretOutputs.",
        ],
      );
    });

    it("fails a kubeconfig with a token in Helm values, a JWT in an annotation, and a base64 key in a Secret built as a custom resource", () => {
      const values = release("istiod", {
        chart: "istiod",
        version: "1.30.3",
        values: { pilot: { env: [{ name: "KUBECONFIG", value: tokenKubeconfig }] } },
      });
      assert.match(
        violations(policy.validateCredentialsInSecretProperties, values)[0]!,
        /holds a kubeconfig with inline credentials in 'values\.pilot\.env\[0\]\.value'/,
      );
      const annotated = resource("kubernetes:core/v1:ServiceAccount", "reader", { metadata: { annotations: { token: jwt } } });
      assert.match(
        violations(policy.validateCredentialsInSecretProperties, annotated)[0]!,
        /holds a bearer token \(JWT\) in 'metadata\.annotations\.token'/,
      );
      const crSecret = resource(policy.types.secretAsCustomResource, "cacerts", {
        apiVersion: "v1",
        kind: "Secret",
        data: { "ca-key.pem": Buffer.from(pemKey).toString("base64") },
      });
      assert.match(
        violations(policy.validateCredentialsInSecretProperties, crSecret)[0]!,
        /holds a PEM private key \(base64-encoded\) in 'data\.ca-key\.pem'/,
      );
    });

    it("skips values that are unknown during a preview instead of failing the whole check", () => {
      const props = unknownCheckingProxy({ data: { later: unknownString, "ca-key.pem": pemKey } });
      const found = violations(policy.validateCredentialsInSecretProperties, resource("kubernetes:core/v1:ConfigMap", "keys", props));
      assert.equal(found.length, 1);
      assert.match(found[0]!, /'data\.ca-key\.pem'/);
    });
  });

  describe("workloads-pod-security-restricted", () => {
    const restrictedContainer = {
      name: "app",
      image: "example/app:1",
      securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] } },
    };
    const restrictedPod = {
      securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: "RuntimeDefault" } },
      containers: [restrictedContainer],
      volumes: [{ name: "scratch", emptyDir: {} }],
    };
    const deployment = (podSpec: Record<string, unknown>) =>
      resource("kubernetes:apps/v1:Deployment", "app", {
        metadata: { name: "app", namespace: "shop" },
        spec: { template: { spec: podSpec } },
      });
    const job = (podSpec: Record<string, unknown>) =>
      resource("kubernetes:batch/v1:Job", "load", { metadata: { name: "load", namespace: "shop" }, spec: { template: { spec: podSpec } } });

    it("passes Deployments and Jobs whose pods meet restricted, with pod-level or per-container settings", () => {
      assert.deepEqual(violations(policy.validateRestrictedWorkload, deployment(restrictedPod)), []);
      const perContainer = {
        containers: [
          {
            ...restrictedContainer,
            securityContext: { ...restrictedContainer.securityContext, runAsNonRoot: true, seccompProfile: { type: "Localhost" } },
          },
        ],
      };
      assert.deepEqual(violations(policy.validateRestrictedWorkload, job(perContainer)), []);
    });

    it("fails each rule of the level, naming the workload and the container", () => {
      const bad = {
        hostNetwork: true,
        securityContext: { runAsUser: 0 },
        volumes: [{ name: "host", hostPath: { path: "/etc" } }],
        initContainers: [{ name: "setup", securityContext: { privileged: true, capabilities: { add: ["NET_ADMIN", "NET_RAW"] } } }],
        containers: [
          { name: "app", ports: [{ containerPort: 80, hostPort: 80 }], securityContext: { seccompProfile: { type: "Unconfined" } } },
        ],
      };
      const found = violations(policy.validateRestrictedWorkload, deployment(bad)).join("\n");
      for (const expected of [
        /Deployment 'shop\/app' sets hostNetwork/,
        /volume 'host' is of type hostPath/,
        /pod runs as UID 0/,
        /container 'setup' is privileged/,
        /container 'setup' does not set allowPrivilegeEscalation: false/,
        /container 'setup' adds capabilities NET_ADMIN, NET_RAW/,
        /container 'setup' has seccomp profile unset/,
        /container 'app' does not run as non-root/,
        /container 'app' has seccomp profile Unconfined/,
        /container 'app' does not drop ALL capabilities/,
        /container 'app' uses hostPort 80/,
      ]) {
        assert.match(found, expected);
      }
    });

    it("lets a container override a restricted pod setting and fail", () => {
      const found = violations(
        policy.validateRestrictedWorkload,
        job({
          ...restrictedPod,
          containers: [{ ...restrictedContainer, securityContext: { ...restrictedContainer.securityContext, runAsNonRoot: false } }],
        }),
      );
      assert.deepEqual(found.length, 1);
      assert.match(found[0]!, /Job 'shop\/load' container 'app' does not run as non-root/);
    });

    it("ignores resources without a pod template", () => {
      assert.deepEqual(violations(policy.validateRestrictedWorkload, resource("kubernetes:core/v1:Service", "svc", { spec: {} })), []);
    });
  });

  describe("eks-api-public-access-restricted (advisory)", () => {
    const cluster = (vpcConfig: Record<string, unknown>) => resource(policy.types.eksCluster, "eks", { vpcConfig });

    it("passes a public endpoint limited to known CIDRs, and a private endpoint", () => {
      assert.deepEqual(violations(policy.validateEksPublicAccessCidrs, cluster({ publicAccessCidrs: ["203.0.113.0/24"] })), []);
      assert.deepEqual(violations(policy.validateEksPublicAccessCidrs, cluster({ endpointPublicAccess: false })), []);
    });

    it("fails publicAccessCidrs that include 0.0.0.0/0, or none at all", () => {
      assert.deepEqual(violations(policy.validateEksPublicAccessCidrs, cluster({ publicAccessCidrs: ["0.0.0.0/0"] })), [
        "EKS cluster 'eks' allows its public API endpoint from anywhere (publicAccessCidrs includes 0.0.0.0/0).",
      ]);
      assert.deepEqual(violations(policy.validateEksPublicAccessCidrs, cluster({})), [
        "EKS cluster 'eks' has a public API endpoint with no publicAccessCidrs (AWS defaults to 0.0.0.0/0).",
      ]);
    });
  });

  describe("aks-api-authorized-ip-ranges (advisory)", () => {
    const cluster = (apiServerAccessProfile?: Record<string, unknown>) =>
      resource("azure-native:containerservice:ManagedCluster", "aks", { apiServerAccessProfile });

    it("passes authorized IP ranges, and a private cluster", () => {
      assert.deepEqual(violations(policy.validateAksAuthorizedIpRanges, cluster({ authorizedIPRanges: ["203.0.113.0/24"] })), []);
      assert.deepEqual(violations(policy.validateAksAuthorizedIpRanges, cluster({ enablePrivateCluster: true })), []);
    });

    it("fails a public API server without authorized IP ranges, or open to 0.0.0.0/0", () => {
      assert.deepEqual(violations(policy.validateAksAuthorizedIpRanges, cluster()), [
        "AKS cluster 'aks' has a public API server without apiServerAccessProfile.authorizedIPRanges (open to any address).",
      ]);
      assert.deepEqual(violations(policy.validateAksAuthorizedIpRanges, cluster({ authorizedIPRanges: ["0.0.0.0/0"] })), [
        "AKS cluster 'aks' authorizes its API server from anywhere (authorizedIPRanges includes 0.0.0.0/0).",
      ]);
    });
  });

  describe("node-pool-min-two-nodes (advisory)", () => {
    it("passes node pools that keep at least two nodes", () => {
      assert.deepEqual(
        violations(
          policy.validateNodePoolMinimum,
          resource(policy.types.eksNodeGroup, "nodes", { scalingConfig: { minSize: 2, desiredSize: 3, maxSize: 6 } }),
        ),
        [],
      );
      const aks = resource("azure-native:containerservice:ManagedCluster", "aks", {
        agentPoolProfiles: [{ name: "system", enableAutoScaling: true, minCount: 2, count: 3 }],
      });
      assert.deepEqual(violations(policy.validateNodePoolMinimum, aks), []);
      assert.deepEqual(
        violations(policy.validateNodePoolMinimum, resource("azure-native:containerservice:AgentPool", "user", { count: 3 })),
        [],
      );
    });

    it("fails an EKS node group with minSize 1 and AKS pools below two nodes", () => {
      assert.deepEqual(
        violations(policy.validateNodePoolMinimum, resource(policy.types.eksNodeGroup, "nodes", { scalingConfig: { minSize: 1 } })),
        ["EKS node group 'nodes' can shrink to 1 node(s) (scalingConfig.minSize); keep at least 2."],
      );
      const aks = resource("azure-native:containerservice:ManagedCluster", "aks", {
        agentPoolProfiles: [
          { name: "system", enableAutoScaling: true, minCount: 1 },
          { name: "user", count: 1 },
        ],
      });
      assert.deepEqual(violations(policy.validateNodePoolMinimum, aks), [
        "AKS cluster 'aks' pool 'system' can run with 1 node(s) (minCount); keep at least 2.",
        "AKS cluster 'aks' pool 'user' can run with 1 node(s) (count); keep at least 2.",
      ]);
      assert.deepEqual(violations(policy.validateNodePoolMinimum, resource("azure-native:containerservice:AgentPool", "user", {})), [
        "AKS agent pool 'user' can run with an unset node(s) (count); keep at least 2.",
      ]);
    });
  });

  describe("cloud-resource-default-tags", () => {
    const tags = { "burstmesh:project": "burstmesh", "burstmesh:stack": "eks", "burstmesh:cluster": "eks", team: "mesh" };

    it("passes an AWS provider with the default tags (as JSON, as the engine sends it) and tagged Azure resources", () => {
      const aws = resource("pulumi:providers:aws", "aws", { region: "eu-central-1", defaultTags: JSON.stringify({ tags }) });
      assert.deepEqual(violations(policy.validateDefaultTags, aws), []);
      for (const type of ["azure-native:resources:ResourceGroup", "azure-native:containerservice/v20240901:ManagedCluster"]) {
        assert.deepEqual(violations(policy.validateDefaultTags, resource(type, "x", { tags })), [], type);
      }
    });

    it("fails an AWS provider without them and an Azure resource missing one, naming the missing keys", () => {
      assert.deepEqual(violations(policy.validateDefaultTags, resource("pulumi:providers:aws", "aws", { region: "eu-central-1" })), [
        "pulumi:providers:aws 'aws' lacks the default tag(s) burstmesh:project, burstmesh:stack, burstmesh:cluster in its AWS provider's defaultTags.tags.",
      ]);
      const { "burstmesh:cluster": _cluster, ...partial } = tags;
      assert.deepEqual(violations(policy.validateDefaultTags, resource("azure-native:network:PublicIPAddress", "ip", { tags: partial })), [
        "azure-native:network:PublicIPAddress 'ip' lacks the default tag(s) burstmesh:cluster in its tags.",
      ]);
    });

    it("leaves resources that take no tags alone", () => {
      assert.deepEqual(violations(policy.validateDefaultTags, resource("azure-native:authorization:RoleAssignment", "ra", {})), []);
      assert.deepEqual(violations(policy.validateDefaultTags, resource("aws:ec2/vpc:Vpc", "vpc", {})), []);
    });
  });

  describe("the pack", () => {
    const policyDir = path.join(repoRoot, "policy");

    it("lists every policy above, the nine guardrails mandatory and the three exposure checks advisory", () => {
      assert.deepEqual(
        policy.policies.map((p) => [p.name, p.enforcementLevel]),
        [
          ["istio-strict-mtls", "mandatory"],
          ["remote-secret-inline-credentials", "mandatory"],
          ["eastwest-gateway-ports", "mandatory"],
          ["helm-release-pinned-version", "mandatory"],
          ["no-ca-key-in-cluster-stack", "mandatory"],
          ["credentials-in-secret-properties", "mandatory"],
          ["workloads-pod-security-restricted", "mandatory"],
          ["eks-metrics-server", "mandatory"],
          ["cloud-resource-default-tags", "mandatory"],
          ["eks-api-public-access-restricted", "advisory"],
          ["aks-api-authorized-ip-ranges", "advisory"],
          ["node-pool-min-two-nodes", "advisory"],
        ],
      );
    });

    it("is a Node.js policy pack directory: PulumiPolicy.yaml, a versioned package.json, dependencies resolvable from policy/", () => {
      const project = parseYaml(fs.readFileSync(path.join(policyDir, "PulumiPolicy.yaml"), "utf8")) as { runtime?: string };
      assert.equal(project.runtime, "nodejs");
      const manifest = JSON.parse(fs.readFileSync(path.join(policyDir, "package.json"), "utf8")) as {
        version?: string;
        dependencies: Record<string, string>;
      };
      assert.match(manifest.version ?? "", /^\d+\.\d+\.\d+$/, "PolicyPack reads its version from package.json");
      for (const dependency of [...Object.keys(manifest.dependencies), "@pulumi/pulumi/cmd/run-policy-pack"]) {
        assert.doesNotThrow(() => require.resolve(dependency, { paths: [policyDir] }), dependency);
      }
    });

    describe("served over the analyzer protocol, as `pulumi preview --policy-pack policy` runs it", function () {
      this.timeout(120_000);
      // The engine's side of the protocol, from the modules @pulumi/pulumi itself uses.
      const fromPulumi = createRequire(require.resolve("@pulumi/pulumi/package.json"));
      const grpc = fromPulumi("@grpc/grpc-js");
      const services = fromPulumi("./proto/analyzer_grpc_pb.js");
      const messages = fromPulumi("./proto/analyzer_pb.js");
      const { Struct } = fromPulumi("google-protobuf/google/protobuf/struct_pb.js");
      const { Empty } = fromPulumi("google-protobuf/google/protobuf/empty_pb.js");
      let pack: ChildProcess;
      let client: any;
      const call = (method: string, request: unknown) =>
        new Promise<any>((resolve, reject) =>
          client[method](request, (error: unknown, response: unknown) => (error ? reject(error) : resolve(response))),
        );

      before(async () => {
        // What the CLI's pulumi-analyzer-policy shim does: run-policy-pack from the pack's directory.
        const runner = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [policyDir] });
        // Transpile-only: `npm test` type-checks policy/ with the rest of the project already.
        pack = spawn(process.execPath, [runner, "127.0.0.1:1", "."], {
          cwd: policyDir,
          stdio: ["ignore", "pipe", "pipe"],
          env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "true" },
        });
        let stderr = "";
        pack.stderr!.on("data", (chunk) => (stderr += String(chunk)));
        const port = await new Promise<string>((resolve, reject) => {
          pack.stdout!.once("data", (chunk) => resolve(String(chunk).trim()));
          pack.once("exit", (code) => reject(new Error(`the policy pack exited (${String(code)}) before serving: ${stderr}`)));
        });
        client = new services.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
      });

      after(() => {
        client?.close();
        pack?.kill();
      });

      it("announces the pack and its policies with their enforcement levels", async () => {
        const info = await call("getAnalyzerInfo", new Empty());
        assert.equal(info.getName(), "burstmesh-guardrails");
        const levels = new Map<string, number>(info.getPoliciesList().map((p: any) => [p.getName(), p.getEnforcementlevel()]));
        assert.deepEqual(
          [...levels.keys()],
          policy.policies.map((p) => p.name),
        );
        assert.equal(levels.get("istio-strict-mtls"), messages.EnforcementLevel.MANDATORY);
        assert.equal(levels.get("node-pool-min-two-nodes"), messages.EnforcementLevel.ADVISORY);
      });

      it("reports a mandatory violation for a remote secret whose kubeconfig runs exec, although the engine sends it as a secret", async () => {
        const request = new messages.AnalyzeRequest();
        request.setType(policy.types.secret);
        request.setName("peer-aks");
        request.setUrn("urn:pulumi:eks::burstmesh::kubernetes:core/v1:Secret::peer-aks");
        const secret = wireSecret({ aks: execKubeconfig });
        request.setProperties(
          Struct.fromJavaScript({
            metadata: { name: "istio-remote-secret-aks", namespace: "istio-system", labels: { "istio/multiCluster": "true" } },
            stringData: secret,
          }),
        );
        const options = new messages.AnalyzerResourceOptions();
        options.setAdditionalsecretoutputsList(["data", "stringData"]);
        request.setOptions(options);
        const diagnostics = (await call("analyze", request)).getDiagnosticsList();
        assert.deepEqual(
          diagnostics.map((d: any) => [d.getPolicyname(), d.getEnforcementlevel()]),
          [["remote-secret-inline-credentials", messages.EnforcementLevel.MANDATORY]],
        );
        assert.match(diagnostics[0].getMessage(), /user 'aks' runs an exec credential plugin/);
      });
    });
  });

  describe("on the program's own stacks under mocks (trust stack, then both clusters wired to each other)", function () {
    this.timeout(120_000);
    let bootstrap: Bootstrap;

    /** The SDK classes that put properties in additionalSecretOutputs, as the analyzer would see them. */
    const sdkSecretOutputs: Record<string, string[]> = {
      "kubernetes:core/v1:Secret": ["data", "stringData"],
      "kubernetes:core/v1:SecretPatch": ["data", "stringData"],
      "tls:index/privateKey:PrivateKey": ["privateKeyOpenssh", "privateKeyPem", "privateKeyPemPkcs8"],
      "tls:index/certRequest:CertRequest": ["privateKeyPem", "privateKeyPemWo"],
      "tls:index/selfSignedCert:SelfSignedCert": ["privateKeyPem", "privateKeyPemWo"],
      "tls:index/locallySignedCert:LocallySignedCert": ["caPrivateKeyPem", "caPrivateKeyPemWo"],
    };
    const view = (r: RecordedResource, from: "inputs" | "state"): ResourceView => ({
      type: r.type,
      name: r.name,
      urn: r.urn,
      props: reveal<Record<string, unknown>>(from === "inputs" ? r.inputs : r.state),
      opts: { additionalSecretOutputs: sdkSecretOutputs[r.type] ?? [] },
    });
    /** Every mandatory violation in a stack run: resource policies on inputs, stack policies on outputs. */
    const mandatoryViolations = (run: StackRun): string[] => {
      const found: string[] = [];
      const registered = run.resources.filter((r) => !r.read);
      for (const p of policy.policies.filter((p) => p.enforcementLevel === "mandatory")) {
        const report = (message: string) => found.push(`${p.name}: ${message}`);
        if ("validateStack" in p) (p.validateStack as StackCheck)({ resources: registered.map((r) => view(r, "state")) }, report);
        else for (const r of registered) (p.validateResource as ResourceCheck)(view(r, "inputs"), report);
      }
      return found;
    };

    before(async () => {
      bootstrap = await sharedBootstrap();
    });

    it("the trust stack passes every mandatory policy", () => {
      assert.deepEqual(mandatoryViolations(bootstrap.trust), []);
    });

    for (const stack of ["eks", "aks"] as const) {
      it(`${stack} passes every mandatory policy, with its remote secret, east-west gateway and STRICT mTLS in place`, () => {
        const run = bootstrap.second[stack];
        assert.deepEqual(mandatoryViolations(run), []);
        const kinds = run.resources.map((r) => view(r, "inputs"));
        assert.ok(
          kinds.some((r) => r.type === policy.types.helmRelease && policy.chartName(r.props.chart) === "istiod"),
          "installs istiod",
        );
        assert.ok(
          kinds.some((r) => (policy.types.peerAuthentication as readonly string[]).includes(r.type)),
          "has a PeerAuthentication",
        );
        assert.ok(
          kinds.some((r) => r.type === policy.types.helmRelease && policy.chartName(r.props.chart) === "gateway"),
          "has an east-west gateway release",
        );
        assert.ok(
          kinds.some(
            (r) =>
              r.type === policy.types.secret &&
              (r.props.metadata as { labels?: Record<string, string> })?.labels?.["istio/multiCluster"] === "true",
          ),
          "has a remote secret for its peer",
        );
      });
    }
  });
});
