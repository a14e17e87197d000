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
