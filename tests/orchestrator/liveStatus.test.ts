import { strict as assert } from "node:assert";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { applyStep, LiveStatus, resourceStep, startProgress, statusLine } from "../../orchestrator/liveStatus";
import type { EngineLog } from "../../orchestrator/ports";

const urn = (type: string, name: string) => `urn:pulumi:eks::burstmesh::burstmesh:mesh:IstioPrimary$${type}::${name}`;
const cluster = urn("aws:eks/cluster:Cluster", "eks");
const istiod = urn("kubernetes:helm.sh/v3:Release", "istiod");
const reference = urn("pulumi:pulumi:StackReference", "trust");

/**
 * A terminal as a person sees it: the lines printed and drawn, where the status lines' erase
 * sequence (cursor up N lines, clear to the end of the screen) takes the last N lines away.
 */
class Screen {
  readonly lines: string[] = [];
  columns = 120;
  readonly out = (line: string) => void this.lines.push(line);
  write(text: string): void {
    // eslint-disable-next-line no-control-regex -- the erase sequence is made of control characters
    const erase = /^\u001b\[(\d+)A\r\u001b\[J/.exec(text);
    if (erase) this.lines.splice(-Number(erase[1]));
    const rest = text.slice(erase?.[0].length ?? 0);
    if (rest !== "") this.lines.push(...rest.replace(/\n$/, "").split("\n"));
  }
}

describe("live status", () => {
  describe("resourceStep", () => {
    const metadata = { op: "create", urn: cluster, type: "aws:eks/cluster:Cluster", provider: "" } as const;
    const event = (fields: Partial<EngineEvent>) => ({ sequence: 1, timestamp: 0, ...fields }) as EngineEvent;

    it("reads a step's start, end and failure from the engine's events, and nothing from the others", () => {
      assert.deepEqual(resourceStep(event({ resourcePreEvent: { metadata } })), { urn: cluster, op: "create", phase: "started" });
      assert.deepEqual(resourceStep(event({ resOutputsEvent: { metadata } })), { urn: cluster, op: "create", phase: "done" });
      assert.deepEqual(resourceStep(event({ resOpFailedEvent: { metadata, status: 1, steps: 1 } })), {
        urn: cluster,
        op: "create",
        phase: "failed",
      });
      assert.deepEqual(resourceStep(event({ resourcePreEvent: { metadata, planning: true } })), {
        urn: cluster,
        op: "create",
        phase: "started",
        planning: true,
      });
      assert.equal(resourceStep(event({ diagnosticEvent: { message: "x", color: "never", severity: "info" } })), undefined);
    });
  });

  describe("statusLine", () => {
    it("names the elapsed time, the counts and the step that has waited longest, with how many more run", () => {
      const progress = startProgress(0);
      applyStep(progress, { urn: reference, op: "read", phase: "started" }, 0);
      applyStep(progress, { urn: reference, op: "read", phase: "done" }, 1_000);
      applyStep(progress, { urn: cluster, op: "create", phase: "started" }, 2_000);
      applyStep(progress, { urn: istiod, op: "update", phase: "started" }, 30_000);
      assert.equal(statusLine("eks", progress, 62_000, 200), "[eks] 1m 02s · 0 done, 1 unchanged · creating Cluster eks (1m 00s), 1 more");
      applyStep(progress, { urn: cluster, op: "create", phase: "done" }, 70_000);
      applyStep(progress, { urn: istiod, op: "update", phase: "failed" }, 71_000);
      assert.equal(statusLine("eks", progress, 72_000, 200), "[eks] 1m 12s · 1 done, 1 unchanged, 1 failed");
    });

    it("says when a preview's step is only planned", () => {
      const progress = startProgress(0);
      applyStep(progress, { urn: cluster, op: "create", phase: "started", planning: true }, 0);
      assert.equal(statusLine("eks", progress, 1_000, 200), "[eks] 1.0s · 0 done · planning: creating Cluster eks (1.0s)");
    });

    it("is cut to the terminal's width, so that it never wraps", () => {
      const progress = startProgress(0);
      applyStep(progress, { urn: istiod, op: "create", phase: "started" }, 0);
      const line = statusLine("eks", progress, 5_000, 30);
      assert.equal(line, "[eks] 5.0s · 0 done · creati…");
      assert.equal(line.length, 29);
    });
  });

  describe("LiveStatus", () => {
    const fileLog = (): EngineLog => ({ streams: { onOutput: () => undefined, onError: () => undefined }, close: () => undefined });

    it("keeps one line per running stack below what is printed, and takes it away when the stack's operation ends", () => {
      const screen = new Screen();
      let now = 0;
      let ticks: (() => void) | undefined;
      const status = new LiveStatus(screen, {
        clock: () => now,
        every: (tick) => {
          ticks = tick;
          return () => (ticks = undefined);
        },
      });
      const log = status.screen({ out: screen.out, err: screen.out });
      const engineLog = status.follow(fileLog);

      log.out("cluster pass 1: up aks, eks in parallel");
      const eks = engineLog("eks");
      const aks = engineLog("aks");
      eks.streams.onStep!({ urn: cluster, op: "create", phase: "started" });
      now = 65_000;
      ticks!();
      assert.deepEqual(screen.lines, [
        "cluster pass 1: up aks, eks in parallel",
        "[eks] 1m 05s · 0 done · creating Cluster eks (1m 05s)",
        "[aks] 1m 05s · 0 done",
      ]);

      aks.close();
      log.out("[aks] done (cluster pass 1) in 1m 05s: create 3");
      assert.deepEqual(screen.lines, [
        "cluster pass 1: up aks, eks in parallel",
        "[aks] done (cluster pass 1) in 1m 05s: create 3",
        "[eks] 1m 05s · 0 done · creating Cluster eks (1m 05s)",
      ]);

      eks.streams.onStep!({ urn: cluster, op: "create", phase: "done" });
      eks.close();
      assert.equal(ticks, undefined, "the clock stops with the last stack");
      assert.deepEqual(screen.lines, ["cluster pass 1: up aks, eks in parallel", "[aks] done (cluster pass 1) in 1m 05s: create 3"]);
    });

    it("passes the engine's output on to the stack's own log and closes it", () => {
      const written: string[] = [];
      let closed = false;
      const status = new LiveStatus(new Screen(), { every: () => () => undefined });
      const engine = status.follow(() => ({
        streams: { onOutput: (c) => written.push(c), onError: (c) => written.push(c) },
        close: () => (closed = true),
      }))("eks");
      engine.streams.onOutput("Updating (eks)\n");
      engine.streams.onError("warning\n");
      engine.close();
      assert.deepEqual(written, ["Updating (eks)\n", "warning\n"]);
      assert.ok(closed);
    });
  });
});
