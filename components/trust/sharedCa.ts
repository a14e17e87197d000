import * as crypto from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { ConfigError, projectName } from "../../config";
import type { TrustGenerations } from "../../model/trust";
import type { CaBundle, DeployedRoots } from "../stackOutputs";

/** Arguments of {@link SharedCA}. None has a default: all come from the mesh-wide config, validated there. */
export interface SharedCAArgs {
  /** Subject organization (`O`) of the root and of every intermediate certificate. */
  organization: pulumi.Input<string>;
  /**
   * Names of the member clusters, one intermediate CA each. Plain strings, because they name
   * resources; each must be a DNS-1123 label and appear once. Each becomes the intermediate's
   * locality (`L`) and the key of its bundle in {@link SharedCA.bundles}.
   */
  clusters: string[];
  /** How long the root certificate is valid, in hours (whole, > 0). */
  rootValidityHours: pulumi.Input<number>;
  /** How long each intermediate certificate is valid, in hours (whole, > 0, at most the root's). */
  intermediateValidityHours: pulumi.Input<number>;
  /**
   * Which roots exist and are trusted, which one signs, and each cluster's intermediate generation
   * (`burstmesh:trust`, validated there): one root key and certificate per trusted generation, one
   * intermediate per cluster at its generation, signed by the signing root. Every cluster must be in
   * `intermediates`.
   */
  generations: TrustGenerations;
}

/**
 * CA keys: RSA 4096, what Istio's own plug-in CA tooling generates for the root and the
 * intermediates (tools/certs/common.mk: ROOTCA_KEYSZ and INTERMEDIATE_KEYSZ 4096) and the widest
 * supported choice for istiod and Envoy. The cost, a slower key generation, is paid once in the
 * trust stack.
 */
const caKey = { algorithm: "RSA", rsaBits: 4096 } as const;

/**
 * Key usages of the CA certificates, spelled as the tls provider accepts them (snake_case; the
 * camelCase names in the SDK's doc comments are rejected by the provider's validator). No extended
 * key usages: istiod verifies the chain with Go's default (server auth), which an intermediate without
 * extended key usages passes.
 */
const caAllowedUses = ["cert_signing", "crl_signing", "digital_signature"] as const;

/**
 * Path length of the root: at most one CA below it, so an intermediate can sign workload
 * certificates but not another CA. This is what actually enforces the limit: the intermediate's
 * own `maxPathLength: 0` is requested too, but the tls provider (5.6, terraform-provider-tls 4.3)
 * leaves a path length of 0 out of the certificate (Go's x509 reads MaxPathLen 0 as "unset" unless
 * MaxPathLenZero is set, which the provider never does).
 */
const rootMaxPathLength = 1;

/**
 * How many hours before its end a CA certificate is renewed: when a third of its validity remains,
 * cert-manager's default for certificates without `renewBefore` (renewal 2/3 through the lifetime).
 * The tls provider counts a certificate as ready for renewal from `validity end - earlyRenewalHours`
 * on, and the next `pulumi up` of the trust stack replaces it; nothing renews without an `up`. A
 * third leaves two thirds of the lifetime in use and a window for that `up` far longer than teams
 * go between deploys (243 days for the default two-year intermediates, 3.3 years for the ten-year
 * root), and it scales with whatever validity config sets. It is always less than the validity: a
 * window as long as the validity would replace the certificate on every `up`. The keys are separate
 * PrivateKey resources, which no renewal touches: a renewed certificate certifies the same key.
 */
export function earlyRenewalHours(validityHours: number): number {
  return Math.floor(validityHours / 3);
}

/**
 * Subject of a root certificate: `O=<organization>, CN=Root CA`, and ` G<n>` after the name from
 * generation 2 on, so that the two roots a rotation trusts side by side have names of their own (in
 * logs, and for verifiers that look an issuer up by name). Generation 1 keeps the name it always had.
 */
export function rootSubject(organization: pulumi.Input<string>, generation = 1) {
  return { organization, commonName: generation === 1 ? "Root CA" : `Root CA G${generation}` };
}

/** Subject of a cluster's intermediate certificate: `O=<organization>, CN=Intermediate CA, L=<cluster>`, ` G<n>` as for the roots. */
export function intermediateSubject(organization: pulumi.Input<string>, cluster: string, generation = 1) {
  return { organization, commonName: generation === 1 ? "Intermediate CA" : `Intermediate CA G${generation}`, locality: cluster };
}

/**
 * The resource name prefix of root generation `generation`: `root` for the first, which keeps the
 * names (and so the URNs) of the stacks deployed before generations existed, `root-g<n>` after it.
 */
export function rootResourceName(generation: number): string {
  return generation === 1 ? "root" : `root-g${generation}`;
}

/** The resource name prefix of a cluster's intermediate of `generation`: `<cluster>-intermediate`, then `<cluster>-intermediate-g<n>`. */
export function intermediateResourceName(cluster: string, generation: number): string {
  return generation === 1 ? `${cluster}-intermediate` : `${cluster}-intermediate-g${generation}`;
}

/** What a root certificate is issued with, of the settings whose change would replace it. */
interface RootIssuance {
  /** The subject's organization: `burstmesh:certOrganization`. */
  organization: string;
  /** Hours from its start to its end: `burstmesh:rootCertValidityHours`. */
  validityHours: number;
}

/** The settings a root certificate was issued with, read from the certificate itself. */
function issuanceOf(rootCertPem: string): RootIssuance {
  const cert = new crypto.X509Certificate(rootCertPem);
  // The legacy object gives the subject's values unescaped (the `subject` string escapes `,` and `+`).
  const organization: unknown = cert.toLegacyObject().subject.O;
  return {
    organization: Array.isArray(organization) ? organization.join(", ") : String(organization),
    validityHours: (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / 3_600_000,
  };
}

/**
 * Refuses, before anything is created, a config change that would replace a deployed root CA that
 * stays trusted: `deployed` are the roots the trust stack published on its last deployment (none
 * before the first). A new organization is a new subject, and the tls provider replaces a root
 * certificate for a new subject or validity (the key stays, a separate resource). A root replaced in
 * place is a change of `root-cert.pem` that no rotation step prepared: a root with another subject
 * breaks mTLS across the mesh until every workload has moved, and istiod takes the new file only as
 * a change of its root set. So both are refused; a new root comes as a new generation, trusted beside
 * the old one, with `npm run mesh -- rotate-root`. The scheduled renewal re-issues a root the same
 * way, once, with what that does documented (docs/architecture.md).
 */
export function refuseRootReplacement(deployed: DeployedRoots | undefined, wanted: RootIssuance & { roots: readonly number[] }): void {
  if (deployed === undefined) return;
  const refused: string[] = [];
  deployed.roots.forEach((generation, index) => {
    const pem = deployed.certPems[index];
    if (!wanted.roots.includes(generation) || pem === undefined) return;
    const root = deployed.roots.length === 1 ? "the deployed root CA" : `the deployed root CA of generation ${generation}`;
    const issued = issuanceOf(pem);
    if (issued.organization !== wanted.organization) {
      refused.push(
        `${projectName}:certOrganization: ${root} was issued for '${issued.organization}'; this run asks for '${wanted.organization}'. ` +
          "A root with another subject verifies no certificate issued under the deployed one, and the clusters cannot switch at the same moment: " +
          "mTLS between workloads would fail across the mesh until every one has a certificate from the new root. " +
          `Set ${projectName}:certOrganization back to '${issued.organization}'.`,
      );
    }
    if (issued.validityHours !== wanted.validityHours) {
      refused.push(
        `${projectName}:rootCertValidityHours: ${root} is valid for ${issued.validityHours} hours; this run asks for ${wanted.validityHours}. ` +
          "The change would re-issue the root certificate now, in place, a change of every root-cert.pem that no rotation step prepared. " +
          "The root renews by itself when a third of its validity remains. " +
          `Set ${projectName}:rootCertValidityHours back to ${issued.validityHours}.`,
      );
    }
  });
  if (refused.length > 0) {
    throw new ConfigError(
      "Refusing to replace a trusted root CA in place (a new root comes as a new generation beside the old one: " +
        `npm run mesh -- rotate-root); nothing has been changed:\n${refused.map((issue) => `  - ${issue}`).join("\n")}`,
    );
  }
}

const pemBlock = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/**
 * Joins PEM documents: each trimmed, exactly one newline between them, one at the end.
 * Throws when a document holds no PEM block, so that an empty value cannot go unnoticed.
 */
export function joinPem(...documents: string[]): string {
  return (
    documents
      .map((document, index) => {
        const trimmed = document.trim();
        if (!trimmed.match(pemBlock)) throw new Error(`joinPem: document ${index + 1} holds no PEM block`);
        return trimmed;
      })
      .join("\n") + "\n"
  );
}

/**
 * The cacerts bundle of one cluster: its intermediate certificate and key; every trusted root,
 * oldest first, in `root-cert.pem` (istiod's trust bundle, which proxies get); and the intermediate
 * followed by its own issuer, the signing root, in `cert-chain.pem` (what a workload certificate's
 * chain ends with).
 */
export function buildCaBundle(pems: {
  intermediateCertPem: string;
  intermediateKeyPem: string;
  signingRootCertPem: string;
  trustedRootCertPems: readonly string[];
}): CaBundle {
  return {
    "ca-cert.pem": joinPem(pems.intermediateCertPem),
    "ca-key.pem": joinPem(pems.intermediateKeyPem),
    "root-cert.pem": joinPem(...pems.trustedRootCertPems),
    "cert-chain.pem": joinPem(pems.intermediateCertPem, pems.signingRootCertPem),
  };
}

/**
 * The mesh's shared trust: self-signed root CAs, one per trusted generation, and, per member cluster,
 * an intermediate CA of its generation signed by the signing root, delivered as Istio `cacerts`
 * bundles. Lives in the trust stack; the root keys stay in that stack's state and are never exported.
 *
 * Child resources have fixed names (`root-key`, `root-cert`, `<cluster>-intermediate-key|csr|cert`
 * for generation 1, `root-g<n>-…` and `<cluster>-intermediate-g<n>-…` after it), so a stack holds
 * one SharedCA.
 */
export class SharedCA extends pulumi.ComponentResource {
  /** Every trusted root certificate (PEM), oldest first: what each `root-cert.pem` holds. Public: not a secret. */
  public readonly rootCertPem: pulumi.Output<string>;
  /** The `cacerts` bundle of each member cluster, keyed by cluster name. A secret (it holds the intermediate keys). */
  public readonly bundles: pulumi.Output<Record<string, CaBundle>>;

  constructor(name: string, args: SharedCAArgs, opts?: pulumi.ComponentResourceOptions) {
    super("burstmesh:trust:SharedCA", name, {}, opts);
    const parent = { parent: this };
    const { roots, signingRoot, intermediates } = args.generations;
    const missing = args.clusters.filter((cluster) => intermediates[cluster] === undefined);
    if (!roots.includes(signingRoot) || missing.length > 0) {
      throw new Error(
        `SharedCA: the signing root ${signingRoot} must be one of the roots (${roots.join(", ")}) and every cluster must have an ` +
          `intermediate generation${missing.length > 0 ? ` (none for ${missing.join(", ")})` : ""}`,
      );
    }

    const rootEarlyRenewalHours = pulumi.output(args.rootValidityHours).apply(earlyRenewalHours);
    const rootCerts = new Map<number, { key: tls.PrivateKey; cert: tls.SelfSignedCert }>();
    for (const generation of roots) {
      const prefix = rootResourceName(generation);
      const key = new tls.PrivateKey(`${prefix}-key`, { ...caKey }, parent);
      const cert = new tls.SelfSignedCert(
        `${prefix}-cert`,
        {
          privateKeyPem: key.privateKeyPem,
          subject: rootSubject(args.organization, generation),
          isCaCertificate: true,
          maxPathLength: rootMaxPathLength,
          allowedUses: [...caAllowedUses],
          validityPeriodHours: args.rootValidityHours,
          earlyRenewalHours: rootEarlyRenewalHours,
          setSubjectKeyId: true,
        },
        parent,
      );
      rootCerts.set(generation, { key, cert });
    }
    const signing = rootCerts.get(signingRoot)!;
    const trustedRootCertPems = pulumi.all(roots.map((generation) => rootCerts.get(generation)!.cert.certPem));

    const intermediateEarlyRenewalHours = pulumi.output(args.intermediateValidityHours).apply(earlyRenewalHours);
    const bundles: Record<string, pulumi.Output<CaBundle>> = {};
    for (const cluster of args.clusters) {
      const generation = intermediates[cluster]!;
      const prefix = intermediateResourceName(cluster, generation);
      const key = new tls.PrivateKey(`${prefix}-key`, { ...caKey }, parent);
      const csr = new tls.CertRequest(
        `${prefix}-csr`,
        { privateKeyPem: key.privateKeyPem, subject: intermediateSubject(args.organization, cluster, generation) },
        parent,
      );
      const cert = new tls.LocallySignedCert(
        `${prefix}-cert`,
        {
          certRequestPem: csr.certRequestPem,
          caPrivateKeyPem: signing.key.privateKeyPem,
          caCertPem: signing.cert.certPem,
          isCaCertificate: true,
          maxPathLength: 0,
          allowedUses: [...caAllowedUses],
          validityPeriodHours: args.intermediateValidityHours,
          earlyRenewalHours: intermediateEarlyRenewalHours,
          setSubjectKeyId: true,
        },
        parent,
      );
      bundles[cluster] = pulumi
        .all([cert.certPem, key.privateKeyPem, signing.cert.certPem, trustedRootCertPems])
        .apply(([intermediateCertPem, intermediateKeyPem, signingRootCertPem, trusted]) =>
          buildCaBundle({ intermediateCertPem, intermediateKeyPem, signingRootCertPem, trustedRootCertPems: trusted }),
        );
    }

    // A certificate is public: export it in the clear whatever the provider or engine marks.
    this.rootCertPem = pulumi.unsecret(trustedRootCertPems.apply((pems) => joinPem(...pems)));
    this.bundles = pulumi.secret(pulumi.all(bundles));
    this.registerOutputs({ rootCertPem: this.rootCertPem, bundles: this.bundles });
  }
}
