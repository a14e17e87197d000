/**
 * A member's control plane, for real: etcd, kube-apiserver (token authentication, RBAC, the
 * service-account token issuer, Pod Security admission), kube-controller-manager (the token
 * controller among its controllers), kube-scheduler and kwok, which makes the member's nodes and
 * pods look Ready. All run inside the member's network namespace. Admission webhooks are off: no
 * pod runs here to serve them (istiod's sidecar injector and validation included).
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify as toYaml } from "yaml";
import { KubeApi } from "../doctor/kubeApi";
import { inNamespace, type MemberNetwork } from "./network";
import { type ProcessGroup, waitUntil } from "./processes";

/** The port every member's API server listens on, on its own address. */
const apiServerPort = 6443;

/** Fake nodes per member: enough room for every pod the program schedules. */
const nodesPerMember = 3;

/** A running member: where its API server is and the admin kubeconfig for it. */
export interface RunningMember {
  name: string;
  network: MemberNetwork;
  server: string;
  /** The admin kubeconfig (a bearer token of system:masters and the API server's CA, inline). */
  kubeconfig: string;
  kubeconfigFile: string;
  api: KubeApi;
}

/** The admin kubeconfig of a member, in the inline form the program requires of an existing member. */
export function adminKubeconfig(name: string, server: string, caPem: string, token: string): string {
  return toYaml({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name, cluster: { server, "certificate-authority-data": Buffer.from(caPem).toString("base64") } }],
    users: [{ name: `${name}-admin`, user: { token } }],
    contexts: [{ name, context: { cluster: name, user: `${name}-admin` } }],
    "current-context": name,
  });
}

/** The Node objects kwok takes over: labelled with the member as region, as the program's locality expects. */
export function fakeNodes(member: string): Record<string, unknown>[] {
  return Array.from({ length: nodesPerMember }, (_, index) => ({
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name: `${member}-node-${index}`,
      annotations: { "kwok.x-k8s.io/node": "fake" },
      labels: {
        "kubernetes.io/hostname": `${member}-node-${index}`,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "topology.kubernetes.io/region": member,
        "topology.kubernetes.io/zone": `${member}-${String.fromCharCode(97 + index)}`,
        type: "kwok",
      },
    },
    status: {
      allocatable: { cpu: "16", memory: "64Gi", pods: "110" },
      capacity: { cpu: "16", memory: "64Gi", pods: "110" },
      nodeInfo: { architecture: "amd64", operatingSystem: "linux", kubeletVersion: "fake" },
    },
  }));
}

/** Starts one member's control plane and waits, bounded, until its API server answers and its nodes are Ready. */
export async function startMember(options: {
  name: string;
  network: MemberNetwork;
  dir: string;
  bin: string;
  kwokStages: string;
  processes: ProcessGroup;
}): Promise<RunningMember> {
  const { name, network, dir, bin, processes } = options;
  fs.mkdirSync(path.join(dir, "pki"), { recursive: true });
  const file = (...parts: string[]) => path.join(dir, ...parts);
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  fs.writeFileSync(file("sa.key"), privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  fs.writeFileSync(file("sa.pub"), publicKey.export({ type: "spki", format: "pem" }));
  const token = randomBytes(24).toString("hex");
  fs.writeFileSync(file("tokens.csv"), `${token},admin,admin,system:masters\n`, { mode: 0o600 });

  const run = (component: string, args: string[]) =>
    processes.start(`${name} ${component}`, path.join(bin, component), args, {
      log: file(`${component}.log`),
      wrapper: inNamespace(network),
    });
  const address = network.memberAddress;
  const server = `https://${address}:${apiServerPort}`;

  run("etcd", [
    `--data-dir=${file("etcd")}`,
    "--listen-client-urls=http://127.0.0.1:2379",
    "--advertise-client-urls=http://127.0.0.1:2379",
    "--listen-peer-urls=http://127.0.0.1:2380",
    "--log-level=warn",
  ]);
  run("kube-apiserver", [
    "--etcd-servers=http://127.0.0.1:2379",
    `--bind-address=${address}`,
    `--advertise-address=${address}`,
    `--secure-port=${apiServerPort}`,
    `--cert-dir=${file("pki")}`,
    "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
    `--service-account-key-file=${file("sa.pub")}`,
    `--service-account-signing-key-file=${file("sa.key")}`,
    `--token-auth-file=${file("tokens.csv")}`,
    "--authorization-mode=RBAC",
    "--service-cluster-ip-range=10.96.0.0/16",
    "--disable-admission-plugins=MutatingAdmissionWebhook,ValidatingAdmissionWebhook",
    "--allow-privileged=true",
  ]);
  const caFile = file("pki", "apiserver.crt");
  await waitUntil(`${name}'s API server to write its certificate`, 60_000, () => {
    processes.assertRunning();
    return fs.existsSync(caFile);
  });
  const caPem = fs.readFileSync(caFile, "utf8");
  const api = new KubeApi(server, caPem, { token });
  await waitUntil(`${name}'s API server at ${server} to be ready`, 90_000, async () => {
    processes.assertRunning();
    return (await api.request("GET", "/readyz")).status === 200;
  });

  const kubeconfig = adminKubeconfig(name, server, caPem, token);
  const kubeconfigFile = file("admin.kubeconfig");
  fs.writeFileSync(kubeconfigFile, kubeconfig, { mode: 0o600 });
  run("kube-controller-manager", [
    `--kubeconfig=${kubeconfigFile}`,
    `--service-account-private-key-file=${file("sa.key")}`,
    `--root-ca-file=${caFile}`,
    "--use-service-account-credentials=true",
    "--leader-elect=false",
    "--bind-address=127.0.0.1",
  ]);
  run("kube-scheduler", [`--kubeconfig=${kubeconfigFile}`, "--leader-elect=false", "--bind-address=127.0.0.1"]);
  run("kwok", [`--kubeconfig=${kubeconfigFile}`, "--manage-all-nodes=true", "-c", options.kwokStages]);

  for (const node of fakeNodes(name)) await api.create("/api/v1/nodes", node);
  await waitUntil(`${name}'s nodes to be Ready`, 60_000, async () => {
    processes.assertRunning();
    const nodes = (await api.list("/api/v1/nodes")) as { status?: { conditions?: { type: string; status: string }[] } }[];
    return (
      nodes.length === nodesPerMember && nodes.every((n) => n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"))
    );
  });
  await waitUntil(`${name}'s default service account`, 60_000, async () => {
    return (await api.request("GET", "/api/v1/namespaces/default/serviceaccounts/default")).status === 200;
  });
  return { name, network, server, kubeconfig, kubeconfigFile, api };
}
