/**
 * Mocks for the four @pulumi/tls resources, doing real cryptography: keys from node:crypto, the
 * self-signed certificate, the CSR and the signed certificate from @peculiar/x509 on Node's WebCrypto.
 *
 * They follow what terraform-provider-tls (the code behind @pulumi/tls 5.x) does with Go's crypto/x509:
 * - `allowedUses` takes the provider's snake_case names (`cert_signing`, ...); anything else is rejected,
 *   as the provider's schema validator does. (The SDK's doc comments list camelCase names; those are a
 *   doc-generation artefact, not values the provider accepts.)
 * - BasicConstraints is always present and critical; `isCaCertificate` sets CA.
 * - `maxPathLength` is encoded only when it is > 0. The provider sets Go's `MaxPathLen` but never
 *   `MaxPathLenZero`, and Go then reads 0 as "no limit" and leaves pathLenConstraint out.
 * - A CA certificate always gets a subject key identifier (SHA-1 of the public key); a certificate
 *   signed by an issuer with a subject key identifier gets it as authority key identifier.
 * - KeyUsage is critical; ExtendedKeyUsage is not.
 * - Signature: SHA-256 with RSA (PKCS#1 v1.5); ECDSA with SHA-256/384/512 by curve; Ed25519.
 * - Private key outputs are secrets.
 *
 * Key generation is slow (RSA-4096 takes about a second), so keys are cached for the whole process
 * by resource name and key parameters, and certificates by resource name and inputs: running the
 * same stack twice gives the same keys and certificates, until a certificate is ready for renewal
 * (`earlyRenewalHours`; {@link planRenewalsAt} moves the time the mocks plan at).
 */
import * as crypto from "node:crypto";
import type { MockResourceArgs } from "@pulumi/pulumi/runtime";
import type { ResourceMock } from ".";
import { revealSecrets, wireSecret } from "../sdkInternals";

// @peculiar/x509 needs the Reflect metadata API (its tsyringe container asks for it) before it loads.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";

export { x509 };

type WebCrypto = crypto.webcrypto.Crypto;
type SignatureAlgorithm = crypto.webcrypto.Algorithm | crypto.webcrypto.EcdsaParams;

const webcrypto: WebCrypto = crypto.webcrypto;
x509.cryptoProvider.set(webcrypto);

/** Memoizes async work for the lifetime of the process. */
function cached<T>(cache: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  let hit = cache.get(key);
  if (!hit) {
    hit = make();
    cache.set(key, hit);
    hit.catch(() => cache.delete(key));
  }
  return hit;
}

// ---------------------------------------------------------------------------------------------
// Keys

type KeyAlgorithm = "RSA" | "ECDSA" | "ED25519";

/** Provider curve names to OpenSSL's. P224 keys can be generated but not used to sign (no WebCrypto support). */
const curves: Record<string, string> = { P224: "secp224r1", P256: "prime256v1", P384: "secp384r1", P521: "secp521r1" };

const keyCache = new Map<string, Promise<crypto.KeyObject>>();

/** Key resource names that get another name's key: see {@link reuseKeys}. */
const keyAliases = new Map<string, string>();

/**
 * Gives each key resource named by `aliases` the key of the name it maps to, for scenarios that
 * check names rather than cryptography: each RSA-4096 key these spare costs seconds of CPU.
 */
export function reuseKeys(aliases: Record<string, string>): void {
  for (const [name, keyOf] of Object.entries(aliases)) keyAliases.set(name, keyOf);
}

function generateKey(name: string, algorithm: KeyAlgorithm, rsaBits: number, ecdsaCurve: string): Promise<crypto.KeyObject> {
  return cached(keyCache, `${keyAliases.get(name) ?? name}|${algorithm}|${rsaBits}|${ecdsaCurve}`, () => {
    const done =
      (resolve: (key: crypto.KeyObject) => void, reject: (error: Error) => void) =>
      (error: Error | null, _publicKey: crypto.KeyObject, privateKey: crypto.KeyObject) => (error ? reject(error) : resolve(privateKey));
    return new Promise<crypto.KeyObject>((resolve, reject) => {
      switch (algorithm) {
        case "RSA":
          return crypto.generateKeyPair("rsa", { modulusLength: rsaBits }, done(resolve, reject));
        case "ECDSA": {
          const namedCurve = curves[ecdsaCurve];
          if (!namedCurve) return reject(new Error(`tls mock: unsupported ecdsaCurve ${ecdsaCurve}`));
          return crypto.generateKeyPair("ec", { namedCurve }, done(resolve, reject));
        }
        case "ED25519":
          return crypto.generateKeyPair("ed25519", {}, done(resolve, reject));
      }
    });
  });
}

/** The provider's name for a key's algorithm. */
function algorithmOf(key: crypto.KeyObject): KeyAlgorithm {
  switch (key.asymmetricKeyType) {
    case "rsa":
      return "RSA";
    case "ec":
      return "ECDSA";
    case "ed25519":
      return "ED25519";
    default:
      throw new Error(`tls mock: unsupported key type ${key.asymmetricKeyType}`);
  }
}

/** `privateKeyPem` as the provider writes it: PKCS#1 for RSA, SEC 1 for ECDSA, PKCS#8 for Ed25519. */
function privateKeyPem(key: crypto.KeyObject): string {
  const type = { RSA: "pkcs1", ECDSA: "sec1", ED25519: "pkcs8" } as const;
  return key.export({ format: "pem", type: type[algorithmOf(key)] }).toString();
}

/** A private key as WebCrypto keys, with the signature algorithm Go's x509 would use for it. */
interface SigningKey {
  algorithm: KeyAlgorithm;
  keys: crypto.webcrypto.CryptoKeyPair;
  signingAlgorithm: SignatureAlgorithm;
}

async function signingKey(pem: string): Promise<SigningKey> {
  const key = crypto.createPrivateKey(pem);
  const algorithm = algorithmOf(key);
  let importParams: crypto.webcrypto.RsaHashedImportParams | crypto.webcrypto.EcKeyImportParams | crypto.webcrypto.Algorithm;
  let signingAlgorithm: SignatureAlgorithm;
  if (algorithm === "RSA") {
    importParams = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
    signingAlgorithm = importParams;
  } else if (algorithm === "ECDSA") {
    const bySslName: Record<string, [string, string]> = {
      prime256v1: ["P-256", "SHA-256"],
      secp384r1: ["P-384", "SHA-384"],
      secp521r1: ["P-521", "SHA-512"],
    };
    const curve = bySslName[key.asymmetricKeyDetails?.namedCurve ?? ""];
    if (!curve) throw new Error(`tls mock: cannot sign with curve ${key.asymmetricKeyDetails?.namedCurve}`);
    importParams = { name: "ECDSA", namedCurve: curve[0] };
    signingAlgorithm = { name: "ECDSA", hash: curve[1] };
  } else {
    importParams = { name: "Ed25519" };
    signingAlgorithm = importParams;
  }
  const pkcs8 = key.export({ format: "der", type: "pkcs8" });
  const spki = crypto.createPublicKey(key).export({ format: "der", type: "spki" });
  const keys = {
    privateKey: await webcrypto.subtle.importKey("pkcs8", pkcs8, importParams, true, ["sign"]),
    publicKey: await webcrypto.subtle.importKey("spki", spki, importParams, true, ["verify"]),
  };
  return { algorithm, keys, signingAlgorithm };
}

// ---------------------------------------------------------------------------------------------
// Certificates

interface Subject {
  commonName?: string;
  organization?: string;
  organizationalUnit?: string;
  streetAddresses?: string[];
  locality?: string;
  province?: string;
  country?: string;
  postalCode?: string;
  serialNumber?: string;
  emailAddress?: string;
}

/** The subject as a distinguished name, attributes in the order Go's pkix.Name writes them. */
function distinguishedName(subject: Subject | undefined): x509.Name {
  const s = subject ?? {};
  const rdns: Array<[string, string | undefined]> = [
    ["C", s.country],
    ["ST", s.province],
    ["L", s.locality],
    ...(s.streetAddresses ?? []).map((street): [string, string] => ["2.5.4.9", street]),
    ["2.5.4.17", s.postalCode],
    ["O", s.organization],
    ["OU", s.organizationalUnit],
    ["CN", s.commonName],
    ["2.5.4.5", s.serialNumber],
    ["E", s.emailAddress],
  ];
  return new x509.Name(rdns.filter(([, value]) => value !== undefined && value !== "").map(([type, value]) => ({ [type]: [value!] })));
}

function subjectAltNames(inputs: { dnsNames?: string[]; ipAddresses?: string[]; uris?: string[] }): x509.Extension[] {
  const names = [
    ...(inputs.dnsNames ?? []).map((value) => ({ type: "dns" as const, value })),
    ...(inputs.ipAddresses ?? []).map((value) => ({ type: "ip" as const, value })),
    ...(inputs.uris ?? []).map((value) => ({ type: "url" as const, value })),
  ];
  return names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names)] : [];
}

const keyUsages: Record<string, x509.KeyUsageFlags> = {
  digital_signature: x509.KeyUsageFlags.digitalSignature,
  content_commitment: x509.KeyUsageFlags.nonRepudiation,
  key_encipherment: x509.KeyUsageFlags.keyEncipherment,
  data_encipherment: x509.KeyUsageFlags.dataEncipherment,
  key_agreement: x509.KeyUsageFlags.keyAgreement,
  cert_signing: x509.KeyUsageFlags.keyCertSign,
  crl_signing: x509.KeyUsageFlags.cRLSign,
  encipher_only: x509.KeyUsageFlags.encipherOnly,
  decipher_only: x509.KeyUsageFlags.decipherOnly,
};

const extendedKeyUsages: Record<string, string> = {
  any_extended: "2.5.29.37.0",
  server_auth: "1.3.6.1.5.5.7.3.1",
  client_auth: "1.3.6.1.5.5.7.3.2",
  code_signing: "1.3.6.1.5.5.7.3.3",
  email_protection: "1.3.6.1.5.5.7.3.4",
  ipsec_end_system: "1.3.6.1.5.5.7.3.5",
  ipsec_tunnel: "1.3.6.1.5.5.7.3.6",
  ipsec_user: "1.3.6.1.5.5.7.3.7",
  timestamping: "1.3.6.1.5.5.7.3.8",
  ocsp_signing: "1.3.6.1.5.5.7.3.9",
  microsoft_server_gated_crypto: "1.3.6.1.4.1.311.10.3.3",
  netscape_server_gated_crypto: "2.16.840.1.113730.4.1",
  microsoft_commercial_code_signing: "1.3.6.1.4.1.311.2.1.22",
  microsoft_kernel_code_signing: "1.3.6.1.4.1.311.61.1.1",
};

/** The certificate inputs common to SelfSignedCert and LocallySignedCert. */
interface CertInputs {
  validityPeriodHours: number;
  allowedUses?: string[];
  isCaCertificate?: boolean;
  maxPathLength?: number;
  setSubjectKeyId?: boolean;
  setAuthorityKeyId?: boolean;
  earlyRenewalHours?: number;
}

interface IssueRequest {
  resource: string;
  inputs: CertInputs;
  subject: x509.Name;
  publicKey: x509.PublicKey;
  extraExtensions: x509.Extension[];
  /** `self` for a self-signed certificate, else the issuing CA's name and subject key identifier (hex), if it has one. */
  issuer: "self" | { name: x509.Name; keyId?: string };
  signer: SigningKey;
}

async function issue(request: IssueRequest): Promise<Record<string, unknown>> {
  const { inputs } = request;
  const hours = inputs.validityPeriodHours;
  if (!Number.isInteger(hours) || hours < 0)
    throw new Error(`${request.resource}: validityPeriodHours must be a whole number >= 0, got ${hours}`);
  const earlyRenewalHours = inputs.earlyRenewalHours ?? 0;
  if (!Number.isInteger(earlyRenewalHours) || earlyRenewalHours < 0)
    throw new Error(`${request.resource}: earlyRenewalHours must be a whole number >= 0, got ${earlyRenewalHours}`);
  const isCa = inputs.isCaCertificate === true;
  const maxPathLength = inputs.maxPathLength ?? -1;
  if (!isCa && maxPathLength > 0) throw new Error(`${request.resource}: x509: only CAs are allowed to specify MaxPathLen`);
  if (isCa && request.subject.toJSON().length === 0) {
    throw new Error(`${request.resource}: Must contain at least one Distinguished Name when creating Certificate Authority (CA)`);
  }

  let usage = 0;
  const extended: string[] = [];
  for (const use of inputs.allowedUses ?? []) {
    if (use in keyUsages) usage |= keyUsages[use]!;
    else if (use in extendedKeyUsages) extended.push(extendedKeyUsages[use]!);
    else
      throw new Error(
        `${request.resource}: allowedUses: unknown value "${use}" (the provider accepts ${[...Object.keys(keyUsages), ...Object.keys(extendedKeyUsages)].join(", ")})`,
      );
  }

  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(isCa, isCa && maxPathLength > 0 ? maxPathLength : undefined, true),
  ];
  if (usage !== 0) extensions.push(new x509.KeyUsagesExtension(usage, true));
  if (extended.length > 0) extensions.push(new x509.ExtendedKeyUsageExtension(extended, false));
  const subjectKeyId = isCa || inputs.setSubjectKeyId ? await x509.SubjectKeyIdentifierExtension.create(request.publicKey) : undefined;
  if (subjectKeyId) extensions.push(subjectKeyId);
  const { issuer } = request;
  if (issuer === "self") {
    if (inputs.setAuthorityKeyId) {
      if (!subjectKeyId)
        throw new Error(`${request.resource}: Invalid Certificate Authority: Could not determine Authority Key Identifier`);
      extensions.push(new x509.AuthorityKeyIdentifierExtension(subjectKeyId.keyId));
    }
  } else if (issuer.keyId) {
    extensions.push(new x509.AuthorityKeyIdentifierExtension(issuer.keyId));
  }
  extensions.push(...request.extraExtensions);

  const serial = crypto.randomBytes(16);
  serial[0]! &= 0x7f; // positive
  const notBefore = new Date();
  const notAfter = new Date(notBefore.getTime() + hours * 3_600_000);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial.toString("hex"),
    subject: request.subject,
    issuer: issuer === "self" ? request.subject : issuer.name,
    notBefore,
    notAfter,
    publicKey: request.publicKey,
    signingKey: request.signer.keys.privateKey,
    signingAlgorithm: request.signer.signingAlgorithm,
    extensions,
  });
  return {
    certPem: pem(cert),
    validityStartTime: notBefore.toISOString(),
    validityEndTime: notAfter.toISOString(),
    // What the provider plans for a new certificate: ready at once when it is valid for no time or renews that early.
    readyForRenewal: hours === 0 || earlyRenewalHours >= hours,
    earlyRenewalHours,
    isCaCertificate: isCa,
    setSubjectKeyId: inputs.setSubjectKeyId ?? false,
  };
}

/** PEM the way Go's pem.EncodeToMemory writes it: 64-character lines, ending with a newline. */
function pem(item: x509.X509Certificate | x509.Pkcs10CertificateRequest): string {
  const label = item instanceof x509.X509Certificate ? "CERTIFICATE" : "CERTIFICATE REQUEST";
  const body = Buffer.from(item.rawData).toString("base64").replace(/.{64}/g, "$&\n").replace(/\n$/, "");
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

const certCache = new Map<string, Promise<Record<string, unknown>>>();

/** The time the provider plans at; see {@link planRenewalsAt}. */
let planningTime: (() => Date) | undefined;

/**
 * Makes the mocks plan as the provider would at `time` (undefined: now again). A certificate issued
 * before for the same resource and inputs is kept until `validityEndTime - earlyRenewalHours`, as
 * the provider keeps it, and replaced from then on, by a certificate for the same key (the key is
 * another resource, and its inputs have not changed). The replacement is still issued at the real
 * time, so that it verifies now.
 */
export function planRenewalsAt(time: Date | undefined): void {
  planningTime = time && (() => time);
}

/** Whether the provider would replace an issued certificate (a CSR never is): within its early-renewal window. */
function readyForRenewal(state: Record<string, unknown>): boolean {
  if (typeof state.validityEndTime !== "string") return false;
  const renewFrom = Date.parse(state.validityEndTime) - Number(state.earlyRenewalHours) * 3_600_000;
  return renewFrom <= (planningTime?.() ?? new Date()).getTime();
}

/** Runs `make` once per resource name and inputs, and again when the certificate it made is ready for renewal. */
async function once(args: MockResourceArgs, inputs: unknown, make: () => Promise<Record<string, unknown>>) {
  const key = `${args.type}|${args.name}|${JSON.stringify(inputs)}`;
  const issued = certCache.get(key);
  if (issued && readyForRenewal(await issued.catch(() => ({})))) certCache.delete(key);
  return cached(certCache, key, make);
}

// ---------------------------------------------------------------------------------------------
// The mocks

const privateKey: ResourceMock = async (args) => {
  const inputs = revealSecrets(args.inputs) as { algorithm: KeyAlgorithm; rsaBits?: number; ecdsaCurve?: string };
  const rsaBits = inputs.rsaBits ?? 2048;
  const ecdsaCurve = inputs.ecdsaCurve ?? "P224";
  if (!["RSA", "ECDSA", "ED25519"].includes(inputs.algorithm)) throw new Error(`${args.name}: unsupported algorithm ${inputs.algorithm}`);
  const key = await generateKey(args.name, inputs.algorithm, rsaBits, ecdsaCurve);
  return {
    algorithm: inputs.algorithm,
    rsaBits,
    ecdsaCurve,
    privateKeyPem: wireSecret(privateKeyPem(key)),
    privateKeyPemPkcs8: wireSecret(key.export({ format: "pem", type: "pkcs8" }).toString()),
    privateKeyOpenssh: wireSecret(""),
    publicKeyPem: crypto.createPublicKey(key).export({ format: "pem", type: "spki" }).toString(),
    publicKeyOpenssh: "",
  };
};

/** What a certificate's owner asks for: its key, subject and alternative names (self-signed certificates and requests). */
interface RequestInputs {
  privateKeyPem: string;
  subject?: Subject;
  dnsNames?: string[];
  ipAddresses?: string[];
  uris?: string[];
}

const selfSignedCert: ResourceMock = (args) => {
  const inputs = revealSecrets(args.inputs) as CertInputs & RequestInputs;
  return once(args, inputs, async () => {
    const signer = await signingKey(inputs.privateKeyPem);
    const subject = distinguishedName(inputs.subject);
    const state = await issue({
      resource: args.name,
      inputs,
      subject,
      publicKey: await x509.PublicKey.create(signer.keys.publicKey),
      extraExtensions: subjectAltNames(inputs),
      issuer: "self",
      signer,
    });
    return { ...state, keyAlgorithm: signer.algorithm };
  });
};

const certRequest: ResourceMock = (args) => {
  const inputs = revealSecrets(args.inputs) as RequestInputs;
  return once(args, inputs, async () => {
    const signer = await signingKey(inputs.privateKeyPem);
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: distinguishedName(inputs.subject),
      keys: signer.keys,
      signingAlgorithm: signer.signingAlgorithm,
      extensions: subjectAltNames(inputs),
    });
    return { certRequestPem: pem(csr), keyAlgorithm: signer.algorithm };
  });
};

const locallySignedCert: ResourceMock = (args) => {
  const inputs = revealSecrets(args.inputs) as CertInputs & { certRequestPem: string; caPrivateKeyPem: string; caCertPem: string };
  return once(args, inputs, async () => {
    const csr = new x509.Pkcs10CertificateRequest(inputs.certRequestPem);
    if (!(await csr.verify())) throw new Error(`${args.name}: the certificate request's signature does not verify`);
    const caCert = new x509.X509Certificate(inputs.caCertPem);
    const signer = await signingKey(inputs.caPrivateKeyPem);
    const signerSpki = Buffer.from(await webcrypto.subtle.exportKey("spki", signer.keys.publicKey));
    if (!signerSpki.equals(Buffer.from(caCert.publicKey.rawData))) {
      throw new Error(`${args.name}: x509: provided PrivateKey doesn't match parent's PublicKey`);
    }
    const san = csr.extensions.find((extension) => extension instanceof x509.SubjectAlternativeNameExtension);
    const state = await issue({
      resource: args.name,
      inputs,
      subject: csr.subjectName,
      publicKey: csr.publicKey,
      extraExtensions: san ? [san] : [],
      issuer: { name: caCert.subjectName, keyId: caCert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId },
      signer,
    });
    return { ...state, caKeyAlgorithm: signer.algorithm, caPrivateKeyPem: wireSecret(inputs.caPrivateKeyPem) };
  });
};

export const resourceMocks: Record<string, ResourceMock> = {
  "tls:index/privateKey:PrivateKey": privateKey,
  "tls:index/selfSignedCert:SelfSignedCert": selfSignedCert,
  "tls:index/certRequest:CertRequest": certRequest,
  "tls:index/locallySignedCert:LocallySignedCert": locallySignedCert,
};
