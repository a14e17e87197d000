// Where key material and credentials may live: CA keys in the trust stack's state only, credentials
// only in properties Pulumi stores as secrets.

import { Policies, ReportViolation, UnknownValueError } from "@pulumi/policy";
import { parse as parseYaml } from "yaml";
import { chartName, decodeBase64, record, ResourceView, StackView, types } from "./views";

export const secretPolicies: Policies = [
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
];

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
interface CredentialFinding {
  path: string;
  kind: string;
}

/** Walks a value (read lazily, so that unknown parts of a preview are skipped) and names the credentials in it. */
function findCredentials(read: () => unknown, path: string): CredentialFinding[] {
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
function credentialKind(text: string): string | undefined {
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
