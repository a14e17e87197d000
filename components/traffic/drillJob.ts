/**
 * Pure builder of the overflow drill: a Job in the service's namespace, in its home cluster, that
 * loads the service above its home capacity through the mesh and reports which cluster answered.
 *
 * The pod has two containers that share an emptyDir, plus the injected Istio sidecar:
 *
 * - `load`: fortio (`fortio/fortio`, a `FROM scratch` image: the binary, no shell) runs
 *   `fortio load` for the configured time and writes its JSON result to the shared volume when done.
 *   fortio counts status codes, not bodies, so it cannot tell which cluster answered.
 * - `report`: an image with a shell and curl (by default podinfo's own image, which is alpine with
 *   curl, and already on the home cluster's nodes) runs `drill-report.sh`, mounted from a
 *   ConfigMap: it requests the service in a loop while the load runs, tallies podinfo's `message`
 *   (each cluster's copy answers with its cluster name), waits for fortio's result, prints the
 *   shares served home, served elsewhere and failed, and finally asks the sidecar to exit
 *   (`POST 127.0.0.1:15020/quitquitquit`).
 *
 * Both containers run as Pod Security "restricted" asks: not root, no privilege escalation, every
 * capability dropped, the runtime's default seccomp profile.
 *
 * Ending: with Istio 1.30 the sidecar is a native sidecar (an init container with restartPolicy
 * Always) where the kubelets are >= 1.33, and the pod completes when `load` and `report` have
 * exited. On older nodes the sidecar is an ordinary container that would keep the pod (and the Job)
 * running forever; the `quitquitquit` call ends it. In both modes `holdApplicationUntilProxyStarts`
 * keeps the two containers from starting before the proxy is ready. `backoffLimit: 0` (a load test
 * is not retried), `activeDeadlineSeconds` (a hard stop) and `ttlSecondsAfterFinished` (the Job and
 * its logs stay a day) bound the rest.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { durationSeconds } from "../../model/units";
import type { DrillSettings } from "../../config/drill";
import { isHomeCluster, ServiceSettings } from "../../config/services";
import { serviceHost } from "../kube/dns";

/** Name of the drill Job in the service's namespace (each service owns its namespace). */
export const drillJobName = "overflow-drill";
export const drillContainers = { load: "load", report: "report" } as const;
/** How long the report keeps sampling after the planned end of the load, for a late start. */
const drillGraceSeconds = 120;
/** How long the finished Job and its pod (and so its logs) are kept. */
const drillTtlSeconds = 86_400;

const resultDir = "/report";
const resultFile = `${resultDir}/fortio.json`;
const scriptDir = "/drill";
/** The report script's file name, in this folder and in the ConfigMap. */
export const drillReportFile = "drill-report.sh";
/** The ConfigMap that holds the report script, next to the Job. */
export const drillReportConfigMapName = `${drillJobName}-report`;
/** A fixed non-root user for both containers (fortio's scratch image names none; podinfo's user works as any uid). */
const drillUserId = 65532;
/** The sidecar's quit endpoint, for nodes where it is not a native sidecar. */
export const sidecarQuitUrl = "http://127.0.0.1:15020/quitquitquit";

const drillLabels = { app: drillJobName, "app.kubernetes.io/part-of": "burstmesh" };

/** What Pod Security "restricted" asks of every container. */
const restrictedContainer = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ["ALL"] },
  runAsNonRoot: true,
  seccompProfile: { type: "RuntimeDefault" },
};

/** The service the drill loads in this cluster, or undefined (disabled, or not the service's home). */
export function drillTarget(services: readonly ServiceSettings[], drill: DrillSettings, clusterName: string): ServiceSettings | undefined {
  if (!drill.enabled) return undefined;
  const service = services.find((candidate) => candidate.name === drill.service);
  return service && isHomeCluster(service, clusterName) ? service : undefined;
}

/**
 * Requests in flight the home cluster holds at its HPA ceiling before pods answer 503 (overflow
 * mode): pods x `maxConcurrentRequests`, the per-pod capacity its sidecars enforce.
 */
export function homeCapacity(service: ServiceSettings): number | undefined {
  if (service.mode !== "overflow" || !service.capacity) return undefined;
  return service.home.maxReplicas * service.capacity.maxConcurrentRequests;
}

/** The command that prints the drill's report. */
export function drillLogsCommand(service: ServiceSettings, container: string = drillContainers.report): string {
  return `kubectl logs job/${drillJobName} -n ${service.namespace} -c ${container}`;
}

/** The URL the drill loads: the service's mesh host, so that every request goes through the sidecar. */
function drillUrl(service: ServiceSettings): string {
  return `http://${serviceHost(service)}:${service.port}/`;
}

/** fortio's arguments: readable text report on the log, JSON result on the shared volume. */
export function fortioArgs(service: ServiceSettings, drill: DrillSettings): string[] {
  return [
    "load",
    "-qps",
    String(drill.qps),
    "-c",
    String(drill.connections),
    "-t",
    drill.duration,
    // 503s are the point of the exercise: do not abort on errors during warm-up, do not log each one.
    "-allow-initial-errors",
    "-log-errors=false",
    "-logger-json=false",
    "-json",
    resultFile,
    drillUrl(service),
  ];
}

/** The report script (POSIX sh, busybox tools), as it is shipped in the ConfigMap. */
export function drillReportScript(): string {
  return fs.readFileSync(path.join(__dirname, drillReportFile), "utf8");
}

/** The ConfigMap that mounts the report script into the drill's `report` container. */
export function drillReportConfigMap(service: ServiceSettings): k8s.types.input.core.v1.ConfigMap {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: drillReportConfigMapName, namespace: service.namespace, labels: drillLabels },
    data: { [drillReportFile]: drillReportScript() },
  };
}

/**
 * The drill Job for one service (its home cluster only; see {@link drillTarget}). `livePanel` says
 * where the report's split shows live (the observer's Overflow dashboard). `reportConfigMap` names
 * the ConfigMap with the report script; the component passes the created object's name, so that the
 * Job follows it.
 */
export function drillJobManifest(
  service: ServiceSettings,
  drill: DrillSettings,
  livePanel: string,
  reportConfigMap: pulumi.Input<string> = drillReportConfigMapName,
): k8s.types.input.batch.v1.Job {
  const loadSeconds = Math.ceil(durationSeconds(drill.duration) ?? 60);
  const capacity = homeCapacity(service);
  const noOverflowHint =
    capacity === undefined
      ? `mode is ${service.mode}: nothing spills while the home pods are healthy`
      : drill.connections <= capacity
        ? `burstmesh:drill.connections (${drill.connections}) does not exceed the home capacity at the HPA ceiling ` +
          `(${service.home.maxReplicas} pods x ${service.capacity!.maxConcurrentRequests} requests in flight = ${capacity}); raise it`
        : `the home pods kept up: raise burstmesh:drill.connections or lower the service's capacity`;
  const volumeMounts = [{ name: "report", mountPath: resultDir }];
  const script = drillReportScript();
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: drillJobName,
      namespace: service.namespace,
      labels: drillLabels,
      // `pulumi up` does not wait for the drill to finish (nor fail when it does); read its report.
      annotations: { "pulumi.com/skipAwait": "true" },
    },
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: loadSeconds + drillGraceSeconds + 480,
      ttlSecondsAfterFinished: drillTtlSeconds,
      template: {
        metadata: {
          labels: { app: drillJobName, "sidecar.istio.io/inject": "true" },
          annotations: {
            "proxy.istio.io/config": JSON.stringify({ holdApplicationUntilProxyStarts: true }),
            // The Job's template cannot change in place: a new script replaces the Job (and runs the drill again).
            "burstmesh/report-sha256": createHash("sha256").update(script).digest("hex"),
          },
        },
        spec: {
          restartPolicy: "Never",
          securityContext: {
            runAsNonRoot: true,
            runAsUser: drillUserId,
            runAsGroup: drillUserId,
            seccompProfile: { type: "RuntimeDefault" },
          },
          volumes: [
            { name: "report", emptyDir: {} },
            { name: "script", configMap: { name: reportConfigMap, defaultMode: 0o444 } },
          ],
          containers: [
            {
              name: drillContainers.load,
              image: drill.image,
              args: fortioArgs(service, drill),
              volumeMounts,
              securityContext: restrictedContainer,
              resources: { requests: { cpu: "500m", memory: "128Mi" }, limits: { memory: "512Mi" } },
            },
            {
              name: drillContainers.report,
              image: drill.reporterImage,
              command: ["/bin/sh", `${scriptDir}/${drillReportFile}`],
              env: [
                { name: "TARGET", value: drillUrl(service) },
                { name: "HOME_CLUSTER", value: service.homeCluster },
                { name: "RESULT", value: resultFile },
                { name: "ANSWERS", value: `${resultDir}/answers.txt` },
                { name: "QUIT_URL", value: sidecarQuitUrl },
                { name: "SAMPLE_SECONDS", value: String(loadSeconds + drillGraceSeconds) },
                { name: "LOAD_LOGS", value: drillLogsCommand(service, drillContainers.load) },
                { name: "NO_OVERFLOW_HINT", value: noOverflowHint },
                { name: "LIVE_PANEL", value: livePanel },
              ],
              volumeMounts: [...volumeMounts, { name: "script", mountPath: scriptDir, readOnly: true }],
              securityContext: restrictedContainer,
              resources: { requests: { cpu: "100m", memory: "32Mi" }, limits: { memory: "128Mi" } },
            },
          ],
        },
      },
    },
  };
}
