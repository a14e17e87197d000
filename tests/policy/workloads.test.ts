import { strict as assert } from "node:assert";
import { validateRestrictedWorkload } from "../../policy/workloads";
import { resource, violations } from "./checks";

describe("policy pack: workloads", () => {
  describe("workloads-pod-security-restricted", () => {
    const restrictedContainer = {
      name: "app",
      image: "example/app:1",
      securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] } },
    };
    const restrictedPod = {
      securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: "RuntimeDefault" } },
      containers: [restrictedContainer],
      volumes: [{ name: "scratch", emptyDir: {} }],
    };
    const deployment = (podSpec: Record<string, unknown>) =>
      resource("kubernetes:apps/v1:Deployment", "app", {
        metadata: { name: "app", namespace: "shop" },
        spec: { template: { spec: podSpec } },
      });
    const job = (podSpec: Record<string, unknown>) =>
      resource("kubernetes:batch/v1:Job", "load", { metadata: { name: "load", namespace: "shop" }, spec: { template: { spec: podSpec } } });

    it("passes Deployments and Jobs whose pods meet restricted, with pod-level or per-container settings", () => {
      assert.deepEqual(violations(validateRestrictedWorkload, deployment(restrictedPod)), []);
      const perContainer = {
        containers: [
          {
            ...restrictedContainer,
            securityContext: { ...restrictedContainer.securityContext, runAsNonRoot: true, seccompProfile: { type: "Localhost" } },
          },
        ],
      };
      assert.deepEqual(violations(validateRestrictedWorkload, job(perContainer)), []);
    });

    it("fails each rule of the level, naming the workload and the container", () => {
      const bad = {
        hostNetwork: true,
        securityContext: { runAsUser: 0 },
        volumes: [{ name: "host", hostPath: { path: "/etc" } }],
        initContainers: [{ name: "setup", securityContext: { privileged: true, capabilities: { add: ["NET_ADMIN", "NET_RAW"] } } }],
        containers: [
          { name: "app", ports: [{ containerPort: 80, hostPort: 80 }], securityContext: { seccompProfile: { type: "Unconfined" } } },
        ],
      };
      const found = violations(validateRestrictedWorkload, deployment(bad)).join("\n");
      for (const expected of [
        /Deployment 'shop\/app' sets hostNetwork/,
        /volume 'host' is of type hostPath/,
        /pod runs as UID 0/,
        /container 'setup' is privileged/,
        /container 'setup' does not set allowPrivilegeEscalation: false/,
        /container 'setup' adds capabilities NET_ADMIN, NET_RAW/,
        /container 'setup' has seccomp profile unset/,
        /container 'app' does not run as non-root/,
        /container 'app' has seccomp profile Unconfined/,
        /container 'app' does not drop ALL capabilities/,
        /container 'app' uses hostPort 80/,
      ]) {
        assert.match(found, expected);
      }
    });

    it("lets a container override a restricted pod setting and fail", () => {
      const found = violations(
        validateRestrictedWorkload,
        job({
          ...restrictedPod,
          containers: [{ ...restrictedContainer, securityContext: { ...restrictedContainer.securityContext, runAsNonRoot: false } }],
        }),
      );
      assert.deepEqual(found.length, 1);
      assert.match(found[0]!, /Job 'shop\/load' container 'app' does not run as non-root/);
    });

    it("ignores resources without a pod template", () => {
      assert.deepEqual(violations(validateRestrictedWorkload, resource("kubernetes:core/v1:Service", "svc", { spec: {} })), []);
    });
  });
});
