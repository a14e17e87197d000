import { z } from "zod";
import { decodeJson, typeNote } from "./fields";
import { issuesAt } from "./issues";
import { isLoopbackUrl } from "./kubeconfig";
import { projectName } from "./projectFile";

/**
 * Where the Helm charts come from (`burstmesh:chartSources`): a mirror in place of the upstream
 * repositories, for all charts or per chart (README, "Mirrored charts"). Absent, every chart comes
 * from the repository components/charts/pinned.ts pins it to.
 */

const chartSourcesKey = `${projectName}:chartSources`;

/** Every chart burstmesh installs, by the name its repository knows it by: what `burstmesh:chartSources` may name. */
export const chartNames = [
  "base",
  "cni",
  "istiod",
  "gateway",
  "karpenter-crd",
  "karpenter",
  "prometheus",
  "grafana",
  "kiali-server",
] as const;
export type ChartName = (typeof chartNames)[number];

/**
 * The Istio releases whose charts burstmesh installs (`burstmesh:istioVersion`, default in Pulumi.yaml):
 * 1.30.8, the newest 1.30 patch (istio.io/api and istio.io/client-go are tagged v1.30.8), and 1.30.4,
 * the release the rehearsal's charts are exported as from the Istio Go module (release-1.30 at
 * 9739e10, rehearsal/toolchain/versions.json), so that a mesh rehearsed there is one users can run.
 */
export const istioReleases = ["1.30.8", "1.30.4"] as const;

/** The key of the source every chart without its own comes from. */
const forAllCharts = "all";

/** An OCI repository path component, as the distribution spec names repositories: lowercase, digits, separators between. */
const ociPathComponent = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;

/** What is wrong with a chart source, or undefined when it is a Helm repository or OCI registry path burstmesh can use. */
function chartSourceProblem(text: string): string | undefined {
  const scheme = /^(https|http|oci):\/\//.exec(text)?.[1];
  if (scheme === undefined) {
    return `must be an https:// Helm repository or an oci:// registry path, such as oci://registry.example.com/charts (got '${text}')`;
  }
  if (/\s/.test(text)) return `must not contain spaces (got '${text}')`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `is not a valid URL (got '${text}')`;
  }
  if (url.hostname === "") return `names no host (got '${text}')`;
  // The stack file would hold them in plain text; registries take a login instead (README, "Mirrored charts").
  if (url.username !== "" || url.password !== "")
    return "must not hold credentials: log in to the registry on the machine that runs Pulumi";
  if (/[?#]/.test(text)) return `must have no query or fragment (got '${text}')`;
  if (scheme === "http" && !isLoopbackUrl(text)) {
    return `http:// is only for a loopback host (127.0.0.1, localhost, [::1]); use https:// for '${url.host}'`;
  }
  const path = url.pathname.replace(/\/+$/, "");
  if (scheme !== "oci") {
    if (/\.tgz$/.test(path)) return `must be a Helm repository (the URL its index.yaml is under), not a chart archive (got '${text}')`;
    if (/\/index\.yaml$/.test(path)) return `must be the Helm repository itself, without /index.yaml (got '${text}')`;
    return undefined;
  }
  if (/[:@]/.test(path))
    return `names a tag or digest; the chart's pinned version is its tag, so give the repository path only (got '${text}')`;
  const wrong = path
    .split("/")
    .slice(1)
    .find((component) => !ociPathComponent.test(component));
  if (wrong !== undefined) {
    return `has the path component '${wrong}', but OCI repository paths take lowercase letters and digits with '.', '_', '__' or '-' between them`;
  }
  return undefined;
}

const chartSource = z
  .string(typeNote("a URL such as https://charts.example.com or oci://registry.example.com/charts"))
  .superRefine((text, ctx) => {
    const problem = chartSourceProblem(text);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
  })
  // Helm appends the chart (OCI) or index.yaml (HTTP) after a slash of its own.
  .transform((text) => text.replace(/\/+$/, ""));

/** `burstmesh:chartSources`: a source for all charts, one per chart, or both (a chart's own wins). */
export const chartSourcesSchema = z
  .strictObject(
    Object.fromEntries([forAllCharts, ...chartNames].map((key) => [key, chartSource.optional()])) as Record<
      typeof forAllCharts | ChartName,
      z.ZodOptional<typeof chartSource>
    >,
  )
  .default({});

/** Where charts come from: `all` for every chart without a source of its own; neither means the chart's upstream repository. */
export type ChartSources = z.output<typeof chartSourcesSchema>;

type ChartSourcesResult = { ok: true; chartSources: ChartSources } | { ok: false; issues: string[] };

/** Validates `burstmesh:chartSources` (raw JSON text or a value). */
export function parseChartSources(raw: unknown): ChartSourcesResult {
  const issues: string[] = [];
  const input = decodeJson(chartSourcesKey, raw, issues);
  if (issues.length > 0) return { ok: false, issues };
  const parsed = chartSourcesSchema.safeParse(input, { reportInput: true });
  if (parsed.success) return { ok: true, chartSources: parsed.data };
  // A key far from every chart name gets no suggestion: then the list of those it may be says more.
  const known = `it takes '${forAllCharts}' or a chart's name: ${chartNames.join(", ")}`;
  return {
    ok: false,
    issues: issuesAt(chartSourcesKey, parsed.error.issues, chartSourcesSchema).map((issue) =>
      issue.endsWith("is not a known setting") ? `${issue}; ${known}` : issue,
    ),
  };
}
