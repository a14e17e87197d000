/**
 * The few Kubernetes API calls the doctor and the rehearsal make themselves, over HTTPS with the
 * member's CA. Every request has a timeout, and so has a credential plugin.
 *
 * A kubeconfig's current context authenticates the way the clusters' admin kubeconfigs do: a bearer
 * token (a remote secret, the rehearsal), a client certificate (AKS local accounts) or an `exec`
 * credential plugin (`aws eks get-token`, `kubelogin`), whose ExecCredential gives a token or a
 * client certificate.
 */
import { execFile } from "node:child_process";
import * as https from "node:https";
import { parse as parseYaml } from "yaml";

interface Response {
  status: number;
  body: string;
  /** The response's `Date` header, when it has one. */
  date?: string;
}

const requestTimeoutMs = 15_000;
/** A credential plugin that signs in interactively would hang; this bounds it. */
const credentialPluginTimeoutMs = 30_000;

/** How requests authenticate: a bearer token or a client certificate and key (PEM). */
type Credentials = { token: string } | { cert: string; key: string };

/** A kubeconfig user's `exec` entry: the credential plugin and how to run it. */
interface ExecConfig {
  command: string;
  args?: string[];
  env?: { name: string; value: string }[];
  apiVersion?: string;
}

interface KubeconfigUser {
  token?: string;
  "client-certificate-data"?: string;
  "client-key-data"?: string;
  exec?: ExecConfig;
}

const fromBase64 = (data: string) => Buffer.from(data, "base64").toString("utf8");

/** Runs a kubeconfig's credential plugin and reads the ExecCredential it prints. */
function runCredentialPlugin(exec: ExecConfig): Promise<Credentials> {
  const env = { ...process.env, ...Object.fromEntries((exec.env ?? []).map(({ name, value }) => [name, value])) };
  env.KUBERNETES_EXEC_INFO = JSON.stringify({ apiVersion: exec.apiVersion, kind: "ExecCredential", spec: { interactive: false } });
  return new Promise((resolve, reject) => {
    execFile(exec.command, exec.args ?? [], { env, timeout: credentialPluginTimeoutMs, maxBuffer: 1 << 20 }, (error, stdout) => {
      if (error) return reject(new Error(`the kubeconfig's credential plugin '${exec.command}' failed: ${error.message.split("\n")[0]}`));
      try {
        const status = (JSON.parse(stdout) as { status?: { token?: string; clientCertificateData?: string; clientKeyData?: string } })
          .status;
        if (status?.token) return resolve({ token: status.token });
        if (status?.clientCertificateData && status.clientKeyData)
          return resolve({ cert: status.clientCertificateData, key: status.clientKeyData });
        reject(new Error(`the credential plugin '${exec.command}' returned neither a token nor a client certificate`));
      } catch {
        reject(new Error(`the credential plugin '${exec.command}' printed no ExecCredential`));
      }
    });
  });
}

export class KubeApi {
  private readonly resolveCredentials: () => Promise<Credentials>;
  /** Resolved once, on the first request: a credential plugin runs once per client. */
  private credentials?: Promise<Credentials>;

  constructor(
    readonly server: string,
    private readonly caPem: string,
    credentials: Credentials | (() => Promise<Credentials>),
  ) {
    this.resolveCredentials = typeof credentials === "function" ? credentials : () => Promise.resolve(credentials);
  }

  /** The API server, CA and credentials of a kubeconfig's current context (inline CA; token, client certificate or exec plugin). */
  static fromKubeconfig(text: string): KubeApi {
    const config = parseYaml(text) as {
      "current-context": string;
      contexts: { name: string; context: { cluster: string; user: string } }[];
      clusters: { name: string; cluster: { server: string; "certificate-authority-data": string } }[];
      users: { name: string; user: KubeconfigUser }[];
    };
    const context = config.contexts.find((c) => c.name === config["current-context"])?.context;
    if (!context) throw new Error(`the kubeconfig has no context '${config["current-context"]}'`);
    const cluster = config.clusters.find((c) => c.name === context.cluster)?.cluster;
    const user = config.users.find((u) => u.name === context.user)?.user;
    if (!cluster?.server || !cluster["certificate-authority-data"])
      throw new Error(`the kubeconfig's cluster '${context.cluster}' has no server or inline CA`);
    if (!user) throw new Error(`the kubeconfig has no user '${context.user}'`);
    const ca = fromBase64(cluster["certificate-authority-data"]);
    if (user.token) return new KubeApi(cluster.server, ca, { token: user.token });
    const cert = user["client-certificate-data"];
    const key = user["client-key-data"];
    if (cert && key) return new KubeApi(cluster.server, ca, { cert: fromBase64(cert), key: fromBase64(key) });
    const exec = user.exec;
    if (exec) return new KubeApi(cluster.server, ca, () => runCredentialPlugin(exec));
    throw new Error(`the kubeconfig's user '${context.user}' has no token, client certificate or credential plugin`);
  }

  async request(method: string, apiPath: string, body?: unknown, contentType = "application/json"): Promise<Response> {
    this.credentials ??= this.resolveCredentials();
    const credentials = await this.credentials;
    const url = new URL(apiPath, this.server);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const request = https.request(
        url,
        {
          method,
          ca: this.caPem,
          ...("cert" in credentials ? { cert: credentials.cert, key: credentials.key } : {}),
          headers: {
            ...("token" in credentials ? { authorization: `Bearer ${credentials.token}` } : {}),
            accept: "application/json",
            ...(payload ? { "content-type": contentType, "content-length": Buffer.byteLength(payload) } : {}),
          },
          timeout: requestTimeoutMs,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("end", () =>
            resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8"), date: response.headers.date }),
          );
        },
      );
      request.on("timeout", () => request.destroy(new Error(`${method} ${url.href} timed out`)));
      request.on("error", reject);
      request.end(payload);
    });
  }

  async get<T = Record<string, unknown>>(apiPath: string): Promise<T | undefined> {
    const response = await this.request("GET", apiPath);
    if (response.status === 404) return undefined;
    if (response.status !== 200) throw new Error(`GET ${apiPath}: ${response.status} ${response.body.slice(0, 300)}`);
    return JSON.parse(response.body) as T;
  }

  async list(apiPath: string): Promise<Record<string, unknown>[]> {
    const list = await this.get<{ items: Record<string, unknown>[] }>(apiPath);
    return list?.items ?? [];
  }

  async create(apiPath: string, object: unknown): Promise<Record<string, unknown>> {
    const response = await this.request("POST", apiPath, object);
    if (response.status !== 201 && response.status !== 200)
      throw new Error(`POST ${apiPath}: ${response.status} ${response.body.slice(0, 300)}`);
    return JSON.parse(response.body) as Record<string, unknown>;
  }

  /** A JSON merge patch (RFC 7386) of an object. */
  async mergePatch(apiPath: string, patch: unknown): Promise<void> {
    const response = await this.request("PATCH", apiPath, patch, "application/merge-patch+json");
    if (response.status !== 200) throw new Error(`PATCH ${apiPath}: ${response.status} ${response.body.slice(0, 300)}`);
  }

  /** Deletes an object; one that is already gone counts as deleted. */
  async delete(apiPath: string): Promise<void> {
    const response = await this.request("DELETE", apiPath);
    if (response.status !== 200 && response.status !== 202 && response.status !== 404)
      throw new Error(`DELETE ${apiPath}: ${response.status} ${response.body.slice(0, 300)}`);
  }
}
