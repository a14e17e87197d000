import { strict as assert } from "node:assert";
import * as crypto from "node:crypto";
import type { MockResourceArgs } from "@pulumi/pulumi/runtime";
import { isSecret, reveal } from "../harness";
import { planRenewalsAt, resourceMocks, x509 } from "./tls";
import { wireSecret } from "../sdkInternals";
import { extensionsOf, hour } from "../sharedCa";

// -----------------------------------------------------------------------------------------------
// Helpers for the TLS handshake test: issue certificates below an intermediate, verify with OpenSSL.

describe("tests/support/mocks/tls: the tls mocks", () => {
  describe("tls mocks", () => {
    const mockArgs = (type: string, name: string, inputs: Record<string, unknown>): MockResourceArgs => ({
      type,
      name,
      inputs,
      provider: "",
      custom: true,
      id: "",
    });
    const newKey = async (name: string, inputs: Record<string, unknown>) =>
      reveal(await resourceMocks["tls:index/privateKey:PrivateKey"]!(mockArgs("tls:index/privateKey:PrivateKey", name, inputs))) as Record<
        string,
        string
      >;
    const selfSigned = async (name: string, inputs: Record<string, unknown>) =>
      reveal(
        await resourceMocks["tls:index/selfSignedCert:SelfSignedCert"]!(mockArgs("tls:index/selfSignedCert:SelfSignedCert", name, inputs)),
      ) as Record<string, string>;

    it("PrivateKey honours algorithm, rsaBits and ecdsaCurve, returns the key as a secret, and is cached per name", async () => {
      const ec = await newKey("mock-ec", { algorithm: "ECDSA", ecdsaCurve: "P384" });
      assert.equal(crypto.createPrivateKey(ec.privateKeyPem!).asymmetricKeyDetails?.namedCurve, "secp384r1");
      assert.match(ec.privateKeyPem!, /^-----BEGIN EC PRIVATE KEY-----/);
      assert.match(ec.privateKeyPemPkcs8!, /^-----BEGIN PRIVATE KEY-----/);
      assert.ok(crypto.createPublicKey(ec.publicKeyPem!).equals(crypto.createPublicKey(ec.privateKeyPem!)));

      const rsa = await newKey("mock-rsa", { algorithm: "RSA" });
      assert.equal(crypto.createPrivateKey(rsa.privateKeyPem!).asymmetricKeyDetails?.modulusLength, 2048, "the provider's default size");
      assert.match(rsa.privateKeyPem!, /^-----BEGIN RSA PRIVATE KEY-----/);

      const raw = await resourceMocks["tls:index/privateKey:PrivateKey"]!(
        mockArgs("tls:index/privateKey:PrivateKey", "mock-ec", { algorithm: "ECDSA", ecdsaCurve: "P384" }),
      );
      assert.ok(isSecret(raw.privateKeyPem));
      assert.equal(reveal(raw.privateKeyPem), ec.privateKeyPem, "same name and parameters, same key");
      assert.notEqual((await newKey("mock-ec-2", { algorithm: "ECDSA", ecdsaCurve: "P384" })).privateKeyPem, ec.privateKeyPem);
    });

    it("SelfSignedCert honours isCaCertificate, maxPathLength as the provider encodes it, allowedUses and secret inputs", async () => {
      const key = await newKey("mock-ca-key", { algorithm: "ECDSA", ecdsaCurve: "P256" });
      const base = {
        privateKeyPem: wireSecret(key.privateKeyPem),
        subject: { commonName: "x" },
        validityPeriodHours: 5,
      };

      const ca = new crypto.X509Certificate(
        (await selfSigned("mock-ca-2", { ...base, isCaCertificate: true, maxPathLength: 2, allowedUses: ["cert_signing"] })).certPem!,
      );
      assert.equal(extensionsOf(ca).basic?.pathLength, 2);
      assert.equal(extensionsOf(ca).usage?.usages, x509.KeyUsageFlags.keyCertSign);
      assert.equal(Date.parse(ca.validTo) - Date.parse(ca.validFrom), 5 * hour);

      const zero = new crypto.X509Certificate(
        (await selfSigned("mock-ca-0", { ...base, isCaCertificate: true, maxPathLength: 0, allowedUses: ["cert_signing"] })).certPem!,
      );
      assert.equal(zero.ca, true);
      assert.equal(extensionsOf(zero).basic?.pathLength, undefined, "the provider drops a path length of 0");

      const leaf = new crypto.X509Certificate(
        (await selfSigned("mock-leaf", { ...base, allowedUses: ["digital_signature", "server_auth"] })).certPem!,
      );
      assert.equal(leaf.ca, false);
      assert.deepEqual([...(extensionsOf(leaf).eku?.usages ?? [])], [x509.ExtendedKeyUsage.serverAuth]);

      await assert.rejects(selfSigned("mock-camel", { ...base, allowedUses: ["certSigning"] }), /unknown value "certSigning"/);
    });

    it("SelfSignedCert is kept until earlyRenewalHours before its end, then re-issued for the same key, as the provider plans", async () => {
      const key = await newKey("mock-renewing-key", { algorithm: "ECDSA", ecdsaCurve: "P256" });
      const inputs = {
        privateKeyPem: wireSecret(key.privateKeyPem),
        subject: { commonName: "x" },
        validityPeriodHours: 10,
        earlyRenewalHours: 4,
      };
      const first = await selfSigned("mock-renewing", inputs);
      assert.equal(first.readyForRenewal, false);
      assert.equal(Number(first.earlyRenewalHours), 4);
      try {
        planRenewalsAt(new Date(Date.parse(first.validityStartTime!) + 6 * hour - 60_000));
        assert.equal((await selfSigned("mock-renewing", inputs)).certPem, first.certPem, "a minute before the window: kept");
        planRenewalsAt(new Date(Date.parse(first.validityStartTime!) + 6 * hour + 60_000));
        const renewed = await selfSigned("mock-renewing", inputs);
        assert.notEqual(renewed.certPem, first.certPem, "a minute into it: replaced");
        assert.ok(new crypto.X509Certificate(renewed.certPem!).publicKey.equals(new crypto.X509Certificate(first.certPem!).publicKey));
      } finally {
        planRenewalsAt(undefined);
      }
      assert.equal(
        (await selfSigned("mock-early", { ...inputs, earlyRenewalHours: 10 })).readyForRenewal,
        true,
        "a window as long as the validity",
      );
      await assert.rejects(
        selfSigned("mock-negative", { ...inputs, earlyRenewalHours: -1 }),
        /earlyRenewalHours must be a whole number >= 0/,
      );
    });
  });
});
