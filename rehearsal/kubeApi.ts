/**
 * The few Kubernetes API calls the rehearsal makes itself (readiness, nodes, the checks, the
 * snapshots), over HTTPS with the member's CA and a bearer token. Every request has a timeout.
 */
import * as https from "node:https";
import { parse as parseYaml } from "yaml";

interface Response {
  status: number;
  body: string;
}

const requestTimeoutMs = 15_000;

export class KubeApi {
  constructor(
    readonly server: string,
    private readonly caPem: string,
    private readonly token: string,
  ) {}

  /** The API server, CA and token of a kubeconfig's current context (inline CA and token only). */
  static fromKubeconfig(text: string): KubeApi {
    const config = parseYaml(text) as {
      "current-context": string;
      contexts: { name: string; context: { cluster: string; user: string } }[];
      clusters: { name: string; cluster: { server: string; "certificate-authority-data": string } }[];
      users: { name: string; user: { token?: string } }[];
    };
    const context = config.contexts.find((c) => c.name === config["current-context"])!.context;
    const cluster = config.clusters.find((c) => c.name === context.cluster)!.cluster;
    const user = config.users.find((u) => u.name === context.user)!.user;
    if (!user.token) throw new Error("the kubeconfig's user has no token");
    return new KubeApi(cluster.server, Buffer.from(cluster["certificate-authority-data"], "base64").toString("utf8"), user.token);
  }

  request(method: string, apiPath: string, body?: unknown, contentType = "application/json"): Promise<Response> {
    const url = new URL(apiPath, this.server);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const request = https.request(
        url,
        {
          method,
          ca: this.caPem,
          headers: {
            authorization: `Bearer ${this.token}`,
            accept: "application/json",
            ...(payload ? { "content-type": contentType, "content-length": Buffer.byteLength(payload) } : {}),
          },
          timeout: requestTimeoutMs,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("end", () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
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
}
