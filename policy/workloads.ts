// Workloads meet the `restricted` Pod Security level that burstmesh's service namespaces enforce, so
// that a preview, not the admission controller, turns away a pod that breaks it.

import { Policies, ReportViolation } from "@pulumi/policy";
import { record, ResourceView } from "./views";

export const workloadPolicies: Policies = [
  {
    name: "workloads-pod-security-restricted",
    description: "Every Deployment, StatefulSet, DaemonSet, Job and CronJob meets the restricted Pod Security level.",
    enforcementLevel: "mandatory",
    severity: "high",
    validateResource: validateRestrictedWorkload,
  },
];

/** Workload types whose pod template the restricted check reads, with the path to the pod spec. */
const podTemplatePaths: Record<string, readonly string[]> = {
  "kubernetes:apps/v1:Deployment": ["spec", "template", "spec"],
  "kubernetes:apps/v1:StatefulSet": ["spec", "template", "spec"],
  "kubernetes:apps/v1:DaemonSet": ["spec", "template", "spec"],
  "kubernetes:batch/v1:Job": ["spec", "template", "spec"],
  "kubernetes:batch/v1:CronJob": ["spec", "jobTemplate", "spec", "template", "spec"],
};

/** Volume types the restricted level allows. */
const restrictedVolumeTypes = new Set([
  "configMap",
  "csi",
  "downwardAPI",
  "emptyDir",
  "ephemeral",
  "persistentVolumeClaim",
  "projected",
  "secret",
]);

/**
 * What keeps a pod spec from the Kubernetes `restricted` Pod Security level; empty when it meets it.
 * The checks of the level: no host namespaces, ports or hostPath (only the allowed volume types), no
 * privileged container, privilege escalation off, non-root (pod or every container, and no UID 0),
 * a RuntimeDefault or Localhost seccomp profile (pod or every container), and every capability
 * dropped with at most NET_BIND_SERVICE added back. Init and ephemeral containers count as well.
 */
export function restrictedPodProblems(podSpec: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const field of ["hostNetwork", "hostPID", "hostIPC"]) {
    if (podSpec[field] === true) problems.push(`sets ${field}`);
  }
  for (const volume of list(podSpec.volumes)) {
    const kind = Object.keys(record(volume)).find((key) => key !== "name");
    if (kind && !restrictedVolumeTypes.has(kind)) problems.push(`volume '${String(record(volume).name)}' is of type ${kind}`);
  }
  const pod = record(podSpec.securityContext);
  const podSeccomp = record(pod.seccompProfile).type;
  if (podSeccomp !== undefined && podSeccomp !== "RuntimeDefault" && podSeccomp !== "Localhost") {
    problems.push(`pod seccompProfile is ${String(podSeccomp)}`);
  }
  if (pod.runAsUser === 0) problems.push("pod runs as UID 0");
  const containers = [...list(podSpec.initContainers), ...list(podSpec.containers), ...list(podSpec.ephemeralContainers)];
  for (const entry of containers) {
    const container = record(entry);
    const where = `container '${String(container.name ?? "?")}'`;
    const context = record(container.securityContext);
    if (context.privileged === true) problems.push(`${where} is privileged`);
    if (context.allowPrivilegeEscalation !== false) problems.push(`${where} does not set allowPrivilegeEscalation: false`);
    if ((context.runAsNonRoot ?? pod.runAsNonRoot) !== true) problems.push(`${where} does not run as non-root (runAsNonRoot)`);
    if (context.runAsUser === 0) problems.push(`${where} runs as UID 0`);
    const seccomp = record(context.seccompProfile).type ?? podSeccomp;
    if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost") {
      problems.push(`${where} has seccomp profile ${seccomp === undefined ? "unset" : String(seccomp)} (RuntimeDefault or Localhost)`);
    }
    const capabilities = record(context.capabilities);
    if (!list(capabilities.drop).includes("ALL")) problems.push(`${where} does not drop ALL capabilities`);
    const added = list(capabilities.add).filter((capability) => capability !== "NET_BIND_SERVICE");
    if (added.length > 0) problems.push(`${where} adds capabilities ${added.map(String).join(", ")}`);
    for (const port of list(container.ports)) {
      if (Number(record(port).hostPort ?? 0) !== 0) problems.push(`${where} uses hostPort ${String(record(port).hostPort)}`);
    }
  }
  return problems;
}

/** Every Deployment, StatefulSet, DaemonSet, Job and CronJob meets the restricted Pod Security level. */
export function validateRestrictedWorkload(args: ResourceView, reportViolation: ReportViolation): void {
  const path = podTemplatePaths[args.type];
  if (!path) return;
  const podSpec = path.reduce<Record<string, unknown>>((value, key) => record(value[key]), args.props);
  const metadata = record(args.props.metadata);
  for (const problem of restrictedPodProblems(podSpec)) {
    reportViolation(
      `${args.type.split(":").pop()} '${String(metadata.namespace ?? "default")}/${String(metadata.name ?? args.name)}' ${problem}; ` +
        "burstmesh's service namespaces enforce the restricted Pod Security level.",
    );
  }
}

/** The value as a list, or an empty one. */
function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
