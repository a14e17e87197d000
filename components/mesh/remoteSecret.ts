import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";
import { dns1123LabelPattern } from "../../config/schema";
import { istioNamespace } from "../../model/namespaces";
import { buildKubeconfig } from "../kube/kubeconfig";
import { checkedFor } from "../invariant";
import type { MeshPeer } from "../stackOutputs";

const jwt = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** Kubeconfig fields that make istiod run code, read its own files or call a cloud auth plugin. */
const forbiddenUserFields = ["exec", "auth-provider", "tokenFile", "client-certificate", "client-key", "username", "password"];
const forbiddenClusterFields = ["certificate-authority", "proxy-url", "insecure-skip-tls-verify"];

/** The name of the remote secret for a peer. */
function remoteSecretName(peerName: string): string {
  return `istio-remote-secret-${peerName}`;
}

/**
 * The kubeconfig istiod uses to read a peer's API server: one cluster, context and user, all named
 * after the peer's cluster, with the peer's server URL, its CA (already base64, kept as given) and the
 * reader token. Throws for anything that would not give such a kubeconfig: istiod refuses `exec`,
 * non-oidc `auth-provider`, `tokenFile` and client certificate/key files, and a CA that is raw PEM or
 * base64 twice, a non-https server or an empty token would only fail later inside istiod.
 *
 * `peerName` is the key the kubeconfig is stored under in the remote secret; it must equal the peer's
 * `clusterName`, because istiod takes the key as the remote cluster's ID.
 */
export function remoteSecretKubeconfig(peer: MeshPeer, peerName: string = peer?.clusterName): string {
  const problem = (message: string) => new Error(`remote secret for peer '${peerName}': ${message}`);
  if (!peer || typeof peer !== "object") throw problem("no peer outputs");
  if (!dns1123LabelPattern.test(peer.clusterName ?? "")) throw problem(`clusterName must be a DNS-1123 label (got '${peer.clusterName}')`);
  if (peerName !== peer.clusterName) {
    throw problem(`the Secret key must equal the peer's clusterName '${peer.clusterName}' (istiod takes the key as the cluster ID)`);
  }

  let server: URL;
  try {
    server = new URL(peer.apiServerUrl);
  } catch {
    throw problem(`apiServerUrl must be an https:// URL (got '${peer.apiServerUrl}')`);
  }
  if (server.protocol !== "https:" || !server.hostname || server.username || server.password) {
    throw problem(`apiServerUrl must be an https:// URL without credentials (got '${peer.apiServerUrl}')`);
  }

  const ca = peer.certificateAuthorityData ?? "";
  if (ca.includes("-----BEGIN")) throw problem("certificateAuthorityData is raw PEM; it must be base64-encoded once");
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(ca)) throw problem("certificateAuthorityData is not base64");
  const decoded = Buffer.from(ca, "base64").toString("utf8");
  if (!decoded.includes("-----BEGIN CERTIFICATE-----")) {
    throw problem("certificateAuthorityData does not decode to a PEM certificate (encoded twice, or not a CA certificate)");
  }

  if (!jwt.test(peer.readerToken ?? "")) throw problem("readerToken must be a service-account token (a JWT), not a file path or empty");

  const kubeconfig = buildKubeconfig(
    { name: peer.clusterName, server: peer.apiServerUrl, certificateAuthorityData: ca },
    { token: peer.readerToken },
  );
  assertTokenOnly(kubeconfig, problem);
  return kubeconfig;
}

/** Checks the built kubeconfig itself: token users only, clusters with inline CA data only. */
function assertTokenOnly(kubeconfig: string, problem: (message: string) => Error): void {
  const config = parseYaml(kubeconfig) as {
    clusters?: { cluster: Record<string, unknown> }[];
    users?: { user: Record<string, unknown> }[];
  };
  for (const { user } of config.users ?? []) {
    const bad = forbiddenUserFields.filter((field) => field in user);
    if (bad.length > 0 || typeof user.token !== "string")
      throw problem(`kubeconfig user must hold a token only (found ${Object.keys(user).join(", ")})`);
  }
  for (const { cluster } of config.clusters ?? []) {
    const bad = forbiddenClusterFields.filter((field) => field in cluster);
    if (bad.length > 0) throw problem(`kubeconfig cluster must not use ${bad.join(", ")}`);
  }
}

/** The remote secret's `stringData`: one key, the peer's cluster name, holding its kubeconfig. */
export function remoteSecretStringData(peerName: string, peer: MeshPeer): Record<string, string> {
  return { [peerName]: remoteSecretKubeconfig(peer, peerName) };
}

/** Arguments of {@link RemoteSecret}. None has a default. */
export interface RemoteSecretArgs {
  /** Provider of the reading cluster (this cluster), where the Secret is created. */
  provider: k8s.Provider;
  /** The peer's cluster name, plain so that the Secret's name is known at preview; must equal `peer.clusterName`. */
  peerName: string;
  /** The peer's published outputs (its `meshPeer` stack output). */
  peer: pulumi.Input<MeshPeer>;
}

/**
 * The half of the remote-secret mechanism that lives in the reading cluster: Secret
 * `istio-remote-secret-<peer>` in `istio-system`, labelled for istiod's multicluster controller, that
 * holds a token-only kubeconfig for the peer's API server. With it, this cluster's istiod discovers the
 * peer's services and endpoints. The whole Secret data is a Pulumi secret.
 *
 * Create it after the `istio-system` namespace (`dependsOn: [primary.istioSystem]`). It needs no
 * running istiod: istiod watches for labelled Secrets and picks it up whenever it starts.
 */
export class RemoteSecret extends pulumi.ComponentResource {
  /** The Secret's name, `istio-remote-secret-<peer>`. */
  public readonly secretName: string;

  constructor(name: string, args: RemoteSecretArgs, opts?: pulumi.ComponentResourceOptions) {
    super("burstmesh:mesh:RemoteSecret", name, {}, opts);
    this.secretName = remoteSecretName(args.peerName);

    new k8s.core.v1.Secret(
      `${name}-secret`,
      {
        metadata: {
          name: this.secretName,
          namespace: istioNamespace,
          labels: { "istio/multiCluster": "true" },
          annotations: { "networking.istio.io/cluster": args.peerName },
        },
        type: "Opaque",
        stringData: pulumi.secret(
          pulumi.output(args.peer).apply((peer) => checkedFor(this, () => remoteSecretStringData(args.peerName, peer as MeshPeer))),
        ),
      },
      { parent: this, provider: args.provider, dependsOn: opts?.dependsOn },
    );

    this.registerOutputs({ secretName: this.secretName });
  }
}
