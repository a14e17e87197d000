import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { repeatedIndexes } from "./fields";
import { formatIssues, pathSuffix, unknownKeyMessage } from "./issues";
import { projectDefaults, projectName as project, projectRoot } from "./projectFile";
import {
  awsClusterSettings,
  azureClusterSettings,
  Cloud,
  clouds,
  ClusterSettings,
  clusterRegion,
  existingClusterSettings,
  MeshSettings,
  meshSettings,
  resolvePeers,
} from "./schema";
import { ObservabilitySettings, parseObservabilityConfig } from "./observability";
import { ChartSources, chartSourcesSchema, parseChartSources } from "./charts";
import { DrillSettings } from "./drill";
import { readStackFileConfig } from "./stackFile";
import { parseServiceConfig, ServiceSettings } from "./services";
import { parseTrustConfig, TrustSettings, trustKey } from "./trust";
import { istioKey, parseIstioConfig } from "./istio";
import type { IstioInstall } from "../model/istioRevisions";

export * from "./observability";
export * from "./charts";
export * from "./schema";
export * from "./services";
export * from "./drill";
export * from "./images";
export { parseTrustConfig, trustKey, type TrustSettings } from "./trust";
export { istioConfigValue, istioKey, parseIstioConfig, resolveInstall } from "./istio";
export { projectDefaults, projectName, readProjectFile } from "./projectFile";
export { readStackFileConfig } from "./stackFile";

/** Everything a stack reads from config, validated. */
export type StackConfig =
  | { role: "trust"; mesh: MeshSettings; trust: TrustSettings }
  | {
      role: "cluster";
      mesh: MeshSettings;
      cluster: ClusterSettings;
      services: ServiceSettings[];
      drill: DrillSettings;
      observability: ObservabilitySettings;
      chartSources: ChartSources;
      /** `burstmesh:istio`: the member's revisions mid-upgrade; undefined for `istioVersion` as one revision (see `resolveInstall`). */
      istio: IstioInstall | undefined;
    };

/** Raw config as the engine hands it to the program: full key (`burstmesh:peers`) to string value. */
export type RawConfig = Readonly<Record<string, string | undefined>>;

/** A configuration mistake; a RunError so that Pulumi prints the message without a stack trace. */
export class ConfigError extends pulumi.RunError {}

/**
 * Reads every key this program knows from the engine's config, and every other key of the project's
 * namespace, so that {@link loadConfig} can refuse the ones nobody reads.
 */
function readPulumiConfig(): RawConfig {
  const raw: Record<string, string | undefined> = {};
  const ownKeys = Object.keys(pulumi.runtime.allConfig()).filter((key) => key.startsWith(`${project}:`));
  for (const fullKey of new Set([...knownKeys(), ...ownKeys])) {
    const [namespace, key] = fullKey.split(":") as [string, string];
    raw[fullKey] = new pulumi.Config(namespace).get(key);
  }
  return raw;
}

/** Reads, defaults and validates this stack's config; throws a ConfigError naming every bad key. */
export function loadConfig(
  raw: RawConfig = readPulumiConfig(),
  defaults = projectDefaults(),
  clearTextSecrets: readonly string[] = secretsInClearText(),
): StackConfig {
  const check = checkConfig(raw, defaults, clearTextSecrets);
  if (!check.ok) {
    throw new ConfigError(
      `Invalid configuration for stack '${pulumi.getStack()}':\n${check.issues.map((issue) => `  - ${issue}`).join("\n")}`,
    );
  }
  return check.config;
}

/** A stack's config, validated: the settings, or every issue, each naming its config key. */
type ConfigCheck = { ok: true; config: StackConfig } | { ok: false; issues: string[] };

/**
 * Defaults and validates one stack's raw config, as {@link loadConfig} does but without the engine
 * and without throwing: `npm run mesh -- validate` checks every stack file with it.
 */
export function checkConfig(raw: RawConfig, defaults: Record<string, unknown>, clearTextSecrets: readonly string[]): ConfigCheck {
  const issues: string[] = unknownKeys(raw);
  const undecodable = new Set<string>();
  const value = (fullKey: string, schema: z.ZodType): unknown => {
    const decoded = decode(fullKey, raw[fullKey], defaults[fullKey], schema, issues);
    if (decoded === notDecoded) undecodable.add(fullKey);
    return decoded === notDecoded ? undefined : decoded;
  };

  const role = value(`${project}:role`, roleSchema);
  const mesh = parseSection(meshSettings, (key) => value(`${project}:${key}`, fieldSchema(meshSettings, key)), issues, undecodable);
  if (role !== "trust" && role !== "cluster") {
    issues.push(`${project}:role: must be 'trust' or 'cluster' (got '${String(role)}')`);
  }
  const trustValue = value(trustKey, z.unknown());
  const istioValue = value(istioKey, z.unknown());
  if (role !== "cluster") {
    if (istioValue !== undefined) issues.push(`${istioKey}: applies only to cluster stacks, which run istiod; remove it from this stack`);
    const trust = parseTrustConfig(trustValue, mesh?.members ?? []);
    if (!trust.ok) issues.push(...trust.issues);
    return settle(issues, () => (trust.ok ? { role: "trust", mesh: mesh!, trust: trust.trust } : never()));
  }
  if (trustValue !== undefined) {
    issues.push(`${trustKey}: applies only to the trust stack (${project}:role trust), which issues the CAs; remove it from this stack`);
  }

  const cloud = value(`${project}:cloud`, z.string());
  if (!clouds.includes(cloud as Cloud)) {
    issues.push(`${project}:cloud: must be 'aws', 'azure' or 'existing' (got ${cloud === undefined ? "nothing" : `'${String(cloud)}'`})`);
    return settle(issues, () => never());
  }
  const clusterSchema = clusterSchemas[cloud as Cloud];
  const keyNames = providerKeys[cloud as Cloud];
  const cluster = parseSection(
    clusterSchema,
    (key) => value(keyNames[key] ?? `${project}:${key}`, fieldSchema(clusterSchema, key)),
    issues,
    undecodable,
    keyNames,
  ) as ClusterSettings | undefined;
  for (const key of clearTextSecrets) {
    issues.push(`${key}: is stored in plain text in the stack file; store it as a secret: pulumi config set --secret ${key} < file`);
  }
  if (cluster && mesh) {
    cluster.peers = resolvePeers(cluster.peers as string[] | undefined, mesh.members, cluster.clusterName);
    checkMembership(cluster, mesh, issues);
  }
  const overflow = parseServiceConfig(value(`${project}:services`, z.unknown()), value(`${project}:drill`, z.unknown()), {
    members: mesh?.members,
    region: cluster ? clusterRegion(cluster) : undefined,
  });
  if (!overflow.ok) issues.push(...overflow.issues);
  const observability = parseObservabilityConfig(value(`${project}:observability`, z.unknown()), { members: mesh?.members, cluster });
  if (!observability.ok) issues.push(...observability.issues);
  const charts = parseChartSources(value(`${project}:chartSources`, chartSourcesSchema));
  if (!charts.ok) issues.push(...charts.issues);
  const istio = parseIstioConfig(istioValue);
  if (!istio.ok) issues.push(...istio.issues);
  return settle(issues, () =>
    overflow.ok && observability.ok && charts.ok && istio.ok
      ? {
          role: "cluster",
          mesh: mesh!,
          cluster: cluster!,
          services: overflow.services,
          drill: overflow.drill,
          observability: observability.observability,
          chartSources: charts.chartSources,
          istio: istio.install,
        }
      : never(),
  );
}

const roleSchema = z.enum(["trust", "cluster"]);

const clusterSchemas: Record<Cloud, z.ZodObject> = {
  aws: awsClusterSettings,
  azure: azureClusterSettings,
  existing: existingClusterSettings,
};

/** Cluster settings that the cloud's provider owns, by setting: their full config keys. */
const providerKeys: Record<Cloud, Record<string, string>> = {
  aws: { region: "aws:region" },
  azure: { location: "azure-native:location" },
  existing: {},
};

/** Config keys that hold credentials: a stack file must store them encrypted (`secure:`). */
const secretKeys = [`${project}:kubeconfig`] as const;

/** Every config key the program reads, so that the engine's values can be collected in one pass. */
export function knownKeys(): string[] {
  const keys = [`${project}:role`, ...Object.keys(meshSettings.shape).map((key) => `${project}:${key}`)];
  for (const cloud of clouds) {
    for (const key of Object.keys(clusterSchemas[cloud].shape)) keys.push(providerKeys[cloud][key] ?? `${project}:${key}`);
  }
  return [
    ...new Set([
      ...keys,
      `${project}:services`,
      `${project}:drill`,
      `${project}:observability`,
      `${project}:chartSources`,
      trustKey,
      istioKey,
    ]),
  ];
}

/**
 * The {@link secretKeys} that this stack's file (`Pulumi.<stack>.yaml` beside Pulumi.yaml) holds in
 * plain text rather than encrypted. A missing file holds none.
 */
export function secretsInClearText(stackFile = path.join(projectRoot, `Pulumi.${pulumi.getStack()}.yaml`)): string[] {
  const { raw } = readStackFileConfig(stackFile);
  return secretKeys.filter((key) => raw[key] !== undefined);
}

function checkMembership(cluster: ClusterSettings, mesh: MeshSettings, issues: string[]): void {
  const members = mesh.members.join(", ");
  if (!mesh.members.includes(cluster.clusterName)) {
    issues.push(`${project}:clusterName: '${cluster.clusterName}' is not one of ${project}:members (${members})`);
  }
  const repeated = new Set(repeatedIndexes(cluster.peers));
  cluster.peers.forEach((peer, index) => {
    if (peer === cluster.clusterName) {
      issues.push(`${project}:peers[${index}]: lists this cluster's own name '${peer}'; peers are the other member clusters`);
    } else if (!mesh.members.includes(peer)) {
      issues.push(`${project}:peers[${index}]: '${peer}' is not one of ${project}:members (${members})`);
    } else if (repeated.has(index)) {
      issues.push(`${project}:peers[${index}]: lists '${peer}' twice`);
    }
  });
}

/**
 * Validates one section key by key, so that each issue names the config key it belongs to. A key in
 * `undecodable` has its issue already and gets no second one.
 */
function parseSection<T extends z.ZodObject>(
  schema: T,
  valueOf: (key: string) => unknown,
  issues: string[],
  undecodable: ReadonlySet<string>,
  keyNames: Record<string, string> = {},
): z.infer<T> | undefined {
  const input = Object.fromEntries(Object.keys(schema.shape).map((key) => [key, valueOf(key)]));
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  const fullKey = (key: PropertyKey) => keyNames[String(key)] ?? `${project}:${String(key)}`;
  const fresh = result.error.issues.filter((issue) => !undecodable.has(fullKey(issue.path[0]!)));
  issues.push(...formatIssues(fresh, ([key, ...rest]) => fullKey(key!) + pathSuffix(rest), schema));
  return undefined;
}

/** The keys of this project's namespace that no setting reads: typos, which would otherwise leave the default in force. */
function unknownKeys(raw: RawConfig): string[] {
  const known = knownKeys();
  const ownKnown = known.filter((key) => key.startsWith(`${project}:`));
  return Object.keys(raw)
    .filter((key) => key.startsWith(`${project}:`) && raw[key] !== undefined && !known.includes(key))
    .sort()
    .map((key) => `${key}: ${unknownKeyMessage(key, ownKnown)}`);
}

function fieldSchema(schema: z.ZodObject, key: string): z.ZodType {
  return schema.shape[key] as z.ZodType;
}

/**
 * Turns the engine's string into the value the schema expects: text keys stay as written (so that
 * "1.30" stays a string), every other key is JSON, as the engine encodes numbers, lists and objects.
 */
function decode(fullKey: string, raw: string | undefined, fallback: unknown, schema: z.ZodType, issues: string[]): unknown {
  if (raw === undefined) return fallback;
  if (isText(schema)) return raw;
  try {
    return JSON.parse(raw);
  } catch {
    issues.push(`${fullKey}: must be ${expectedJson(schema)} (got '${raw}')`);
    return notDecoded;
  }
}

/** What {@link decode} gives for a value that is not JSON (its issue recorded). */
const notDecoded = Symbol("not decoded");

/** What a JSON-valued key holds, as its error says it: a list for `peers`, an object for `nodePool`. */
function expectedJson(schema: z.ZodType): string {
  const def = (schema as { def: { type: string; innerType?: z.ZodType; in?: z.ZodType } }).def;
  if (def.innerType) return expectedJson(def.innerType);
  if (def.type === "pipe" && def.in) return expectedJson(def.in);
  const described: Record<string, string> = {
    array: "a list",
    object: "an object",
    number: "a number",
    int: "a number",
    boolean: "true or false",
  };
  return described[def.type] ?? "a number, list or object";
}

function isText(schema: z.ZodType): boolean {
  const type = (schema as { def: { type: string; innerType?: z.ZodType } }).def;
  if (type.type === "optional" || type.type === "default") return isText(type.innerType!);
  return type.type === "string" || type.type === "enum" || type.type === "literal";
}

function settle(issues: string[], build: () => StackConfig): ConfigCheck {
  return issues.length > 0 ? { ok: false, issues } : { ok: true, config: build() };
}

function never(): never {
  throw new Error("unreachable: a config issue was recorded");
}
