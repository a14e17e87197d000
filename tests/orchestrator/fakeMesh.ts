/**
 * A fake workspace for the orchestrator's tests: in-memory stacks whose programs see the other stacks'
 * outputs as they were when the operation started (as StackReference does), a timeline of start/end
 * events, and a virtual clock that each update advances by its stack's duration.
 */
import { strict as assert } from "node:assert";
import type {
  LastUpdate,
  Log,
  MeshPlan,
  MeshWorkspace,
  OpCounts,
  OperationStreams,
  StackHandle,
  StackOutputs,
} from "../../orchestrator/ports";

type Op = "open" | "up" | "preview" | "destroy";
interface TimelineEvent {
  seq: number;
  stack: string;
  op: Op;
  phase: "start" | "end";
  run?: number;
}

interface ProgramInput {
  /** 1 for the stack's first `up`, 2 for its second, ... */
  run: number;
  /** Every other stack's outputs at the start of the operation ({} when it has none). */
  seen: Record<string, StackOutputs>;
}
export type Program = (input: ProgramInput) => { resources: Record<string, string>; outputs: StackOutputs };

interface FakeState {
  exists: boolean;
  resources: Record<string, string>;
  outputs: StackOutputs;
  runs: number;
  last?: LastUpdate;
}

export const plain = (value: unknown) => ({ value, secret: false });
export const secret = (value: unknown) => ({ value, secret: true });
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
export const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class FakeMesh implements MeshWorkspace {
  readonly events: TimelineEvent[] = [];
  readonly state = new Map<string, FakeState>();
  /** Return an error message to make that operation fail. */
  fail: (stack: string, op: Op, run: number) => string | undefined = () => undefined;
  /**
   * Virtual minutes each update of a stack takes. An update waits that many real milliseconds more,
   * so that concurrent updates finish in the order of their virtual durations.
   */
  minutes: Record<string, number> = {};
  /** Virtual milliseconds: the latest end of an update so far. */
  clock = 0;
  /** The virtual clock, for `meshUp`'s `now` option. */
  readonly now = () => this.clock;
  private seq = 0;

  constructor(
    readonly programs: Record<string, Program>,
    readonly delayMs = 3,
  ) {
    for (const name of Object.keys(programs)) this.state.set(name, { exists: false, resources: {}, outputs: {}, runs: 0 });
  }

  record(stack: string, op: Op, phase: "start" | "end", run?: number): void {
    this.events.push({ seq: ++this.seq, stack, op, phase, run });
  }

  /** Every `open` call's stack and options, in order. */
  readonly opened: { name: string; options: unknown }[] = [];

  async open(name: string, options: { create: boolean }): Promise<StackHandle | undefined> {
    const { create } = options;
    this.opened.push({ name, options });
    this.record(name, "open", "start");
    await tick(0);
    const state = this.state.get(name);
    if (!state) throw new Error(`fake: unknown stack ${name}`);
    this.record(name, "open", "end");
    if (!state.exists) {
      if (!create) return undefined;
      state.exists = true;
    }
    return new FakeHandle(this, name);
  }

  seenBy(name: string): Record<string, StackOutputs> {
    const seen: Record<string, StackOutputs> = {};
    for (const [other, s] of this.state) if (other !== name) seen[other] = clone(s.outputs);
    return seen;
  }

  starts(op: Op, stack?: string): TimelineEvent[] {
    return this.events.filter((e) => e.op === op && e.phase === "start" && (stack === undefined || e.stack === stack));
  }

  event(stack: string, op: Op, phase: "start" | "end", nth = 0): TimelineEvent {
    const found = this.events.filter((e) => e.stack === stack && e.op === op && e.phase === phase)[nth];
    assert.ok(found, `no ${op} ${phase} #${nth} for ${stack}`);
    return found;
  }
}

/** Each resource's step, by URN: `create`, `same`, `update` or `delete`. */
function steps(before: Record<string, string>, after: Record<string, string>): Map<string, string> {
  const ops = new Map<string, string>();
  for (const [key, value] of Object.entries(after)) ops.set(key, !(key in before) ? "create" : before[key] === value ? "same" : "update");
  for (const key of Object.keys(before)) if (!(key in after)) ops.set(key, "delete");
  return ops;
}

function diff(before: Record<string, string>, after: Record<string, string>): OpCounts {
  const changes: OpCounts = {};
  for (const op of steps(before, after).values()) changes[op] = (changes[op] ?? 0) + 1;
  return changes;
}

class FakeHandle implements StackHandle {
  constructor(
    private readonly mesh: FakeMesh,
    readonly name: string,
  ) {}

  private get st(): FakeState {
    return this.mesh.state.get(this.name)!;
  }

  /** Waits the stack's virtual minutes (that many real milliseconds more) and moves the virtual clock on by them. */
  private async takeItsTime(): Promise<void> {
    const minutes = this.mesh.minutes[this.name] ?? 0;
    const startedAt = this.mesh.clock;
    await tick(this.mesh.delayMs + minutes);
    this.mesh.clock = Math.max(this.mesh.clock, startedAt + minutes * 60_000);
  }

  async up(streams: OperationStreams) {
    const run = ++this.st.runs;
    this.mesh.record(this.name, "up", "start", run);
    const seen = this.mesh.seenBy(this.name);
    streams.onOutput(`Updating (${this.name})\nrun ${run} `);
    await this.takeItsTime();
    streams.onOutput("resources\n");
    const failure = this.mesh.fail(this.name, "up", run);
    if (failure) {
      streams.onError(`error: ${failure}\n`);
      this.mesh.record(this.name, "up", "end", run);
      throw new Error(failure);
    }
    const { resources, outputs } = this.mesh.programs[this.name]!({ run, seen });
    const changes = diff(this.st.resources, resources);
    for (const [urn, op] of steps(this.st.resources, resources)) {
      streams.onStep?.({ urn, op, phase: "started" });
      streams.onStep?.({ urn, op, phase: "done" });
    }
    this.st.resources = resources;
    this.st.outputs = clone(outputs);
    this.st.last = { kind: "update", result: "succeeded", startTime: new Date(0), endTime: new Date(1000), changes };
    this.mesh.record(this.name, "up", "end", run);
    return { changes, outputs: clone(outputs) };
  }

  async preview(streams: OperationStreams) {
    this.mesh.record(this.name, "preview", "start");
    const seen = this.mesh.seenBy(this.name);
    await tick(this.mesh.delayMs);
    streams.onOutput(`Previewing update (${this.name})\n`);
    const failure = this.mesh.fail(this.name, "preview", 0);
    this.mesh.record(this.name, "preview", "end");
    if (failure) throw new Error(failure);
    const { resources } = this.mesh.programs[this.name]!({ run: this.st.runs + 1, seen });
    return { changes: diff(this.st.resources, resources) };
  }

  async destroy(streams: OperationStreams) {
    this.mesh.record(this.name, "destroy", "start");
    await this.takeItsTime();
    streams.onOutput(`Destroying (${this.name})\n`);
    const failure = this.mesh.fail(this.name, "destroy", 0);
    this.mesh.record(this.name, "destroy", "end");
    if (failure) throw new Error(failure);
    this.st.resources = {};
    this.st.outputs = {};
    this.st.last = { kind: "destroy", result: "succeeded", endTime: new Date(2000) };
  }

  async outputs() {
    return clone(this.st.outputs);
  }

  async info() {
    return this.st.last;
  }
}

// Programs. The trust stack publishes the CA; a cluster publishes what peers need (stable values)
// and creates one remote secret per peer that has outputs, built from the peer's outputs.
const TRUST_SECRET = "ROOT-AND-INTERMEDIATE-KEYS-secret-value";
export const trustProgram: Program = () => ({
  resources: { rootCa: "v1", intermediates: "v1" },
  outputs: { rootCert: plain("ROOT-CERT-PEM-value"), cacerts: secret(TRUST_SECRET) },
});

export function clusterProgram(name: string, peers: string[], extra?: (input: ProgramInput) => StackOutputs): Program {
  return (input) => {
    const resources: Record<string, string> = { cluster: "v1", istio: "v1" };
    const trust = input.seen.trust;
    if (trust?.cacerts) resources.cacerts = String(trust.cacerts.value);
    for (const peer of peers) {
      const o = input.seen[peer];
      if (o?.readerToken) resources[`remote-secret-${peer}`] = `${String(o.gatewayAddress?.value)}|${String(o.readerToken.value)}`;
    }
    return {
      resources,
      outputs: {
        clusterName: plain(name),
        gatewayAddress: plain(`${name}.gateway.example`),
        readerToken: secret(`TOKEN-${name}-secret-value`),
        ...(extra ? extra(input) : {}),
      },
    };
  };
}

export function twoClusterMesh(overrides: Partial<Record<string, Program>> = {}): FakeMesh {
  return new FakeMesh({
    trust: trustProgram,
    eks: clusterProgram("eks", ["aks"]),
    aks: clusterProgram("aks", ["eks"]),
    ...overrides,
  } as Record<string, Program>);
}

export const fullPlan = (clusters = ["aks", "eks"]): MeshPlan => ({ trust: "trust", clusters, selection: { trust: "trust", clusters } });

export class CapturedLog implements Log {
  readonly lines: string[] = [];
  readonly errors: string[] = [];
  out = (l: string) => void this.lines.push(l);
  err = (l: string) => void this.errors.push(l);
  get all(): string {
    return [...this.lines, ...this.errors].join("\n");
  }
}

export function overlap(mesh: FakeMesh, op: Op, a: string, b: string, nth = 0): boolean {
  const [as, ae, bs, be] = [
    mesh.event(a, op, "start", nth),
    mesh.event(a, op, "end", nth),
    mesh.event(b, op, "start", nth),
    mesh.event(b, op, "end", nth),
  ];
  return as.seq < be.seq && bs.seq < ae.seq;
}

/** The orchestrator's own lines, without the stacks' streamed output. */
export const progress = (log: CapturedLog) => log.lines.filter((l) => !/^\[\w+\] (Updating|run \d|Previewing|Destroying)/.test(l));

/** A workspace whose `open` fails (or finds nothing) for one stack and otherwise defers to `mesh`. */
export function failingOpen(mesh: FakeMesh, stack: string, outcome: Error | undefined): MeshWorkspace {
  return {
    open: async (name, options): Promise<StackHandle | undefined> => {
      if (name !== stack) return mesh.open(name, options);
      if (outcome) throw outcome;
      return undefined;
    },
  };
}
