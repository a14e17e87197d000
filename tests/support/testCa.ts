/**
 * A small certificate authority for tests of code that reads certificates: a root, intermediates
 * under it, real signatures (ECDSA P-256, fast to generate), as PEM.
 */
import * as crypto from "node:crypto";
import { x509 } from "./mocks/tls";

const algorithm = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const day = 86_400_000;

export interface TestCa {
  certPem: string;
  keys: crypto.webcrypto.CryptoKeyPair;
  cert: x509.X509Certificate;
}

/** A CA certificate: self-signed when `issuer` is undefined, else signed by it. */
export async function testCa(name: string, options: { issuer?: TestCa; notAfter?: Date; notBefore?: Date } = {}): Promise<TestCa> {
  const keys = (await crypto.webcrypto.subtle.generateKey(algorithm, true, ["sign", "verify"])) as crypto.webcrypto.CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: crypto.randomBytes(8).toString("hex"),
    subject: `CN=${name}, O=burstmesh-test`,
    issuer: options.issuer ? options.issuer.cert.subject : `CN=${name}, O=burstmesh-test`,
    notBefore: options.notBefore ?? new Date(now - day),
    notAfter: options.notAfter ?? new Date(now + 365 * day),
    signingAlgorithm: algorithm,
    publicKey: keys.publicKey,
    signingKey: options.issuer ? options.issuer.keys.privateKey : keys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(true, options.issuer ? 0 : 1, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  return { certPem: cert.toString("pem"), keys, cert };
}
