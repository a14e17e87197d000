/**
 * Every place the test support leans on the Pulumi SDK beyond its documented API, in one module:
 * the mock monitor's registrations and state, the wait for outstanding RPCs, the wire format of
 * secrets, and the promise bookkeeping that mocked runs skip. tests/sdkInternals.test.ts checks each of them and, when a Pulumi upgrade breaks one,
 * fails naming what changed, instead of letting the stack tests fail obscurely.
 */
import * as pulumi from "@pulumi/pulumi";

/** How a secret travels on the wire: `{ [specialSigKey]: specialSecretSig, value }` (both exported by the SDK). */
export const SECRET_SIGNATURE_KEY = pulumi.runtime.specialSigKey;
export const SECRET_SIGNATURE = pulumi.runtime.specialSecretSig;

/** True when a value, as the engine receives it, is a Pulumi secret. */
export function isWireSecret(value: unknown): value is { value: unknown } {
  return typeof value === "object" && value !== null && (value as Record<string, unknown>)[SECRET_SIGNATURE_KEY] === SECRET_SIGNATURE;
}

/** A value wrapped as a secret the way the engine sends it. */
export function wireSecret<T>(value: T): { value: T } {
  return { [SECRET_SIGNATURE_KEY]: SECRET_SIGNATURE, value } as { value: T };
}

/** The plain value behind what the engine received, with every secret wrapper removed. */
export function revealSecrets<T = unknown>(value: unknown): T {
  if (isWireSecret(value)) return revealSecrets(value.value);
  if (Array.isArray(value)) return value.map((item) => revealSecrets(item)) as T;
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, revealSecrets(item)])) as T;
  }
  return value as T;
}

/** What the mock monitor receives for a registration or a read (protobuf request getters). */
export interface RegistrationRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getProvider(): string;
  getDependenciesList(): string[];
  getObject(): unknown;
  getDeletedwith?(): string;
}

export interface ReadRequest extends RegistrationRequest {
  getId(): string;
  getProperties(): unknown;
}

type Callback = (err: unknown, response: unknown) => void;

/** The SDK's MockMonitor, which `pulumi.runtime.setMocks` installs: not exported, so typed here. */
interface MockMonitor {
  registerResource(req: RegistrationRequest, callback: Callback): Promise<void>;
  readResource(req: ReadRequest, callback: Callback): Promise<void>;
  /** Every registered resource's URN and state (a protobuf Struct, or the component's outputs). */
  resources: Map<string, { urn: string; state: unknown }>;
}

/** The monitor `setMocks` installed; throws, naming what is missing, when it is not the mock monitor this module expects. */
export function mockMonitor(): MockMonitor {
  const monitor = pulumi.runtime.getMonitor() as unknown as Partial<MockMonitor> | undefined;
  const missing = [
    typeof monitor?.registerResource !== "function" && "registerResource(req, callback)",
    typeof monitor?.readResource !== "function" && "readResource(req, callback)",
    !(monitor?.resources instanceof Map) && "the resources map",
  ].filter((m): m is string => typeof m === "string");
  if (missing.length > 0) {
    throw new Error(`${sdk()}: pulumi.runtime.getMonitor() under setMocks has no ${missing.join(", ")} (tests/support/sdkInternals.ts)`);
  }
  return monitor as MockMonitor;
}

/** The SDK's module that tags every promise it makes with a context and a stack trace, for its leak report. */
interface DebuggableModule {
  debuggablePromise<T>(promise: Promise<T>, context: unknown): Promise<T>;
}

let promiseStacksSkipped = false;

/**
 * Makes the SDK tag its promises without a stack trace. It formats one for every promise it makes,
 * only to print it should the process exit with the promise unsettled; under ts-node every frame of it
 * goes through the source maps, which cost about a third of the test suite's time. Errors the program
 * throws keep their stacks: only the SDK's own bookkeeping loses its frames. Idempotent.
 */
export function skipPromiseStacks(): void {
  if (promiseStacksSkipped) return;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const debuggable = require("@pulumi/pulumi/runtime/debuggable") as Partial<DebuggableModule>;
  const tag = debuggable.debuggablePromise;
  if (typeof tag !== "function") {
    throw new Error(
      `${sdk()}: @pulumi/pulumi/runtime/debuggable has no debuggablePromise(promise, context) (tests/support/sdkInternals.ts)`,
    );
  }
  debuggable.debuggablePromise = <T>(promise: Promise<T>, context: unknown) => {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return tag(promise, context);
    } finally {
      Error.stackTraceLimit = limit;
    }
  };
  promiseStacksSkipped = true;
}

/** Resolves once every registration and read under way has been answered (the SDK's internal `waitForRPCs`). */
export function waitForRPCs(): Promise<void> {
  const wait = (pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> }).waitForRPCs;
  if (typeof wait !== "function") throw new Error(`${sdk()}: pulumi.runtime.waitForRPCs is gone (tests/support/sdkInternals.ts)`);
  return wait();
}

/** Plain properties from what the monitor holds: a protobuf Struct is deserialized, anything else is taken as is. */
export function deserializeState(state: unknown): Record<string, unknown> {
  if (state && typeof (state as { toJavaScript?: unknown }).toJavaScript === "function") {
    return pulumi.runtime.deserializeProperties(state as Parameters<typeof pulumi.runtime.deserializeProperties>[0]) as Record<
      string,
      unknown
    >;
  }
  return (state ?? {}) as Record<string, unknown>;
}

/** The URN in the monitor's answer to a registration or read. */
export function responseUrn(response: unknown): string {
  const getUrn = (response as { getUrn?: () => string } | undefined)?.getUrn;
  if (typeof getUrn !== "function")
    throw new Error(`${sdk()}: the mock monitor's response has no getUrn() (tests/support/sdkInternals.ts)`);
  return getUrn.call(response);
}

function sdk(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return `Pulumi SDK ${(require("@pulumi/pulumi/package.json") as { version: string }).version}`;
}
