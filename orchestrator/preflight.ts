/**
 * `doctor --pre`: what a first `up` needs of this machine, checked before it runs. The CLI, the
 * backend and the secrets provider are settled by the time a command runs, so these report what was
 * settled and then try it; the clouds' sign-in and quotas are asked of their own CLIs, and each check
 * that cannot run says why.
 */
import { execFile } from "node:child_process";
import type { StackConfig } from "../config";
import type { CheckResult } from "../doctor/check";
import { errorMessage } from "./errors";
import type { MeshPlan, MeshWorkspace } from "./ports";

/** Runs a command line and resolves with its exit code and output; rejects when the program is missing. */
export type ToolRunner = (command: string, args: readonly string[]) => Promise<{ code: number; stdout: string; stderr: string }>;

/** A cloud CLI that waits on a browser sign-in would hang the doctor: each run is cut off after this. */
const toolTimeoutMs = 60_000;

/** The {@link ToolRunner} of a real run: the program's exit code and output, killed when it runs too long. */
export const runBounded: ToolRunner = (command, args) =>
  new Promise((resolve, reject) => {
    execFile(command, [...args], { timeout: toolTimeoutMs, maxBuffer: 4 << 20 }, (error, stdout, stderr) => {
      if (error && (error as NodeJS.ErrnoException).code === "ENOENT") return reject(error);
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
    });
  });

/** What the command line settled before the command ran. */
export interface SettledRun {
  cliVersion: string;
  backend: string;
  secretsProvider: string;
}

const missing = (err: unknown) => /ENOENT|not found/i.test(errorMessage(err));

/** A cloud CLI's answer as a check: ok on exit 0, fail otherwise, unknown when the CLI is not installed. */
async function cloudCheck(
  run: ToolRunner,
  base: Pick<CheckResult, "id" | "title">,
  command: string,
  args: readonly string[],
  passed: (stdout: string) => string,
  hint: string,
): Promise<CheckResult> {
  try {
    const result = await run(command, args);
    if (result.code === 0) return { ...base, status: "ok", detail: passed(result.stdout) };
    return { ...base, status: "fail", detail: result.stderr.trim().split("\n")[0] || `${command} exited with ${result.code}`, hint };
  } catch (err) {
    return {
      ...base,
      status: "unknown",
      detail: missing(err) ? `cannot check: the ${command} CLI is not on PATH` : errorMessage(err),
      hint: `install the ${command} CLI to have this checked, or make sure the provider's credentials are set`,
    };
  }
}

/** The checks of `doctor --pre`, for the stacks of the plan. */
export async function preflightChecks(options: {
  plan: MeshPlan;
  workspace: MeshWorkspace;
  settled: SettledRun;
  run: ToolRunner;
}): Promise<CheckResult[]> {
  const { plan, workspace, settled, run } = options;
  const results: CheckResult[] = [{ id: "pre.cli", title: "Pulumi CLI", status: "ok", detail: `pulumi ${settled.cliVersion}` }];
  try {
    const trust = await workspace.open(plan.trust, { create: false });
    // Reading the outputs decrypts the secret ones: the passphrase or secrets provider works.
    if (trust) await trust.outputs();
    results.push(
      {
        id: "pre.backend",
        title: "backend reachable",
        status: "ok",
        detail: `${settled.backend}; trust stack ${trust ? "exists" : "not created yet"}`,
      },
      {
        id: "pre.secrets",
        title: "secrets provider",
        status: "ok",
        detail: trust
          ? `${settled.secretsProvider}: the trust stack's secrets decrypt`
          : `${settled.secretsProvider} (nothing to decrypt yet)`,
      },
    );
  } catch (err) {
    results.push({
      id: "pre.backend",
      title: "backend and secrets provider",
      status: "fail",
      detail: errorMessage(err),
      hint: "check PULUMI_BACKEND_URL or pulumi login, and PULUMI_CONFIG_PASSPHRASE (every stack needs the same one)",
    });
  }
  const clusters = [...(plan.configs?.values() ?? [])].filter(
    (config): config is Extract<StackConfig, { role: "cluster" }> => config.role === "cluster",
  );
  const clouds = new Set(clusters.map((config) => config.cluster.cloud));
  if (clouds.has("aws")) {
    results.push(
      await cloudCheck(
        run,
        { id: "pre.aws", title: "AWS sign-in" },
        "aws",
        ["sts", "get-caller-identity", "--output", "json"],
        (stdout) => `signed in as ${(JSON.parse(stdout) as { Arn?: string }).Arn ?? "an AWS identity"}`,
        "sign in: aws sso login (or set AWS_PROFILE / AWS_ACCESS_KEY_ID)",
      ),
    );
    for (const config of clusters) {
      if (config.cluster.cloud !== "aws") continue;
      // L-1216C47A: "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances", in vCPUs.
      results.push(
        await cloudCheck(
          run,
          { id: "pre.aws-quota", title: `vCPU quota in ${config.cluster.region} (${config.cluster.clusterName})` },
          "aws",
          [
            "service-quotas",
            "get-service-quota",
            "--service-code",
            "ec2",
            "--quota-code",
            "L-1216C47A",
            "--region",
            config.cluster.region,
            "--output",
            "json",
          ],
          (stdout) => `${(JSON.parse(stdout) as { Quota?: { Value?: number } }).Quota?.Value ?? "?"} on-demand standard vCPUs`,
          "request a quota increase in the Service Quotas console",
        ),
      );
    }
  }
  if (clouds.has("azure")) {
    results.push(
      await cloudCheck(
        run,
        { id: "pre.azure", title: "Azure sign-in" },
        "az",
        ["account", "show", "--output", "json"],
        (stdout) => `subscription ${(JSON.parse(stdout) as { name?: string }).name ?? "(unnamed)"}`,
        "sign in: az login (or set ARM_CLIENT_ID, ARM_TENANT_ID, ARM_SUBSCRIPTION_ID and a credential)",
      ),
    );
    for (const config of clusters) {
      if (config.cluster.cloud !== "azure") continue;
      const { clusterName, location, aksAuth } = config.cluster;
      results.push(
        await cloudCheck(
          run,
          { id: "pre.azure-quota", title: `vCPU quota in ${location} (${clusterName})` },
          "az",
          ["vm", "list-usage", "--location", location, "--query", "[?name.value=='cores']", "--output", "json"],
          (stdout) => {
            const [cores] = JSON.parse(stdout) as { currentValue?: number; limit?: number }[];
            return cores ? `${cores.currentValue} of ${cores.limit} regional vCPUs in use` : "no regional vCPU figure";
          },
          "request a quota increase (Azure portal, Quotas)",
        ),
      );
      if (aksAuth === "entra") {
        results.push(
          await cloudCheck(
            run,
            { id: "pre.kubelogin", title: `kubelogin (${clusterName} has aksAuth: entra)` },
            "kubelogin",
            ["--version"],
            (stdout) => stdout.trim().split("\n")[0] ?? "installed",
            "install kubelogin: the admin kubeconfig of an Entra-only AKS cluster runs it",
          ),
        );
      }
    }
  }
  return results;
}
