import * as crypto from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { ConfigError, projectName } from "../../config";
import type { CaBundle } from "../stackOutputs";

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

/** Subject of the root certificate. */
export function rootSubject(organization: pulumi.Input<string>) {
  return { organization, commonName: "Root CA" };
}

/** Subject of a cluster's intermediate certificate: `O=<organization>, CN=Intermediate CA, L=<cluster>`. */
export function intermediateSubject(organization: pulumi.Input<string>, cluster: string) {
  return { organization, commonName: "Intermediate CA", locality: cluster };
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
 * Refuses, before anything is created, a config change that would replace the deployed root CA:
 * `deployedRootCertPem` is the root certificate the trust stack published on its last deployment
 * (none before the first). A new organization is a new subject, and the tls provider replaces the
 * root certificate for a new subject or validity (the key stays, a separate resource). Without a
 * trust-rotation path (the old and the new root trusted side by side until every workload has moved)
 * a root with another subject breaks mTLS across the mesh, and a re-issued one with the same subject
 * and key is only picked up by restarting every istiod, so both are refused; the scheduled renewal
 * re-issues the root the same way, once, with that restart documented (docs/architecture.md).
 */
export function refuseRootReplacement(deployedRootCertPem: string | undefined, wanted: RootIssuance): void {
  if (deployedRootCertPem === undefined) return;
  const deployed = issuanceOf(deployedRootCertPem);
  const refused: string[] = [];
  if (deployed.organization !== wanted.organization) {
    refused.push(
      `${projectName}:certOrganization: the deployed root CA was issued for '${deployed.organization}'; this run asks for '${wanted.organization}'. ` +
        "A root with another subject verifies no certificate issued under the deployed one, and the clusters cannot switch at the same moment: " +
        "mTLS between workloads would fail across the mesh until every one has a certificate from the new root. " +
        `Set ${projectName}:certOrganization back to '${deployed.organization}'.`,
    );
  }
  if (deployed.validityHours !== wanted.validityHours) {
    refused.push(
      `${projectName}:rootCertValidityHours: the deployed root CA is valid for ${deployed.validityHours} hours; this run asks for ${wanted.validityHours}. ` +
        "The change would re-issue the root certificate now, and istiod does not load a changed root certificate while it runs: " +
        "every istiod would have to be restarted. The root renews by itself when a third of its validity remains. " +
        `Set ${projectName}:rootCertValidityHours back to ${deployed.validityHours}.`,
    );
  }
  if (refused.length > 0) {
    throw new ConfigError(
      `Refusing to replace the mesh's root CA (burstmesh has no trust-rotation path yet); nothing has been changed:\n${refused.map((issue) => `  - ${issue}`).join("\n")}`,
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

/** The cacerts bundle of one cluster, from its intermediate certificate and key and the root certificate. */
export function buildCaBundle(pems: { intermediateCertPem: string; intermediateKeyPem: string; rootCertPem: string }): CaBundle {
  return {
    "ca-cert.pem": joinPem(pems.intermediateCertPem),
    "ca-key.pem": joinPem(pems.intermediateKeyPem),
    "root-cert.pem": joinPem(pems.rootCertPem),
    "cert-chain.pem": joinPem(pems.intermediateCertPem, pems.rootCertPem),
  };
}

/**
 * The mesh's shared trust: one self-signed root CA and, per member cluster, an intermediate CA signed
 * by it, delivered as Istio `cacerts` bundles. Lives in the trust stack; the root key stays in that
 * stack's state and is never exported.
 *
 * Child resources have fixed names (`root-key`, `root-cert`, `<cluster>-intermediate-key|csr|cert`),
 * so a stack holds one SharedCA.
 */
export class SharedCA extends pulumi.ComponentResource {
  /** The root certificate (PEM). Public: not a secret. */
  public readonly rootCertPem: pulumi.Output<string>;
  /** The `cacerts` bundle of each member cluster, keyed by cluster name. A secret (it holds the intermediate keys). */
  public readonly bundles: pulumi.Output<Record<string, CaBundle>>;

  constructor(name: string, args: SharedCAArgs, opts?: pulumi.ComponentResourceOptions) {
    super("burstmesh:trust:SharedCA", name, {}, opts);
    const parent = { parent: this };

    const rootKey = new tls.PrivateKey("root-key", { ...caKey }, parent);
    const rootCert = new tls.SelfSignedCert(
      "root-cert",
      {
        privateKeyPem: rootKey.privateKeyPem,
        subject: rootSubject(args.organization),
        isCaCertificate: true,
        maxPathLength: rootMaxPathLength,
        allowedUses: [...caAllowedUses],
        validityPeriodHours: args.rootValidityHours,
        earlyRenewalHours: pulumi.output(args.rootValidityHours).apply(earlyRenewalHours),
        setSubjectKeyId: true,
      },
      parent,
    );

    const intermediateEarlyRenewalHours = pulumi.output(args.intermediateValidityHours).apply(earlyRenewalHours);
    const bundles: Record<string, pulumi.Output<CaBundle>> = {};
    for (const cluster of args.clusters) {
      const key = new tls.PrivateKey(`${cluster}-intermediate-key`, { ...caKey }, parent);
      const csr = new tls.CertRequest(
        `${cluster}-intermediate-csr`,
        { privateKeyPem: key.privateKeyPem, subject: intermediateSubject(args.organization, cluster) },
        parent,
      );
      const cert = new tls.LocallySignedCert(
        `${cluster}-intermediate-cert`,
        {
          certRequestPem: csr.certRequestPem,
          caPrivateKeyPem: rootKey.privateKeyPem,
          caCertPem: rootCert.certPem,
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
        .all([cert.certPem, key.privateKeyPem, rootCert.certPem])
        .apply(([intermediateCertPem, intermediateKeyPem, rootCertPem]) =>
          buildCaBundle({ intermediateCertPem, intermediateKeyPem, rootCertPem }),
        );
    }

    // A certificate is public: export it in the clear whatever the provider or engine marks.
    this.rootCertPem = pulumi.unsecret(rootCert.certPem);
    this.bundles = pulumi.secret(pulumi.all(bundles));
    this.registerOutputs({ rootCertPem: this.rootCertPem, bundles: this.bundles });
  }
}
