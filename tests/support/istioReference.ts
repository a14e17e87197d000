import * as fs from "node:fs";
import * as path from "node:path";
import Ajv, { ValidateFunction } from "ajv";
import { parseAllDocuments } from "yaml";
import { projectDefaults, projectName } from "../../config/projectFile";
import { skipBecause } from "./skip";
import { repoRoot } from "./stackFiles";

/**
 * The pinned Istio release's own CRD schemas and chart values: those `npm run fetch-chart-schemas`
 * keeps in `.chart-schemas/istio-<version>/`, else those of the newest patch of the same minor there
 * (such as the rehearsal toolchain's, from the Istio Go module: `fetch-chart-schemas --from-toolchain`).
 * They are a second opinion on top of the typed models the components are written against: tests that
 * use them skip, saying so, where the files are absent.
 */
const istioVersion = String(projectDefaults()[`${projectName}:istioVersion`]);
const schemasDir = path.join(repoRoot, ".chart-schemas");

function sameMinorPatches(): string[] {
  const minor = istioVersion.split(".").slice(0, 2).join(".");
  if (!fs.existsSync(schemasDir)) return [];
  return fs
    .readdirSync(schemasDir)
    .map((entry) => /^istio-(\d+\.\d+\.\d+)$/.exec(entry)?.[1])
    .filter((version): version is string => version !== undefined && version.startsWith(`${minor}.`))
    .filter((version) => fs.existsSync(path.join(schemasDir, `istio-${version}`, "crd-all.gen.yaml")))
    .sort((a, b) => Number(b.split(".")[2]) - Number(a.split(".")[2]));
}

/** The Istio release the reference files are of: the pinned one, or the newest patch of its minor at hand. */
export const referenceVersion = sameMinorPatches().includes(istioVersion) ? istioVersion : (sameMinorPatches()[0] ?? istioVersion);
export const referenceDir = path.join(schemasDir, `istio-${referenceVersion}`);

export function hasReference(): boolean {
  return fs.existsSync(path.join(referenceDir, "crd-all.gen.yaml"));
}

/** Skips the test (in `it`) or the suite (in `before`) where the reference files are absent, saying so. */
export function skipWithoutReference(context: Mocha.Context): void {
  if (hasReference()) return;
  skipBecause(
    context,
    `no Istio ${istioVersion} reference files in ${path.relative(repoRoot, referenceDir)}/ (npm run fetch-chart-schemas downloads them)`,
  );
}

interface CrdVersion {
  name: string;
  schema: { openAPIV3Schema: Record<string, unknown> };
}

let validators: Map<string, ValidateFunction> | undefined;

/**
 * Validates a whole Istio object (apiVersion, kind, metadata, spec) against the CRD schema of its
 * kind and version. Unlike the API server, which prunes fields it does not know, this rejects them,
 * so a misspelt field name fails here. Returns the errors, or [] when the object is valid.
 */
export function istioSchemaErrors(object: { apiVersion: string; kind: string; spec?: unknown }): string[] {
  validators ??= loadValidators();
  const validate = validators.get(`${object.apiVersion}/${object.kind}`);
  if (!validate) return [`no CRD schema for ${object.apiVersion} ${object.kind}`];
  if (validate({ spec: object.spec })) return [];
  return (validate.errors ?? []).map((error) => `${error.instancePath || "/"} ${error.message ?? ""} ${JSON.stringify(error.params)}`);
}

/** Top-level keys the gateway chart's values schema accepts (its top level is strict). */
export function gatewayChartTopLevelKeys(): string[] {
  const schema = JSON.parse(fs.readFileSync(path.join(referenceDir, "gateway.values.schema.json"), "utf8")) as {
    $defs?: { values?: { properties?: Record<string, unknown> } };
    properties?: Record<string, unknown>;
  };
  return Object.keys(schema.$defs?.values?.properties ?? schema.properties ?? {});
}

function loadValidators(): Map<string, ValidateFunction> {
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, logger: false });
  const result = new Map<string, ValidateFunction>();
  for (const document of parseAllDocuments(fs.readFileSync(path.join(referenceDir, "crd-all.gen.yaml"), "utf8"))) {
    const crd = document.toJS() as { kind?: string; spec?: { group: string; names: { kind: string }; versions: CrdVersion[] } };
    if (crd?.kind !== "CustomResourceDefinition" || !crd.spec) continue;
    for (const version of crd.spec.versions) {
      const schema = closed(version.schema.openAPIV3Schema) as { properties?: Record<string, unknown> };
      const specOnly = { type: "object", properties: { spec: schema.properties?.spec ?? {} }, additionalProperties: false };
      result.set(`${crd.spec.group}/${version.name}/${crd.spec.names.kind}`, ajv.compile(specOnly));
    }
  }
  return result;
}

/** Makes every object schema that lists its properties reject properties it does not list. */
function closed(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closed);
  if (typeof schema !== "object" || schema === null) return schema;
  const copy = Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, closed(value)])) as Record<string, unknown>;
  if (copy.properties && copy.additionalProperties === undefined && !copy["x-kubernetes-preserve-unknown-fields"]) {
    copy.additionalProperties = false;
  }
  return copy;
}
