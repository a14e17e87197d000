/**
 * istiod's debug endpoints on a live cluster, through `kubectl port-forward`. istiod answers
 * `/debug/` on its plain HTTP port (8080) to loopback clients only, and a port-forward's connections
 * arrive from the pod's own loopback.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const readyTimeoutMs = 20_000;

/** Opens a port-forward to the member's istiod with its admin kubeconfig; resolves with the debug URL and how to close it. */
export function kubectlPortForward(kubeconfig: string, deployment: string): () => Promise<{ url: string; close(): Promise<void> }> {
  return () => {
    // The kubeconfig is a secret: it lives only in a folder of this run's own, and goes with it.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "burstmesh-doctor-"));
    const file = path.join(dir, "kubeconfig");
    fs.writeFileSync(file, kubeconfig, { mode: 0o600 });
    const child = spawn("kubectl", ["--kubeconfig", file, "-n", "istio-system", "port-forward", `deployment/${deployment}`, ":8080"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const close = async () => {
      if (child.exitCode === null && child.pid !== undefined) child.kill();
      fs.rmSync(dir, { recursive: true, force: true });
    };
    return new Promise((resolve, reject) => {
      let stderr = "";
      const fail = (why: string) => {
        clearTimeout(timer);
        void close().then(() => reject(new Error(`kubectl port-forward to ${deployment}: ${why}`)));
      };
      const timer = setTimeout(
        () => fail(`no forwarding within ${readyTimeoutMs / 1000} s${stderr ? `: ${stderr.trim()}` : ""}`),
        readyTimeoutMs,
      );
      child.on("error", (err) => fail(err.message.includes("ENOENT") ? "kubectl is not on PATH" : err.message));
      child.on("exit", (code) => fail(`kubectl exited with ${code}${stderr ? `: ${stderr.trim().split("\n")[0]}` : ""}`));
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      child.stdout.on("data", (chunk: Buffer) => {
        const port = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(chunk.toString())?.[1];
        if (!port) return;
        clearTimeout(timer);
        child.removeAllListeners("exit");
        resolve({ url: `http://127.0.0.1:${port}/debug`, close });
      });
    });
  };
}
