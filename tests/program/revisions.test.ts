import { strict as assert } from "node:assert";
import { published, sharedBootstrap } from "../support/bootstrap";
import { type PublishedStack, reveal, runStack, stackRef, type StackRun } from "../support/harness";
import { withConfig } from "../support/stackFiles";
import { k8sObject } from "../support/k8s";
import { revisionTagWebhook } from "../../components/mesh/revisionTags";

const older = { revisions: [{ version: "1.30.4" }] };
const both = { revisions: [{ version: "1.30.4" }, { version: "1.30.8" }] };

function helmRelease(run: StackRun, releaseName: string) {
  const found = run.resources.filter(
    (r) => r.type === "kubernetes:helm.sh/v3:Release" && reveal<{ name?: string }>(r.inputs).name === releaseName,
  );
  assert.equal(found.length, 1, `release ${releaseName}`);
  return found[0]!;
}

const inputsOf = (run: StackRun, type: string, name: string) =>
  reveal(run.resources.find((r) => r.type === type && r.name === name)!.inputs);

describe("Istio revisions under mocks: one step of an upgrade per deployment", function () {
  this.timeout(60_000);
  let others: Record<string, PublishedStack>;
  let first: StackRun;
  let added: StackRun;

  const run = (istio: unknown, self?: StackRun | PublishedStack) =>
    runStack({
      stack: "eks",
      config: withConfig("eks", { "burstmesh:istio": istio }),
      published: { ...others, ...(self ? { [stackRef("eks")]: "resources" in self ? published(self) : self } : {}) },
    });

  before(async () => {
    const bootstrap = await sharedBootstrap();
    others = { [stackRef("trust")]: published(bootstrap.trust), [stackRef("aks")]: published(bootstrap.first.aks) };
    first = await run(older);
    added = await run(both, first);
  });

  it("adds the new istiod as a release of its own beside the old one, which stays exactly as it was", () => {
    const old = helmRelease(first, "istiod-1-30-4");
    assert.deepEqual(helmRelease(added, "istiod-1-30-4").inputs, old.inputs);
    const next = reveal<{ version: string; values: { revision: string } }>(helmRelease(added, "istiod-1-30-8").inputs);
    assert.equal(next.version, "1.30.8");
    assert.equal(next.values.revision, "1-30-8");
  });

  it("never replaces base (an in-place chart upgrade to the newest revision's CRDs), the cacerts or the remote secrets", () => {
    const [baseBefore, baseAfter] = [first, added].map((r) => helmRelease(r, "istio-base"));
    assert.equal(baseAfter!.name, baseBefore!.name);
    const [b, a] = [baseBefore, baseAfter].map((r) => reveal<Record<string, unknown>>(r!.inputs));
    assert.deepEqual({ ...a, version: undefined }, { ...b, version: undefined });
    assert.deepEqual([b!.version, a!.version], ["1.30.4", "1.30.8"]);
    const cacerts = (r: StackRun) => k8sObject(r, "kubernetes:core/v1:Secret", "cacerts").inputs;
    assert.deepEqual(reveal(cacerts(added)), reveal(cacerts(first)));
    assert.deepEqual(
      inputsOf(added, "kubernetes:core/v1:Secret", "peer-aks-secret"),
      inputsOf(first, "kubernetes:core/v1:Secret", "peer-aks-secret"),
    );
  });

  it("never changes meshPeer, and publishes the revisions and where the tags point", () => {
    assert.deepEqual(added.outputs.meshPeer, first.outputs.meshPeer);
    assert.deepEqual(added.outputs.istio!.value, {
      revisions: [
        { name: "1-30-4", version: "1.30.4" },
        { name: "1-30-8", version: "1.30.8" },
      ],
      tags: { stable: "1-30-4" },
      gateway: "1-30-4",
    });
  });

  it("keeps the stable tag's webhook, the default revision and the gateway on the old revision until they are moved", () => {
    const webhook = (r: StackRun) =>
      inputsOf(r, "kubernetes:admissionregistration.k8s.io/v1:MutatingWebhookConfiguration", "istio-tag-stable");
    assert.deepEqual(webhook(added), revisionTagWebhook("stable", "1-30-4"));
    assert.deepEqual(webhook(added), webhook(first));
    assert.equal(reveal<{ values: { defaultRevision: string } }>(helmRelease(added, "istio-base").inputs).values.defaultRevision, "1-30-4");
    const gateway = reveal<{ version: string; values: { revision: string } }>(helmRelease(added, "istio-eastwestgateway").inputs);
    assert.deepEqual([gateway.version, gateway.values.revision], ["1.30.4", "stable"]);
  });

  it("moves the tag in place: the same webhook, pointing at the new revision's istiod", async () => {
    const moved = await run({ ...both, tags: { stable: "1-30-8" }, gateway: "1-30-4" }, added);
    const webhook = reveal<{ webhooks: { clientConfig: { service: { name: string } } }[]; metadata: { labels: Record<string, string> } }>(
      moved.resources.find((r) => r.name === "istio-tag-stable")!.inputs,
    );
    assert.deepEqual(
      webhook.webhooks.map((w) => w.clientConfig.service.name),
      ["istiod-1-30-8", "istiod-1-30-8"],
    );
    assert.equal(webhook.metadata.labels["istio.io/rev"], "1-30-8");
  });

  it("refuses an edited istioVersion that would swap istiod at once, before creating anything", async () => {
    const edited = runStack({
      stack: "eks",
      config: withConfig("eks", {}),
      published: { ...others, [stackRef("eks")]: published(first) },
    });
    await assert.rejects(edited, (error: Error & { resources: { type: string }[] }) => {
      assert.match(error.message, /would remove istiod revision 1-30-4 and add 1-30-8 in one deployment.*npm run mesh -- upgrade --to/s);
      assert.deepEqual(
        error.resources.map((r) => r.type),
        ["pulumi:pulumi:StackReference"],
        "only its own last outputs read",
      );
      return true;
    });
  });

  it("keeps the non-revisioned istiod of a member deployed before revisions, under its old names", async () => {
    const legacy = published(first);
    const { istio: _dropped, ...outputs } = legacy.outputs;
    const run = await runStack({
      stack: "eks",
      config: withConfig("eks", {}),
      published: { ...others, [stackRef("eks")]: { ...legacy, outputs } },
    });
    const istiod = run.resources.find((r) => r.name === "istio-istiod")!;
    assert.equal(reveal<{ name: string }>(istiod.inputs).name, "istiod");
    assert.equal("revision" in reveal<{ values: object }>(istiod.inputs).values, false);
    assert.deepEqual(run.outputs.istio!.value, {
      revisions: [{ name: "default", version: "1.30.8" }],
      tags: { stable: "default" },
      gateway: "default",
    });
    const webhook = reveal<{ webhooks: { clientConfig: { service: { name: string } } }[] }>(
      run.resources.find((r) => r.name === "istio-tag-stable")!.inputs,
    );
    assert.equal(webhook.webhooks[0]!.clientConfig.service.name, "istiod");
  });
});
