import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { istioChartRepo, observabilityCharts } from "../../components/charts/pinned";
import { repoRoot } from "../support/stackFiles";
import { stackTrace, tsScript } from "../support/scripts";
describe("scripts/fetch-chart-schemas.ts", () => {
  const offline = path.join(repoRoot, "tests", "support", "offlineFetch.ts");
  let fetchLog: string;
  beforeEach(() => (fetchLog = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "burstmesh-fetch-")), "urls.log")));
  afterEach(() => fs.rmSync(path.dirname(fetchLog), { recursive: true, force: true }));
  const asked = () => (fs.existsSync(fetchLog) ? fs.readFileSync(fetchLog, "utf8").trimEnd().split("\n") : []);

  it("--help prints what it downloads and what skips without it, exits 0 and downloads nothing", () => {
    const run = tsScript("fetch-chart-schemas.ts", ["--help"], [offline], { OFFLINE_FETCH_LOG: fetchLog });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^Usage: npm run fetch-chart-schemas/);
    assert.match(run.stdout, /Without a file the tests that need it skip/);
    assert.deepEqual(asked(), []);
  });

  it("rejects an argument it does not take", () => {
    const run = tsScript("fetch-chart-schemas.ts", ["prometheus"], [offline], { OFFLINE_FETCH_LOG: fetchLog });
    assert.equal(run.status, 2);
    assert.match(run.stderr, /^fetch-chart-schemas: Unexpected argument 'prometheus'/);
    assert.deepEqual(asked(), []);
  });

  it("offline, names each URL that failed and why, says which tests will skip, and exits 1", () => {
    const run = tsScript("fetch-chart-schemas.ts", [], [offline], { OFFLINE_FETCH_LOG: fetchLog });
    assert.equal(run.status, 1, run.stdout);
    const indexes = [...Object.values(observabilityCharts).map((chart) => chart.repo), istioChartRepo].map((repo) => `${repo}/index.yaml`);
    assert.deepEqual(asked(), indexes);
    for (const url of indexes) {
      assert.ok(run.stderr.includes(`: GET ${url}: getaddrinfo ENOTFOUND ${new URL(url).hostname}\n`), url);
    }
    assert.match(run.stderr, /4 of 4 downloads failed \(no network access to the chart repositories\?\); until they succeed:/);
    assert.match(run.stderr, /- the test of the prometheus values against the chart's values schema skips/);
    assert.match(run.stderr, /- the Istio \d+\.\d+\.\d+ reference tests skip\n$/);
    assert.doesNotMatch(run.stderr, stackTrace);
  });
});
