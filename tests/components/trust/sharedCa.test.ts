import { strict as assert } from "node:assert";
import * as crypto from "node:crypto";
import type { AddressInfo } from "node:net";
import * as nodeTls from "node:tls";
import * as pulumi from "@pulumi/pulumi";
import type { MockResourceArgs } from "@pulumi/pulumi/runtime";
import { ConfigError } from "../../../config";
import {
  buildCaBundle,
  earlyRenewalHours,
  intermediateResourceName,
  intermediateSubject,
  joinPem,
  refuseRootReplacement,
  rootResourceName,
  rootSubject,
  SharedCA,
  SharedCAArgs,
} from "../../../components/trust/sharedCa";
import type { CaBundle } from "../../../components/stackOutputs";
import { isSecret, RecordedResource, resolve, reveal, settle, startMockedRun, stateOf } from "../../support/harness";
import type { ResourceMock } from "../../support/mocks";
import { planRenewalsAt, resourceMocks } from "../../support/mocks/tls";
import { caUsages, certsIn, onlyCert, extensionsOf, hour, issueBelow } from "../../support/sharedCa";

const fakeCert = (body: string) => `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----`;

/** The generations of a mesh that has never rotated: root 1, and intermediate 1 for every cluster. */
const firstGenerations = { roots: [1], signingRoot: 1, intermediates: { eks: 1, aks: 1 } };

/** The roots a trust stack published, as its next run reads them: generation 1 alone. */
const deployedRoot = (rootCertPem: string) => ({ roots: [1], certPems: [rootCertPem] });

// -----------------------------------------------------------------------------------------------

interface CaRun {
  ca: SharedCA;
  rootCertPem: string;
  bundles: Record<string, CaBundle>;
  rootCertPemSecret: boolean;
  bundlesSecret: boolean;
  /** Every registration, by resource name. */
  registered: Map<string, RecordedResource>;
  /** URNs of everything registered. */
  urns: string[];
  componentUrn: string;
  /** What the component passed to registerOutputs, secrets still wrapped. */
  registeredOutputs: Record<string, unknown>;
}

/** The tls mocks, their outputs stripped of secret marking. */
const plainTlsMocks: Record<string, ResourceMock> = Object.fromEntries(
  Object.entries(resourceMocks).map(([type, mock]) => [
    type,
    async (resource: MockResourceArgs) => reveal<Record<string, unknown>>(await mock(resource)),
  ]),
);

/**
 * Creates a SharedCA under Pulumi mocks, backed by the real-crypto tls mocks. With `plainKeys`, the
 * provider's outputs lose their secret marking, as if the provider did not mark private keys secret.
 */
async function runSharedCa(args: SharedCAArgs, options: { plainKeys?: boolean } = {}): Promise<CaRun> {
  const { resources, restoreLogs } = await startMockedRun({ stack: "trust", mocks: options.plainKeys ? plainTlsMocks : undefined });
  try {
    const ca = new SharedCA("mesh-ca", args);
    const [rootCertPem, bundles, componentUrn] = await Promise.all([resolve(ca.rootCertPem), resolve(ca.bundles), resolve(ca.urn)]);
    const [rootCertPemSecret, bundlesSecret] = await Promise.all([pulumi.isSecret(ca.rootCertPem), pulumi.isSecret(ca.bundles)]);
    await settle();
    const registered = new Map(resources.map((r) => [r.name, r]));
    return {
      ca,
      rootCertPem,
      bundles,
      rootCertPemSecret,
      bundlesSecret,
      registered,
      urns: resources.map((r) => r.urn),
      componentUrn,
      registeredOutputs: stateOf(componentUrn),
    };
  } finally {
    restoreLogs();
  }
}

// -----------------------------------------------------------------------------------------------
// Helpers for the TLS handshake test: issue certificates below an intermediate, verify with OpenSSL.

/** TLS handshake on loopback; returns undefined when the client (trusting only `trustedRootPem`) accepts the server chain, else OpenSSL's error code. */
async function handshake(serverChainPem: string, serverKeyPem: string, trustedRootPem: string): Promise<string | undefined> {
  const server = nodeTls.createServer({ cert: serverChainPem, key: serverKeyPem }, (socket) => socket.end());
  server.on("tlsClientError", () => undefined);
  await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready));
  try {
    return await new Promise<string | undefined>((done, fail) => {
      const socket = nodeTls.connect(
        {
          host: "127.0.0.1",
          port: (server.address() as AddressInfo).port,
          ca: trustedRootPem,
          rejectUnauthorized: false,
          checkServerIdentity: () => undefined,
        },
        () => {
          const error = socket.authorizationError as (Error & { code?: string }) | null;
          socket.destroy();
          done(socket.authorized ? undefined : (error?.code ?? String(error)));
        },
      );
      socket.on("error", fail);
    });
  } finally {
    server.close();
  }
}
describe("components/trust/sharedCa: SharedCA", () => {
  describe("pure functions", () => {
    it("joinPem puts exactly one newline between documents and one at the end", () => {
      assert.equal(joinPem(`${fakeCert("AAAA")}\n\n\n`, `\n${fakeCert("BBBB")}`), `${fakeCert("AAAA")}\n${fakeCert("BBBB")}\n`);
      assert.equal(joinPem(fakeCert("AAAA")), `${fakeCert("AAAA")}\n`);
      assert.equal(joinPem(`${fakeCert("AAAA")}\r\n`), `${fakeCert("AAAA")}\n`);
    });

    it("joinPem rejects a document without a PEM block", () => {
      assert.throws(() => joinPem(fakeCert("AAAA"), ""), /document 2 holds no PEM block/);
      assert.throws(() => joinPem("not a certificate"), /document 1 holds no PEM block/);
    });

    it("buildCaBundle fills the four cacerts files from the right sources, chain = intermediate then root", () => {
      const key = "-----BEGIN RSA PRIVATE KEY-----\nKKKK\n-----END RSA PRIVATE KEY-----\n";
      const bundle = buildCaBundle({
        intermediateCertPem: `${fakeCert("IIII")}\n`,
        intermediateKeyPem: key,
        signingRootCertPem: `${fakeCert("RRRR")}\n`,
        trustedRootCertPems: [`${fakeCert("RRRR")}\n`],
      });
      assert.deepEqual(bundle, {
        "ca-cert.pem": `${fakeCert("IIII")}\n`,
        "ca-key.pem": key,
        "root-cert.pem": `${fakeCert("RRRR")}\n`,
        "cert-chain.pem": `${fakeCert("IIII")}\n${fakeCert("RRRR")}\n`,
      });
    });

    it("buildCaBundle puts every trusted root in root-cert.pem, oldest first, and only the signing root in the chain", () => {
      const bundle = buildCaBundle({
        intermediateCertPem: fakeCert("IIII"),
        intermediateKeyPem: "-----BEGIN RSA PRIVATE KEY-----\nKKKK\n-----END RSA PRIVATE KEY-----",
        signingRootCertPem: fakeCert("R2R2"),
        trustedRootCertPems: [fakeCert("R1R1"), fakeCert("R2R2")],
      });
      assert.equal(bundle["root-cert.pem"], `${fakeCert("R1R1")}\n${fakeCert("R2R2")}\n`);
      assert.equal(bundle["cert-chain.pem"], `${fakeCert("IIII")}\n${fakeCert("R2R2")}\n`);
    });

    it("names generation 1 as before generations existed, and each later one by its number", () => {
      assert.equal(rootResourceName(1), "root");
      assert.equal(rootResourceName(2), "root-g2");
      assert.equal(intermediateResourceName("eks", 1), "eks-intermediate");
      assert.equal(intermediateResourceName("eks", 3), "eks-intermediate-g3");
      assert.deepEqual(rootSubject("acme", 2), { organization: "acme", commonName: "Root CA G2" });
      assert.deepEqual(intermediateSubject("acme", "aks", 2), { organization: "acme", commonName: "Intermediate CA G2", locality: "aks" });
    });

    it("earlyRenewalHours is a third of the validity, whole hours, always less than the validity", () => {
      assert.equal(earlyRenewalHours(17520), 5840);
      assert.equal(earlyRenewalHours(87600), 29200);
      assert.equal(earlyRenewalHours(100), 33);
      for (const hours of [1, 2, 3, 4, 720, 17520, 87600]) {
        const early = earlyRenewalHours(hours);
        assert.ok(Number.isInteger(early) && early >= 0 && early < hours, `${hours} hours: ${early}`);
      }
    });

    it("subjects: O and CN for the root; O, CN=Intermediate CA and L=<cluster> for an intermediate", () => {
      assert.deepEqual(rootSubject("acme"), { organization: "acme", commonName: "Root CA" });
      assert.deepEqual(intermediateSubject("acme", "eks"), { organization: "acme", commonName: "Intermediate CA", locality: "eks" });
    });
  });

  describe("under Pulumi mocks, checked with real cryptography", function () {
    this.timeout(60_000);
    const organization = "Burstmesh Test, Inc.";
    const clusters = ["eks", "aks"];
    const rootHours = 87600;
    const intermediateHours = 17520;
    let run: CaRun;
    let root: crypto.X509Certificate;

    before(async () => {
      run = await runSharedCa({
        organization: pulumi.output(organization),
        clusters,
        rootValidityHours: rootHours,
        intermediateValidityHours: pulumi.output(intermediateHours),
        generations: firstGenerations,
      });
      root = onlyCert(run.rootCertPem);
    });

    it("creates a root key and certificate and, per cluster, a key, CSR and signed certificate, all children of the component", () => {
      assert.deepEqual(
        [...run.registered.keys()].filter((name) => name !== "mesh-ca").sort(),
        [
          "root-cert",
          "root-key",
          ...clusters.flatMap((c) => [`${c}-intermediate-cert`, `${c}-intermediate-csr`, `${c}-intermediate-key`]),
        ].sort(),
      );
      assert.match(run.componentUrn, /::burstmesh:trust:SharedCA::mesh-ca$/);
      const children = run.urns.filter((urn) => urn !== run.componentUrn);
      assert.equal(children.length, 2 + 3 * clusters.length);
      for (const urn of children) assert.match(urn, /::burstmesh:trust:SharedCA\$tls:index\//, `${urn} is not a child of the SharedCA`);
    });

    it("the root is a self-signed CA certificate: O=<org>, CN=Root CA, keyCertSign/cRLSign/digitalSignature, path length 1", () => {
      assert.equal(root.ca, true);
      assert.ok(root.checkIssued(root) && root.verify(root.publicKey), "the root must be self-signed");
      const { parsed, basic, usage, ski, eku } = extensionsOf(root);
      assert.deepEqual(parsed.subjectName.toJSON(), [{ O: [organization] }, { CN: ["Root CA"] }]);
      assert.ok(basic?.ca && basic.critical, "BasicConstraints CA:true, critical");
      assert.equal(basic.pathLength, 1);
      assert.equal(usage?.usages, caUsages);
      assert.ok(usage.critical);
      assert.equal(eku, undefined, "no extended key usage on a CA");
      assert.ok(ski?.keyId);
    });

    for (const cluster of ["eks", "aks"]) {
      it(`the ${cluster} intermediate is a CA certificate signed by the root, with keyCertSign/cRLSign/digitalSignature`, () => {
        const intermediate = onlyCert(run.bundles[cluster]!["ca-cert.pem"]);
        assert.equal(intermediate.ca, true);
        assert.ok(intermediate.checkIssued(root), "issued by the root (names and key identifiers)");
        assert.ok(intermediate.verify(root.publicKey), "signature verifies with the root's key");
        assert.ok(!intermediate.verify(intermediate.publicKey), "not self-signed");
        const { basic, usage, ski, aki, eku } = extensionsOf(intermediate);
        assert.ok(basic?.ca && basic.critical);
        assert.equal(usage?.usages, caUsages);
        assert.equal(eku, undefined, "no extended key usage: istiod verifies the chain for server auth");
        assert.ok(ski?.keyId);
        assert.equal(aki?.keyId, extensionsOf(root).ski?.keyId, "authority key id is the root's subject key id");
      });

      it(`the ${cluster} intermediate's subject is exactly O=<org>, CN=Intermediate CA, L=${cluster}`, () => {
        const { parsed } = extensionsOf(onlyCert(run.bundles[cluster]!["ca-cert.pem"]));
        assert.deepEqual(parsed.subjectName.toJSON(), [{ L: [cluster] }, { O: [organization] }, { CN: ["Intermediate CA"] }]);
        assert.equal(parsed.issuer, extensionsOf(root).parsed.subject);
      });

      it(`the ${cluster} cert-chain.pem is its intermediate followed by the root, one newline apart`, () => {
        const bundle = run.bundles[cluster]!;
        const chain = certsIn(bundle["cert-chain.pem"]);
        assert.equal(chain.length, 2);
        assert.ok(chain[0]!.raw.equals(onlyCert(bundle["ca-cert.pem"]).raw), "first the intermediate");
        assert.ok(chain[1]!.raw.equals(root.raw), "then the root");
        assert.equal(bundle["cert-chain.pem"], bundle["ca-cert.pem"] + bundle["root-cert.pem"]);
        assert.match(
          bundle["cert-chain.pem"],
          /^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/,
        );
        assert.doesNotMatch(bundle["cert-chain.pem"], /\n\n/);
      });

      it(`the ${cluster} ca-key.pem is an RSA 4096 key that matches its ca-cert.pem`, () => {
        const bundle = run.bundles[cluster]!;
        const key = crypto.createPrivateKey(bundle["ca-key.pem"]);
        assert.equal(key.asymmetricKeyType, "rsa");
        assert.equal(key.asymmetricKeyDetails?.modulusLength, 4096);
        assert.ok(onlyCert(bundle["ca-cert.pem"]).checkPrivateKey(key));
        assert.ok(!root.checkPrivateKey(key), "not the root's key");
      });
    }

    it("every bundle's key matches only its own cluster's certificate", () => {
      const [a, b] = clusters.map((c) => run.bundles[c]!);
      assert.ok(!onlyCert(a!["ca-cert.pem"]).checkPrivateKey(crypto.createPrivateKey(b!["ca-key.pem"])));
      assert.ok(!onlyCert(b!["ca-cert.pem"]).checkPrivateKey(crypto.createPrivateKey(a!["ca-key.pem"])));
    });

    it("bundles are keyed by exactly the member clusters and hold exactly the four cacerts files", () => {
      assert.deepEqual(Object.keys(run.bundles).sort(), [...clusters].sort());
      for (const bundle of Object.values(run.bundles)) {
        assert.deepEqual(Object.keys(bundle).sort(), ["ca-cert.pem", "ca-key.pem", "cert-chain.pem", "root-cert.pem"]);
      }
    });

    it("all clusters share one root, byte for byte, and it is rootCertPem", () => {
      for (const cluster of clusters) assert.equal(run.bundles[cluster]!["root-cert.pem"], run.rootCertPem);
    });

    it("intermediates and their keys differ between clusters", () => {
      const [a, b] = clusters.map((c) => run.bundles[c]!);
      assert.notEqual(a!["ca-cert.pem"], b!["ca-cert.pem"]);
      assert.notEqual(a!["ca-key.pem"], b!["ca-key.pem"]);
      assert.ok(!onlyCert(a!["ca-cert.pem"]).publicKey.equals(onlyCert(b!["ca-cert.pem"]).publicKey));
    });

    it("validity periods are the configured hours, starting now", () => {
      const span = (cert: crypto.X509Certificate) => Date.parse(cert.validTo) - Date.parse(cert.validFrom);
      assert.equal(span(root), rootHours * hour);
      assert.ok(Math.abs(Date.parse(root.validFrom) - Date.now()) < 10 * 60_000, "the root starts now");
      for (const cluster of clusters) {
        const intermediate = onlyCert(run.bundles[cluster]!["ca-cert.pem"]);
        assert.equal(span(intermediate), intermediateHours * hour);
        assert.ok(Math.abs(Date.parse(intermediate.validFrom) - Date.now()) < 10 * 60_000);
      }
    });

    it("intermediates request path length 0; the root's path length 1 is what the certificates enforce", () => {
      for (const cluster of clusters) {
        const inputs = reveal(run.registered.get(`${cluster}-intermediate-cert`)!.inputs) as Record<string, unknown>;
        assert.equal(inputs.maxPathLength, 0);
        assert.equal(inputs.isCaCertificate, true);
      }
      assert.equal(extensionsOf(root).basic?.pathLength, 1);
    });

    it("OpenSSL trusts a workload certificate from one cluster's intermediate via the other cluster's root, and refuses a CA minted by an intermediate", async () => {
      const eks = run.bundles["eks"]!;
      const aksRoot = run.bundles["aks"]!["root-cert.pem"];
      const workload = await issueBelow(eks["ca-cert.pem"], eks["ca-key.pem"], "workload", false);
      assert.equal(await handshake(workload.certPem + eks["cert-chain.pem"], workload.keyPem, aksRoot), undefined);

      const subCa = await issueBelow(eks["ca-cert.pem"], eks["ca-key.pem"], "rogue sub-CA", true);
      const below = await issueBelow(subCa.certPem, subCa.keyPem, "workload below the sub-CA", false);
      assert.equal(await handshake(below.certPem + subCa.certPem + eks["cert-chain.pem"], below.keyPem, aksRoot), "PATH_LENGTH_EXCEEDED");
    });

    it("bundles are a secret; rootCertPem is not", () => {
      assert.equal(run.bundlesSecret, true);
      assert.equal(run.rootCertPemSecret, false);
    });

    it("bundles are a secret by the component's own doing, not only because the provider marks keys secret", async () => {
      const plain = await runSharedCa(
        {
          organization,
          clusters,
          rootValidityHours: rootHours,
          intermediateValidityHours: intermediateHours,
          generations: firstGenerations,
        },
        { plainKeys: true },
      );
      assert.equal(plain.bundlesSecret, true);
      assert.match(plain.bundles["eks"]!["ca-key.pem"], /BEGIN RSA PRIVATE KEY/);
    });

    it("registers rootCertPem and bundles as its outputs, bundles as a secret", () => {
      assert.deepEqual(Object.keys(run.registeredOutputs).sort(), ["bundles", "rootCertPem"]);
      assert.ok(isSecret(run.registeredOutputs.bundles));
      assert.equal(run.registeredOutputs.rootCertPem, run.rootCertPem);
    });

    it("the root private key is in no output and no registered output", async () => {
      const rootKey = reveal(run.registered.get("root-key")!.state) as { privateKeyPem: string; privateKeyPemPkcs8: string };
      // Distinctive lines of the key's base64 body, in both encodings the provider produces.
      const needles = [rootKey.privateKeyPem, rootKey.privateKeyPemPkcs8].map((pem) => pem.split("\n")[5]!);
      const contains = (haystack: unknown) => needles.some((needle) => JSON.stringify(reveal(haystack)).includes(needle));

      // The search finds the key where it legitimately is: the input of the intermediates' signing.
      assert.ok(contains(run.registered.get("eks-intermediate-cert")!.inputs), "control: the key is findable");

      const outputs = Object.entries(run.ca).filter(([, value]) => pulumi.Output.isInstance(value));
      assert.deepEqual(outputs.map(([name]) => name).sort(), ["bundles", "rootCertPem", "urn"]);
      for (const [name, output] of outputs)
        assert.ok(!contains(await resolve(output as pulumi.Output<unknown>)), `output ${name} holds the root key`);
      assert.ok(!contains(run.registeredOutputs), "registered outputs hold the root key");
    });

    it("asks the provider to renew the root and every intermediate when a third of its validity remains", () => {
      const inputsOf = (name: string) => reveal<Record<string, unknown>>(run.registered.get(name)!.inputs);
      assert.equal(inputsOf("root-cert").earlyRenewalHours, rootHours / 3);
      for (const cluster of clusters) assert.equal(inputsOf(`${cluster}-intermediate-cert`).earlyRenewalHours, intermediateHours / 3);
      // The keys are resources of their own, with nothing a renewal changes among their inputs.
      for (const key of ["root-key", ...clusters.map((c) => `${c}-intermediate-key`)]) {
        assert.deepEqual(inputsOf(key), { algorithm: "RSA", rsaBits: 4096 }, key);
      }
    });

    describe("renewal: the first up inside a certificate's renewal window replaces it", () => {
      const args = (): SharedCAArgs => ({
        organization,
        clusters,
        rootValidityHours: rootHours,
        intermediateValidityHours: intermediateHours,
        generations: firstGenerations,
      });
      /** The time `hours` after a certificate's start. */
      const after = (cert: crypto.X509Certificate, hours: number) => new Date(Date.parse(cert.validFrom) + hours * hour);
      const intermediateOf = (ca: CaRun, cluster: string) => onlyCert(ca.bundles[cluster]!["ca-cert.pem"]);
      const samePublicKey = (a: crypto.X509Certificate, b: crypto.X509Certificate) =>
        a.publicKey.export({ format: "der", type: "spki" }).equals(b.publicKey.export({ format: "der", type: "spki" }));
      const keysOf = (ca: CaRun) =>
        Object.fromEntries(
          [...ca.registered.values()]
            .filter((r) => r.type === "tls:index/privateKey:PrivateKey")
            .map((r) => [r.name, reveal<{ privateKeyPem: string }>(r.state).privateKeyPem]),
        );
      afterEach(() => planRenewalsAt(undefined));

      it("replaces nothing an hour before the intermediates' window opens", async () => {
        planRenewalsAt(after(intermediateOf(run, "eks"), intermediateHours - intermediateHours / 3 - 1));
        const again = await runSharedCa(args());
        assert.deepEqual(again.bundles, run.bundles);
      });

      it("an hour into it, replaces each intermediate by one for the same key under the same root, and nothing else", async () => {
        planRenewalsAt(after(intermediateOf(run, "eks"), intermediateHours - intermediateHours / 3 + 1));
        const renewed = await runSharedCa(args());
        assert.equal(renewed.rootCertPem, run.rootCertPem, "the root is not due");
        assert.deepEqual(keysOf(renewed), keysOf(run), "every key stays");
        for (const cluster of clusters) {
          const [before, now] = [intermediateOf(run, cluster), intermediateOf(renewed, cluster)];
          assert.ok(!now.raw.equals(before.raw), `${cluster}: a new certificate`);
          assert.ok(samePublicKey(now, before), `${cluster}: for the same key`);
          assert.equal(renewed.bundles[cluster]!["ca-key.pem"], run.bundles[cluster]!["ca-key.pem"]);
          assert.ok(now.checkIssued(root) && now.verify(root.publicKey), `${cluster}: signed by the unchanged root`);
          assert.equal(now.subject, before.subject);
          assert.ok(Date.parse(now.validFrom) > Date.parse(before.validFrom) - 1000, `${cluster}: valid from the renewal on`);
          assert.equal(renewed.bundles[cluster]!["cert-chain.pem"], renewed.bundles[cluster]!["ca-cert.pem"] + run.rootCertPem);
        }
      });

      it("once a third of the root's validity remains, re-issues the root for the same key and subject, and chains from either root verify against the other (OpenSSL)", async () => {
        const old = run.bundles["eks"]!;
        const underOldRoot = await issueBelow(old["ca-cert.pem"], old["ca-key.pem"], "workload", false);

        planRenewalsAt(after(root, rootHours - rootHours / 3 + 1));
        const renewed = await runSharedCa(args());
        const newRoot = onlyCert(renewed.rootCertPem);
        assert.ok(!newRoot.raw.equals(root.raw), "a new root certificate");
        assert.ok(samePublicKey(newRoot, root), "for the same key");
        assert.equal(newRoot.subject, root.subject);
        assert.equal(extensionsOf(newRoot).ski?.keyId, extensionsOf(root).ski?.keyId, "with the same subject key identifier");
        assert.deepEqual(keysOf(renewed), keysOf(run), "every key stays");
        for (const cluster of clusters) {
          assert.ok(
            !intermediateOf(renewed, cluster).raw.equals(intermediateOf(run, cluster).raw),
            `${cluster}: re-issued under the new root`,
          );
        }
        // A workload of a cluster that still runs the old chain, checked by one that trusts the new root, and the other way round.
        assert.equal(await handshake(underOldRoot.certPem + old["cert-chain.pem"], underOldRoot.keyPem, renewed.rootCertPem), undefined);
        const fresh = renewed.bundles["aks"]!;
        const underNewRoot = await issueBelow(fresh["ca-cert.pem"], fresh["ca-key.pem"], "workload", false);
        assert.equal(await handshake(underNewRoot.certPem + fresh["cert-chain.pem"], underNewRoot.keyPem, run.rootCertPem), undefined);
        // A renewal is not a change the trust stack refuses.
        assert.doesNotThrow(() =>
          refuseRootReplacement(deployedRoot(renewed.rootCertPem), { organization, validityHours: rootHours, roots: [1] }),
        );
      });
    });

    describe("refuseRootReplacement, against the deployed root certificate", () => {
      const refusal = (wanted: { organization: string; validityHours: number }): string => {
        try {
          refuseRootReplacement(deployedRoot(run.rootCertPem), { ...wanted, roots: [1] });
        } catch (error) {
          assert.ok(error instanceof ConfigError, String(error));
          return error.message;
        }
        assert.fail("expected a refusal");
      };

      it("passes a first deployment (no root yet) and a root issued with the same settings, whatever the organization's punctuation", () => {
        assert.doesNotThrow(() => refuseRootReplacement(undefined, { organization: "anything", validityHours: 1, roots: [1] }));
        assert.doesNotThrow(() =>
          refuseRootReplacement(deployedRoot(run.rootCertPem), { organization, validityHours: rootHours, roots: [1] }),
        );
        assert.doesNotThrow(
          () => refuseRootReplacement(deployedRoot(run.rootCertPem), { organization: "Acme", validityHours: 1, roots: [2] }),
          "a retired generation's settings are not checked",
        );
      });

      it("refuses another organization, naming the key, the deployed and the new value, and the way back", () => {
        const message = refusal({ organization: "Acme", validityHours: rootHours });
        assert.match(
          message,
          /^Refusing to replace a trusted root CA in place \(a new root comes as a new generation beside the old one: npm run mesh -- rotate-root\); nothing has been changed:\n/,
        );
        assert.match(
          message,
          /burstmesh:certOrganization: the deployed root CA was issued for 'Burstmesh Test, Inc\.'; this run asks for 'Acme'\./,
        );
        assert.match(message, /mTLS between workloads would fail across the mesh/);
        assert.match(message, /Set burstmesh:certOrganization back to 'Burstmesh Test, Inc\.'\.$/);
        assert.doesNotMatch(message, /rootCertValidityHours/);
      });

      it("refuses another root validity the same way, and lists both when both change", () => {
        const message = refusal({ organization, validityHours: 43800 });
        assert.match(message, /burstmesh:rootCertValidityHours: the deployed root CA is valid for 87600 hours; this run asks for 43800\./);
        assert.match(message, /a change of every root-cert\.pem that no rotation step prepared/);
        assert.match(message, /Set burstmesh:rootCertValidityHours back to 87600\.$/);
        assert.doesNotMatch(message, /certOrganization/);
        assert.equal(refusal({ organization: "Acme", validityHours: 43800 }).split("\n  - ").length, 3);
      });
    });
  });
});
