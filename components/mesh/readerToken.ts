import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { checkedFor } from "../invariant";
import { istioNamespace } from "./values";

/** The service account the base chart creates for remote clusters' istiods to read this one. */
export const readerServiceAccount = "istio-reader-service-account";

/** The token Secret's name, as `istioctl create-remote-secret` names it. */
export const readerTokenSecretName = `${readerServiceAccount}-istio-remote-secret-token`;

/** The service-account token Secret that makes the token controller issue a long-lived reader token. */
export function readerTokenSecret(): { metadata: { name: string; namespace: string; annotations: Record<string, string> }; type: string } {
  return {
    metadata: {
      name: readerTokenSecretName,
      namespace: istioNamespace,
      annotations: { "kubernetes.io/service-account.name": readerServiceAccount },
    },
    type: "kubernetes.io/service-account-token",
  };
}

/** The reader token from a token Secret's `data` (base64), decoded; throws when the controller has not filled it. */
export function decodeReaderToken(data: Record<string, string> | undefined): string {
  const encoded = data?.token;
  const token = encoded ? Buffer.from(encoded, "base64").toString("utf8") : "";
  if (!token) {
    throw new Error(
      `ReaderToken: ${istioNamespace}/${readerTokenSecretName} has no data.token. The token controller fills it once the ` +
        `service account ${readerServiceAccount} exists (it comes from the base chart); run 'pulumi up' again.`,
    );
  }
  return token;
}

/** Arguments of {@link ReaderToken}. */
export interface ReaderTokenArgs {
  /** Provider of the cluster whose API the token grants read access to (this cluster). */
  provider: k8s.Provider;
}

/**
 * A long-lived token of `istio-reader-service-account` in this cluster, for peers' istiods to watch
 * this cluster's services and endpoints (the half of the remote-secret mechanism that lives in the
 * cluster being read). Since Kubernetes 1.24 no chart creates this token Secret, so this does.
 *
 * The service account comes from the `base` chart: pass `dependsOn` (the IstioPrimary's `ready` or
 * `base`). The token controller fills `data.token` asynchronously after the Secret is created. The
 * Kubernetes provider (>= 3.20) already waits for it: its create awaiter for
 * `kubernetes.io/service-account-token` Secrets polls until `data` is non-empty, and fails the create
 * after 5 s otherwise. The token is then read back from the cluster with `Secret.get`; the read's ID
 * waits on the created Secret's `data`, so a preview of a Secret that does not exist yet skips the read
 * instead of failing, and a read that still finds no token fails with what to do rather than handing
 * peers an empty token.
 */
export class ReaderToken extends pulumi.ComponentResource {
  /** The reader service account's token, decoded (a JWT); a Pulumi secret. */
  public readonly token: pulumi.Output<string>;

  constructor(name: string, args: ReaderTokenArgs, opts?: pulumi.ComponentResourceOptions) {
    super("burstmesh:mesh:ReaderToken", name, {}, opts);
    const child = { parent: this, provider: args.provider };

    const secret = new k8s.core.v1.Secret(`${name}-secret`, readerTokenSecret(), { ...child, dependsOn: opts?.dependsOn });

    const id = pulumi.unsecret(secret.data.apply(() => `${istioNamespace}/${readerTokenSecretName}`));
    const readBack = k8s.core.v1.Secret.get(`${name}-read`, id, { ...child, dependsOn: [secret] });
    this.token = pulumi.secret(readBack.data.apply((data) => checkedFor(this, () => decodeReaderToken(data))));

    this.registerOutputs({ token: this.token });
  }
}
