import * as net from "node:net";
import { parse as parseYaml } from "yaml";

/**
 * Checks of the admin kubeconfig an existing member cluster is given (`burstmesh:kubeconfig`). The
 * kubeconfig travels as a secret config value to wherever `pulumi up` runs, a CI runner included, so
 * it must carry everything it needs inline: no file on this machine, a context to use, a CA that
 * peers can trust. Credential plugins (`exec`) are fine for admin access; the binary they run must be
 * on PATH there.
 *
 * Problems never quote credentials: they name contexts, clusters, users and fields only.
 */

/** What `kubectl config view` writes for one cluster entry. */
interface KubeconfigCluster {
  server?: unknown;
  "certificate-authority"?: unknown;
  "certificate-authority-data"?: unknown;
  "insecure-skip-tls-verify"?: unknown;
}

/** What `kubectl config view` writes for one user entry. */
interface KubeconfigUser {
  token?: unknown;
  tokenFile?: unknown;
  "client-certificate"?: unknown;
  "client-certificate-data"?: unknown;
  "client-key"?: unknown;
  "client-key-data"?: unknown;
  username?: unknown;
  password?: unknown;
  "auth-provider"?: { name?: unknown };
  exec?: { command?: unknown; interactiveMode?: unknown };
}

interface Named<T> {
  name?: unknown;
  cluster?: T;
  user?: T;
  context?: { cluster?: unknown; user?: unknown };
}

/** The parts of a usable admin kubeconfig burstmesh relies on, from its current context. */
interface AdminKubeconfig {
  /** The current context's API server URL. */
  server: string;
  /** The binary of the current user's `exec` credential plugin, if it authenticates with one. */
  credentialPlugin?: string;
}

/** Why a kubeconfig cannot be used from a CI runner, or what it is when it can. */
type KubeconfigCheck = { ok: true; kubeconfig: AdminKubeconfig } | { ok: false; problems: string[] };

const inlineHint = "inline it: kubectl config view --minify --flatten > kubeconfig";

/** Checks an admin kubeconfig for use from any machine; see the module comment. */
export function checkAdminKubeconfig(text: string): KubeconfigCheck {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch {
    return { ok: false, problems: ["is not valid YAML; it must be a kubeconfig (kubectl config view --minify --flatten)"] };
  }
  if (typeof document !== "object" || document === null || Array.isArray(document)) {
    return { ok: false, problems: ["is not a kubeconfig (a YAML document with clusters, contexts, users and current-context)"] };
  }
  const config = document as {
    "current-context"?: unknown;
    contexts?: Named<never>[];
    clusters?: Named<KubeconfigCluster>[];
    users?: Named<KubeconfigUser>[];
  };

  const current = config["current-context"];
  if (typeof current !== "string" || current === "") {
    return {
      ok: false,
      problems: ["has no current-context; select the context to use (kubectl config use-context <name>) and export again"],
    };
  }
  const context = (config.contexts ?? []).find((entry) => entry?.name === current)?.context;
  if (!context) return { ok: false, problems: [`names current-context '${current}', but has no context of that name`] };
  const cluster = (config.clusters ?? []).find((entry) => entry?.name === context.cluster)?.cluster;
  const user = (config.users ?? []).find((entry) => entry?.name === context.user)?.user;
  const problems: string[] = [];
  if (!cluster) problems.push(`context '${current}' uses cluster '${String(context.cluster)}', which the kubeconfig does not define`);
  if (!user) problems.push(`context '${current}' uses user '${String(context.user)}', which the kubeconfig does not define`);
  if (!cluster || !user) return { ok: false, problems };

  const clusterName = String(context.cluster);
  const server = clusterServer(cluster, clusterName, problems);
  if (cluster["certificate-authority"] !== undefined) {
    problems.push(`cluster '${clusterName}' reads its CA from a file (certificate-authority), which other machines lack; ${inlineHint}`);
  } else if (typeof cluster["certificate-authority-data"] !== "string" || cluster["certificate-authority-data"] === "") {
    problems.push(
      `cluster '${clusterName}' has no certificate-authority-data; peers need the cluster CA to verify its API server` +
        (cluster["insecure-skip-tls-verify"] === true ? " (insecure-skip-tls-verify is not accepted)" : ""),
    );
  }

  const userName = String(context.user);
  const credentialPlugin = userCredentials(user, userName, problems);
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, kubeconfig: credentialPlugin === undefined ? { server: server! } : { server: server!, credentialPlugin } };
}

function clusterServer(cluster: KubeconfigCluster, name: string, problems: string[]): string | undefined {
  const server = cluster.server;
  if (typeof server !== "string" || !isHttpsUrl(server)) {
    problems.push(`cluster '${name}' must have an https:// server URL`);
    return undefined;
  }
  return server;
}

/** The user's credential plugin binary, if any; records why the user's credentials cannot travel. */
function userCredentials(user: KubeconfigUser, name: string, problems: string[]): string | undefined {
  const files = (["tokenFile", "client-certificate", "client-key"] as const).filter((field) => user[field] !== undefined);
  if (files.length > 0) {
    problems.push(`user '${name}' reads ${files.join(", ")} from files, which other machines lack; ${inlineHint}`);
  }
  if (user.username !== undefined || user.password !== undefined) {
    problems.push(`user '${name}' uses basic authentication (username/password), which Kubernetes API servers no longer accept`);
  }
  const authProvider = user["auth-provider"];
  if (authProvider !== undefined && authProvider.name !== "oidc") {
    problems.push(
      `user '${name}' uses the auth-provider '${String(authProvider.name)}', which Kubernetes clients no longer ship; ` +
        "use the exec credential plugin your platform documents (such as kubelogin or gke-gcloud-auth-plugin)",
    );
  }
  const hasCertificate = user["client-certificate-data"] !== undefined;
  if (hasCertificate !== (user["client-key-data"] !== undefined)) {
    problems.push(`user '${name}' needs both client-certificate-data and client-key-data`);
  }

  const exec = user.exec;
  if (exec !== undefined) {
    const command = exec.command;
    if (typeof command !== "string" || command === "") {
      problems.push(`user '${name}' has an exec credential plugin without a command`);
      return undefined;
    }
    if (command.includes("/") || command.includes("\\")) {
      problems.push(
        `user '${name}' runs the credential plugin at a path on this machine ('${command}'); name the binary ` +
          "(found on PATH) instead, so that a CI runner with the same tool installed can run it",
      );
    }
    if (exec.interactiveMode === "Always") {
      problems.push(`user '${name}' has an exec credential plugin with interactiveMode Always, which cannot run without a terminal`);
    }
    return command;
  }
  const hasToken = typeof user.token === "string" && user.token !== "";
  if (!hasToken && !hasCertificate && authProvider === undefined && files.length === 0 && user.username === undefined) {
    problems.push(`user '${name}' has no credentials (token, client certificate, or exec credential plugin)`);
  }
  return undefined;
}

/** An https:// URL with a host and no user info. */
export function isHttpsUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === "https:" && url.hostname !== "" && url.username === "" && url.password === "";
  } catch {
    return false;
  }
}

/** True when a URL's host is a loopback address (127.0.0.0/8, ::1, localhost): it works only on this machine. */
export function isLoopbackUrl(text: string): boolean {
  let host: string;
  try {
    host = new URL(text).hostname.replace(/^\[|\]$/g, "");
  } catch {
    return false;
  }
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  // The URL parser has already compressed IPv6 addresses, so `::1` has one spelling here.
  return net.isIPv4(host) ? host.startsWith("127.") : host === "::1";
}
