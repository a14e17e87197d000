import { createHash } from "node:crypto";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { RawConfig } from "../../config";
import { callMocks, ResourceMock, resourceMocks } from "./mocks";
import { projectName } from "../../config/projectFile";
import { deserializeState, mockMonitor, RegistrationRequest, responseUrn, skipPromiseStacks, waitForRPCs } from "./sdkInternals";
import { repoRoot } from "./stackFiles";

/** What a mocked run registered for one resource. */
export interface RecordedResource {
  type: string;
  name: string;
  urn: string;
  /** Inputs as the engine saw them; secret values keep their secret wrapper (see `isSecret`). */
  inputs: Record<string, unknown>;
  /** What the mock returned as the resource's state. */
  state: Record<string, unknown>;
  parent: string;
  provider: string;
  /** URNs this resource depends on (explicit `dependsOn` and the resources behind its inputs). */
  dependencies: string[];
  /** The URN given as `deletedWith`, or "" (always "" for reads). */
  deletedWith: string;
  /** True for `Resource.get` reads rather than registrations. */
  read: boolean;
}

export interface StackOutput {
  value: unknown;
  secret: boolean;
}

export interface StackRun {
  resources: RecordedResource[];
  outputs: Record<string, StackOutput>;
  logs: { severity: "info" | "warn"; message: string }[];
}

export interface PublishedStack {
  outputs: Record<string, unknown>;
  secretOutputNames?: string[];
}

interface RunOptions {
  /** The stack name, e.g. `eks`. */
  stack: string;
  /** The stack's raw config (see `stackFileConfig`). */
  config: RawConfig;
  /** Outputs of other stacks, by fully qualified name (`organization/burstmesh/mesh`). */
  published?: Record<string, PublishedStack>;
  /** Resource mocks for this run only, by type; they replace or add to those in tests/support/mocks. */
  mocks?: Record<string, ResourceMock>;
  /** Run as `pulumi preview` does (unknown values stay unknown); default: as `pulumi up`. */
  preview?: boolean;
}

const organization = "organization";
const project = projectName;

/** Fully qualified name of one of this project's stacks, as a StackReference spells it. */
export function stackRef(stack: string): string {
  return `${organization}/${project}/${stack}`;
}

/** True when a recorded input value is a Pulumi secret; `reveal` gives the plain value behind recorded inputs. */
export { isWireSecret as isSecret, revealSecrets as reveal } from "./sdkInternals";

/**
 * Runs the program in index.ts under Pulumi mocks with the given config and published stack outputs,
 * and returns what it registered and exported. Cloud, TLS and Kubernetes behaviour comes from
 * tests/support/mocks.
 */
export async function runStack(options: RunOptions): Promise<StackRun> {
  const { resources, logs, restoreLogs } = await startMockedRun(options);
  try {
    const entry = path.join(repoRoot, "index.ts");
    delete require.cache[require.resolve(entry)];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const program = require(entry) as unknown;
    const exported = typeof program === "function" ? await (program as () => unknown)() : program;
    const outputs = await resolveOutputs((exported ?? {}) as Record<string, unknown>);
    await settle();
    return { resources, outputs, logs };
  } catch (error) {
    // What was registered before the failure, for tests that a bad input creates nothing.
    throw Object.assign(error as object, { resources });
  } finally {
    restoreLogs();
  }
}

/** What decides a scenario's run; per-run `mocks` are functions, which no key could tell apart. */
type ScenarioOptions = Omit<RunOptions, "mocks">;

const scenarioRuns = new Map<string, Promise<StackRun>>();

/**
 * {@link runStack}, run once per test process for each distinct set of options: every later caller
 * with the same stack, config, published outputs and preview flag shares the first run. The shared
 * run is frozen, so a caller that mutates it fails instead of changing what the others see. A run
 * that fails is not kept: each caller of a failing scenario sees its own failure.
 */
export function runScenario(options: ScenarioOptions): Promise<StackRun> {
  const key = scenarioKey(options);
  let run = scenarioRuns.get(key);
  if (!run) {
    run = runStack(options).then(deepFreeze);
    scenarioRuns.set(key, run);
    run.catch(() => scenarioRuns.delete(key));
  }
  return run;
}

/** A digest of the options that does not depend on the order their objects' keys were written in. */
function scenarioKey({ stack, config, published, preview = false }: ScenarioOptions): string {
  const sortedKeys = (_key: string, value: unknown) =>
    value && typeof value === "object" && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : value;
  return createHash("sha256")
    .update(JSON.stringify({ stack, config, published: published ?? {}, preview }, sortedKeys))
    .digest("hex");
}

function deepFreeze<T>(value: T): T {
  // Typed arrays cannot be frozen while they hold elements.
  if (value && typeof value === "object" && !ArrayBuffer.isView(value) && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** A mocked run in progress: what it has registered and logged so far. */
interface MockedRun {
  resources: RecordedResource[];
  logs: StackRun["logs"];
  /** Puts `pulumi.log` back; call it when the run is over. */
  restoreLogs(): void;
}

/**
 * Sets up Pulumi mocks (not a preview) for one stack, with its config and the outputs other stacks
 * have published, and records every registration, read and log line from then on. Components
 * created after this register against the mocked clouds, TLS and Kubernetes in tests/support/mocks.
 */
export async function startMockedRun(options: Partial<RunOptions> & { stack: string }): Promise<MockedRun> {
  const resources: RecordedResource[] = [];
  const logs: StackRun["logs"] = [];
  const published = options.published ?? {};
  const mocks = { ...resourceMocks, ...options.mocks };
  skipPromiseStacks();

  pulumi.runtime.setAllConfig(
    Object.fromEntries(Object.entries(options.config ?? {}).filter(([, v]) => v !== undefined)) as Record<string, string>,
  );
  await pulumi.runtime.setMocks(
    {
      newResource: async (args) => {
        if (args.type === "pulumi:pulumi:StackReference") {
          const stack = published[args.inputs.name as string];
          return {
            id: args.inputs.name,
            state: { name: args.inputs.name, outputs: stack?.outputs ?? {}, secretOutputNames: stack?.secretOutputNames ?? [] },
          };
        }
        const mock = mocks[args.type];
        const state = mock ? await mock(args) : {};
        return { id: args.id || `${args.name}-id`, state: { ...args.inputs, ...state } };
      },
      call: async (args) => {
        const mock = callMocks[args.token];
        if (!mock) throw new Error(`no mock for invoke ${args.token}`);
        return mock(args.inputs);
      },
    },
    project,
    options.stack,
    options.preview ?? false,
    organization,
  );
  recordRegistrations(resources);
  return { resources, logs, restoreLogs: captureLogs(logs) };
}

/** Waits until every registration and read under way has been answered. */
export function settle(): Promise<void> {
  return waitForRPCs();
}

/** The value of an output, once known. */
export function resolve<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((done) => output.apply((value) => done(value)));
}

/** Each output's value, once known, and whether it is a secret. */
export async function resolveOutputs(exported: Record<string, unknown>): Promise<Record<string, StackOutput>> {
  const outputs: Record<string, StackOutput> = {};
  for (const [name, value] of Object.entries(exported)) {
    const output: pulumi.Output<unknown> = pulumi.output(value as pulumi.Input<unknown>);
    outputs[name] = { value: await resolve(output), secret: await pulumi.isSecret(output) };
  }
  return outputs;
}

/** Wraps the mock monitor so that every registration is recorded with its parent and dependencies. */
function recordRegistrations(resources: RecordedResource[]): void {
  const monitor = mockMonitor();
  const record = (req: RegistrationRequest, inputs: unknown, read: boolean) => (err: unknown, response: unknown) => {
    if (!err) {
      const urn = responseUrn(response);
      const state = monitor.resources.get(urn)?.state ?? {};
      resources.push({
        type: req.getType(),
        name: req.getName(),
        urn,
        inputs: deserializeState(inputs),
        state: deserializeState(state),
        parent: req.getParent(),
        provider: req.getProvider(),
        dependencies: read ? [] : req.getDependenciesList(),
        deletedWith: read ? "" : (req.getDeletedwith?.() ?? ""),
        read,
      });
    }
  };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) =>
    register(req, (err, response) => {
      record(req, req.getObject(), false)(err, response);
      callback(err, response);
    });
  const read = monitor.readResource.bind(monitor);
  monitor.readResource = (req, callback) =>
    read(req, (err, response) => {
      record(req, req.getProperties(), true)(err, response);
      callback(err, response);
    });
}

/**
 * What the mocked engine holds for a resource now: the state the mock returned, or for a component
 * what it last passed to `registerOutputs`. Secrets keep their wrapper.
 */
export function stateOf(urn: string): Record<string, unknown> {
  return deserializeState(mockMonitor().resources.get(urn)?.state);
}

function captureLogs(logs: StackRun["logs"]): () => void {
  const { info, warn } = pulumi.log;
  pulumi.log.info = async (message: string) => {
    logs.push({ severity: "info", message });
  };
  pulumi.log.warn = async (message: string) => {
    logs.push({ severity: "warn", message });
  };
  return () => {
    pulumi.log.info = info;
    pulumi.log.warn = warn;
  };
}

/** The resources of one type, optionally only those whose name matches. */
export function ofType(run: Pick<StackRun, "resources">, type: string, name?: string | RegExp): RecordedResource[] {
  return run.resources.filter(
    (r) => r.type === type && (name === undefined || (typeof name === "string" ? r.name === name : name.test(r.name))),
  );
}

/** Exactly one resource of a type (and name); fails the test otherwise. */
export function single(run: Pick<StackRun, "resources">, type: string, name?: string | RegExp): RecordedResource {
  const found = ofType(run, type, name);
  if (found.length !== 1) {
    throw new Error(`expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length}: ${found.map((r) => r.name).join(", ")}`);
  }
  return found[0]!;
}
