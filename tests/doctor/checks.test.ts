import { strict as assert } from "node:assert";
import { X509Certificate } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify as toYaml } from "yaml";
import { type CheckResult, exitCode, formatResults } from "../../doctor/check";
import type { ExpectedMember, ExpectedMesh } from "../../doctor/expected";
import type { IstiodDebug, MemberFacts } from "../../doctor/facts";
import { clusterzCheck, endpointShardsCheck, networkzCheck, synczCheck } from "../../doctor/istiodChecks";
import { gatewayCheck, identityCheck, kubernetesVersionCheck, revisionsCheck } from "../../doctor/memberChecks";
import {
  clockSkewCheck,
  meshIdentityCheck,
  readerTokensCheck,
  remoteSecretsCheck,
  serviceConsistencyCheck,
  tokenClaims,
  versionSkewCheck,
} from "../../doctor/meshChecks";
import { cacertsCheck, distributedRootsCheck, rootsAgreeCheck } from "../../doctor/trustChecks";

const fixtures = path.join(__dirname, "..", "fixtures", "doctor");
const fixture = <T>(name: string): T => JSON.parse(fs.readFileSync(path.join(fixtures, name), "utf8")) as T;

const now = new Date("2026-12-06T12:00:00Z");
const day = 86_400_000;

/** A service-account token as the token controller writes one: only the payload matters to the doctor. */
function jwt(claims: Record<string, unknown>): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg: "RS256" })}.${part(claims)}.c2ln`;
}

/** The claims of a member's legacy reader token. */
const tokenOf = (member: string) => ({
  "kubernetes.io/serviceaccount/service-account.uid": `uid-${member}`,
  "kubernetes.io/serviceaccount/secret.name": "istio-reader-service-account-istio-remote-secret-token",
});

const published = (member: string) => ({
  apiServerUrl: `https://${member}.example:6443`,
  certificateAuthorityData: Buffer.from(`${member}-ca`).toString("base64"),
  egressCidrs: [member === "a" ? "203.0.113.10/32" : "198.51.100.0/28"],
  gatewayAddress: member === "a" ? "203.0.113.50" : "gw-b.example",
});

const expected = (name: string, peers: string[]): ExpectedMember => ({
  name,
  cloud: "aws",
  network: `net-${name}`,
  peers,
  gatewayAllowedCidrs: [],
  published: published(name),
});

const mesh: ExpectedMesh = { meshId: "burstmesh", trustDomain: "cluster.local", members: [expected("a", ["b"]), expected("b", ["a"])] };

const remoteSecret = (peer: string, token: string) => ({
  metadata: { name: `istio-remote-secret-${peer}`, namespace: "istio-system" },
  data: {
    [peer]: toYaml({
      clusters: [
        {
          name: peer,
          cluster: { server: published(peer).apiServerUrl, "certificate-authority-data": published(peer).certificateAuthorityData },
        },
      ],
      users: [{ name: peer, user: { token } }],
    }),
  },
});

/** Real certificates (tests/fixtures/cacerts): two roots, intermediates for a and b under the first, and one under the second. */
const pemFixture = (name: string) => ({
  certPem: fs.readFileSync(path.join(__dirname, "..", "fixtures", "cacerts", `${name}.pem`), "utf8"),
});
const root = pemFixture("root1");
const otherRoot = pemFixture("root2");
const intermediates: Record<string, { certPem: string }> = { a: pemFixture("eks"), b: pemFixture("aks") };

function facts(member: "a" | "b"): MemberFacts {
  const peer = member === "a" ? "b" : "a";
  const intermediate = intermediates[member]!;
  return {
    member,
    kubernetesVersion: "v1.35.2-eks-4f1a2b3",
    clock: { serverDate: new Date(now.getTime() + 3_000).toUTCString(), localMs: now.getTime() },
    namespaces: [
      { metadata: { name: "istio-system", labels: { "topology.istio.io/network": `net-${member}` } } },
      { metadata: { name: "podinfo", labels: { "istio-injection": "enabled" } } },
    ],
    istiodDeployments: [
      {
        metadata: { name: "istiod", labels: { app: "istiod" } },
        spec: {
          template: {
            spec: {
              containers: [
                { name: "discovery", image: "docker.io/istio/pilot:1.30.8-distroless", env: [{ name: "CLUSTER_ID", value: member }] },
              ],
            },
          },
        },
      },
    ],
    injectorWebhooks: [{ metadata: { name: "istio-sidecar-injector", labels: { app: "sidecar-injector", "istio.io/rev": "default" } } }],
    meshConfigs: { istio: "defaultConfig:\n  meshId: burstmesh\ntrustDomain: cluster.local\n" },
    cacerts: {
      "ca-cert.pem": intermediate.certPem,
      "ca-key.pem": "-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n",
      "root-cert.pem": root.certPem,
      "cert-chain.pem": intermediate.certPem + root.certPem,
    },
    distributedRoots: root.certPem,
    selfSignedCa: false,
    gatewayService: {
      metadata: { name: "istio-eastwestgateway", namespace: "istio-system" },
      spec: { type: "LoadBalancer", ports: [{ port: 15021 }, { port: 15443 }], loadBalancerSourceRanges: published(peer).egressCidrs },
      status: { loadBalancer: { ingress: [member === "a" ? { ip: "203.0.113.50" } : { hostname: "gw-b.example" }] } },
    },
    gatewayEndpointSlices: [{ metadata: { name: "gw-1" }, endpoints: [{ addresses: ["10.0.0.9"], conditions: { ready: true } }] }],
    remoteSecrets: [remoteSecret(peer, jwt({ ...tokenOf(peer) }))],
    readerServiceAccount: { metadata: { name: "istio-reader-service-account", uid: `uid-${member}` } },
    readerTokenSecrets: ["istio-reader-service-account-istio-remote-secret-token"],
    meshServices: [
      {
        metadata: { name: "podinfo", namespace: "podinfo" },
        spec: { type: "ClusterIP", ports: [{ name: "http", port: 9898, protocol: "TCP" }] },
      },
    ],
    meshEndpointSlices: [
      {
        metadata: { name: `podinfo-${member}`, namespace: "podinfo", labels: { "kubernetes.io/service-name": "podinfo" } },
        endpoints: [{ addresses: [member === "a" ? "10.1.0.5" : "10.2.0.7"], conditions: { ready: true } }],
      },
    ],
    tokenUses: [{ peer, allowed: true }],
  };
}

const byStatus = (result: CheckResult) => `${result.status}: ${result.detail}`;

describe("doctor checks", () => {
  it("pass on a healthy member, each check with evidence", () => {
    const all = [facts("a"), facts("b")];
    const results = [
      kubernetesVersionCheck(all[0]!, mesh.members[0]!),
      identityCheck(all[0]!, mesh.members[0]!),
      revisionsCheck(all[0]!),
      gatewayCheck(all[0]!, mesh.members[0]!, [mesh.members[1]!]),
      cacertsCheck(all[0]!, now),
      distributedRootsCheck(all[0]!),
      remoteSecretsCheck(all[0]!, mesh.members[0]!, mesh.members),
      readerTokensCheck(all[0]!, mesh.members[0]!, all, now),
      clockSkewCheck(all[0]!),
      meshIdentityCheck(all, mesh),
      rootsAgreeCheck(all),
      versionSkewCheck(all),
      serviceConsistencyCheck(all),
    ];
    for (const result of results) assert.equal(result.status, "ok", `${result.id}: ${result.detail}`);
    assert.equal(exitCode(results), 0);
    assert.match(results[3]!.detail, /203\.0\.113\.50:15443, 1 ready endpoint/);
  });

  describe("istiod's debug endpoints (fixtures in the shapes istiod 1.30 serves)", () => {
    const healthy = () => fixture<IstiodDebug>("istiod-a-healthy.json");
    const members = () => [
      { facts: facts("a"), network: "net-a" },
      { facts: facts("b"), network: "net-b" },
    ];

    it("pass when every peer is synced, its gateway known and its shard full", () => {
      const debug = healthy();
      for (const result of [
        clusterzCheck("a", ["b"], debug),
        networkzCheck("a", [mesh.members[1]!], debug),
        endpointShardsCheck("a", members(), debug),
        synczCheck("a", debug),
      ])
        assert.equal(result.status, "ok", `${result.id}: ${result.detail}`);
    });

    it("fail on an empty endpoint shard of a peer (istio/istio#61043), with the restart as hint", () => {
      const debug = fixture<IstiodDebug>("istiod-a-empty-shard.json");
      const result = endpointShardsCheck("a", members(), debug);
      assert.equal(result.status, "fail");
      assert.match(result.detail, /podinfo\.podinfo\.svc\.cluster\.local from b: empty shard, 1 ready endpoint/);
      assert.match(result.hint!, /rollout restart deployment -l app=istiod/);
    });

    it("fail when a peer's endpoints are on this member's network: they would go to the pod IPs, not the peer gateway", () => {
      const debug = healthy();
      debug.endpointShardz!["podinfo.podinfo.svc.cluster.local"]!.podinfo!.Shards!["Kubernetes/b"]![0]!.Network = "net-a";
      const result = endpointShardsCheck("a", members(), debug);
      assert.equal(result.status, "fail");
      assert.match(result.detail, /10\.2\.0\.7 on network 'net-a', not net-b/);
    });

    it("fail when a peer network has no gateway on 15443, and on a stale proxy", () => {
      const debug = healthy();
      debug.networkz = debug.networkz!.filter((gateway) => gateway.Network !== "net-b");
      assert.match(byStatus(networkzCheck("a", [mesh.members[1]!], debug)), /^fail: net-b: no gateway at gw-b\.example:15443/);
      debug.syncz![0]!.endpoint_acked = "older";
      assert.match(byStatus(synczCheck("a", debug)), /^fail: .* has not acknowledged endpoint/);
    });

    it("say they could not check when istiod was not read, and why", () => {
      const result = clusterzCheck("a", ["b"], { error: "kubectl is not on PATH" });
      assert.equal(result.status, "unknown");
      assert.equal(result.detail, "kubectl is not on PATH");
      assert.equal(exitCode([result]), 2);
    });
  });

  it("fail on a broken chain: an intermediate not signed by any trusted root", async () => {
    const broken = facts("a");
    const stray = pemFixture("eks-g2");
    broken.cacerts!["ca-cert.pem"] = stray.certPem;
    broken.cacerts!["cert-chain.pem"] = stray.certPem + otherRoot.certPem;
    const result = cacertsCheck(broken, now);
    assert.equal(result.status, "fail");
    assert.match(result.detail, /not signed by any root in root-cert\.pem/);
    assert.match(result.hint!, /npm run mesh -- up/);
  });

  it("pass cacerts holding two roots mid-rotation, the chain ending at the intermediate's own issuer", () => {
    const rotating = facts("a");
    rotating.cacerts!["root-cert.pem"] = root.certPem + otherRoot.certPem;
    rotating.distributedRoots = otherRoot.certPem + root.certPem;
    assert.equal(cacertsCheck(rotating, now).status, "ok");
    assert.equal(distributedRootsCheck(rotating).status, "ok", "the same set in another order is the same trust");
  });

  it("warn on a certificate ending within 60 days, and fail on one that has ended", () => {
    const ending = facts("a");
    const soonest = Math.min(...[root, intermediates.a!].map((pem) => Date.parse(new X509Certificate(pem.certPem).validTo)));
    const result = cacertsCheck(ending, new Date(soonest - 30 * day));
    assert.equal(result.status, "warn");
    assert.match(result.detail, /soonest end in 30 days/);
    assert.equal(exitCode([result]), 0, "a warning is not a failure");
    assert.equal(cacertsCheck(ending, new Date(soonest + day)).status, "fail");
  });

  it("fail when istiod distributes other roots than cacerts holds (an ignored root change), or made its own CA", () => {
    const ignored = facts("a");
    ignored.distributedRoots = otherRoot.certPem;
    assert.match(byStatus(distributedRootsCheck(ignored)), /^fail: .*istiod has not loaded the current cacerts/);
    const selfSigned = facts("a");
    selfSigned.selfSignedCa = true;
    assert.match(byStatus(distributedRootsCheck(selfSigned)), /self-signed istio-ca-secret/);
    const replaced = facts("b");
    replaced.cacerts!["root-cert.pem"] = otherRoot.certPem;
    assert.match(byStatus(rootsAgreeCheck([facts("a"), replaced])), /^fail: b trust other roots than a/);
  });

  it("fail on an API server clock more than 2 minutes off, from its Date header", () => {
    const skewed = facts("a");
    skewed.clock = { serverDate: new Date(now.getTime() - 150_000).toUTCString(), localMs: now.getTime() };
    const result = clockSkewCheck(skewed);
    assert.equal(result.status, "fail");
    assert.match(result.detail, /-150 s off/);
    assert.equal(clockSkewCheck({ ...skewed, clock: { localMs: now.getTime() } }).status, "unknown");
  });

  it("fail on an expired reader token, one of a re-created service account, and one the peer refuses", () => {
    const all = [facts("a"), facts("b")];
    const expired = facts("a");
    expired.remoteSecrets = [
      remoteSecret("b", jwt({ "kubernetes.io/serviceaccount/service-account.uid": "uid-b", exp: now.getTime() / 1000 - 60 })),
    ];
    assert.match(
      byStatus(readerTokensCheck(expired, mesh.members[0]!, all, now)),
      /^fail: b: the token expired on 2026-12-06T11:59:00\.000Z/,
    );
    const recreated = facts("b");
    recreated.readerServiceAccount!.metadata.uid = "uid-b-new";
    assert.match(
      byStatus(readerTokensCheck(facts("a"), mesh.members[0]!, [all[0]!, recreated], now)),
      /was since re-created \(UID uid-b\)/,
    );
    const deleted = facts("b");
    deleted.readerTokenSecrets = ["istio-reader-service-account-istio-remote-secret-token-g2"];
    const revoked = readerTokensCheck(facts("a"), mesh.members[0]!, [all[0]!, deleted], now);
    assert.match(
      revoked.detail,
      /b: its reader token Secret istio-reader-service-account-istio-remote-secret-token was deleted, which revokes the token this member holds/,
    );
    assert.match(revoked.hint!, /first pulumi refresh --stack <peer> --yes/);
    const refused = facts("a");
    refused.tokenUses = [{ peer: "b", allowed: false, error: "the API server rejected the token (401 Unauthorized)" }];
    const result = readerTokensCheck(refused, mesh.members[0]!, all, now);
    assert.match(result.detail, /401 Unauthorized/);
    assert.match(result.hint!, /npm run mesh -- up --stacks <peer>,a/);
  });

  it("read the service account UID, Secret and expiry of legacy and bound tokens", () => {
    assert.deepEqual(tokenClaims(jwt(tokenOf("b"))), {
      serviceAccountUid: "uid-b",
      secretName: "istio-reader-service-account-istio-remote-secret-token",
      expiresMs: undefined,
    });
    assert.deepEqual(tokenClaims(jwt({ "kubernetes.io": { serviceaccount: { uid: "u2" } }, exp: 100 })), {
      serviceAccountUid: "u2",
      secretName: undefined,
      expiresMs: 100_000,
    });
    assert.equal(tokenClaims("not-a-jwt"), undefined);
  });

  it("fail on a gateway without an address, without ready endpoints, or not admitting a peer's egress", () => {
    const noAddress = facts("a");
    noAddress.gatewayService!.status = { loadBalancer: {} };
    const result = gatewayCheck(noAddress, mesh.members[0]!, [mesh.members[1]!]);
    assert.equal(result.status, "fail");
    assert.match(result.detail, /the Service has no address/);
    assert.match(result.hint!, /npm run mesh -- up --stacks a/);
    const narrow = facts("a");
    narrow.gatewayService!.spec!.loadBalancerSourceRanges = ["198.51.100.0/30"];
    narrow.gatewayEndpointSlices = [];
    const detail = gatewayCheck(narrow, mesh.members[0]!, [mesh.members[1]!]).detail;
    assert.match(detail, /no ready endpoint/);
    assert.match(detail, /do not admit b's egress 198\.51\.100\.0\/28/);
  });

  it("fail on a missing remote secret, one pointing at another server, and a leftover", () => {
    const broken = facts("a");
    const wrong = remoteSecret("b", jwt({}));
    wrong.data.b = wrong.data.b!.replace("https://b.example:6443", "https://old-b.example:6443");
    broken.remoteSecrets = [wrong, remoteSecret("gone", jwt({}))];
    const detail = remoteSecretsCheck(broken, mesh.members[0]!, mesh.members).detail;
    assert.match(detail, /points at https:\/\/old-b\.example:6443, b publishes https:\/\/b\.example:6443/);
    assert.match(detail, /leftover remote secret\(s\) for no peer: istio-remote-secret-gone/);
    broken.remoteSecrets = [];
    assert.match(byStatus(remoteSecretsCheck(broken, mesh.members[0]!, mesh.members)), /^fail: no remote secret for b/);
  });

  it("fail on a wrong network label, cluster ID, unserved injection label, or an unsupported Kubernetes version", () => {
    const wrong = facts("a");
    wrong.namespaces[0]!.metadata.labels = { "topology.istio.io/network": "net-b" };
    wrong.namespaces.push({ metadata: { name: "shop", labels: { "istio.io/rev": "canary" } } });
    wrong.kubernetesVersion = "v1.31.0";
    assert.match(identityCheck(wrong, mesh.members[0]!).detail, /network is 'net-b', config says 'net-a'/);
    assert.match(revisionsCheck(wrong).detail, /namespace shop asks for 'canary', which no injector serves/);
    assert.match(byStatus(kubernetesVersionCheck(wrong, mesh.members[0]!)), /^fail: v1\.31\.0 is not in EKS's standard support/);
  });

  it("fail across members on a different mesh ID, a shared network, Istio two minors apart, or an inconsistent Service", () => {
    const b = facts("b");
    b.meshConfigs.istio = "defaultConfig:\n  meshId: other\ntrustDomain: cluster.local\n";
    const shared = { ...mesh, members: [mesh.members[0]!, { ...mesh.members[1]!, network: "net-a" }] };
    const detail = meshIdentityCheck([facts("a"), b], shared).detail;
    assert.match(detail, /b istio: mesh ID 'other', config says 'burstmesh'/);
    assert.match(detail, /network 'net-a' is named by a and b/);
    const old = facts("b");
    (old.istiodDeployments[0]!.spec!.template as { spec: { containers: { image: string }[] } }).spec.containers[0]!.image =
      "istio/pilot:1.28.2";
    assert.equal(versionSkewCheck([facts("a"), old]).status, "fail");
    const patch = facts("b");
    (patch.istiodDeployments[0]!.spec!.template as { spec: { containers: { image: string }[] } }).spec.containers[0]!.image =
      "istio/pilot:1.30.7";
    assert.equal(versionSkewCheck([facts("a"), patch]).status, "warn", "a patch apart is an upgrade under way");
    const ports = facts("b");
    ports.meshServices[0]!.spec!.ports = [{ name: "http", port: 8080, protocol: "TCP" }];
    assert.match(
      serviceConsistencyCheck([facts("a"), ports]).detail,
      /podinfo\/podinfo: a ClusterIP http:9898\/TCP vs b ClusterIP http:8080\/TCP/,
    );
  });

  it("print ✓ or × per check with the hint under each problem, and exit 1 on any problem", () => {
    const results: CheckResult[] = [
      { id: "x", member: "a", title: "one", status: "ok", detail: "fine" },
      { id: "y", member: "b", title: "two", status: "fail", detail: "broken", hint: "fix it" },
      { id: "z", title: "three", status: "unknown", detail: "not read", hint: "give a URL" },
    ];
    assert.deepEqual(formatResults(results), [
      "✓ [a] one: fine",
      "× [b] two: broken",
      "    → fix it",
      "? three: not read",
      "    → give a URL",
    ]);
    assert.equal(exitCode(results), 1);
  });
});
