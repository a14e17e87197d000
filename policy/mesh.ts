// How the multi-primary mesh is wired: STRICT mTLS everywhere, remote secrets that istiod accepts,
// and an east-west gateway that publishes nothing but the cross-network ports.

import { Policies, ReportViolation, UnknownValueError } from "@pulumi/policy";
import { parse as parseYaml } from "yaml";
import { chartName, decodeBase64, record, ResourceView, StackView, types } from "./views";

export const meshPolicies: Policies = [
  {
    name: "istio-strict-mtls",
    description: "Stacks that install Istio have a mesh-wide STRICT PeerAuthentication and nothing that relaxes it.",
    enforcementLevel: "mandatory",
    severity: "critical",
    validateStack: validateStrictMtls,
  },
  {
    name: "remote-secret-inline-credentials",
    description: "Istio remote secrets hold kubeconfigs with inline credentials only (no exec, auth-provider or file paths).",
    enforcementLevel: "mandatory",
    severity: "high",
    validateResource: validateRemoteSecretKubeconfig,
  },
  {
    name: "eastwest-gateway-ports",
    description: "The east-west gateway exposes only 15021 and 15443 (never istiod's 15012 or 15017).",
    enforcementLevel: "mandatory",
    severity: "high",
    validateResource: validateEastWestGatewayPorts,
  },
];

/**
 * A stack with an `istiod` Helm release must hold a `PeerAuthentication` named `default` in
 * `istio-system` with `spec.mtls.mode: STRICT`, and no PeerAuthentication may relax mTLS to
 * PERMISSIVE or DISABLE (for a namespace, a workload or a port).
 */
export function validateStrictMtls(args: StackView, reportViolation: ReportViolation): void {
  if (!args.resources.some((r) => r.type === types.helmRelease && chartName(r.props.chart) === "istiod")) return;

  const peerAuthentications = args.resources.filter((r) => (types.peerAuthentication as readonly string[]).includes(r.type));
  let meshWideStrict = false;
  let firstUnknown: UnknownValueError | undefined;
  for (const pa of peerAuthentications) {
    try {
      const metadata = record(pa.props.metadata);
      const spec = record(pa.props.spec);
      const mode = record(spec.mtls).mode;
      if (metadata.name === "default" && metadata.namespace === "istio-system" && mode === "STRICT") meshWideStrict = true;
      const relaxed = [mode, ...Object.values(record(spec.portLevelMtls)).map((port) => record(port).mode)].filter(
        (m) => m === "PERMISSIVE" || m === "DISABLE",
      );
      if (relaxed.length > 0) {
        reportViolation(
          `PeerAuthentication '${String(metadata.namespace ?? "?")}/${String(metadata.name ?? pa.name)}' sets mTLS mode ${relaxed.join(", ")}; ` +
            "the mesh requires STRICT everywhere.",
          pa.urn,
        );
      }
    } catch (error) {
      if (!(error instanceof UnknownValueError)) throw error;
      firstUnknown ??= error;
    }
  }
  if (meshWideStrict) return;
  // Not proven and not disproven: let the SDK report "can't run during preview" (advisory).
  if (firstUnknown) throw firstUnknown;
  reportViolation(
    "This stack installs istiod but has no mesh-wide STRICT mTLS: add a PeerAuthentication 'default' in namespace " +
      "'istio-system' with spec.mtls.mode STRICT (type security.istio.io/v1 PeerAuthentication).",
  );
}

/**
 * A Secret labelled `istio/multiCluster: "true"` holds one kubeconfig per key (`stringData`, or
 * base64 in `data`). istiod refuses kubeconfigs that run commands or read local files, so each must
 * have no `exec`, no `auth-provider`, no file paths (`certificate-authority`, `client-certificate`,
 * `client-key`, `tokenFile`) and must not skip TLS verification.
 */
export function validateRemoteSecretKubeconfig(args: ResourceView, reportViolation: ReportViolation): void {
  if (args.type !== types.secret && args.type !== types.secretAsCustomResource) return;
  const metadata = record(args.props.metadata);
  if (String(record(metadata.labels)["istio/multiCluster"]) !== "true") return;
  const where = `Remote secret '${String(metadata.namespace ?? "default")}/${String(metadata.name ?? args.name)}'`;

  const entries: [string, string | undefined][] = [
    ...Object.entries(record(args.props.stringData)).map(([key, value]): [string, string | undefined] => [
      key,
      typeof value === "string" ? value : undefined,
    ]),
    ...Object.entries(record(args.props.data)).map(([key, value]): [string, string | undefined] => [
      key,
      typeof value === "string" ? decodeBase64(value) : undefined,
    ]),
  ];
  if (entries.length === 0) {
    reportViolation(`${where} holds no kubeconfig: istiod expects one key per remote cluster, named after it.`);
    return;
  }
  for (const [key, text] of entries) {
    const problems = text === undefined ? ["is not text"] : kubeconfigProblems(text);
    for (const problem of problems) {
      reportViolation(
        `${where}, key '${key}': the kubeconfig ${problem}. istiod rejects exec, auth-provider, file paths and tokenFile ` +
          "in remote secrets; use an inline token and certificate-authority-data.",
      );
    }
  }
}

/** What makes a kubeconfig unusable (or unsafe) as an Istio remote secret; empty when it is fine. */
function kubeconfigProblems(text: string): string[] {
  let config: unknown;
  try {
    config = parseYaml(text);
  } catch {
    return ["is not valid YAML"];
  }
  const doc = record(config);
  const clusters = Array.isArray(doc.clusters) ? doc.clusters : [];
  const users = Array.isArray(doc.users) ? doc.users : [];
  if (clusters.length === 0 || users.length === 0) return ["is not a kubeconfig (no clusters or no users)"];

  const problems: string[] = [];
  for (const entry of clusters) {
    const name = String(record(entry).name ?? "?");
    const cluster = record(record(entry).cluster);
    if (cluster["certificate-authority"] !== undefined) problems.push(`cluster '${name}' reads its CA from a file (certificate-authority)`);
    if (cluster["insecure-skip-tls-verify"] === true) problems.push(`cluster '${name}' skips TLS verification (insecure-skip-tls-verify)`);
  }
  for (const entry of users) {
    const name = String(record(entry).name ?? "?");
    const user = record(record(entry).user);
    if (user.exec !== undefined) problems.push(`user '${name}' runs an exec credential plugin`);
    if (user["auth-provider"] !== undefined) problems.push(`user '${name}' uses an auth-provider`);
    for (const field of ["client-certificate", "client-key", "tokenFile"]) {
      if (user[field] !== undefined) problems.push(`user '${name}' reads ${field} from a file`);
    }
  }
  return problems;
}

/**
 * The ports the east-west gateway may expose: the status port and mTLS passthrough, what multi-primary
 * needs. istiod's xDS (15012) and webhook (15017) ports serve primary-remote installs only and must not
 * sit on an internet-facing load balancer.
 */
export const eastWestGatewayAllowedPorts: readonly number[] = [15021, 15443];

/** The Service ports of the 1.30 gateway chart when `networkGateway` is set (`networkGatewayPorts` overrides them). */
const networkGatewayDefaultPorts: Record<string, number> = { "status-port": 15021, tls: 15443, "tls-istiod": 15012, "tls-webhook": 15017 };

/** The Service ports of the 1.30 gateway chart when neither `networkGateway` nor `service.ports` is set. */
const gatewayChartDefaultPorts: readonly number[] = [15021, 80, 443];

/**
 * The east-west gateway (Helm chart `gateway`, identified by release name `istio-eastwestgateway`, the
 * label `istio: eastwestgateway`, a `networkGateway` value, or "eastwest" in its Pulumi name) may only
 * expose 15021 and 15443. With `networkGateway` the chart renders `networkGatewayPorts`, which in 1.30
 * always include 15012 and 15017, so that mode fails; otherwise `service.ports`, whose chart default
 * includes 80 and 443.
 */
export function validateEastWestGatewayPorts(args: ResourceView, reportViolation: ReportViolation): void {
  if (args.type !== types.helmRelease || chartName(args.props.chart) !== "gateway") return;
  const values = record(args.props.values);
  const isEastWest =
    args.props.name === "istio-eastwestgateway" ||
    values.name === "istio-eastwestgateway" ||
    record(values.labels).istio === "eastwestgateway" ||
    Boolean(values.networkGateway) ||
    /east-?west/i.test(args.name);
  if (!isEastWest) return;

  const exposed = gatewayServicePorts(values);
  const extra = exposed.filter((port) => !eastWestGatewayAllowedPorts.includes(port));
  if (extra.length > 0) {
    const source = values.networkGateway
      ? "networkGatewayPorts"
      : values.service !== undefined && record(values.service).ports !== undefined
        ? "service.ports"
        : "the chart's default service.ports";
    reportViolation(
      `East-west gateway release '${String(args.props.name ?? args.name)}' exposes port(s) ${extra.join(", ")} (from ${source}); ` +
        `only ${eastWestGatewayAllowedPorts.join(" and ")} are allowed. Set service.ports to exactly 15021 and 15443 ` +
        `(networkGateway mode always adds istiod's 15012 and 15017).`,
    );
  }
}

/** The ports the 1.30 gateway chart puts on its Service for these values. */
function gatewayServicePorts(values: Record<string, unknown>): number[] {
  const service = record(values.service);
  if (service.type === "None") return [];
  if (values.networkGateway) {
    const overrides = record(values.networkGatewayPorts);
    const names = new Set([...Object.keys(networkGatewayDefaultPorts), ...Object.keys(overrides)]);
    return [...names].map((name) => Number(record(overrides[name]).port ?? networkGatewayDefaultPorts[name]));
  }
  if (service.ports === undefined || service.ports === null) return [...gatewayChartDefaultPorts];
  return (Array.isArray(service.ports) ? service.ports : []).map((port) => Number(record(port).port));
}
