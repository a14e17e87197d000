/**
 * Validates Kubernetes custom resources against the schemas of their CRDs, shipped as models by the
 * kubernetes-models packages (generated from each project's CRDs): Istio, Karpenter and the
 * Prometheus Operator. Works in every clone, offline.
 *
 * What such a check can and cannot catch: a CRD's OpenAPI schema types every known field (type,
 * enum, pattern, required, ranges) but does not forbid unknown ones; Kubernetes prunes those
 * silently. A misspelt Istio field is caught by the typed models in model/istioTypes.ts,
 * which tests/istioSchemas.test.ts holds to the package's field names.
 *
 * Which upstream versions the models come from: `crd-generate.input` in each package's package.json
 * (@kubernetes-models/istio 3.0.1: Istio 1.29.2's crd-all.gen.yaml; networking v1 and v1beta1 share
 * one spec schema in Istio).
 */

/** The packages are ES modules only (an `import` export condition); this `import()` is kept out of TypeScript's CommonJS rewrite. */
const importModule = new Function("specifier", "return import(specifier)") as <T>(specifier: string) => Promise<T>;

interface ModelClass {
  new (data: object): { validate(): void };
}

/** The model packages and the API groups each covers. */
const modelPackages = {
  istio: "@kubernetes-models/istio",
  karpenter: "@kubernetes-models/karpenter",
  prometheusOperator: "@kubernetes-models/prometheus-operator",
} as const;

/** The model class of an object's `apiVersion` and `kind` in one of the packages. */
async function modelOf(packageName: string, object: { apiVersion: string; kind: string }): Promise<ModelClass> {
  const [group, version] = object.apiVersion.split("/");
  if (!group || !version) throw new Error(`${object.kind}: apiVersion '${object.apiVersion}' has no group (group/version)`);
  const module = await importModule<Record<string, ModelClass | undefined>>(`${packageName}/${group}/${version}`);
  const model = module[object.kind];
  if (!model) throw new Error(`${packageName} has no model for ${object.apiVersion} ${object.kind}`);
  return model;
}

/** The schema errors of one object (empty when it is valid). */
async function schemaErrors(packageName: string, object: { apiVersion: string; kind: string }): Promise<string[]> {
  const Model = await modelOf(packageName, object);
  try {
    new Model(object).validate();
    return [];
  } catch (error) {
    const details = (error as { errors?: { instancePath?: string; message?: string }[] }).errors;
    return details?.length ? details.map((e) => `${e.instancePath ?? ""} ${e.message ?? ""}`.trim()) : [(error as Error).message];
  }
}

/** Schema errors of an Istio object (networking.istio.io, security.istio.io, telemetry.istio.io, ...). */
export const validateIstio = (object: { apiVersion: string; kind: string }) => schemaErrors(modelPackages.istio, object);
/** Schema errors of a Karpenter object (karpenter.sh, karpenter.k8s.aws). */
export const validateKarpenter = (object: { apiVersion: string; kind: string }) => schemaErrors(modelPackages.karpenter, object);
/** Schema errors of a Prometheus Operator object (monitoring.coreos.com). */
export const validatePrometheusOperator = (object: { apiVersion: string; kind: string }) =>
  schemaErrors(modelPackages.prometheusOperator, object);
