import { strict as assert } from "node:assert";
import { versionHeader } from "../../../config/versions";
import { overflowObjects, trafficPolicy } from "../../../components/traffic/serviceSpecs";
import { serviceObjects, versionedDestinationRule, versionedVirtualService, versionLabel } from "../../../components/traffic/versions";
import { istioSchemaErrors, skipWithoutReference } from "../../support/istioReference";
import { reviews, parse } from "../../support/versions";

describe("components/traffic/versions: versions across clusters", () => {
  describe("objects", () => {
    const service = parse(reviews);
    const at = (clusterName: string) =>
      serviceObjects(service, overflowObjects(service, { clusterName, region: "eu-central-1" }), clusterName);

    it("runs each version only in the clusters it lists, with its image and version label", () => {
      const shape = (clusterName: string) =>
        at(clusterName).workloads.map(({ deployment, hpa, pdb }) => {
          const spec = deployment.spec as {
            selector: { matchLabels: Record<string, string> };
            template: { metadata: { labels: Record<string, string> }; spec: { containers: { image: string }[] } };
          };
          return {
            name: (deployment.metadata as { name: string }).name,
            selector: spec.selector.matchLabels,
            labels: spec.template.metadata.labels,
            image: spec.template.spec.containers[0]!.image,
            hpaTarget: (hpa.spec as { scaleTargetRef: { name: string } }).scaleTargetRef.name,
            pdbSelector: (pdb.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels,
          };
        });
      assert.deepEqual(shape("eks"), [
        {
          name: "reviews-v1",
          selector: { app: "reviews", version: "v1" },
          labels: { app: "reviews", version: "v1" },
          image: reviews.versions[0]!.image,
          hpaTarget: "reviews-v1",
          pdbSelector: { app: "reviews", version: "v1" },
        },
      ]);
      assert.deepEqual(
        shape("aks").map((workload) => [workload.name, workload.image]),
        [
          ["reviews-v2", reviews.versions[1]!.image],
          ["reviews-v3", reviews.versions[2]!.image],
        ],
      );
    });

    it("gives every cluster the same Service, Sidecar and routing: one subset per version, by the version label", () => {
      assert.deepEqual({ ...at("eks"), workloads: [] }, { ...at("aks"), workloads: [] });
      const rule = versionedDestinationRule(service);
      assert.deepEqual(
        rule.spec.subsets?.map((subset) => [subset.name, subset.labels]),
        [
          ["v1", { [versionLabel]: "v1" }],
          ["v2", { [versionLabel]: "v2" }],
          ["v3", { [versionLabel]: "v3" }],
        ],
      );
    });

    it("gives every subset the service's whole traffic policy, locality settings included, so overflow stays within a version", () => {
      for (const subset of versionedDestinationRule(service).spec.subsets!) {
        assert.deepEqual(subset.trafficPolicy, trafficPolicy(service));
        assert.equal(subset.trafficPolicy?.loadBalancer?.localityLbSetting?.enabled, true);
        assert.ok(subset.trafficPolicy?.outlierDetection, "outlier detection, without which Istio turns locality load balancing off");
      }
    });

    it("routes the version header to one subset first, then splits the rest by weight, with the service's retries on every route", () => {
      const spec = versionedVirtualService(service).spec;
      const host = "reviews.reviews.svc.cluster.local";
      assert.deepEqual(
        spec.http!.map((route) => [route.match?.[0]?.headers, route.route]),
        [
          [{ [versionHeader]: { exact: "v1" } }, [{ destination: { host, port: { number: 9898 }, subset: "v1" } }]],
          [{ [versionHeader]: { exact: "v2" } }, [{ destination: { host, port: { number: 9898 }, subset: "v2" } }]],
          [{ [versionHeader]: { exact: "v3" } }, [{ destination: { host, port: { number: 9898 }, subset: "v3" } }]],
          [
            undefined,
            [
              { destination: { host, port: { number: 9898 }, subset: "v1" }, weight: 80 },
              { destination: { host, port: { number: 9898 }, subset: "v2" }, weight: 20 },
            ],
          ],
        ],
      );
      const retries = spec.http![3]!.retries;
      assert.equal(retries?.retryRemoteLocalities, true);
      for (const route of spec.http!) assert.deepEqual(route.retries, retries);
    });

    it("builds exactly the single-version objects for a service without versions", () => {
      const plain = parse({ name: "podinfo", homeCluster: "eks", capacity: reviews.capacity });
      const objects = overflowObjects(plain, { clusterName: "eks", region: "eu-central-1" });
      const { deployment, hpa, pdb, ...shared } = objects;
      assert.deepEqual(serviceObjects(plain, objects, "eks"), { ...shared, workloads: [{ deployment, hpa, pdb }] });
    });

    it("validates against the pinned Istio release's CRD schemas", function () {
      skipWithoutReference(this);
      for (const object of [versionedDestinationRule(service), versionedVirtualService(service)]) {
        assert.deepEqual(istioSchemaErrors(object), [], `${object.kind}`);
      }
    });
  });
});
