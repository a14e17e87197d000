import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";

/**
 * The Kubernetes provider of a member cluster. Secrets are updated in place
 * (`enableSecretMutable`): by default the provider replaces a Secret whose data changes, and a Secret
 * with a fixed name is replaced by deleting it first. For `cacerts` that would leave a moment with no
 * Secret, in which a starting istiod (its mount is optional) makes a self-signed CA of its own; a new
 * intermediate, a renewal or a rotation phase must instead change the Secret istiod watches. The
 * same holds for the remote secrets istiod watches. The setting is a provider update, not a
 * replacement, for stacks deployed before it.
 */
export function memberProvider(name: string, kubeconfig: pulumi.Input<string>, opts: pulumi.CustomResourceOptions): k8s.Provider {
  return new k8s.Provider(name, { kubeconfig, enableSecretMutable: true }, opts);
}
