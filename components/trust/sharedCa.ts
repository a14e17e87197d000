import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
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

/** Subject of the root certificate. */
export function rootSubject(organization: pulumi.Input<string>) {
  return { organization, commonName: "Root CA" };
}

/** Subject of a cluster's intermediate certificate: `O=<organization>, CN=Intermediate CA, L=<cluster>`. */
export function intermediateSubject(organization: pulumi.Input<string>, cluster: string) {
  return { organization, commonName: "Intermediate CA", locality: cluster };
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
        setSubjectKeyId: true,
      },
      parent,
    );

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
