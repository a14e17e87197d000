/**
 * Revision tags as objects Pulumi owns: one MutatingWebhookConfiguration per tag, rendered as Istio
 * 1.30's istiod chart renders `revisionTags` (templates/revision-tags-mwc.yaml), so that moving a tag
 * is an in-place update of its webhook's Service and labels, and no pod starts without a sidecar.
 *
 * The webhook's `caBundle` is left out: the istiod of the revision it names (label `istio.io/rev`)
 * patches it in, as it does its own injector's; every revision signs with the same `cacerts`, so the
 * bundle stays valid across a move. The chart's tag Service (`istiod-revision-tag-<tag>`) serves
 * remote clusters of a primary-remote mesh, which burstmesh does not build.
 */
import type * as k8s from "@pulumi/kubernetes";
import { istioNamespace } from "../../model/namespaces";
import { istiodServiceName, type RevisionTag } from "../../model/istioRevisions";

type MatchExpression = { key: string; operator: "In" | "NotIn" | "DoesNotExist"; values?: string[] };

/** The injector webhook the chart's `core` template renders, with its selectors. */
function injector(prefix: string, revision: string, namespaceSelector: MatchExpression[], objectSelector: MatchExpression[]) {
  return {
    name: `${prefix}sidecar-injector.istio.io`,
    clientConfig: { service: { name: istiodServiceName(revision), namespace: istioNamespace, path: "/inject", port: 443 } },
    sideEffects: "None",
    rules: [{ operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"] }],
    failurePolicy: "Fail",
    reinvocationPolicy: "Never",
    admissionReviewVersions: ["v1"],
    namespaceSelector: { matchExpressions: namespaceSelector },
    objectSelector: { matchExpressions: objectSelector },
  };
}

const notOptedOut: MatchExpression = { key: "sidecar.istio.io/inject", operator: "NotIn", values: ["false"] };

/**
 * The webhook of `tag` pointing at `revision`: pods of namespaces labelled `istio.io/rev: <tag>`
 * (without `istio-injection`), and pods labelled so in namespaces without either label, go to that
 * revision's injector. The labels are the chart's, with `app: sidecar-injector`, which the doctor
 * and `istioctl tag list` find injectors by.
 */
export function revisionTagWebhook(tag: RevisionTag, revision: string) {
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "MutatingWebhookConfiguration",
    metadata: {
      name: `istio-revision-tag-${tag}`,
      labels: {
        "istio.io/tag": tag,
        "istio.io/rev": revision,
        app: "sidecar-injector",
        "app.kubernetes.io/name": "istiod",
        "app.kubernetes.io/part-of": "burstmesh",
      },
    },
    webhooks: [
      injector(
        "rev.namespace.",
        revision,
        [
          { key: "istio.io/rev", operator: "In", values: [tag] },
          { key: "istio-injection", operator: "DoesNotExist" },
        ],
        [notOptedOut],
      ),
      injector(
        "rev.object.",
        revision,
        [
          { key: "istio.io/rev", operator: "DoesNotExist" },
          { key: "istio-injection", operator: "DoesNotExist" },
        ],
        [notOptedOut, { key: "istio.io/rev", operator: "In", values: [tag] }],
      ),
    ],
  } satisfies k8s.types.input.admissionregistration.v1.MutatingWebhookConfiguration;
}
