/** `npm run fetch-chart-schemas`: what it downloads, where to, and what happens without it: {@link USAGE}. */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { gunzipSync } from "node:zlib";
import { parse as parseYaml } from "yaml";
import { istioChartRepo, observabilityCharts, PinnedChart } from "../components/charts/pinned";
import type { ChartName } from "../config/charts";
import { projectDefaults, projectName } from "../config/projectFile";
import { loadPins, toolchainStatus } from "../rehearsal/toolchain/build";

const USAGE = `Usage: npm run fetch-chart-schemas [-- --from-toolchain | --help]

Downloads the pinned charts (components/charts/pinned.ts, and Istio's at burstmesh:istioVersion)
from their Helm repositories into .chart-schemas/ (git-ignored), where npm test checks against them:
  - the values.schema.json of each observability chart that publishes one;
  - Istio's CRD schemas (base/files/crd-all.gen.yaml), the default values of base, istiod and
    gateway, and the gateway chart's values schema, in .chart-schemas/istio-<version>/.
Needs network access to the chart repositories. Without a file the tests that need it skip, and
npm test names them at its end. Exits 1 when a download failed, naming its URL.

--from-toolchain: offline, Istio's files only, from the rehearsal toolchain's charts (exported from
  the Istio Go module it pins; npm run rehearse -- --build) into .chart-schemas/istio-<its version>/.
  The reference tests use them when the pinned release's own files are absent, and say which.`;

const outputDirectory = path.join(__dirname, "..", ".chart-schemas");

interface RepositoryIndex {
  entries?: Record<string, { version: string; urls: string[] }[]>;
}

/** The file `name` of a tar archive, or undefined (ustar: 512-byte headers, octal sizes, data padded to 512). */
function tarFile(archive: Buffer, name: string): Buffer | undefined {
  for (let offset = 0; offset + 512 <= archive.length;) {
    const header = archive.subarray(offset, offset + 512);
    const field = (start: number, length: number) =>
      header
        .subarray(start, start + length)
        .toString("utf8")
        .replace(/\0.*$/s, "");
    const entryName = [field(345, 155), field(0, 100)].filter(Boolean).join("/");
    if (entryName === "") return undefined;
    const size = parseInt(field(124, 12).trim() || "0", 8);
    if (entryName === name) return archive.subarray(offset + 512, offset + 512 + size);
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return undefined;
}

async function download(url: string): Promise<Buffer> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    // Node's fetch rejects with just "fetch failed"; what went wrong (DNS, refused, TLS) is its cause.
    const { cause, message } = error as Error;
    throw new Error(`GET ${url}: ${cause instanceof Error ? cause.message : message}`);
  }
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
  return Buffer.from(await response.arrayBuffer());
}

/** The chart's archive, unpacked from gzip (a tar). */
async function chartArchive(chart: PinnedChart): Promise<Buffer> {
  const index = parseYaml((await download(`${chart.repo}/index.yaml`)).toString("utf8")) as RepositoryIndex;
  const release = index.entries?.[chart.chart]?.find((entry) => entry.version === chart.version);
  if (!release?.urls[0]) throw new Error(`${chart.repo} has no ${chart.chart} ${chart.version}`);
  return gunzipSync(await download(new URL(release.urls[0], `${chart.repo}/`).toString()));
}

async function fetchSchema(chart: PinnedChart): Promise<string[]> {
  const schema = tarFile(await chartArchive(chart), `${chart.chart}/values.schema.json`);
  if (!schema) return [`${chart.chart} ${chart.version}: publishes no values schema`];
  const file = path.join(outputDirectory, `${chart.chart}-${chart.version}.values.schema.json`);
  fs.mkdirSync(outputDirectory, { recursive: true });
  fs.writeFileSync(file, schema);
  return [`${chart.chart} ${chart.version}: ${path.relative(process.cwd(), file)}`];
}

/** Istio's files, under the names tests/support/istioReference.ts reads, per chart: file in the archive -> kept as. */
const istioFiles: [ChartName, Record<string, string>][] = [
  ["base", { "base/files/crd-all.gen.yaml": "crd-all.gen.yaml", "base/values.yaml": "base.values.yaml" }],
  ["istiod", { "istiod/values.yaml": "istiod.values.yaml", "istiod/templates/revision-tags-mwc.yaml": "istiod.revision-tags-mwc.yaml" }],
  ["gateway", { "gateway/values.yaml": "gateway.values.yaml", "gateway/values.schema.json": "gateway.values.schema.json" }],
];

async function fetchIstio(
  version: string,
  archiveOf: (chart: ChartName) => Promise<Buffer> = (chart) => chartArchive({ chart, version, repo: istioChartRepo }),
): Promise<string[]> {
  const directory = path.join(outputDirectory, `istio-${version}`);
  const kept: string[] = [];
  for (const [chart, files] of istioFiles) {
    const archive = await archiveOf(chart);
    for (const [inArchive, keptAs] of Object.entries(files)) {
      const content = tarFile(archive, inArchive);
      if (!content) throw new Error(`${chart} ${version} has no ${inArchive}`);
      fs.mkdirSync(directory, { recursive: true });
      fs.writeFileSync(path.join(directory, keptAs), content);
      kept.push(`istio ${version}: ${path.relative(process.cwd(), path.join(directory, keptAs))}`);
    }
  }
  return kept;
}

/** One download, and what the tests cannot check without it. */
interface Job {
  name: string;
  run: () => Promise<string[]>;
  withoutIt: string;
}

async function main(argv: string[]): Promise<number> {
  let options: { help?: boolean; "from-toolchain"?: boolean };
  try {
    options = parseArgs({ args: argv, options: { help: { type: "boolean", short: "h" }, "from-toolchain": { type: "boolean" } } }).values;
  } catch (error) {
    console.error(`fetch-chart-schemas: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  if (options["from-toolchain"]) return fromToolchain();
  const istioVersion = String(projectDefaults()[`${projectName}:istioVersion`]);
  const jobs: Job[] = [
    ...Object.values(observabilityCharts).map((chart) => ({
      name: `${chart.chart} ${chart.version}`,
      run: () => fetchSchema(chart),
      withoutIt: `the test of the ${chart.chart} values against the chart's values schema skips (where it publishes one)`,
    })),
    { name: `istio ${istioVersion}`, run: () => fetchIstio(istioVersion), withoutIt: `the Istio ${istioVersion} reference tests skip` },
  ];
  const failed: Job[] = [];
  for (const job of jobs) {
    try {
      console.log((await job.run()).join("\n"));
    } catch (error) {
      failed.push(job);
      console.error(`${job.name}: ${(error as Error).message}`);
    }
  }
  if (failed.length === 0) return 0;
  console.error(
    `fetch-chart-schemas: ${failed.length} of ${jobs.length} downloads failed (no network access to the chart repositories?); until they succeed:\n` +
      failed.map((job) => `  - ${job.withoutIt}`).join("\n"),
  );
  return 1;
}

/** Istio's reference files from the rehearsal toolchain's charts, which come from the Istio Go module. */
async function fromToolchain(): Promise<number> {
  const pins = loadPins();
  const status = toolchainStatus(pins);
  const version = pins.pins.tools.istio?.stampedAs;
  const charts = path.join(status.dir, "charts");
  if (!version || !fs.existsSync(charts)) {
    console.error(`fetch-chart-schemas: the rehearsal toolchain has no charts in ${charts}; build it with npm run rehearse -- --build`);
    return 1;
  }
  const kept = await fetchIstio(version, async (chart) => gunzipSync(fs.readFileSync(path.join(charts, `${chart}-${version}.tgz`))));
  console.log(kept.join("\n"));
  return 0;
}

void main(process.argv.slice(2)).then((code) => (process.exitCode = code));
