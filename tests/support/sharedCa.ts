import { strict as assert } from "node:assert";
import * as crypto from "node:crypto";
import { x509 } from "./mocks/tls";

/** The certificates in a PEM document, in order. */
export function certsIn(pem: string): crypto.X509Certificate[] {
  return (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map(
    (block) => new crypto.X509Certificate(block),
  );
}

export function onlyCert(pem: string): crypto.X509Certificate {
  const certs = certsIn(pem);
  assert.equal(certs.length, 1, "expected exactly one certificate");
  return certs[0]!;
}

export function extensionsOf(cert: crypto.X509Certificate) {
  const parsed = new x509.X509Certificate(cert.raw);
  const basic = parsed.extensions.find((e) => e instanceof x509.BasicConstraintsExtension);
  const usage = parsed.extensions.find((e) => e instanceof x509.KeyUsagesExtension);
  const ski = parsed.extensions.find((e) => e instanceof x509.SubjectKeyIdentifierExtension);
  const aki = parsed.extensions.find((e) => e instanceof x509.AuthorityKeyIdentifierExtension);
  const eku = parsed.extensions.find((e) => e instanceof x509.ExtendedKeyUsageExtension);
  return { parsed, basic, usage, ski, aki, eku };
}

export const hour = 3_600_000;

// -----------------------------------------------------------------------------------------------
// Helpers for the TLS handshake test: issue certificates below an intermediate, verify with OpenSSL.

async function webSigner(keyPem: string) {
  const key = crypto.createPrivateKey(keyPem);
  const algorithm =
    key.asymmetricKeyType === "rsa"
      ? { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }
      : { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const signingKey = await crypto.webcrypto.subtle.importKey("pkcs8", key.export({ format: "der", type: "pkcs8" }), algorithm, false, [
    "sign",
  ]);
  return { signingKey, signingAlgorithm: algorithm };
}

export const caUsages = x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature;

/** Issues a P-256 certificate (a CA, or a workload certificate with a SPIFFE ID) from an issuer's certificate and key. */
export async function issueBelow(issuerCertPem: string, issuerKeyPem: string, commonName: string, isCa: boolean) {
  const { publicKey, privateKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
  const issuer = new x509.X509Certificate(issuerCertPem);
  const cert = await x509.X509CertificateGenerator.create({
    subject: `CN=${commonName}`,
    issuer: issuer.subjectName,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + hour),
    publicKey: await crypto.webcrypto.subtle.importKey(
      "spki",
      publicKey.export({ format: "der", type: "spki" }),
      { name: "ECDSA", namedCurve: "P-256" },
      true,
      ["verify"],
    ),
    ...(await webSigner(issuerKeyPem)),
    extensions: isCa
      ? [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(caUsages, true)]
      : [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
          new x509.SubjectAlternativeNameExtension([{ type: "url", value: "spiffe://cluster.local/ns/default/sa/podinfo" }]),
        ],
  });
  return { certPem: cert.toString("pem") + "\n", keyPem: privateKey.export({ format: "pem", type: "pkcs8" }).toString() };
}
