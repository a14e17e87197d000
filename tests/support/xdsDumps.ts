import * as fs from "node:fs";
import * as path from "node:path";
import { serviceEnvoyConfig } from "../../model/configDump";
import type { ClaimContext } from "../../model/trafficClaims";
import type { ServiceFixture } from "../../rehearsal/xds";

const dir = path.join(__dirname, "../fixtures/xds");

/** What the rehearsal's istiod sent a pod of each service in the home member (`npm run rehearse -- fixtures` refreshes them), by service. */
export function recordedServices(): Record<string, ServiceFixture> {
  return Object.fromEntries(
    fs
      .readdirSync(dir)
      .filter((file) => file.endsWith(".json"))
      .map((file) => {
        const fixture = JSON.parse(fs.readFileSync(path.join(dir, file), "utf8")) as ServiceFixture;
        return [fixture.service, fixture];
      }),
  );
}

/** A recorded service's claim context, read from its dump after `change` edits the dump's JSON. */
export function recordedContext(fixture: ServiceFixture, change?: (dump: ServiceFixture["dump"]) => void): ClaimContext {
  const dump = JSON.parse(JSON.stringify(fixture.dump)) as ServiceFixture["dump"];
  change?.(dump);
  return { ...fixture.context, config: serviceEnvoyConfig(dump, dump, fixture.host, fixture.port) };
}
