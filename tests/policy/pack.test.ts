import { strict as assert } from "node:assert";
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { policies } from "../../policy/pack";
import { chartName, ResourceView, types } from "../../policy/views";
import { Bootstrap, sharedBootstrap } from "../support/bootstrap";
import { RecordedResource, reveal, StackRun } from "../support/harness";
import { wireSecret } from "../support/sdkInternals";
import { repoRoot } from "../support/stackFiles";
import { validateEastWestGatewayPorts, validateStrictMtls } from "../../policy/mesh";
import { validateNoCaKeyInClusterStack } from "../../policy/secrets";
import { chartMirrors, mirroredFirstPass, MirroredPass } from "../support/mirrors";
import { execKubeconfig, resource, ResourceCheck, StackCheck, stackViolations, violations } from "./checks";

describe("policy pack", () => {
  describe("the pack", () => {
    const policyDir = path.join(repoRoot, "policy");

    it("lists every policy above, the nine guardrails mandatory and the three exposure checks advisory", () => {
      assert.deepEqual(
        policies.map((p) => [p.name, p.enforcementLevel]),
        [
          ["istio-strict-mtls", "mandatory"],
          ["remote-secret-inline-credentials", "mandatory"],
          ["eastwest-gateway-ports", "mandatory"],
          ["helm-release-pinned-version", "mandatory"],
          ["no-ca-key-in-cluster-stack", "mandatory"],
          ["credentials-in-secret-properties", "mandatory"],
          ["workloads-pod-security-restricted", "mandatory"],
          ["eks-metrics-server", "mandatory"],
          ["cloud-resource-default-tags", "mandatory"],
          ["eks-api-public-access-restricted", "advisory"],
          ["aks-api-authorized-ip-ranges", "advisory"],
          ["node-pool-min-two-nodes", "advisory"],
        ],
      );
    });

    it("is a Node.js policy pack directory: PulumiPolicy.yaml, a versioned package.json, dependencies resolvable from policy/", () => {
      const project = parseYaml(fs.readFileSync(path.join(policyDir, "PulumiPolicy.yaml"), "utf8")) as { runtime?: string };
      assert.equal(project.runtime, "nodejs");
      const manifest = JSON.parse(fs.readFileSync(path.join(policyDir, "package.json"), "utf8")) as {
        version?: string;
        dependencies: Record<string, string>;
      };
      assert.match(manifest.version ?? "", /^\d+\.\d+\.\d+$/, "PolicyPack reads its version from package.json");
      for (const dependency of [...Object.keys(manifest.dependencies), "@pulumi/pulumi/cmd/run-policy-pack"]) {
        assert.doesNotThrow(() => require.resolve(dependency, { paths: [policyDir] }), dependency);
      }
    });

    describe("served over the analyzer protocol, as `pulumi preview --policy-pack policy` runs it", function () {
      this.timeout(120_000);
      // The engine's side of the protocol, from the modules @pulumi/pulumi itself uses.
      const fromPulumi = createRequire(require.resolve("@pulumi/pulumi/package.json"));
      const grpc = fromPulumi("@grpc/grpc-js");
      const services = fromPulumi("./proto/analyzer_grpc_pb.js");
      const messages = fromPulumi("./proto/analyzer_pb.js");
      const { Struct } = fromPulumi("google-protobuf/google/protobuf/struct_pb.js");
      const { Empty } = fromPulumi("google-protobuf/google/protobuf/empty_pb.js");
      let pack: ChildProcess;
      let client: any;
      const call = (method: string, request: unknown) =>
        new Promise<any>((resolve, reject) =>
          client[method](request, (error: unknown, response: unknown) => (error ? reject(error) : resolve(response))),
        );

      before(async () => {
        // What the CLI's pulumi-analyzer-policy shim does: run-policy-pack from the pack's directory.
        const runner = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [policyDir] });
        // Transpile-only: `npm test` type-checks policy/ with the rest of the project already.
        pack = spawn(process.execPath, [runner, "127.0.0.1:1", "."], {
          cwd: policyDir,
          stdio: ["ignore", "pipe", "pipe"],
          env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "true" },
        });
        let stderr = "";
        pack.stderr!.on("data", (chunk) => (stderr += String(chunk)));
        const port = await new Promise<string>((resolve, reject) => {
          pack.stdout!.once("data", (chunk) => resolve(String(chunk).trim()));
          pack.once("exit", (code) => reject(new Error(`the policy pack exited (${String(code)}) before serving: ${stderr}`)));
        });
        client = new services.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
      });

      after(() => {
        client?.close();
        pack?.kill();
      });

      it("announces the pack and its policies with their enforcement levels", async () => {
        const info = await call("getAnalyzerInfo", new Empty());
        assert.equal(info.getName(), "burstmesh-guardrails");
        const levels = new Map<string, number>(info.getPoliciesList().map((p: any) => [p.getName(), p.getEnforcementlevel()]));
        assert.deepEqual(
          [...levels.keys()],
          policies.map((p) => p.name),
        );
        assert.equal(levels.get("istio-strict-mtls"), messages.EnforcementLevel.MANDATORY);
        assert.equal(levels.get("node-pool-min-two-nodes"), messages.EnforcementLevel.ADVISORY);
      });

      it("reports a mandatory violation for a remote secret whose kubeconfig runs exec, although the engine sends it as a secret", async () => {
        const request = new messages.AnalyzeRequest();
        request.setType(types.secret);
        request.setName("peer-aks");
        request.setUrn("urn:pulumi:eks::burstmesh::kubernetes:core/v1:Secret::peer-aks");
        const secret = wireSecret({ aks: execKubeconfig });
        request.setProperties(
          Struct.fromJavaScript({
            metadata: { name: "istio-remote-secret-aks", namespace: "istio-system", labels: { "istio/multiCluster": "true" } },
            stringData: secret,
          }),
        );
        const options = new messages.AnalyzerResourceOptions();
        options.setAdditionalsecretoutputsList(["data", "stringData"]);
        request.setOptions(options);
        const diagnostics = (await call("analyze", request)).getDiagnosticsList();
        assert.deepEqual(
          diagnostics.map((d: any) => [d.getPolicyname(), d.getEnforcementlevel()]),
          [["remote-secret-inline-credentials", messages.EnforcementLevel.MANDATORY]],
        );
        assert.match(diagnostics[0].getMessage(), /user 'aks' runs an exec credential plugin/);
      });
    });
  });

  describe("on the program's own stacks under mocks (trust stack, then both clusters wired to each other)", function () {
    this.timeout(120_000);
    let bootstrap: Bootstrap;

    /** The SDK classes that put properties in additionalSecretOutputs, as the analyzer would see them. */
    const sdkSecretOutputs: Record<string, string[]> = {
      "kubernetes:core/v1:Secret": ["data", "stringData"],
      "kubernetes:core/v1:SecretPatch": ["data", "stringData"],
      "tls:index/privateKey:PrivateKey": ["privateKeyOpenssh", "privateKeyPem", "privateKeyPemPkcs8"],
      "tls:index/certRequest:CertRequest": ["privateKeyPem", "privateKeyPemWo"],
      "tls:index/selfSignedCert:SelfSignedCert": ["privateKeyPem", "privateKeyPemWo"],
      "tls:index/locallySignedCert:LocallySignedCert": ["caPrivateKeyPem", "caPrivateKeyPemWo"],
    };
    const view = (r: RecordedResource, from: "inputs" | "state"): ResourceView => ({
      type: r.type,
      name: r.name,
      urn: r.urn,
      props: reveal<Record<string, unknown>>(from === "inputs" ? r.inputs : r.state),
      opts: { additionalSecretOutputs: sdkSecretOutputs[r.type] ?? [] },
    });
    /** Every mandatory violation in a stack run: resource policies on inputs, stack policies on outputs. */
    const mandatoryViolations = (run: StackRun): string[] => {
      const found: string[] = [];
      const registered = run.resources.filter((r) => !r.read);
      for (const p of policies.filter((p) => p.enforcementLevel === "mandatory")) {
        const report = (message: string) => found.push(`${p.name}: ${message}`);
        if ("validateStack" in p) (p.validateStack as StackCheck)({ resources: registered.map((r) => view(r, "state")) }, report);
        else for (const r of registered) (p.validateResource as ResourceCheck)(view(r, "inputs"), report);
      }
      return found;
    };

    before(async () => {
      bootstrap = await sharedBootstrap();
    });

    it("the trust stack passes every mandatory policy", () => {
      assert.deepEqual(mandatoryViolations(bootstrap.trust), []);
    });

    for (const stack of ["eks", "aks"] as const) {
      it(`${stack} passes every mandatory policy, with its remote secret, east-west gateway and STRICT mTLS in place`, () => {
        const run = bootstrap.second[stack];
        assert.deepEqual(mandatoryViolations(run), []);
        const kinds = run.resources.map((r) => view(r, "inputs"));
        assert.ok(
          kinds.some((r) => r.type === types.helmRelease && chartName(r.props.chart) === "istiod"),
          "installs istiod",
        );
        assert.ok(
          kinds.some((r) => (types.peerAuthentication as readonly string[]).includes(r.type)),
          "has a PeerAuthentication",
        );
        assert.ok(
          kinds.some((r) => r.type === types.helmRelease && chartName(r.props.chart) === "gateway"),
          "has an east-west gateway release",
        );
        assert.ok(
          kinds.some(
            (r) =>
              r.type === types.secret &&
              (r.props.metadata as { labels?: Record<string, string> })?.labels?.["istio/multiCluster"] === "true",
          ),
          "has a remote secret for its peer",
        );
      });
    }

    describe("with every chart from a mirror (an OCI registry for all, a Helm repository for istiod)", () => {
      let mirrored: MirroredPass["mirrored"];

      before(async () => {
        ({ mirrored } = await mirroredFirstPass());
      });

      for (const stack of ["eks", "aks"] as const) {
        it(`${stack} passes every mandatory policy`, () => {
          assert.deepEqual(mandatoryViolations(mirrored[stack]), []);
        });
      }

      it("still recognises the mirrored istiod and east-west gateway by their chart's name, so their checks still bite", () => {
        // The releases alone, without a PeerAuthentication or key: each check must take the mirrored istiod for istiod.
        const releases = mirrored.aks.resources.filter((r) => r.type === types.helmRelease && !r.read).map((r) => view(r, "state"));
        assert.deepEqual(
          stackViolations(validateStrictMtls, releases).map((v) => v.message),
          [
            "This stack installs istiod but has no mesh-wide STRICT mTLS: add a PeerAuthentication 'default' in namespace " +
              "'istio-system' with spec.mtls.mode STRICT (type security.istio.io/v1 PeerAuthentication).",
          ],
          "istiod from the Helm repository mirror is istiod",
        );
        const key = resource(types.tlsPrivateKey, "stray-key", {});
        assert.match(
          stackViolations(validateNoCaKeyInClusterStack, [...releases, key])[0]?.message ?? "none",
          /^Cluster stack \(it has kubernetes:helm\.sh\/v3:Release 'istio-istiod-1-30-8'\) holds private key 'stray-key'/,
          "a CA key beside a mirrored istiod",
        );

        const gateway = view(
          mirrored.aks.resources.find(
            (r) => r.type === types.helmRelease && chartName(reveal<{ chart: string }>(r.inputs).chart) === "gateway",
          )!,
          "inputs",
        );
        assert.equal(gateway.props.chart, `${chartMirrors.all}/gateway`);
        const values = gateway.props.values as { service: { ports: unknown[] } };
        const withHttp = { ...values, service: { ...values.service, ports: [...values.service.ports, { name: "http", port: 80 }] } };
        assert.equal(violations(validateEastWestGatewayPorts, { ...gateway, props: { ...gateway.props, values: withHttp } }).length, 1);
      });
    });
  });
});
