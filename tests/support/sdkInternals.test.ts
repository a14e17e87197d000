/**
 * The canary for tests/support/sdkInternals.ts: after a Pulumi SDK upgrade, this fails first and
 * names the internal that changed, instead of the stack tests failing obscurely.
 */
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import {
  deserializeState,
  isWireSecret,
  mockMonitor,
  ReadRequest,
  RegistrationRequest,
  responseUrn,
  revealSecrets,
  SECRET_SIGNATURE,
  SECRET_SIGNATURE_KEY,
  skipPromiseStacks,
  waitForRPCs,
  wireSecret,
} from "./sdkInternals";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const sdk = `Pulumi SDK ${(require("@pulumi/pulumi/package.json") as { version: string }).version}`;

class Canary extends pulumi.CustomResource {
  constructor(name: string, props: Record<string, pulumi.Input<unknown>>, opts?: pulumi.CustomResourceOptions) {
    super("canary:index:Thing", name, props, opts);
  }
}

describe("Pulumi SDK internals the test support relies on", () => {
  it("the secret signature is the SDK's exported one, and a secret input reaches the mocks wrapped in it", async () => {
    assert.equal(SECRET_SIGNATURE_KEY, "4dabf18193072939515e22adb298388d", `${sdk}: pulumi.runtime.specialSigKey changed`);
    assert.equal(SECRET_SIGNATURE, "1b47061264138c4ac30d75fd1eb44270", `${sdk}: pulumi.runtime.specialSecretSig changed`);
    const seen: Record<string, unknown>[] = [];
    await pulumi.runtime.setMocks(
      {
        newResource: async (args) => (seen.push(args.inputs), { id: `${args.name}-id`, state: args.inputs }),
        call: async () => ({}),
      },
      "canary",
      "canary",
      false,
    );
    const monitor = mockMonitor();
    const requests: { kind: "register" | "read"; request: RegistrationRequest; urn: string }[] = [];
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, callback) =>
      register(req, (err, response) => {
        if (!err) requests.push({ kind: "register", request: req, urn: responseUrn(response) });
        callback(err, response);
      });
    const read = monitor.readResource.bind(monitor);
    monitor.readResource = (req: ReadRequest, callback) =>
      read(req, (err, response) => {
        if (!err) requests.push({ kind: "read", request: req, urn: responseUrn(response) });
        callback(err, response);
      });

    const parent = new Canary("parent", { plain: "visible" });
    new Canary("child", { token: pulumi.secret("hidden"), list: [pulumi.secret(1)] }, { parent, dependsOn: [parent] });
    new Canary("existing", {}, { id: "existing-id" });
    await waitForRPCs();

    const child = seen.find((inputs) => "token" in inputs);
    assert.ok(child, `${sdk}: the mocks never saw the child's inputs`);
    assert.ok(isWireSecret(child.token), `${sdk}: a secret input no longer arrives as { [specialSigKey]: specialSecretSig, value }`);
    assert.deepEqual(revealSecrets(child), { token: "hidden", list: [1] });
    assert.deepEqual(revealSecrets(wireSecret({ a: wireSecret("b") })), { a: "b" });

    const registered = requests.find((r) => r.kind === "register" && r.request.getName() === "child");
    assert.ok(registered, `${sdk}: the wrapped registerResource was not called, or getName() changed`);
    const { request, urn } = registered;
    assert.equal(request.getType(), "canary:index:Thing", `${sdk}: RegisterResourceRequest.getType() changed`);
    assert.match(request.getParent(), /::parent$/, `${sdk}: RegisterResourceRequest.getParent() changed`);
    assert.equal(typeof request.getProvider(), "string", `${sdk}: RegisterResourceRequest.getProvider() changed`);
    assert.ok(
      request.getDependenciesList().some((d) => d.endsWith("::parent")),
      `${sdk}: RegisterResourceRequest.getDependenciesList() changed`,
    );
    assert.ok(isWireSecret(deserializeState(request.getObject()).token), `${sdk}: RegisterResourceRequest.getObject() changed`);
    assert.equal(typeof request.getDeletedwith, "function", `${sdk}: RegisterResourceRequest.getDeletedwith() is gone`);
    assert.ok(
      isWireSecret(deserializeState(monitor.resources.get(urn)?.state).token),
      `${sdk}: MockMonitor.resources no longer holds the state`,
    );

    const readRequest = requests.find((r) => r.kind === "read");
    assert.ok(readRequest, `${sdk}: the wrapped readResource was not called for a resource read by id`);
    assert.equal((readRequest.request as ReadRequest).getId(), "existing-id", `${sdk}: ReadResourceRequest.getId() changed`);
    assert.deepEqual(
      deserializeState((readRequest.request as ReadRequest).getProperties()),
      {},
      `${sdk}: ReadResourceRequest.getProperties() changed`,
    );
  });

  it("the SDK's promises are tagged without a stack trace once skipped, while errors keep theirs", () => {
    skipPromiseStacks();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { debuggablePromise } = require("@pulumi/pulumi/runtime/debuggable") as {
      debuggablePromise: <T>(promise: Promise<T>, context: unknown) => Promise<T>;
    };
    // It tags the promise it is given and returns one chained on it.
    const tagged: Promise<number> & { _debugStackTrace?: string; _debugCtx?: unknown } = Promise.resolve(1);
    void debuggablePromise(tagged, "canary");
    assert.equal(tagged._debugCtx, "canary", `${sdk}: debuggablePromise no longer tags _debugCtx`);
    assert.equal(tagged._debugStackTrace, "Error", `${sdk}: debuggablePromise's stack trace is no longer skipped`);
    assert.match(new Error("after").stack ?? "", /\n\s+at /, "an error thrown afterwards still has its frames");
  });
});
