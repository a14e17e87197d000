import { strict as assert } from "node:assert";
import { unknownCheckingProxy } from "@pulumi/policy";
import { validateCredentialsInSecretProperties, validateNoCaKeyInClusterStack } from "../../policy/secrets";
import { types } from "../../policy/views";
import { caData, istiod, release, resource, stackViolations, tokenKubeconfig, unknownString, violations } from "./checks";

const pemKey = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIB\n-----END EC PRIVATE KEY-----\n";
const jwt = "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJpc3MiOiJrdWJlcm5ldGVzL3NlcnZpY2VhY2NvdW50In0.c2lnbmF0dXJlLXNpZ25hdHVyZQ";

describe("policy pack: secrets", () => {
  describe("no-ca-key-in-cluster-stack", () => {
    const rootKey = resource(types.tlsPrivateKey, "mesh-ca-root-key", { algorithm: "ECDSA" });
    const rootCert = resource(types.tlsSelfSignedCert, "mesh-ca-root", { isCaCertificate: true });
    const eks = resource(types.eksCluster, "eks", {});

    it("passes the trust stack, which holds the keys and the CA certificates but no cluster", () => {
      assert.deepEqual(stackViolations(validateNoCaKeyInClusterStack, [rootKey, rootCert]), []);
    });

    it("passes a cluster stack without keys", () => {
      assert.deepEqual(stackViolations(validateNoCaKeyInClusterStack, [eks, istiod]), []);
    });

    it("fails a private key in a stack with an EKS cluster, naming the key's URN", () => {
      assert.deepEqual(stackViolations(validateNoCaKeyInClusterStack, [eks, rootKey]), [
        {
          message:
            "Cluster stack (it has aws:eks/cluster:Cluster 'eks') holds private key 'mesh-ca-root-key'; CA keys belong to the trust stack only.",
          urn: rootKey.urn,
        },
      ]);
    });

    it("fails a CA certificate minted in a stack with an AKS cluster", () => {
      const aks = resource("azure-native:containerservice:ManagedCluster", "aks", {});
      const intermediate = resource(types.tlsLocallySignedCert, "aks-intermediate", { isCaCertificate: true });
      const leaf = resource(types.tlsLocallySignedCert, "webhook-cert", { isCaCertificate: false });
      assert.deepEqual(stackViolations(validateNoCaKeyInClusterStack, [aks, intermediate, leaf]), [
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
      const cacerts = resource(types.secret, "cacerts", { metadata: { name: "cacerts" }, stringData: { "ca-key.pem": pemKey } }, [
        "data",
        "stringData",
      ]);
      assert.deepEqual(violations(validateCredentialsInSecretProperties, cacerts), []);
      const csr = resource("tls:index/certRequest:CertRequest", "csr", { privateKeyPem: pemKey }, ["privateKeyPem", "privateKeyPemWo"]);
      assert.deepEqual(violations(validateCredentialsInSecretProperties, csr), []);
    });

    it("passes public material (a CA certificate, base64 or not) and skips providers and components", () => {
      const configMap = resource("kubernetes:core/v1:ConfigMap", "root-ca", {
        data: { "root-cert.pem": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----", b64: caData },
      });
      assert.deepEqual(violations(validateCredentialsInSecretProperties, configMap), []);
      assert.deepEqual(
        violations(validateCredentialsInSecretProperties, resource("pulumi:providers:kubernetes", "aks", { kubeconfig: tokenKubeconfig })),
        [],
      );
      assert.deepEqual(
        violations(
          validateCredentialsInSecretProperties,
          resource("burstmesh:mesh:RemoteSecret", "peer-aks", { kubeconfig: tokenKubeconfig }),
        ),
        [],
      );
    });

    it("fails a private key in a ConfigMap", () => {
      assert.deepEqual(
        violations(
          validateCredentialsInSecretProperties,
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
        violations(validateCredentialsInSecretProperties, values)[0]!,
        /holds a kubeconfig with inline credentials in 'values\.pilot\.env\[0\]\.value'/,
      );
      const annotated = resource("kubernetes:core/v1:ServiceAccount", "reader", { metadata: { annotations: { token: jwt } } });
      assert.match(
        violations(validateCredentialsInSecretProperties, annotated)[0]!,
        /holds a bearer token \(JWT\) in 'metadata\.annotations\.token'/,
      );
      const crSecret = resource(types.secretAsCustomResource, "cacerts", {
        apiVersion: "v1",
        kind: "Secret",
        data: { "ca-key.pem": Buffer.from(pemKey).toString("base64") },
      });
      assert.match(
        violations(validateCredentialsInSecretProperties, crSecret)[0]!,
        /holds a PEM private key \(base64-encoded\) in 'data\.ca-key\.pem'/,
      );
    });

    it("skips values that are unknown during a preview instead of failing the whole check", () => {
      const props = unknownCheckingProxy({ data: { later: unknownString, "ca-key.pem": pemKey } });
      const found = violations(validateCredentialsInSecretProperties, resource("kubernetes:core/v1:ConfigMap", "keys", props));
      assert.equal(found.length, 1);
      assert.match(found[0]!, /'data\.ca-key\.pem'/);
    });
  });
});
