/**
 * `npm run fetch-chart-schemas`: downloads the pinned charts (components/charts/pinned.ts, and Istio's at
 * `burstmesh:istioVersion`) from their Helm repositories into `.chart-schemas/` (not committed), where
 * the tests check against them:
 * - the `values.schema.json` of each observability chart that publishes one;
 * - Istio's CRD schemas (`base/files/crd-all.gen.yaml`), the default values of `base`, `istiod` and
 *   `gateway`, and the gateway chart's values schema, in `.chart-schemas/istio-<version>/`.
 * Needs network access to the chart repositories; without it those tests skip, saying so.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { gunzipSync } from "node:zlib";
import { parse as parseYaml } from "yaml";
import { istioChartRepo, observabilityCharts, PinnedChart } from "../components/charts/pinned";
import { projectDefaults, projectName } from "../config/projectFile";

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
  const response = await fetch(url);
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

async function fetchSchema(chart: PinnedChart): Promise<string> {
  const schema = tarFile(await chartArchive(chart), `${chart.chart}/values.schema.json`);
  if (!schema) return `${chart.chart} ${chart.version}: publishes no values schema`;
  const file = path.join(outputDirectory, `${chart.chart}-${chart.version}.values.schema.json`);
  fs.mkdirSync(outputDirectory, { recursive: true });
  fs.writeFileSync(file, schema);
  return `${chart.chart} ${chart.version}: ${path.relative(process.cwd(), file)}`;
}

/** Istio's files, under the names tests/support/istioReference.ts reads, per chart: file in the archive -> kept as. */
const istioFiles: Record<string, Record<string, string>> = {
  base: { "base/files/crd-all.gen.yaml": "crd-all.gen.yaml", "base/values.yaml": "base.values.yaml" },
  istiod: { "istiod/values.yaml": "istiod.values.yaml" },
  gateway: { "gateway/values.yaml": "gateway.values.yaml", "gateway/values.schema.json": "gateway.values.schema.json" },
};

async function fetchIstio(version: string): Promise<string[]> {
  const directory = path.join(outputDirectory, `istio-${version}`);
  const kept: string[] = [];
  for (const [chart, files] of Object.entries(istioFiles)) {
    const archive = await chartArchive({ chart, version, repo: istioChartRepo });
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

async function main(): Promise<void> {
  const istioVersion = String(projectDefaults()[`${projectName}:istioVersion`]);
  const jobs: [string, () => Promise<string | string[]>][] = [
    ...Object.values(observabilityCharts).map((chart): [string, () => Promise<string>] => [
      `${chart.chart} ${chart.version}`,
      () => fetchSchema(chart),
    ]),
    [`istio ${istioVersion}`, () => fetchIstio(istioVersion)],
  ];
  let failed = false;
  for (const [name, job] of jobs) {
    try {
      console.log([await job()].flat().join("\n"));
    } catch (error) {
      failed = true;
      console.error(`${name}: ${(error as Error).message}`);
    }
  }
  process.exitCode = failed ? 1 : 0;
}

void main();
