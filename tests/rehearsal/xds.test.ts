import { strict as assert } from "node:assert";
import { parseServiceConfig } from "../../config";
import { serviceObjects } from "../../components/traffic/servicePolicy";
import { serviceEnvoyConfig } from "../../model/configDump";
import { modeOf, trimDump } from "../../rehearsal/xds";
import { recordedServices } from "../support/xdsDumps";

describe("rehearsal/xds: the dumps of istiod's config, and the fixtures made of them", () => {
  it("keeps of a dump the service's outbound and inbound clusters, its endpoints and its route, and nothing else", () => {
    for (const fixture of Object.values(recordedServices())) {
      const trimmed = trimDump(fixture.dump, fixture.host, fixture.port);
      assert.deepEqual(trimmed, fixture.dump, `${fixture.service}: the fixture is a trimmed dump already`);
      const clusters = (
        trimmed.configs!.find((config) => String(config["@type"]).endsWith("ClustersConfigDump"))!.dynamic_active_clusters as {
          cluster: { name: string };
        }[]
      ).map((entry) => entry.cluster.name);
      assert.deepEqual(clusters.sort(), [`inbound|${fixture.port}||`, `outbound|${fixture.port}||${fixture.host}`]);
      const withOthers = { configs: [...trimmed.configs!, { "@type": "type.googleapis.com/envoy.admin.v3.ListenersConfigDump" }] };
      assert.deepEqual(trimDump(withOthers, fixture.host, fixture.port), trimmed, "listeners are left out");
      assert.deepEqual(
        serviceEnvoyConfig(trimmed, trimmed, fixture.host, fixture.port).cluster,
        `outbound|${fixture.port}||${fixture.host}`,
      );
    }
  });

  it("tells each mode from the objects the program builds for it", () => {
    const members = ["eks", "aks"];
    const parsed = parseServiceConfig(
      [
        { name: "a", homeCluster: "eks", capacity: { maxConcurrentRequests: 8 } },
        { name: "b", homeCluster: "eks", mode: "failover" },
        { name: "c", homeCluster: "eks", mode: "distribute", distribute: { eks: 50, aks: 50 } },
      ],
      undefined,
      { members },
    );
    if (!parsed.ok) throw new Error(parsed.issues.join("\n"));
    assert.deepEqual(
      parsed.services.map((service) => modeOf(serviceObjects(service, members).home)),
      ["overflow", "failover", "distribute"],
    );
  });
});
