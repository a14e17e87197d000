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
 *   curl, and already on the home cluster's nodes) requests the service in a loop while the load
 *   runs, tallies podinfo's `message` (each cluster's copy answers with its cluster name), waits
 *   for fortio's result, prints the report, and finally asks the sidecar to exit
 *   (`POST 127.0.0.1:15020/quitquitquit`).
 *
 * Ending: with Istio 1.30 the sidecar is a native sidecar (an init container with restartPolicy
 * Always) where the kubelets are >= 1.33, and the pod completes when `load` and `report` have
 * exited. On older nodes the sidecar is an ordinary container that would keep the pod (and the Job)
 * running forever; the `quitquitquit` call ends it. In both modes `holdApplicationUntilProxyStarts`
 * keeps the two containers from starting before the proxy is ready. `backoffLimit: 0` (a load test
 * is not retried), `activeDeadlineSeconds` (a hard stop) and `ttlSecondsAfterFinished` (the Job and
 * its logs stay a day) bound the rest.
 */
import type * as k8s from "@pulumi/kubernetes";
import { DrillSettings, durationSeconds, isHomeCluster, ServiceSettings } from "../../config/services";
import { serviceHost } from "./serviceSpecs";

/** Name of the drill Job in the service's namespace (each service owns its namespace). */
export const drillJobName = "overflow-drill";
export const drillContainers = { load: "load", report: "report" } as const;
/** How long the report keeps sampling after the planned end of the load, for a late start. */
export const drillGraceSeconds = 120;
/** How long the finished Job and its pod (and so its logs) are kept. */
export const drillTtlSeconds = 86_400;

const resultDir = "/report";
const resultFile = `${resultDir}/fortio.json`;

/** The service the drill loads in this cluster, or undefined (disabled, or not the service's home). */
export function drillTarget(services: readonly ServiceSettings[], drill: DrillSettings, clusterName: string): ServiceSettings | undefined {
  if (!drill.enabled) return undefined;
  const service = services.find((candidate) => candidate.name === drill.service);
  return service && isHomeCluster(service, clusterName) ? service : undefined;
}

/** Requests the home cluster can hold at its HPA ceiling before pods answer 503 (overflow mode). */
export function homeCapacity(service: ServiceSettings): number | undefined {
  if (service.mode !== "overflow" || !service.capacity) return undefined;
  return service.home.maxReplicas * (service.capacity.maxConcurrentRequests + service.capacity.maxPendingRequests);
}

/** The command that prints the drill's report. */
export function drillLogsCommand(service: ServiceSettings, container: string = drillContainers.report): string {
  return `kubectl logs job/${drillJobName} -n ${service.namespace} -c ${container}`;
}

/** The URL the drill loads: the service's mesh host, so that every request goes through the sidecar. */
export function drillUrl(service: ServiceSettings): string {
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

/**
 * The report script (POSIX sh; busybox tools). Samples until fortio's result appears (the load has
 * ended) or the grace time is over, then prints the tally, fortio's status codes and a verdict.
 */
export function drillReportScript(): string {
  return `set -u
answers=${resultDir}/answers.txt
: > "$answers"
echo "overflow drill: loading $TARGET from $HOME_CLUSTER; sampling who answers until the load ends"
deadline=$(( $(date +%s) + SAMPLE_SECONDS ))
while [ ! -s "$RESULT" ] && [ "$(date +%s)" -lt "$deadline" ]; do
  reply=$(curl -s -m 5 -w '\\n%{http_code}' "$TARGET" 2>/dev/null)
  code=$(printf '%s\\n' "$reply" | tail -n 1)
  if [ "$code" = "200" ]; then
    who=$(printf '%s\\n' "$reply" | sed -n 's/.*"message": *"\\([^"]*\\)".*/\\1/p' | head -n 1)
    echo "\${who:-unlabelled}" >> "$answers"
  else
    echo "failed-\${code:-000}" >> "$answers"
  fi
done
total=$(wc -l < "$answers" | tr -d ' ')
remote=$(grep -c -v -x -e "$HOME_CLUSTER" -e 'failed-.*' -e unlabelled "$answers")
echo
echo "== answers by cluster: $total requests sampled during the load =="
sort "$answers" | uniq -c | sort -rn | awk -v total="$total" '{ printf "  %-24s %8d  %5.1f%%\\n", $2, $1, 100 * $1 / total }'
echo
echo "== load generator (fortio; status codes after the mesh's retries) =="
if [ -s "$RESULT" ]; then
  grep -E '"(RequestedQPS|ActualQPS|NumThreads|RequestedDuration)"' "$RESULT" | sed -e 's/^ *//' -e 's/,$//' -e 's/^/  /'
  echo "  response codes:"
  sed -n '/"RetCodes"/,/}/p' "$RESULT" | grep -E '^ *"-?[0-9]+"' | sed -e 's/^ *//' -e 's/,$//' -e 's/^/    /'
else
  echo "  no result from the load container; see: $LOAD_LOGS"
fi
echo
if [ "$remote" -gt 0 ]; then
  echo "RESULT: overflow observed: $remote of $total sampled answers came from outside $HOME_CLUSTER"
else
  echo "RESULT: no overflow observed: no sampled answer came from outside $HOME_CLUSTER"
  echo "  $NO_OVERFLOW_HINT"
fi
curl -s -m 5 -o /dev/null -X POST http://127.0.0.1:15020/quitquitquit || true
exit 0
`;
}

/** The drill Job for one service (its home cluster only; see {@link drillTarget}). */
export function drillJobManifest(service: ServiceSettings, drill: DrillSettings): k8s.types.input.batch.v1.Job {
  const loadSeconds = Math.ceil(durationSeconds(drill.duration) ?? 60);
  const capacity = homeCapacity(service);
  const noOverflowHint =
    capacity === undefined
      ? `mode is ${service.mode}: nothing spills while the home pods are healthy`
      : drill.connections <= capacity
        ? `burstmesh:drill.connections (${drill.connections}) does not exceed the home capacity at the HPA ceiling ` +
          `(${service.home.maxReplicas} pods x ${service.capacity!.maxConcurrentRequests + service.capacity!.maxPendingRequests} = ${capacity}); raise it`
        : `the home pods kept up: raise burstmesh:drill.connections or lower the service's capacity`;
  const volumeMounts = [{ name: "report", mountPath: resultDir }];
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: drillJobName,
      namespace: service.namespace,
      labels: { app: drillJobName, "app.kubernetes.io/part-of": "burstmesh" },
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
          annotations: { "proxy.istio.io/config": JSON.stringify({ holdApplicationUntilProxyStarts: true }) },
        },
        spec: {
          restartPolicy: "Never",
          volumes: [{ name: "report", emptyDir: {} }],
          containers: [
            {
              name: drillContainers.load,
              image: drill.image,
              args: fortioArgs(service, drill),
              volumeMounts,
              resources: { requests: { cpu: "500m", memory: "128Mi" }, limits: { memory: "512Mi" } },
            },
            {
              name: drillContainers.report,
              image: drill.reporterImage,
              command: ["/bin/sh", "-c", drillReportScript()],
              env: [
                { name: "TARGET", value: drillUrl(service) },
                { name: "HOME_CLUSTER", value: service.homeCluster },
                { name: "RESULT", value: resultFile },
                { name: "SAMPLE_SECONDS", value: String(loadSeconds + drillGraceSeconds) },
                { name: "LOAD_LOGS", value: drillLogsCommand(service, drillContainers.load) },
                { name: "NO_OVERFLOW_HINT", value: noOverflowHint },
              ],
              volumeMounts,
              resources: { requests: { cpu: "100m", memory: "32Mi" }, limits: { memory: "128Mi" } },
            },
          ],
        },
      },
    },
  };
}
