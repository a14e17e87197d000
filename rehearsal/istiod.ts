/**
 * istiod for real: one pilot-discovery per member, run as a local process with the settings its
 * Helm release gave the istiod Deployment, against that member's API server. It loads the member's
 * plugged-in CA from the `cacerts` Secret and reads the remote secrets the program created, so its
 * debug endpoints show whether the mesh the program declared is one that istiod can actually build.
 *
 * It runs on this host, not inside the member's network namespace: only the host routes to every
 * member's API server, as istiod must reach its peers' through the remote secrets. Each istiod
 * listens on the host's own end of its member's veth pair and on a loopback address of its own,
 * addresses no other istiod uses.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { RunningMember } from "./controlPlane";
import { istiodServiceName, stableTag } from "../model/istioRevisions";
import type { MemberNetwork } from "./network";
import { type ProcessGroup, waitUntil } from "./processes";

/** Where a running istiod serves its debug endpoints (`/debug/...`), plain HTTP on its own address. */
export interface RunningIstiod {
  member: string;
  /** Its name in the rehearsal's process group. */
  process: string;
  debugUrl: string;
}

/** One container env entry of a Deployment; the chart sets those from the pod's fields with `valueFrom`. */
interface EnvVar {
  name: string;
  value?: string;
}

/** The plain env entries of the istiod Deployment's discovery container: what the chart configured. */
export function chartEnvironment(deployment: unknown): Record<string, string> {
  const containers =
    (deployment as { spec?: { template?: { spec?: { containers?: { name: string; env?: EnvVar[] }[] } } } }).spec?.template?.spec
      ?.containers ?? [];
  const discovery = containers.find((container) => container.name === "discovery");
  if (!discovery) throw new Error("the istiod Deployment has no 'discovery' container");
  return Object.fromEntries((discovery.env ?? []).filter((env) => env.value !== undefined).map((env) => [env.name, env.value!]));
}

/**
 * Where a member's istiod serves plain HTTP, debug endpoints included: a loopback address of its own
 * (`127.213.<n>.1` beside the veth's `10.213.<n>.1`), as istiod answers `/debug/` unauthenticated
 * only to loopback clients.
 */
export function debugAddress(network: MemberNetwork): string {
  return network.hostAddress.replace(/^10\./, "127.");
}

/** The command line of one member's istiod: every listener on the member's own addresses, the mesh config from the cluster's ConfigMap. */
export function istiodArgs(network: MemberNetwork, kubeconfigFile: string, dir: string): string[] {
  const address = network.hostAddress;
  return [
    "discovery",
    `--kubeconfig=${kubeconfigFile}`,
    // Files that do not exist: istiod then reads the mesh config and networks from the `istio` ConfigMap.
    `--meshConfig=${path.join(dir, "no-mesh-file")}`,
    `--networksConfig=${path.join(dir, "no-networks-file")}`,
    `--httpAddr=${debugAddress(network)}:8080`,
    `--grpcAddr=${address}:15010`,
    `--secureGRPCAddr=${address}:15012`,
    `--monitoringAddr=${address}:15014`,
    `--httpsAddr=${address}:15017`,
    `--ctrlz_address=${address}`,
    "--log_output_level=default:info",
  ];
}

/** Starts every member's istiod and waits, bounded, until each serves its debug endpoints with every peer known. */
export async function startIstiods(options: {
  members: readonly RunningMember[];
  bin: string;
  workRoot: string;
  processes: ProcessGroup;
}): Promise<RunningIstiod[]> {
  const running: RunningIstiod[] = [];
  for (const member of options.members) {
    const dir = path.join(options.workRoot, "members", member.name, "istiod");
    fs.mkdirSync(path.join(dir, "cacerts"), { recursive: true });
    const deploymentPath = await stableIstiodPath(member);
    const deployment = deploymentPath && (await member.api.get(deploymentPath));
    if (!deployment) throw new Error(`${member.name}: no istiod Deployment of the ${stableTag} tag to take istiod's settings from`);
    const processName = `${member.name} istiod`;
    options.processes.start(
      processName,
      path.join(options.bin, "pilot-discovery"),
      istiodArgs(member.network, member.kubeconfigFile, dir),
      {
        log: path.join(dir, "istiod.log"),
        // istiod writes files it makes for itself (such as its DNS certificate) under its working folder.
        cwd: dir,
        env: {
          PATH: process.env.PATH,
          HOME: dir,
          ...chartEnvironment(deployment),
          POD_NAME: `istiod-${member.name}`,
          POD_NAMESPACE: "istio-system",
          SERVICE_ACCOUNT: "istiod",
          // The Deployment mounts `cacerts` at ROOT_CA_DIR; a local process has istiod copy it from the cluster instead.
          ROOT_CA_DIR: path.join(dir, "cacerts"),
          USE_REMOTE_CERTS: "true",
        },
      },
    );
    running.push({ member: member.name, process: processName, debugUrl: `http://${debugAddress(member.network)}:8080/debug` });
  }
  for (const istiod of running) {
    await waitUntil(
      `${istiod.member}'s istiod to sync every peer`,
      120_000,
      async () => {
        options.processes.assertRunning();
        const clusters = await debugJson<RemoteCluster[]>(istiod, "clusterz").catch(() => undefined);
        return (clusters ?? []).filter((cluster) => cluster.syncStatus === "synced").length >= options.members.length;
      },
      1000,
    );
  }
  return running;
}

async function debugJson<T>(istiod: RunningIstiod, endpoint: string): Promise<T> {
  const response = await fetch(`${istiod.debugUrl}/${endpoint}`, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`${istiod.member}: /debug/${endpoint} answered ${response.status}`);
  return (await response.json()) as T;
}

/** One entry of `/debug/clusterz`, all the wait for sync reads. */
interface RemoteCluster {
  id: string;
  syncStatus: string;
}

/**
 * The label the sidecar injector gives every pod it injects. istiod sends a proxy the endpoints of
 * another network only for pods that carry it (they can take mTLS through the east-west gateway),
 * and the injection webhook cannot run here: the rehearsal labels the pods as injection would.
 */
export const injectedPodLabels = { "security.istio.io/tlsMode": "istio" } as const;

const metadataName = (object: Record<string, unknown>) => (object.metadata as { name: string }).name;

/** The namespaces the program labelled for injection: those that ask for the stable tag. */
export const injectedNamespacesPath = `/api/v1/namespaces?labelSelector=${encodeURIComponent(`istio.io/rev=${stableTag}`)}`;

/** The stable tag's webhook. */
const stableTagPath = `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/istio-revision-tag-${stableTag}`;

/**
 * The API path of the istiod Deployment the stable tag's webhook points to, which is the one the
 * rehearsal runs; undefined until the program has created the tag.
 */
export async function stableIstiodPath(member: RunningMember): Promise<string | undefined> {
  const tag = await member.api.get<{ metadata: { labels?: Record<string, string> } }>(stableTagPath);
  const revision = tag?.metadata.labels?.["istio.io/rev"];
  return revision && `/apis/apps/v1/namespaces/istio-system/deployments/${istiodServiceName(revision)}`;
}

async function injectedNamespaces(member: RunningMember): Promise<string[]> {
  return (await member.api.list(injectedNamespacesPath)).map(metadataName);
}

/**
 * Marks every pod the stable tag's injector would have injected, as it would have: the label
 * ({@link injectedPodLabels}) and the status annotation that names the injecting revision (the one
 * the tag points to when the pod is first marked), which an upgrade reads to find pods still on a
 * revision. The pods of the injected namespaces, and the east-west gateway's, which ask for the tag.
 */
export async function markInjectedPods(member: RunningMember): Promise<void> {
  const tag = await member.api.get<{ metadata: { labels?: Record<string, string> } }>(stableTagPath);
  const revision = tag?.metadata.labels?.["istio.io/rev"] ?? "default";
  const marked = { metadata: { labels: injectedPodLabels, annotations: { [sidecarStatusAnnotation]: JSON.stringify({ revision }) } } };
  const gatewayPods = `/api/v1/namespaces/istio-system/pods?labelSelector=${encodeURIComponent(`istio.io/rev=${stableTag}`)}`;
  const paths = [...(await injectedNamespaces(member)).map((namespace) => `/api/v1/namespaces/${namespace}/pods`), gatewayPods];
  for (const listPath of paths) {
    for (const pod of (await member.api.list(listPath)) as {
      metadata: { name: string; namespace: string; annotations?: Record<string, string> };
    }[]) {
      if (pod.metadata.annotations?.[sidecarStatusAnnotation] !== undefined) continue;
      await member.api.mergePatch(`/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}`, marked);
    }
  }
}

/** The injector's annotation on the pods it injects, naming (among others) its revision. */
const sidecarStatusAnnotation = "sidecar.istio.io/status";
