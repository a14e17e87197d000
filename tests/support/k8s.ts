import { RecordedResource, reveal, StackRun } from "./harness";

/** A registered Kubernetes object, found by kind and metadata name (and namespace). */
export function k8sObject(run: StackRun, type: string, name: string, namespace?: string): RecordedResource {
  const found = run.resources.filter((r) => {
    if (r.type !== type || r.read) return false;
    const metadata = reveal<{ metadata?: { name?: string; namespace?: string } }>(r.inputs).metadata;
    return metadata?.name === name && (namespace === undefined || metadata?.namespace === namespace);
  });
  if (found.length !== 1) throw new Error(`expected one ${type} ${namespace ?? "*"}/${name}, found ${found.length}`);
  return found[0]!;
}

/** Helm releases by release name. */
export function helmRelease(run: StackRun, releaseName: string): RecordedResource {
  const found = run.resources.filter(
    (r) => r.type === "kubernetes:helm.sh/v3:Release" && reveal<{ name?: string }>(r.inputs).name === releaseName,
  );
  if (found.length !== 1) throw new Error(`expected one Helm release '${releaseName}', found ${found.length}`);
  return found[0]!;
}
