import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { revisionTagWebhook } from "../../../components/mesh/revisionTags";
import { referenceDir, referenceVersion, skipWithoutReference } from "../../support/istioReference";

type Webhook = ReturnType<typeof revisionTagWebhook>["webhooks"][number];

/**
 * The selectors Istio's own chart gives a tag's webhook of `prefix` (templates/revision-tags-mwc.yaml):
 * the YAML after the webhook's `include "core"` up to the next template directive, with the tag filled in.
 */
function chartSelectors(template: string, prefix: string, tag: string): unknown {
  const start = template.indexOf(`(dict "Prefix" "${prefix}")`);
  assert.ok(start >= 0, `the template renders a ${prefix} webhook`);
  const body = template.slice(template.indexOf("\n", start) + 1);
  const end = body.search(/^\{\{/m);
  return parseYaml(body.slice(0, end).replaceAll("{{ $tagName }}", tag));
}

describe("components/mesh/revisionTags: a revision tag as Istio renders it", () => {
  it("points both webhooks at the revision's istiod, labelled for it to patch in its CA bundle", () => {
    const webhook = revisionTagWebhook("stable", "1-30-8");
    assert.equal(webhook.metadata.name, "istio-revision-tag-stable");
    assert.deepEqual(webhook.metadata.labels, {
      "istio.io/tag": "stable",
      "istio.io/rev": "1-30-8",
      app: "sidecar-injector",
      "app.kubernetes.io/name": "istiod",
      "app.kubernetes.io/part-of": "burstmesh",
    });
    const webhooks: Webhook[] = webhook.webhooks;
    assert.deepEqual(
      webhooks.map((w) => [w.name, w.clientConfig]),
      ["rev.namespace.sidecar-injector.istio.io", "rev.object.sidecar-injector.istio.io"].map((name) => [
        name,
        { service: { name: "istiod-1-30-8", namespace: "istio-system", path: "/inject", port: 443 } },
      ]),
    );
    assert.ok(
      webhooks.every((w) => w.failurePolicy === "Fail" && !("caBundle" in w.clientConfig)),
      "fails closed; istiod patches the bundle",
    );
    assert.equal(revisionTagWebhook("stable", "default").webhooks![0]!.clientConfig.service!.name, "istiod");
  });

  it(`has the selectors of Istio's chart (revision-tags-mwc.yaml of ${referenceVersion})`, function () {
    skipWithoutReference(this);
    const file = path.join(referenceDir, "istiod.revision-tags-mwc.yaml");
    if (!fs.existsSync(file)) this.skip();
    const template = fs.readFileSync(file, "utf8");
    for (const tag of ["stable", "canary"] as const) {
      const webhooks: Webhook[] = revisionTagWebhook(tag, "1-30-8").webhooks;
      for (const [prefix, webhook] of [
        ["rev.namespace.", webhooks[0]!],
        ["rev.object.", webhooks[1]!],
      ] as const) {
        assert.deepEqual(
          { namespaceSelector: webhook.namespaceSelector, objectSelector: webhook.objectSelector },
          chartSelectors(template, prefix, tag),
          `${tag}: ${prefix}`,
        );
      }
    }
  });
});
