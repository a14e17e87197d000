import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { checkedFor } from "../invariant";

/**
 * Long-lived service-account tokens for other clusters' readers (istiod's remote secrets, Kiali).
 * Since Kubernetes 1.24 no controller creates a token Secret for a service account by itself: a
 * Secret of type `kubernetes.io/service-account-token` annotated with the account's name makes the
 * token controller fill `data.token`, asynchronously.
 */

/** The service account a token is issued for, the token Secret's name, and where the account comes from. */
export interface TokenAccount {
  namespace: string;
  serviceAccount: string;
  secretName: string;
  /** What creates the service account (a chart), for the error when no token appears. */
  createdBy: string;
}

/** The token Secret that makes the token controller issue a long-lived token for the account. */
export function serviceAccountTokenSecret(account: TokenAccount): {
  metadata: { name: string; namespace: string; annotations: Record<string, string> };
  type: string;
} {
  return {
    metadata: {
      name: account.secretName,
      namespace: account.namespace,
      annotations: { "kubernetes.io/service-account.name": account.serviceAccount },
    },
    type: "kubernetes.io/service-account-token",
  };
}

/** The token from a token Secret's `data` (base64), decoded; throws when the controller has not filled it. */
export function decodeServiceAccountToken(data: Record<string, string> | undefined, account: TokenAccount, component: string): string {
  const encoded = data?.token;
  const token = encoded ? Buffer.from(encoded, "base64").toString("utf8") : "";
  if (!token) {
    throw new Error(
      `${component}: ${account.namespace}/${account.secretName} has no data.token. The token controller fills it once the ` +
        `service account ${account.serviceAccount} exists (it comes from ${account.createdBy}); run 'pulumi up' again.`,
    );
  }
  return token;
}

/**
 * Creates the account's token Secret as a child of `parent` and reads the token back from the
 * cluster; returns it decoded, as a Pulumi secret.
 *
 * The Kubernetes provider (>= 3.20) already waits for the token: its create awaiter for
 * `kubernetes.io/service-account-token` Secrets polls until `data` is non-empty, and fails the create
 * after 5 s otherwise. That 5 s is fixed in the provider's awaiter: `customTimeouts` and the
 * `pulumi.com/timeoutSeconds` annotation do not lengthen it. A create that fails this way leaves the
 * Secret in the state with an initialization error, and the next `pulumi up` updates it and waits for
 * its data again (README, "Troubleshooting"). The read's ID waits on the created Secret's `data`, so a preview of a Secret
 * that does not exist yet skips the read instead of failing, and a read that still finds no token
 * fails with what to do rather than handing out an empty token.
 */
export function issueServiceAccountToken(
  name: string,
  account: TokenAccount,
  options: {
    /** The component that owns the Secret and the read, named in the error. */
    parent: pulumi.ComponentResource;
    component: string;
    provider: k8s.Provider;
    dependsOn?: pulumi.Input<pulumi.Input<pulumi.Resource>[]> | pulumi.Input<pulumi.Resource>;
  },
): pulumi.Output<string> {
  const child = { parent: options.parent, provider: options.provider };
  // Replaced by deleting it first: the replacement has the same name, and one created before the
  // original is deleted is the original, deleted with it (found by the rehearsal's remove-member,
  // which replaces it to re-issue the token).
  const secret = new k8s.core.v1.Secret(`${name}-secret`, serviceAccountTokenSecret(account), {
    ...child,
    dependsOn: options.dependsOn,
    deleteBeforeReplace: true,
  });
  const id = pulumi.unsecret(secret.data.apply(() => `${account.namespace}/${account.secretName}`));
  const readBack = k8s.core.v1.Secret.get(`${name}-read`, id, { ...child, dependsOn: [secret] });
  return pulumi.secret(
    readBack.data.apply((data) => checkedFor(options.parent, () => decodeServiceAccountToken(data, account, options.component))),
  );
}
