import { strict as assert } from "node:assert";
import { unknownCheckingProxy, UnknownValueError } from "@pulumi/policy";
import { parse as parseYaml, stringify as toYaml } from "yaml";
import { eastWestGatewayValues } from "../../components/mesh/values";
import {
  eastWestGatewayAllowedPorts,
  validateEastWestGatewayPorts,
  validateRemoteSecretKubeconfig,
  validateStrictMtls,
} from "../../policy/mesh";
import { types } from "../../policy/views";
import { execKubeconfig, istiod, release, resource, stackViolations, tokenKubeconfig, unknownString, violations } from "./checks";

const peerAuthentication = (name: string, namespace: string, spec: Record<string, unknown>) =>
  resource(types.peerAuthentication[0], `pa-${namespace}-${name}`, {
    apiVersion: "security.istio.io/v1",
    kind: "PeerAuthentication",
    metadata: { name, namespace },
    spec,
  });
const strictDefault = peerAuthentication("default", "istio-system", { mtls: { mode: "STRICT" } });

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
    types.secret,
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

describe("policy pack: mesh", () => {
  describe("istio-strict-mtls", () => {
    it("passes a stack with istiod and a STRICT PeerAuthentication 'default' in istio-system", () => {
      assert.deepEqual(stackViolations(validateStrictMtls, [istiod, strictDefault]), []);
    });

    it("fails a stack with istiod and no mesh-wide PeerAuthentication", () => {
      const found = stackViolations(validateStrictMtls, [istiod, peerAuthentication("default", "apps", { mtls: { mode: "STRICT" } })]);
      assert.equal(found.length, 1);
      assert.match(
        found[0]!.message,
        /installs istiod but has no mesh-wide STRICT mTLS: add a PeerAuthentication 'default' in namespace 'istio-system'/,
      );
    });

    it("fails a mesh-wide PeerAuthentication in PERMISSIVE mode, and names it", () => {
      const permissive = peerAuthentication("default", "istio-system", { mtls: { mode: "PERMISSIVE" } });
      const messages = stackViolations(validateStrictMtls, [istiod, permissive]).map((v) => v.message);
      assert.deepEqual(messages, [
        "PeerAuthentication 'istio-system/default' sets mTLS mode PERMISSIVE; the mesh requires STRICT everywhere.",
        "This stack installs istiod but has no mesh-wide STRICT mTLS: add a PeerAuthentication 'default' in namespace 'istio-system' with spec.mtls.mode STRICT (type security.istio.io/v1 PeerAuthentication).",
      ]);
    });

    it("fails a namespace or port-level override that relaxes mTLS, even with a STRICT default", () => {
      const relaxed = peerAuthentication("legacy", "apps", { mtls: { mode: "STRICT" }, portLevelMtls: { "8080": { mode: "DISABLE" } } });
      const found = stackViolations(validateStrictMtls, [istiod, strictDefault, relaxed]);
      assert.deepEqual(found, [
        { message: "PeerAuthentication 'apps/legacy' sets mTLS mode DISABLE; the mesh requires STRICT everywhere.", urn: relaxed.urn },
      ]);
    });

    it("does not apply to stacks without istiod (the trust stack)", () => {
      assert.deepEqual(stackViolations(validateStrictMtls, [resource(types.tlsPrivateKey, "root-key", {})]), []);
    });

    it("recognises the istiod chart by repository path, OCI reference or archive URL", () => {
      for (const chart of [
        "istio/istiod",
        "oci://registry.example/istio/istiod",
        "https://istio-release.storage.googleapis.com/charts/istiod-1.30.3.tgz",
      ]) {
        const found = stackViolations(validateStrictMtls, [release("istiod", { chart, version: "1.30.3" })]);
        assert.equal(found.length, 1, chart);
      }
    });

    it("during a preview, an unknown PeerAuthentication defers the check (the SDK reports it as advisory) unless another one proves STRICT", () => {
      const unknown = {
        ...strictDefault,
        props: unknownCheckingProxy({ ...strictDefault.props, spec: { mtls: { mode: unknownString } } }),
      };
      assert.throws(() => stackViolations(validateStrictMtls, [istiod, unknown]), UnknownValueError);
      assert.deepEqual(stackViolations(validateStrictMtls, [istiod, unknown, strictDefault]), []);
    });
  });

  describe("remote-secret-inline-credentials", () => {
    it("passes a remote secret whose kubeconfig has an inline token and CA data, in stringData or base64 data", () => {
      assert.deepEqual(violations(validateRemoteSecretKubeconfig, remoteSecret({ stringData: { aks: tokenKubeconfig } })), []);
      assert.deepEqual(
        violations(validateRemoteSecretKubeconfig, remoteSecret({ data: { aks: Buffer.from(tokenKubeconfig).toString("base64") } })),
        [],
      );
    });

    it("fails an exec credential plugin (the EKS admin kubeconfig), also when base64-encoded", () => {
      const expected = [
        "Remote secret 'istio-system/istio-remote-secret-aks', key 'aks': the kubeconfig user 'aks' runs an exec credential plugin. " +
          "istiod rejects exec, auth-provider, file paths and tokenFile in remote secrets; use an inline token and certificate-authority-data.",
      ];
      assert.deepEqual(violations(validateRemoteSecretKubeconfig, remoteSecret({ stringData: { aks: execKubeconfig } })), expected);
      assert.deepEqual(
        violations(validateRemoteSecretKubeconfig, remoteSecret({ data: { aks: Buffer.from(execKubeconfig).toString("base64") } })),
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
        const found = violations(validateRemoteSecretKubeconfig, remoteSecret({ stringData: { aks: kubeconfig } }));
        assert.equal(found.length, 1, problem);
        assert.ok(found[0]!.includes(`key 'aks': the kubeconfig ${problem}.`), found[0]);
      }
    });

    it("fails a remote secret with no kubeconfig at all", () => {
      assert.deepEqual(violations(validateRemoteSecretKubeconfig, remoteSecret({})), [
        "Remote secret 'istio-system/istio-remote-secret-aks' holds no kubeconfig: istiod expects one key per remote cluster, named after it.",
      ]);
    });

    it("ignores Secrets without the istio/multiCluster label", () => {
      assert.deepEqual(violations(validateRemoteSecretKubeconfig, remoteSecret({ stringData: { aks: execKubeconfig } }, {})), []);
    });
  });

  describe("eastwest-gateway-ports", () => {
    const gateway = (values: Record<string, unknown>, name = "istio-eastwestgateway") =>
      release("eastwest", { chart: "gateway", name, version: "1.30.3", values });

    it("passes explicit service.ports 15021 + 15443, the program's own values, and nothing wider", () => {
      assert.deepEqual(eastWestGatewayAllowedPorts, [15021, 15443]);
      for (const cloud of ["aws", "azure"] as const) {
        const values = eastWestGatewayValues({ revision: "1-30-8", network: `network-${cloud}`, cloud, sourceRanges: ["192.0.2.1/32"] });
        assert.deepEqual(violations(validateEastWestGatewayPorts, gateway(values)), [], cloud);
      }
      const ports = [
        { name: "status-port", port: 15021, targetPort: 15021 },
        { name: "tls", port: 15443, targetPort: 15443 },
      ];
      assert.deepEqual(violations(validateEastWestGatewayPorts, gateway({ service: { ports } })), []);
    });

    it("fails the chart's default ports (80 and 443) when neither networkGateway nor service.ports is set", () => {
      assert.deepEqual(violations(validateEastWestGatewayPorts, gateway({ labels: { istio: "eastwestgateway" } })), [
        "East-west gateway release 'istio-eastwestgateway' exposes port(s) 80, 443 (from the chart's default service.ports); " +
          "only 15021 and 15443 are allowed. Set service.ports to exactly 15021 and 15443 (networkGateway mode always adds istiod's 15012 and 15017).",
      ]);
    });

    it("fails networkGateway mode, whose chart always publishes istiod's 15012 and 15017", () => {
      assert.deepEqual(violations(validateEastWestGatewayPorts, gateway({ networkGateway: "network-eks" })), [
        "East-west gateway release 'istio-eastwestgateway' exposes port(s) 15012, 15017 (from networkGatewayPorts); " +
          "only 15021 and 15443 are allowed. Set service.ports to exactly 15021 and 15443 (networkGateway mode always adds istiod's 15012 and 15017).",
      ]);
    });

    it("fails extra service.ports and networkGatewayPorts overrides outside the allowed set", () => {
      const ports = [{ port: 15021 }, { port: 15443 }, { port: 8080 }];
      assert.match(
        violations(validateEastWestGatewayPorts, gateway({ service: { ports } }))[0]!,
        /exposes port\(s\) 8080 \(from service\.ports\)/,
      );
      const override = gateway({ networkGateway: "network-aks", networkGatewayPorts: { tls: { port: 443, targetPort: 15443 } } });
      assert.match(
        violations(validateEastWestGatewayPorts, override)[0]!,
        /exposes port\(s\) 443, 15012, 15017 \(from networkGatewayPorts\)/,
      );
    });

    it("leaves other gateways (an ingress gateway on 80/443) alone", () => {
      assert.deepEqual(
        violations(
          validateEastWestGatewayPorts,
          release("ingress", { chart: "gateway", name: "istio-ingressgateway", version: "1.30.3", values: {} }),
        ),
        [],
      );
    });
  });
});
