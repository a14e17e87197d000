import { strict as assert } from "node:assert";
import { parseServiceConfig, ServiceSettings } from "../config";
import { versionHeader } from "../config/versions";
import { overflowObjects, trafficPolicy } from "../components/traffic/serviceSpecs";
import { serviceObjects, versionedDestinationRule, versionedVirtualService, versionLabel } from "../components/traffic/versions";
import { istioSchemaErrors, skipWithoutReference } from "./support/istioReference";
import { ofType, reveal, runStack, StackRun, stackRef } from "./support/harness";
import { published, sharedBootstrap } from "./support/bootstrap";
import { withConfig } from "./support/stackFiles";

const members = ["eks", "aks"];

/** Seed 003: bookinfo's reviews, v1 in the home cluster, v2 and v3 in the other one. */
const reviews = {
  name: "reviews",
  homeCluster: "eks",
  capacity: { maxConcurrentRequests: 16, maxPendingRequests: 8 },
  versions: [
    { name: "v1", image: "docker.io/istio/examples-bookinfo-reviews-v1:1.20.3", clusters: ["eks"], weight: 80 },
    { name: "v2", image: "docker.io/istio/examples-bookinfo-reviews-v2:1.20.3", clusters: ["aks"], weight: 20 },
    { name: "v3", image: "docker.io/istio/examples-bookinfo-reviews-v3:1.20.3", clusters: ["aks"], weight: 0 },
  ],
};

function parse(service: Record<string, unknown>): ServiceSettings {
  const result = parseServiceConfig([service], undefined, { members });
  assert.ok(result.ok, result.ok ? "" : result.issues.join("\n"));
  return result.services[0]!;
}

function issuesOf(service: Record<string, unknown>): string {
  const result = parseServiceConfig([service], undefined, { members });
  assert.ok(!result.ok, "the config should be rejected");
  return result.issues.join("\n");
}

const withVersions = (changes: (versions: typeof reviews.versions) => unknown) => ({
  ...reviews,
  versions: changes(structuredClone(reviews.versions)),
});

describe("versions across clusters", () => {
  describe("config", () => {
    it("reads versions and routes the version header to every version by its name by default", () => {
      const service = parse(reviews);
      assert.deepEqual(
        service.versions?.map((version) => [version.name, version.clusters, version.weight]),
        [
          ["v1", ["eks"], 80],
          ["v2", ["aks"], 20],
          ["v3", ["aks"], 0],
        ],
      );
      assert.deepEqual(service.headerRoutes, { v1: "v1", v2: "v2", v3: "v3" });
    });

    it("keeps configured header routes as they are", () => {
      assert.deepEqual(parse({ ...reviews, headerRoutes: { canary: "v3" } }).headerRoutes, { canary: "v3" });
    });

    it("leaves a service without versions as it was", () => {
      const service = parse({ name: "podinfo", homeCluster: "eks", capacity: reviews.capacity });
      assert.equal(service.versions, undefined);
      assert.equal(service.headerRoutes, undefined);
    });

    const cases: [string, Record<string, unknown>, RegExp][] = [
      [
        "weights that do not sum to 100",
        withVersions((v) => v.map((version) => ({ ...version, weight: 10 }))),
        /burstmesh:services\[0\]\.versions: weights must sum to 100 \(got 30\)/,
      ],
      [
        "a cluster that is not a member",
        withVersions((v) => [v[0], { ...v[1]!, clusters: ["gke"] }, v[2]]),
        /burstmesh:services\[0\]\.versions\[1\]\.clusters\[0\]: 'gke' is not one of burstmesh:members \(eks, aks\)/,
      ],
      [
        "a home cluster that runs no version",
        withVersions((v) => v.map((version) => ({ ...version, clusters: ["aks"] }))),
        /burstmesh:services\[0\]\.versions: the home cluster 'eks' runs none of the versions/,
      ],
      [
        "a header route to a version that does not exist",
        { ...reviews, headerRoutes: { canary: "v4" } },
        /burstmesh:services\[0\]\.headerRoutes\.canary: names version 'v4', which is not one of the versions \(v1, v2, v3\)/,
      ],
      [
        "header routes without versions",
        { ...reviews, versions: undefined, headerRoutes: { v2: "v2" } },
        /burstmesh:services\[0\]\.headerRoutes: applies only to a service with versions/,
      ],
      [
        "a version named twice",
        withVersions((v) => [v[0], { ...v[1]!, name: "v1" }, v[2]]),
        /burstmesh:services\[0\]\.versions\[1\]\.name: names version 'v1' twice/,
      ],
      [
        "a weight above 100",
        withVersions((v) => [{ ...v[0]!, weight: 180 }, v[1], v[2]]),
        /burstmesh:services\[0\]\.versions\[0\]\.weight: must be between 0 and 100/,
      ],
      [
        "a version without clusters",
        withVersions((v) => [{ ...v[0]!, clusters: [] }, v[1], v[2]]),
        /burstmesh:services\[0\]\.versions\[0\]\.clusters: must list at least one member cluster/,
      ],
      [
        "a version without an image",
        withVersions((v) => [{ ...v[0]!, image: "" }, v[1], v[2]]),
        /burstmesh:services\[0\]\.versions\[0\]\.image: must name a container image/,
      ],
      [
        "a version name that is no label",
        withVersions((v) => [{ ...v[0]!, name: "V 1" }, v[1], v[2]]),
        /burstmesh:services\[0\]\.versions\[0\]\.name: must be a DNS-1123 label/,
      ],
      ["an empty list", { ...reviews, versions: [] }, /burstmesh:services\[0\]\.versions: must list at least one version/],
    ];
    for (const [what, service, message] of cases) {
      it(`rejects ${what}, naming the key`, () => assert.match(issuesOf(service), message));
    }
  });

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

    it("validates against Istio 1.30.3's CRD schemas", function () {
      skipWithoutReference(this);
      for (const object of [versionedDestinationRule(service), versionedVirtualService(service)]) {
        assert.deepEqual(istioSchemaErrors(object), [], `${object.kind}`);
      }
    });
  });

  describe("in a cluster stack under mocks", function () {
    this.timeout(60_000);
    let eks: StackRun;

    before(async () => {
      const bootstrap = await sharedBootstrap();
      eks = await runStack({
        stack: "eks",
        config: withConfig("eks", { "burstmesh:services": [reviews], "burstmesh:drill": { enabled: false, service: "reviews" } }),
        published: { [stackRef("trust")]: published(bootstrap.trust) },
      });
    });

    it("creates one Deployment, HPA and PDB per version that runs in the cluster, and the versioned routing", () => {
      const names = (type: string) => ofType(eks, type).map((r) => reveal<{ metadata: { name: string } }>(r.inputs).metadata.name);
      assert.deepEqual(names("kubernetes:apps/v1:Deployment"), ["reviews-v1"]);
      assert.deepEqual(names("kubernetes:autoscaling/v2:HorizontalPodAutoscaler"), ["reviews-v1"]);
      assert.deepEqual(names("kubernetes:policy/v1:PodDisruptionBudget"), ["reviews-v1"]);
      const rule = reveal<{ spec: { subsets: { name: string }[] } }>(
        ofType(eks, "kubernetes:networking.istio.io/v1:DestinationRule")[0]!.inputs,
      );
      assert.deepEqual(
        rule.spec.subsets.map((subset) => subset.name),
        ["v1", "v2", "v3"],
      );
    });
  });
});
