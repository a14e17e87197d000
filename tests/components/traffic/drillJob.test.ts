import { strict as assert } from "node:assert";
import { loadConfig } from "../../../config";
import { fortioImage } from "../../../config/images";
import {
  drillContainers,
  drillJobManifest,
  drillJobName,
  drillReportConfigMap,
  drillReportConfigMapName,
  drillReportFile,
  drillReportScript,
  drillTarget,
  fortioArgs,
  homeCapacity,
  sidecarQuitUrl,
} from "../../../components/traffic/drillJob";
import { livePanel } from "../../../components/observability/dashboards";
import { withConfig } from "../../support/stackFiles";
import { plain, parsed, minimal } from "../../support/overflow";

describe("components/traffic/drillJob: the drill Job", () => {
  describe("the drill Job", () => {
    const { service, drill } = parsed(minimal, { enabled: true, connections: 200, qps: 0, duration: "90s" });
    const job = plain(drillJobManifest(service, drill, livePanel(service.name)));

    it("runs only when enabled, and only in the drilled service's home cluster", () => {
      const other = parsed({ ...minimal, name: "web", homeCluster: "aks" }).service;
      assert.equal(drillTarget([service, other], drill, "eks"), service);
      assert.equal(drillTarget([service, other], drill, "aks"), undefined);
      assert.equal(drillTarget([service, other], { ...drill, enabled: false }, "eks"), undefined);
      assert.equal(drillTarget([service, other], { ...drill, service: "web" }, "aks"), other);
    });

    it("ends: no retries, a hard deadline, cleaned up a day later, never restarted", () => {
      assert.equal(job.metadata.name, drillJobName);
      assert.equal(job.metadata.namespace, "podinfo");
      assert.equal(job.spec.backoffLimit, 0);
      assert.equal(job.spec.ttlSecondsAfterFinished, 86_400);
      assert.ok(job.spec.activeDeadlineSeconds > 90 && job.spec.activeDeadlineSeconds <= 90 + 900, String(job.spec.activeDeadlineSeconds));
      assert.equal(job.spec.template.spec.restartPolicy, "Never");
      assert.equal(job.metadata.annotations["pulumi.com/skipAwait"], "true");
    });

    it("goes through the mesh: injected, held until the proxy is up, and the proxy told to quit at the end", () => {
      assert.equal(job.spec.template.metadata.labels["sidecar.istio.io/inject"], "true");
      assert.notEqual(job.spec.template.metadata.labels.app, "podinfo", "the capacity Sidecar must not select the drill");
      assert.deepEqual(JSON.parse(job.spec.template.metadata.annotations["proxy.istio.io/config"]), {
        holdApplicationUntilProxyStarts: true,
      });
      const report = job.spec.template.spec.containers[1];
      const env = Object.fromEntries(report.env.map((e: { name: string; value: string }) => [e.name, e.value]));
      assert.equal(env.QUIT_URL, sidecarQuitUrl);
      assert.equal(sidecarQuitUrl, "http://127.0.0.1:15020/quitquitquit");
      assert.match(drillReportScript(), /curl [^\n]*-X POST "\$QUIT_URL"/);
    });

    it("runs under Pod Security restricted: non-root, no escalation, no capabilities, RuntimeDefault seccomp", () => {
      const pod = job.spec.template.spec;
      assert.equal(pod.securityContext.runAsNonRoot, true);
      assert.ok(pod.securityContext.runAsUser > 0, "fortio's scratch image names no user: the pod sets one");
      assert.deepEqual(pod.securityContext.seccompProfile, { type: "RuntimeDefault" });
      for (const container of pod.containers) {
        assert.deepEqual(
          container.securityContext,
          {
            allowPrivilegeEscalation: false,
            capabilities: { drop: ["ALL"] },
            runAsNonRoot: true,
            seccompProfile: { type: "RuntimeDefault" },
          },
          container.name,
        );
      }
      for (const volume of pod.volumes) assert.ok(volume.emptyDir || volume.configMap, `${volume.name}: no hostPath or other volume type`);
    });

    it("mounts the report script from a ConfigMap, and a changed script replaces the Job", () => {
      const configMap = plain(drillReportConfigMap(service));
      assert.equal(configMap.metadata.name, drillReportConfigMapName);
      assert.equal(configMap.metadata.namespace, "podinfo");
      assert.equal(configMap.data[drillReportFile], drillReportScript());
      const pod = job.spec.template.spec;
      assert.deepEqual(
        pod.volumes.find((volume: { name: string }) => volume.name === "script"),
        { name: "script", configMap: { name: drillReportConfigMapName, defaultMode: 0o444 } },
      );
      const report = pod.containers[1];
      assert.deepEqual(report.command, ["/bin/sh", `/drill/${drillReportFile}`]);
      assert.ok(
        report.volumeMounts.some((mount: { mountPath: string; readOnly?: boolean }) => mount.mountPath === "/drill" && mount.readOnly),
      );
      const hash = job.spec.template.metadata.annotations["burstmesh/report-sha256"];
      assert.match(hash, /^[0-9a-f]{64}$/);
    });

    it("loads the service above its home capacity with fortio and reports per cluster", () => {
      const [load, report] = job.spec.template.spec.containers;
      assert.equal(load.name, drillContainers.load);
      assert.equal(load.image, fortioImage);
      assert.deepEqual(load.args, fortioArgs(service, drill));
      const flag = (name: string) => load.args[load.args.indexOf(name) + 1];
      assert.equal(load.args[0], "load");
      assert.equal(flag("-qps"), "0");
      assert.equal(flag("-c"), "200");
      assert.equal(flag("-t"), "90s");
      assert.equal(flag("-json"), "/report/fortio.json");
      assert.equal(load.args.at(-1), "http://podinfo.podinfo.svc.cluster.local:9898/");
      assert.equal(homeCapacity(service), 96, "6 pods x 16 requests in flight");
      assert.ok(200 > homeCapacity(service)!, "the default drill connections exceed the home capacity");
      assert.equal(report.name, drillContainers.report);
      const env = Object.fromEntries(report.env.map((e: { name: string; value: string }) => [e.name, e.value]));
      assert.equal(env.HOME_CLUSTER, "eks");
      assert.equal(env.TARGET, "http://podinfo.podinfo.svc.cluster.local:9898/");
      assert.equal(env.RESULT, "/report/fortio.json");
      assert.deepEqual(load.volumeMounts, [report.volumeMounts[0]], "one shared result volume");
      assert.match(drillReportScript(), /"message"/, "tallies podinfo's message");
    });

    it("by default loads the Pulumi.yaml podinfo above its home capacity at the HPA ceiling", () => {
      const config = loadConfig(withConfig("eks", { "burstmesh:drill": { enabled: true } }));
      assert.ok(config.role === "cluster");
      const podinfo = config.services[0]!;
      assert.ok(
        config.drill.connections > homeCapacity(podinfo)!,
        `${config.drill.connections} connections vs capacity ${homeCapacity(podinfo)}`,
      );
    });

    it("warns in the report when the drill cannot exceed the home capacity", () => {
      const small = plain(drillJobManifest(service, { ...drill, connections: 10 }, livePanel(service.name)));
      const hint = small.spec.template.spec.containers[1].env.find((e: { name: string }) => e.name === "NO_OVERFLOW_HINT").value;
      assert.match(hint, /does not exceed the home capacity at the HPA ceiling \(6 pods x 16 requests in flight = 96\); raise it/);
    });
  });
});
