import { strict as assert } from "node:assert";
import { stringify as toYaml } from "yaml";
import { checkAdminKubeconfig, isHttpsUrl, isLoopbackUrl } from "../../config/kubeconfig";
import { kindKubeconfig } from "../support/existing";

const caData = Buffer.from("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").toString("base64");

/** An admin kubeconfig with one context `admin@lab`, cluster `lab` and user `admin`, some parts replaced. */
function kubeconfig(
  changes: { cluster?: Record<string, unknown>; user?: Record<string, unknown>; document?: Record<string, unknown> } = {},
) {
  return toYaml({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "lab", cluster: { server: "https://10.0.0.1:6443", "certificate-authority-data": caData, ...changes.cluster } }],
    contexts: [
      { name: "other", context: { cluster: "nowhere", user: "nobody" } },
      { name: "admin@lab", context: { cluster: "lab", user: "admin" } },
    ],
    users: [{ name: "admin", user: changes.user ?? { token: "secret-token" } }],
    "current-context": "admin@lab",
    ...changes.document,
  });
}

function problemsOf(text: string): string[] {
  const check = checkAdminKubeconfig(text);
  assert.ok(!check.ok, "expected the kubeconfig to be refused");
  return check.problems;
}

describe("config: the admin kubeconfig of an existing cluster", () => {
  it("a kubeconfig with inline CA and a token yields its current context's server", () => {
    assert.deepEqual(checkAdminKubeconfig(kubeconfig()), { ok: true, kubeconfig: { server: "https://10.0.0.1:6443" } });
  });

  it("a kubeconfig with an exec plugin on PATH yields the plugin's binary", () => {
    const check = checkAdminKubeconfig(kubeconfig({ user: { exec: { command: "kubelogin", interactiveMode: "IfAvailable" } } }));
    assert.deepEqual(check, { ok: true, kubeconfig: { server: "https://10.0.0.1:6443", credentialPlugin: "kubelogin" } });
  });

  it("uses the current context's own cluster and user, whatever comes first", () => {
    const text = kubeconfig({
      document: {
        contexts: [null, { name: "admin@lab", context: { cluster: "lab", user: "admin" } }],
        clusters: [
          null,
          { name: "decoy", cluster: { server: "http://decoy" } },
          { name: "lab", cluster: { server: "https://10.0.0.1:6443", "certificate-authority-data": caData } },
        ],
        users: [null, { name: "decoy", user: { password: "p" } }, { name: "admin", user: { token: "t" } }],
      },
    });
    assert.deepEqual(checkAdminKubeconfig(text), { ok: true, kubeconfig: { server: "https://10.0.0.1:6443" } });
  });

  it("client certificates and the oidc auth-provider are credentials", () => {
    assert.ok(checkAdminKubeconfig(kubeconfig({ user: { "client-certificate-data": "Y2VydA==", "client-key-data": "a2V5" } })).ok);
    assert.ok(checkAdminKubeconfig(kubeconfig({ user: { "auth-provider": { name: "oidc" } } })).ok);
  });

  const cases: [string, string, string[]][] = [
    ["text that is not YAML", "clusters: [", ["is not valid YAML; it must be a kubeconfig (kubectl config view --minify --flatten)"]],
    ["a YAML scalar", "just text", ["is not a kubeconfig (a YAML document with clusters, contexts, users and current-context)"]],
    ["a YAML list", "- a\n- b", ["is not a kubeconfig (a YAML document with clusters, contexts, users and current-context)"]],
    ["an empty document", "", ["is not a kubeconfig (a YAML document with clusters, contexts, users and current-context)"]],
    [
      "no current context",
      kubeconfig({ document: { "current-context": "" } }),
      ["has no current-context; select the context to use (kubectl config use-context <name>) and export again"],
    ],
    [
      "a current context that does not exist",
      kubeconfig({ document: { "current-context": "gone" } }),
      ["names current-context 'gone', but has no context of that name"],
    ],
    [
      "a current context without its cluster and user",
      kubeconfig({ document: { "current-context": "other", clusters: undefined, users: undefined } }),
      [
        "context 'other' uses cluster 'nowhere', which the kubeconfig does not define",
        "context 'other' uses user 'nobody', which the kubeconfig does not define",
      ],
    ],
    [
      "a plain http server",
      kubeconfig({ cluster: { server: "http://10.0.0.1:6443" } }),
      ["cluster 'lab' must have an https:// server URL"],
    ],
    ["no server", kubeconfig({ cluster: { server: undefined } }), ["cluster 'lab' must have an https:// server URL"]],
    [
      "a CA file",
      kubeconfig({ cluster: { "certificate-authority": "/home/me/ca.crt", "certificate-authority-data": undefined } }),
      [
        "cluster 'lab' reads its CA from a file (certificate-authority), which other machines lack; inline it: kubectl config view --minify --flatten > kubeconfig",
      ],
    ],
    [
      "no CA",
      kubeconfig({ cluster: { "certificate-authority-data": "" } }),
      ["cluster 'lab' has no certificate-authority-data; peers need the cluster CA to verify its API server"],
    ],
    [
      "TLS verification turned off",
      kubeconfig({ cluster: { "certificate-authority-data": undefined, "insecure-skip-tls-verify": true } }),
      [
        "cluster 'lab' has no certificate-authority-data; peers need the cluster CA to verify its API server (insecure-skip-tls-verify is not accepted)",
      ],
    ],
    [
      "credentials in files",
      kubeconfig({ user: { tokenFile: "/t", "client-certificate": "/c", "client-key": "/k" } }),
      [
        "user 'admin' reads tokenFile, client-certificate, client-key from files, which other machines lack; inline it: kubectl config view --minify --flatten > kubeconfig",
      ],
    ],
    [
      "basic authentication",
      kubeconfig({ user: { password: "hunter2" } }),
      [
        "user 'admin' uses basic authentication (username/password), which Kubernetes API servers no longer accept",
        "user 'admin' has no credentials (token, client certificate, or exec credential plugin)",
      ],
    ],
    [
      "a username alone",
      kubeconfig({ user: { username: "admin" } }),
      ["user 'admin' uses basic authentication (username/password), which Kubernetes API servers no longer accept"],
    ],
    [
      "a removed auth-provider",
      kubeconfig({ user: { "auth-provider": { name: "gcp" } } }),
      [
        "user 'admin' uses the auth-provider 'gcp', which Kubernetes clients no longer ship; use the exec credential plugin your platform documents (such as kubelogin or gke-gcloud-auth-plugin)",
      ],
    ],
    [
      "a certificate without its key",
      kubeconfig({ user: { "client-certificate-data": "Y2VydA==" } }),
      ["user 'admin' needs both client-certificate-data and client-key-data"],
    ],
    [
      "a key without its certificate",
      kubeconfig({ user: { "client-key-data": "a2V5" } }),
      [
        "user 'admin' needs both client-certificate-data and client-key-data",
        "user 'admin' has no credentials (token, client certificate, or exec credential plugin)",
      ],
    ],
    [
      "an exec plugin without a command",
      kubeconfig({ user: { exec: { command: "" } } }),
      ["user 'admin' has an exec credential plugin without a command"],
    ],
    [
      "an exec plugin at a path",
      kubeconfig({ user: { exec: { command: "/usr/local/bin/kubelogin" } } }),
      [
        "user 'admin' runs the credential plugin at a path on this machine ('/usr/local/bin/kubelogin'); name the binary (found on PATH) instead, so that a CI runner with the same tool installed can run it",
      ],
    ],
    [
      "an exec plugin at a Windows path",
      kubeconfig({ user: { exec: { command: "C:\\tools\\kubelogin.exe" } } }),
      [
        "user 'admin' runs the credential plugin at a path on this machine ('C:\\tools\\kubelogin.exe'); name the binary (found on PATH) instead, so that a CI runner with the same tool installed can run it",
      ],
    ],
    [
      "an interactive exec plugin",
      kubeconfig({ user: { exec: { command: "kubelogin", interactiveMode: "Always" } } }),
      ["user 'admin' has an exec credential plugin with interactiveMode Always, which cannot run without a terminal"],
    ],
    [
      "an empty token",
      kubeconfig({ user: { token: "" } }),
      ["user 'admin' has no credentials (token, client certificate, or exec credential plugin)"],
    ],
  ];
  for (const [what, text, expected] of cases) {
    it(`refuses ${what}`, () => {
      assert.deepEqual(problemsOf(text), expected);
    });
  }

  it("no problem quotes a credential", () => {
    const problems = problemsOf(kubeconfig({ user: { token: "secret-token", password: "hunter2", "client-key": "/k" } }));
    assert.ok(problems.length > 0);
    assert.ok(problems.every((problem) => !problem.includes("secret-token") && !problem.includes("hunter2")));
  });

  it("an https URL needs a host and no user info", () => {
    assert.equal(isHttpsUrl("https://api.example.com:6443"), true);
    assert.equal(isHttpsUrl("http://api.example.com"), false);
    assert.equal(isHttpsUrl("https://admin@api.example.com"), false);
    assert.equal(isHttpsUrl("https://:secret@api.example.com"), false);
    assert.equal(isHttpsUrl("https:"), false);
    assert.equal(isHttpsUrl("not a url"), false);
  });

  it("loopback URLs are the ones that work only on this machine", () => {
    for (const url of [
      "https://localhost:6443",
      "https://kind.localhost",
      "https://127.0.0.1:40123",
      "https://127.1.2.3",
      "https://[::1]:6443",
    ]) {
      assert.equal(isLoopbackUrl(url), true, url);
    }
    for (const url of ["https://10.0.0.1", "https://128.0.0.1", "https://localhost.example.com", "https://[2001:db8::1]", "not a url"]) {
      assert.equal(isLoopbackUrl(url), false, url);
    }
  });

  describe("the admin kubeconfig must work from a CI runner", () => {
    it("accepts kind's kubeconfig: inline CA, token or client certificate", () => {
      assert.deepEqual(checkAdminKubeconfig(kindKubeconfig()), { ok: true, kubeconfig: { server: "https://127.0.0.1:40123" } });
      const certificate = { "client-certificate-data": "Y2VydA==", "client-key-data": "a2V5" };
      assert.equal(checkAdminKubeconfig(kindKubeconfig({ user: certificate })).ok, true);
    });

    const refused: [string, Parameters<typeof kindKubeconfig>[0] | string, RegExp][] = [
      [
        "client certificate files",
        { user: { "client-certificate": "/a.crt", "client-key": "/a.key" } },
        /reads client-certificate, client-key from files/,
      ],
      ["a token file", { user: { tokenFile: "/var/run/token" } }, /reads tokenFile from files/],
      ["a user without credentials", { user: {} }, /has no credentials/],
    ];
    for (const [what, change, message] of refused) {
      it(`refuses ${what}`, () => {
        const check = checkAdminKubeconfig(typeof change === "string" ? change : kindKubeconfig(change));
        assert.equal(check.ok, false);
        assert.match((check as { problems: string[] }).problems.join("\n"), message);
      });
    }
  });
});
