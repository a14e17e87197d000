/**
 * The mesh components (IstioPrimary, EastWestGateway, ReaderToken, RemoteSecret): their pure builders
 * directly, then the components themselves under Pulumi mocks, one EKS and one AKS cluster, wired to
 * each other the way the cluster stacks wire peers.
 */
import { strict as assert } from "node:assert";
import { decodeReaderToken, readerTokenSecret } from "../../../components/mesh/readerToken";
import { reveal } from "../../support/harness";
import { eks, aks, Run, only, k8sObject, release, meshComponentRuns } from "../../support/meshComponents";
describe("components/mesh/readerToken: ReaderToken", () => {
  let eksRun: Run;
  let aksRun: Run;

  before(async () => {
    ({ eksRun, aksRun } = await meshComponentRuns());
  });

  const runs = () => [
    { fixture: eks, result: eksRun },
    { fixture: aks, result: aksRun },
  ];

  it("reader token Secret: the service-account-token type and annotation, exactly", () => {
    assert.deepEqual(readerTokenSecret(1), {
      metadata: {
        name: "istio-reader-service-account-istio-remote-secret-token",
        namespace: "istio-system",
        annotations: { "kubernetes.io/service-account.name": "istio-reader-service-account" },
      },
      type: "kubernetes.io/service-account-token",
    });
  });

  it("reader token: decodes data.token, refuses a Secret the controller has not filled", () => {
    assert.equal(decodeReaderToken({ token: Buffer.from("a.b.c").toString("base64") }, 1), "a.b.c");
    assert.throws(() => decodeReaderToken({}, 1), /has no data\.token/);
    assert.throws(() => decodeReaderToken(undefined, 1), /has no data\.token/);
  });

  describe("ReaderToken", () => {
    it("creates the service-account token Secret exactly, after istiod (and so after the base chart's service account)", () => {
      for (const { result } of runs()) {
        const secret = k8sObject(result, "kubernetes:core/v1:Secret", "istio-reader-service-account-istio-remote-secret-token");
        assert.deepEqual(reveal(secret.inputs), { apiVersion: "v1", kind: "Secret", ...readerTokenSecret(1) });
        assert.ok(secret.dependencies.includes(release(result, "istiod-1-30-3").urn));
      }
    });

    it("reads the token back and outputs it decoded, as a secret", () => {
      for (const { result } of runs()) {
        const read = only(result, (r) => r.read && r.type === "kubernetes:core/v1:Secret", "Secret read");
        const data = reveal<{ data: { token: string } }>(read.state).data;
        assert.equal(result.outputs.token!.secret, true, "token is a Pulumi secret");
        assert.equal(result.outputs.token!.value, Buffer.from(data.token, "base64").toString("utf8"));
        const [, payload] = (result.outputs.token!.value as string).split(".");
        assert.equal(
          JSON.parse(Buffer.from(payload!, "base64url").toString()).sub,
          "system:serviceaccount:istio-system:istio-reader-service-account",
        );
      }
      assert.notEqual(eksRun.outputs.token!.value, aksRun.outputs.token!.value, "each cluster has its own token");
    });
  });
});
