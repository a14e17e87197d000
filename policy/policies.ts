// burstmesh guardrails: the policies of the `policy/` pack as plain functions, so that the main test
// suite can call them without the Pulumi engine. `index.ts` only wraps them in a PolicyPack.
//
// Resource policies see a resource's inputs; stack policies see every resource's outputs (at the end of
// a preview or update). During a preview some values are unknown: reading one through the SDK's proxy
// throws `UnknownValueError`, which the SDK reports as an advisory "can't run during preview" instead of
// a violation. The checks below only catch it where one unknown must not hide a conclusive answer.

import { ReportViolation, ResourceValidationPolicy, StackValidationPolicy, UnknownValueError } from "@pulumi/policy";
import { parse as parseYaml } from "yaml";

/** The part of a resource that these policies read: the same fields in resource and stack validation. */
export interface ResourceView {
  /** Type token, e.g. `kubernetes:helm.sh/v3:Release`. */
  type: string;
  /** Pulumi (logical) name. */
  name: string;
  urn: string;
  /** Inputs (resource policies) or outputs (stack policies). */
  props: Record<string, unknown>;
  /** Resource options; only `additionalSecretOutputs` is read. */
  opts?: { additionalSecretOutputs?: readonly string[] };
}

/** What a stack policy reads from its arguments. */
export interface StackView {
  resources: readonly ResourceView[];
}

/** Type tokens the policies look for (as @pulumi/kubernetes 4, @pulumi/tls 5, @pulumi/aws 7, azure-native 3 register them). */
export const types = {
  helmRelease: "kubernetes:helm.sh/v3:Release",
  /** `k8s.core.v1.Secret`: the SDK marks `data` and `stringData` secret. */
  secret: "kubernetes:core/v1:Secret",
  /** A Secret created as `apiextensions.CustomResource` (`kubernetes:<apiVersion>:<kind>`): nothing marks it secret. */
  secretAsCustomResource: "kubernetes:v1:Secret",
  /** `apiextensions.CustomResource` registers as `kubernetes:<apiVersion>:<kind>`; a typed CRD class would use the same token. */
  peerAuthentication: ["kubernetes:security.istio.io/v1:PeerAuthentication", "kubernetes:security.istio.io/v1beta1:PeerAuthentication"],
  tlsPrivateKey: "tls:index/privateKey:PrivateKey",
  tlsSelfSignedCert: "tls:index/selfSignedCert:SelfSignedCert",
  tlsLocallySignedCert: "tls:index/locallySignedCert:LocallySignedCert",
  eksCluster: "aws:eks/cluster:Cluster",
  eksNodeGroup: "aws:eks/nodeGroup:NodeGroup",
  eksAddon: "aws:eks/addon:Addon",
  /** Matches `azure-native:containerservice:ManagedCluster` and the API-versioned modules. */
  aksCluster: /^azure-native:containerservice(\/v[\w-]+)?:ManagedCluster$/,
  aksAgentPool: /^azure-native:containerservice(\/v[\w-]+)?:AgentPool$/,
} as const;

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

// ---------------------------------------------------------------------------------------------------
// (a) Mesh-wide STRICT mTLS in every stack that installs Istio.

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

// ---------------------------------------------------------------------------------------------------
// (b) Remote-secret kubeconfigs that istiod accepts: inline credentials only.

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
export function kubeconfigProblems(text: string): string[] {
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

// ---------------------------------------------------------------------------------------------------
// (c) The east-west gateway exposes only the cross-network ports.

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
export function gatewayServicePorts(values: Record<string, unknown>): number[] {
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

// ---------------------------------------------------------------------------------------------------
// (d) Helm releases pin an exact chart version.

const exactVersion = /^v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

/** Every `helm.v3.Release` sets `version` to one exact version (no range, no "latest", not empty). */
export function validatePinnedChartVersion(args: ResourceView, reportViolation: ReportViolation): void {
  if (args.type !== types.helmRelease) return;
  const version = args.props.version;
  if (typeof version === "string" && exactVersion.test(version.trim())) return;
  const chart = String(args.props.chart ?? "?");
  reportViolation(
    version === undefined || version === ""
      ? `Helm release '${args.name}' (chart '${chart}') sets no version: pin the exact chart version (e.g. 1.30.3).`
      : `Helm release '${args.name}' (chart '${chart}') uses version '${String(version)}', which is not one exact version (e.g. 1.30.3).`,
  );
}

// ---------------------------------------------------------------------------------------------------
// (e) CA keys live in the trust stack only.

/**
 * A stack that owns a cluster (EKS, AKS) or installs istiod must not mint keys or CA certificates:
 * no `tls.PrivateKey`, no CA `tls.SelfSignedCert` or `tls.LocallySignedCert`. Those belong to the
 * trust stack, whose state is the only one that may hold the root CA key.
 */
export function validateNoCaKeyInClusterStack(args: StackView, reportViolation: ReportViolation): void {
  const owner = args.resources.find(
    (r) =>
      r.type === types.eksCluster ||
      types.aksCluster.test(r.type) ||
      (r.type === types.helmRelease && chartName(r.props.chart) === "istiod"),
  );
  if (!owner) return;
  for (const r of args.resources) {
    if (r.type === types.tlsPrivateKey) {
      reportViolation(
        `Cluster stack (it has ${owner.type} '${owner.name}') holds private key '${r.name}'; CA keys belong to the trust stack only.`,
        r.urn,
      );
    } else if ((r.type === types.tlsSelfSignedCert || r.type === types.tlsLocallySignedCert) && r.props.isCaCertificate === true) {
      reportViolation(
        `Cluster stack (it has ${owner.type} '${owner.name}') mints CA certificate '${r.name}'; CA certificates are issued by the trust stack only.`,
        r.urn,
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// (e2) Resource metrics on EKS.

/**
 * A stack with an EKS cluster must install metrics-server: the `metrics-server` EKS add-on, or a
 * Helm release of a `metrics-server` chart. EKS does not deploy it, and without it every HPA in the
 * cluster (the services', istiod's, the east-west gateway's) stays at its minimum, so bursts spill
 * to the other cloud long before the home cluster has grown.
 */
export function validateEksMetricsServer(args: StackView, reportViolation: ReportViolation): void {
  const clusters = args.resources.filter((r) => r.type === types.eksCluster);
  if (clusters.length === 0) return;
  let firstUnknown: UnknownValueError | undefined;
  for (const r of args.resources) {
    try {
      if (r.type === types.eksAddon && r.props.addonName === "metrics-server") return;
      if (r.type === types.helmRelease && chartName(r.props.chart) === "metrics-server") return;
    } catch (error) {
      if (!(error instanceof UnknownValueError)) throw error;
      firstUnknown ??= error;
    }
  }
  if (firstUnknown) throw firstUnknown;
  reportViolation(
    `EKS cluster '${clusters[0]!.name}' has no metrics-server, so its HPAs cannot scale: add the EKS add-on 'metrics-server' ` +
      "(aws.eks.Addon) after the node group.",
    clusters[0]!.urn,
  );
}

// ---------------------------------------------------------------------------------------------------
// (f) Credentials only in properties Pulumi stores as secrets.

/**
 * The policy SDK unwraps secrets before a policy sees them, so a policy cannot tell whether a value
 * was passed as `pulumi.secret(...)` (pulumi/pulumi-policy#241). What it can see is a resource's
 * `additionalSecretOutputs`, which the SDKs set on the properties they always encrypt (the `data` and
 * `stringData` of `k8s.core.v1.Secret`, the key inputs of the tls resources). So: credential material
 * (PEM private keys, kubeconfigs with inline credentials, JWT bearer tokens, also base64-encoded) may
 * only appear in such properties. Everything else (Helm values, ConfigMaps, annotations, Secrets built
 * as custom resources or from YAML) is flagged. Provider and component resources are not checked: their
 * inputs come from outputs whose secretness the policy cannot see.
 */
export function validateCredentialsInSecretProperties(args: ResourceView, reportViolation: ReportViolation): void {
  if (args.type.startsWith("pulumi:") || args.type.startsWith("burstmesh:")) return;
  const secretProps = new Set(args.opts?.additionalSecretOutputs ?? []);
  for (const key of Object.keys(args.props)) {
    if (secretProps.has(key)) continue;
    for (const finding of findCredentials(() => args.props[key], key)) {
      reportViolation(
        `${args.type} '${args.name}' holds ${finding.kind} in '${finding.path}', which Pulumi does not store as a secret. ` +
          "Put credentials in a k8s.core.v1.Secret (data/stringData) and reference it, or list the property in additionalSecretOutputs.",
      );
    }
  }
}

/** Where credential material sits inside a value: a property path and what was found there. */
export interface CredentialFinding {
  path: string;
  kind: string;
}

/** Walks a value (read lazily, so that unknown parts of a preview are skipped) and names the credentials in it. */
export function findCredentials(read: () => unknown, path: string): CredentialFinding[] {
  let value: unknown;
  try {
    value = read();
  } catch (error) {
    if (error instanceof UnknownValueError) return [];
    throw error;
  }
  if (typeof value === "string") {
    const kind = credentialKind(value);
    return kind ? [{ path, kind }] : [];
  }
  if (Array.isArray(value)) return value.flatMap((_, index) => findCredentials(() => value[index], `${path}[${index}]`));
  if (value !== null && typeof value === "object") {
    const object = value as Record<string, unknown>;
    return Object.keys(object).flatMap((key) => findCredentials(() => object[key], `${path}.${key}`));
  }
  return [];
}

const pemPrivateKey = /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/;
const jwt = /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/;

/** What kind of credential a string is or holds, if any (also looking inside base64). */
export function credentialKind(text: string): string | undefined {
  const plain = plainCredentialKind(text);
  if (plain) return plain;
  const decoded = decodeBase64(text.trim());
  const inner = decoded === undefined ? undefined : plainCredentialKind(decoded);
  return inner ? `${inner} (base64-encoded)` : undefined;
}

function plainCredentialKind(text: string): string | undefined {
  if (pemPrivateKey.test(text)) return "a PEM private key";
  if (jwt.test(text)) return "a bearer token (JWT)";
  if (/\bclusters:/.test(text) && /\busers:/.test(text)) {
    try {
      const users = record(parseYaml(text)).users;
      const credentialed = (Array.isArray(users) ? users : []).some((entry) => {
        const user = record(record(entry).user);
        return ["token", "client-key-data", "password"].some((field) => typeof user[field] === "string" && user[field] !== "");
      });
      if (credentialed) return "a kubeconfig with inline credentials";
    } catch {
      // Not YAML: not a kubeconfig.
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// (g) Workloads meet the `restricted` Pod Security level.

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

// ---------------------------------------------------------------------------------------------------
// Advisory: exposure and availability of the clusters.

const anywhere = new Set(["0.0.0.0/0", "::/0"]);

/** EKS: a public API endpoint should be limited to known CIDRs (`vpcConfig.publicAccessCidrs`, default 0.0.0.0/0). */
export function validateEksPublicAccessCidrs(args: ResourceView, reportViolation: ReportViolation): void {
  if (args.type !== types.eksCluster) return;
  const vpcConfig = record(args.props.vpcConfig);
  if (vpcConfig.endpointPublicAccess === false) return;
  const cidrs = Array.isArray(vpcConfig.publicAccessCidrs) ? vpcConfig.publicAccessCidrs.map(String) : [];
  if (cidrs.length === 0) {
    reportViolation(`EKS cluster '${args.name}' has a public API endpoint with no publicAccessCidrs (AWS defaults to 0.0.0.0/0).`);
  } else if (cidrs.some((cidr) => anywhere.has(cidr))) {
    reportViolation(
      `EKS cluster '${args.name}' allows its public API endpoint from anywhere (publicAccessCidrs includes ${cidrs.filter((c) => anywhere.has(c)).join(", ")}).`,
    );
  }
}

/** AKS: a public API server should be limited to `apiServerAccessProfile.authorizedIPRanges` (or be private). */
export function validateAksAuthorizedIpRanges(args: ResourceView, reportViolation: ReportViolation): void {
  if (!types.aksCluster.test(args.type)) return;
  const profile = record(args.props.apiServerAccessProfile);
  if (profile.enablePrivateCluster === true) return;
  const ranges = Array.isArray(profile.authorizedIPRanges) ? profile.authorizedIPRanges.map(String) : [];
  if (ranges.length === 0) {
    reportViolation(
      `AKS cluster '${args.name}' has a public API server without apiServerAccessProfile.authorizedIPRanges (open to any address).`,
    );
  } else if (ranges.some((range) => anywhere.has(range))) {
    reportViolation(`AKS cluster '${args.name}' authorizes its API server from anywhere (authorizedIPRanges includes 0.0.0.0/0).`);
  }
}

/** Node pools should keep at least 2 nodes (EKS `scalingConfig.minSize`, AKS `minCount` with autoscaling, else `count`). */
export function validateNodePoolMinimum(args: ResourceView, reportViolation: ReportViolation): void {
  const minimum = 2;
  if (args.type === types.eksNodeGroup) {
    const minSize = record(args.props.scalingConfig).minSize;
    if (typeof minSize !== "number" || minSize < minimum) {
      reportViolation(
        `EKS node group '${args.name}' can shrink to ${String(minSize ?? "?")} node(s) (scalingConfig.minSize); keep at least ${minimum}.`,
      );
    }
    return;
  }
  const pools: [string, Record<string, unknown>][] = types.aksCluster.test(args.type)
    ? (Array.isArray(args.props.agentPoolProfiles) ? args.props.agentPoolProfiles : []).map((p): [string, Record<string, unknown>] => [
        `AKS cluster '${args.name}' pool '${String(record(p).name ?? "?")}'`,
        record(p),
      ])
    : types.aksAgentPool.test(args.type)
      ? [[`AKS agent pool '${args.name}'`, args.props]]
      : [];
  for (const [where, pool] of pools) {
    const field = pool.enableAutoScaling === true ? "minCount" : "count";
    const size = pool[field];
    if (typeof size !== "number" || size < minimum) {
      reportViolation(`${where} can run with ${String(size ?? "an unset")} node(s) (${field}); keep at least ${minimum}.`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// The pack.

/** Every policy of the pack, in the order the pack lists them. */
// ---------------------------------------------------------------------------------------------------
// (h) Cost-allocation tags on every taggable cloud resource.

/** The default tags (components/clusters/tags.ts; the pack is a package of its own, so it names them here). */
export const defaultTagKeys = ["burstmesh:project", "burstmesh:stack", "burstmesh:cluster"] as const;

/** azure-native resources that take `tags` among those burstmesh creates and their relatives (API-versioned modules too). */
const azureTaggable =
  /^azure-native:(resources(\/v[\w-]+)?:ResourceGroup|containerservice(\/v[\w-]+)?:(ManagedCluster|AgentPool)|network(\/v[\w-]+)?:\w+|managedidentity(\/v[\w-]+)?:UserAssignedIdentity|keyvault(\/v[\w-]+)?:Vault|storage(\/v[\w-]+)?:StorageAccount|operationalinsights(\/v[\w-]+)?:Workspace)$/;

/**
 * Every AWS resource gets the default tags from its provider's `defaultTags` (the program gives each
 * cluster stack one AWS provider), so every AWS provider must carry them; every taggable Azure
 * resource carries them in its own `tags`.
 */
export function validateDefaultTags(args: ResourceView, reportViolation: ReportViolation): void {
  let tags: Record<string, unknown>;
  if (args.type === "pulumi:providers:aws") {
    // The engine hands a provider's object-valued settings over as JSON text.
    const raw = args.props.defaultTags;
    const defaultTags = typeof raw === "string" ? (JSON.parse(raw) as unknown) : raw;
    tags = record(record(defaultTags).tags);
  } else if (azureTaggable.test(args.type)) {
    tags = record(args.props.tags);
  } else {
    return;
  }
  const missing = defaultTagKeys.filter((key) => typeof tags[key] !== "string" || tags[key] === "");
  if (missing.length > 0) {
    const where = args.type === "pulumi:providers:aws" ? "AWS provider's defaultTags.tags" : "tags";
    reportViolation(`${args.type} '${args.name}' lacks the default tag(s) ${missing.join(", ")} in its ${where}.`);
  }
}

export const policies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
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
  {
    name: "helm-release-pinned-version",
    description: "Every Helm release pins one exact chart version.",
    enforcementLevel: "mandatory",
    severity: "medium",
    validateResource: validatePinnedChartVersion,
  },
  {
    name: "no-ca-key-in-cluster-stack",
    description: "Stacks with a cluster or istiod hold no private keys and mint no CA certificates; the trust stack does.",
    enforcementLevel: "mandatory",
    severity: "critical",
    validateStack: validateNoCaKeyInClusterStack,
  },
  {
    name: "credentials-in-secret-properties",
    description: "Private keys, kubeconfigs with credentials and bearer tokens appear only in properties Pulumi stores as secrets.",
    enforcementLevel: "mandatory",
    severity: "critical",
    validateResource: validateCredentialsInSecretProperties,
  },
  {
    name: "workloads-pod-security-restricted",
    description: "Every Deployment, StatefulSet, DaemonSet, Job and CronJob meets the restricted Pod Security level.",
    enforcementLevel: "mandatory",
    severity: "high",
    validateResource: validateRestrictedWorkload,
  },
  {
    // Mandatory: without it bursting degrades silently (HPAs stuck at their minimum) and the fix is one add-on.
    name: "eks-metrics-server",
    description: "A stack with an EKS cluster installs metrics-server, so that its HPAs can scale.",
    enforcementLevel: "mandatory",
    severity: "high",
    validateStack: validateEksMetricsServer,
  },
  {
    name: "cloud-resource-default-tags",
    description:
      "Every AWS provider sets the default tags burstmesh:project, burstmesh:stack and burstmesh:cluster, and every taggable Azure resource carries them.",
    enforcementLevel: "mandatory",
    severity: "low",
    validateResource: validateDefaultTags,
  },
  {
    name: "eks-api-public-access-restricted",
    description: "The EKS API endpoint is private or limited to known CIDRs.",
    enforcementLevel: "advisory",
    severity: "medium",
    validateResource: validateEksPublicAccessCidrs,
  },
  {
    name: "aks-api-authorized-ip-ranges",
    description: "The AKS API server is private or limited to authorized IP ranges.",
    enforcementLevel: "advisory",
    severity: "medium",
    validateResource: validateAksAuthorizedIpRanges,
  },
  {
    name: "node-pool-min-two-nodes",
    description: "Node pools keep at least two nodes.",
    enforcementLevel: "advisory",
    severity: "low",
    validateResource: validateNodePoolMinimum,
  },
];

// ---------------------------------------------------------------------------------------------------
// Helpers.

/**
 * The chart's name without repository, path, version or archive suffix:
 * `istiod`, `istio/istiod`, `oci://host/istio/istiod` and `https://host/charts/istiod-1.30.3.tgz` all give `istiod`.
 */
export function chartName(chart: unknown): string | undefined {
  if (typeof chart !== "string" || chart === "") return undefined;
  const last = chart.split("/").filter(Boolean).pop() ?? chart;
  return last.replace(/\.tgz$/, "").replace(/-v?\d+\.\d+\.\d+.*$/, "");
}

/** The value as an object to read fields from, or an empty one. */
function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** The value as a list, or an empty one. */
function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** The UTF-8 text inside base64, or undefined when the value is not base64 of text. */
function decodeBase64(value: string): string | undefined {
  const compact = value.replace(/\s+/g, "");
  if (compact.length < 16 || compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) return undefined;
  const text = Buffer.from(compact, "base64").toString("utf8");
  // Mostly printable, or it was binary (or a plain word that happens to be base64-shaped).
  const printable = text.replace(/[^\t\n\r\x20-\x7e]/g, "").length;
  return printable >= text.length * 0.95 ? text : undefined;
}
