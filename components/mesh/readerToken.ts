import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { istioNamespace } from "../../model/namespaces";
import { decodeServiceAccountToken, issueServiceAccountToken, serviceAccountTokenSecret, TokenAccount } from "../kube/serviceAccountToken";

/** The service account the base chart creates for remote clusters' istiods to read this one. */
const readerServiceAccount = "istio-reader-service-account";

/**
 * The token Secret's name: generation 1 as `istioctl create-remote-secret` names it, later ones with
 * `-g<n>`. A legacy service-account token is a function of the account and the Secret's name alone
 * (it carries no issue time), so a token is re-issued only under a new name: a Secret re-created
 * under the same name gets the same token back, and whoever held it can still read.
 */
function readerTokenSecretName(generation: number): string {
  const base = `${readerServiceAccount}-istio-remote-secret-token`;
  return generation === 1 ? base : `${base}-g${generation}`;
}

/** The reader account's token Secret in `istio-system`; the service account comes from the base chart. */
function readerTokenAccount(generation: number): TokenAccount {
  return {
    namespace: istioNamespace,
    serviceAccount: readerServiceAccount,
    secretName: readerTokenSecretName(generation),
    createdBy: "the base chart",
  };
}

/** The service-account token Secret that makes the token controller issue a long-lived reader token. */
export function readerTokenSecret(generation: number): ReturnType<typeof serviceAccountTokenSecret> {
  return serviceAccountTokenSecret(readerTokenAccount(generation));
}

/** The reader token from a token Secret's `data` (base64), decoded; throws when the controller has not filled it. */
export function decodeReaderToken(data: Record<string, string> | undefined, generation: number): string {
  return decodeServiceAccountToken(data, readerTokenAccount(generation), "ReaderToken");
}

/** Arguments of {@link ReaderToken}. */
export interface ReaderTokenArgs {
  /** Provider of the cluster whose API the token grants read access to (this cluster). */
  provider: k8s.Provider;
  /**
   * The token's generation (`burstmesh:readerTokenGeneration`): raising it issues a new token and
   * revokes the old one, as `remove-member` does for the tokens a removed member held.
   */
  generation: number;
}

/**
 * A long-lived token of `istio-reader-service-account` in this cluster, for peers' istiods to watch
 * this cluster's services and endpoints (the half of the remote-secret mechanism that lives in the
 * cluster being read). Since Kubernetes 1.24 no chart creates this token Secret, so this does.
 *
 * The service account comes from the `base` chart: pass `dependsOn` the IstioPrimary's `base` (the
 * token controller deletes a token Secret whose service account does not exist). How the token is
 * issued and read back: {@link issueServiceAccountToken}.
 */
export class ReaderToken extends pulumi.ComponentResource {
  /** The reader service account's token, decoded (a JWT); a Pulumi secret. */
  public readonly token: pulumi.Output<string>;

  constructor(name: string, args: ReaderTokenArgs, opts?: pulumi.ComponentResourceOptions) {
    super("burstmesh:mesh:ReaderToken", name, {}, opts);
    this.token = issueServiceAccountToken(name, readerTokenAccount(args.generation), {
      parent: this,
      component: "ReaderToken",
      provider: args.provider,
      dependsOn: opts?.dependsOn,
    });

    this.registerOutputs({ token: this.token });
  }
}
