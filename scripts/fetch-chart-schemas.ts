/**
 * `npm run fetch-chart-schemas`: downloads the pinned observability charts (components/observability/
 * charts.ts) from their Helm repositories and keeps the `values.schema.json` of each chart that
 * publishes one in `.chart-schemas/` (not committed), where the tests validate the values against it.
 * Needs network access to the chart repositories; without it the schema tests skip, saying so.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { gunzipSync } from "node:zlib";
import { parse as parseYaml } from "yaml";
import { observabilityCharts, PinnedChart } from "../components/charts";

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

async function fetchSchema(chart: PinnedChart): Promise<string> {
  const index = parseYaml((await download(`${chart.repo}/index.yaml`)).toString("utf8")) as RepositoryIndex;
  const release = index.entries?.[chart.chart]?.find((entry) => entry.version === chart.version);
  if (!release?.urls[0]) throw new Error(`${chart.repo} has no ${chart.chart} ${chart.version}`);
  const archive = gunzipSync(await download(new URL(release.urls[0], `${chart.repo}/`).toString()));
  const schema = tarFile(archive, `${chart.chart}/values.schema.json`);
  if (!schema) return `${chart.chart} ${chart.version}: publishes no values schema`;
  const file = path.join(outputDirectory, `${chart.chart}-${chart.version}.values.schema.json`);
  fs.mkdirSync(outputDirectory, { recursive: true });
  fs.writeFileSync(file, schema);
  return `${chart.chart} ${chart.version}: ${path.relative(process.cwd(), file)}`;
}

async function main(): Promise<void> {
  let failed = false;
  for (const chart of Object.values(observabilityCharts)) {
    try {
      console.log(await fetchSchema(chart));
    } catch (error) {
      failed = true;
      console.error(`${chart.chart} ${chart.version}: ${(error as Error).message}`);
    }
  }
  process.exitCode = failed ? 1 : 0;
}

void main();
