import * as crypto from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ChartSources } from "../../config";
import { istioChartRepo } from "../charts/pinned";
import { helmReleaseArgs } from "../kube/helmRelease";
import { checkedFor } from "../invariant";
import { meshPeerAuthentication } from "./objects";
import { baseValues, cniValues, istiodValues, istioNamespacePodSecurity, networkLabel, releaseNames } from "./values";
import { istioNamespace } from "../../model/namespaces";
import {
  istiodServiceName,
  type IstioInstall,
  newestVersion,
  type Revision,
  revisionTags,
  stableRevision,
  unrevisioned,
} from "../../model/istioRevisions";
import type { CaBundle } from "../stackOutputs";
import { revisionTagWebhook } from "./revisionTags";

/** The four `cacerts` keys istiod 1.30 reads; it does not start with a partial set. */
const cacertsKeys = ["ca-cert.pem", "ca-key.pem", "root-cert.pem", "cert-chain.pem"] as const satisfies readonly (keyof CaBundle)[];

const pemCertificate = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;
const pemCertificates = new RegExp(pemCertificate.source, "g");

/** The certificates of a PEM document, parsed, in order. */
function certificatesIn(pem: string): crypto.X509Certificate[] {
  return (pem.match(pemCertificates) ?? []).map((block) => new crypto.X509Certificate(block));
}

/**
 * The `stringData` of the `cacerts` Secret: exactly the four files of the bundle. Throws when one is
 * missing or not PEM, or when the chain is not the intermediate followed by one of the trusted roots
 * of `root-cert.pem` (one, or two during a root rotation) that signed it, since istiod would
 * otherwise start with a self-signed CA, or sign workload certificates that no peer trusts.
 */
export function cacertsStringData(bundle: CaBundle): Record<(typeof cacertsKeys)[number], string> {
  const missing = cacertsKeys.filter((key) => typeof bundle?.[key] !== "string" || bundle[key].trim() === "");
  if (missing.length > 0)
    throw new Error(`cacerts: the CA bundle lacks ${missing.join(", ")}; istiod needs all four of ${cacertsKeys.join(", ")}`);
  for (const key of ["ca-cert.pem", "root-cert.pem", "cert-chain.pem"] as const) {
    if (!pemCertificate.test(bundle[key])) throw new Error(`cacerts: ${key} holds no PEM certificate`);
  }
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(bundle["ca-key.pem"])) throw new Error("cacerts: ca-key.pem holds no PEM private key");
  const [intermediate, ...others] = certificatesIn(bundle["ca-cert.pem"]);
  if (others.length > 0) throw new Error("cacerts: ca-cert.pem must hold one certificate, the cluster's intermediate");
  const trusted = certificatesIn(bundle["root-cert.pem"]);
  const chain = certificatesIn(bundle["cert-chain.pem"]);
  if (chain.length !== 2 || !chain[0]!.raw.equals(intermediate!.raw)) {
    throw new Error("cacerts: cert-chain.pem must hold ca-cert.pem followed by its issuer, one of the roots of root-cert.pem");
  }
  const issuer = chain[1]!;
  if (!trusted.some((root) => root.raw.equals(issuer.raw))) {
    throw new Error(
      `cacerts: cert-chain.pem ends with a root that root-cert.pem does not hold (${issuer.subject.replace(/\n/g, ", ")}): ` +
        "istiod would sign workload certificates with an issuer outside the mesh's trusted roots, which no peer accepts",
    );
  }
  if (!intermediate!.checkIssued(issuer) || !intermediate!.verify(issuer.publicKey)) {
    throw new Error("cacerts: ca-cert.pem is not signed by the root cert-chain.pem ends with");
  }
  return Object.fromEntries(cacertsKeys.map((key) => [key, bundle[key]])) as Record<(typeof cacertsKeys)[number], string>;
}

/** Arguments of {@link IstioPrimary}. Only `apiProvider` and `chartSources` are optional. */
export interface IstioPrimaryArgs {
  /** Provider of the cluster Istio is installed in, for what runs pods (istiod) and what istiod validates. */
  provider: k8s.Provider;
  /**
   * Provider of the same cluster for what runs no pods: the namespace, `cacerts` and the `base`
   * chart (CRDs, service accounts). One that needs only the API server lets these go in while the
   * nodes boot. Default: `provider`.
   */
  apiProvider?: k8s.Provider;
  /**
   * The istiod revisions, tags and gateway revision (`resolveInstall`). Each revision is an istiod
   * release at its exact chart version; `base` (the CRDs) and `cni` are at the newest revision's.
   */
  install: IstioInstall;
  /** Where the charts come from (`burstmesh:chartSources`). Default: each chart's upstream repository (components/charts/pinned.ts). */
  chartSources?: ChartSources;
  /** Mesh ID (`global.meshID`), the same in every member cluster. */
  meshId: string;
  /** SPIFFE trust domain (`meshConfig.trustDomain`), the same in every member cluster. */
  trustDomain: string;
  /** This cluster's ID in the mesh (`global.multiCluster.clusterName`); unique, and the key peers use for it. */
  clusterName: string;
  /** This cluster's network (`global.network` and the `istio-system` namespace label); unique per cluster. */
  network: string;
  /** This cluster's plug-in CA from the trust stack: intermediate certificate and key, root, chain. */
  cacerts: pulumi.Input<CaBundle>;
}

/**
 * An Istio primary: namespace `istio-system` on its network, the plug-in CA Secret `cacerts`, the
 * `base` and `cni` (the CNI node agent) Helm releases, one `istiod` release per revision
 * (multi-primary, multi-network), a webhook per revision tag, and mesh-wide STRICT mTLS.
 */
export class IstioPrimary extends pulumi.ComponentResource {
  /** Name of the control-plane namespace (`istio-system`), once it exists. */
  public readonly namespace: pulumi.Output<string>;
  /** The `istio-system` Namespace, for what else goes there (the remote secrets). */
  public readonly istioSystem: k8s.core.v1.Namespace;
  /** The `base` release (CRDs and the istio-reader service account). */
  public readonly base: k8s.helm.v3.Release;
  /** The `cni` release: the Istio CNI node agent, a DaemonSet in `istio-system`. */
  public readonly cni: k8s.helm.v3.Release;
  /** Per revision name, its `istiod` release. */
  public readonly istiods: Record<string, k8s.helm.v3.Release>;
  /**
   * The istiod the stable tag points to and the tag's webhook: what the Istio objects (the base
   * chart's default validator names that istiod) and the gateway (its pods ask for the stable tag's
   * injector) wait for.
   */
  public readonly ready: pulumi.Resource[];
  /**
   * What the pods of sidecar-injected namespaces wait for: the stable tag's istiod and webhook,
   * which inject their sidecar, and the CNI node agent, which sets up the traffic redirection that
   * the injected pods (without istio-init) rely on.
   */
  public readonly readyForWorkloads: pulumi.Resource[];

  constructor(name: string, args: IstioPrimaryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("burstmesh:mesh:IstioPrimary", name, {}, opts);
    const child = { parent: this, provider: args.provider };
    const withoutPods = { parent: this, provider: args.apiProvider ?? args.provider };

    const namespace = new k8s.core.v1.Namespace(
      `${name}-namespace`,
      { metadata: { name: istioNamespace, labels: { [networkLabel]: args.network, ...istioNamespacePodSecurity } } },
      { ...withoutPods, dependsOn: opts?.dependsOn },
    );

    const cacerts = new k8s.core.v1.Secret(
      `${name}-cacerts`,
      {
        metadata: { name: "cacerts", namespace: namespace.metadata.name },
        type: "Opaque",
        stringData: pulumi.secret(pulumi.output(args.cacerts).apply((bundle) => checkedFor(this, () => cacertsStringData(bundle)))),
      },
      withoutPods,
    );

    const chart = (chartName: "base" | "cni" | "istiod", releaseName: string, version: string, values: Record<string, unknown>) =>
      helmReleaseArgs({
        name: releaseName,
        chart: { chart: chartName, version, repo: istioChartRepo },
        sources: args.chartSources,
        namespace: namespace.metadata.name,
        values,
      });

    const { install } = args;
    const newest = newestVersion(install);
    const stable = stableRevision(install);
    this.base = new k8s.helm.v3.Release(`${name}-base`, chart("base", releaseNames.base, newest, baseValues(stable.name)), {
      ...withoutPods,
      dependsOn: [namespace],
    });

    // Beside istiod, not before it: the agent needs nothing of istiod (its pods are not injected and
    // it talks to no control plane in sidecar mode), and istiod's own pods are not injected either.
    this.cni = new k8s.helm.v3.Release(`${name}-cni`, chart("cni", releaseNames.cni, newest, cniValues()), {
      ...child,
      dependsOn: [namespace],
    });

    const settings = { meshId: args.meshId, trustDomain: args.trustDomain, clusterName: args.clusterName, network: args.network };
    const istiod = (revision: Revision) =>
      new k8s.helm.v3.Release(
        // The non-revisioned istiod keeps the resource and release names it had before revisions.
        revision.name === unrevisioned ? `${name}-istiod` : `${name}-istiod-${revision.name}`,
        chart("istiod", istiodServiceName(revision.name), revision.version, istiodValues({ ...settings, revision: revision.name })),
        // cacerts before istiod: an istiod that starts without it generates a self-signed CA and keeps it.
        // base before istiod: istiod watches the CRDs it installs. Not the CNI agent: the injected pods
        // need it (readyForWorkloads), istiod does not. Not metrics-server either: an HPA needs no
        // metrics to be created (it holds its minimum and scales from the first sync that has them).
        { ...child, dependsOn: [namespace, cacerts, this.base] },
      );
    this.istiods = Object.fromEntries(install.revisions.map((revision) => [revision.name, istiod(revision)]));

    // Each after the istiod it names: its webhook fails pods closed until that istiod serves.
    const tagWebhooks = Object.fromEntries(
      revisionTags.flatMap((tag) => {
        const revision = install.tags[tag];
        if (revision === undefined) return [];
        const webhook = new k8s.admissionregistration.v1.MutatingWebhookConfiguration(
          `${name}-tag-${tag}`,
          revisionTagWebhook(tag, revision),
          {
            ...child,
            dependsOn: [this.istiods[revision]!],
          },
        );
        return [[tag, webhook]];
      }),
    );
    const stableReady = [this.istiods[stable.name]!, tagWebhooks.stable!];

    const peerAuthentication = meshPeerAuthentication();
    // After istiod: its validating webhook checks Istio objects (the CRD comes with base, before istiod).
    new k8s.apiextensions.CustomResource(`${name}-peer-authentication`, peerAuthentication, { ...child, dependsOn: stableReady });

    this.namespace = namespace.metadata.name;
    this.istioSystem = namespace;
    this.ready = stableReady;
    this.readyForWorkloads = [...stableReady, this.cni];
    this.registerOutputs({ namespace: this.namespace });
  }
}
