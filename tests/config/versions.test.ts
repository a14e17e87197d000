import { strict as assert } from "node:assert";
import { parseServiceConfig } from "../../config";
import { members, reviews, parse } from "../support/versions";

function issuesOf(service: Record<string, unknown>): string {
  const result = parseServiceConfig([service], undefined, { members });
  assert.ok(!result.ok, "the config should be rejected");
  return result.issues.join("\n");
}

const withVersions = (changes: (versions: typeof reviews.versions) => unknown) => ({
  ...reviews,
  versions: changes(structuredClone(reviews.versions)),
});
describe("config/versions: versions across clusters", () => {
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
});
