/**
 * One lab run: writes the bootstraps, starts the app and the four Envoys (each process recorded by
 * PID and stopped by it, every wait bounded), plays each load against the client sidecar and
 * counts what became of every request. The client sidecar restarts before each load, so that
 * each load starts, as the model's sweep does, with no ejection in force.
 */
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { seededRandom } from "../model/random";
import { ProcessGroup, waitUntil } from "../rehearsal/processes";
import { labBootstraps, type LabEnvoyInputs } from "./envoyConfig";
import { poissonArrivals, Sent, sendLoad } from "./load";
import type { Endpoint, LabEnvoy, LabTopology } from "./topology";

/** The lab's size and pace: what the model is given too. */
export interface LabSizing {
  topology: LabTopology;
  perPodCapacity: number;
  serviceTimeSeconds: number;
  seed: number;
}

/** Open-loop load at `load` times home capacity: `warmupSeconds` uncounted, then `measureSeconds` counted. */
interface LoadStep {
  load: number;
  warmupSeconds: number;
  measureSeconds: number;
}

const envoys: readonly LabEnvoy[] = ["homeSidecars", "remoteSidecars", "gateway", "client"];

/** Requests per second the home pods serve at their limit. */
function homeCapacityPerSecond(sizing: LabSizing): number {
  return (sizing.topology.homePods.length * sizing.perPodCapacity) / sizing.serviceTimeSeconds;
}

/** A running lab for one recipe's objects: `play` runs loads, `stop` ends every process it started. */
export class Lab {
  /** The labs running now, for `stopRunningLabs`. */
  private static readonly running = new Set<Lab>();

  private constructor(
    private readonly group: ProcessGroup,
    private readonly envoy: string,
    private readonly dir: string,
    private readonly sizing: LabSizing,
  ) {}

  static async start(envoy: string, inputs: LabEnvoyInputs, sizing: LabSizing, dir: string): Promise<Lab> {
    fs.mkdirSync(dir, { recursive: true });
    const bootstraps = labBootstraps(inputs, sizing.topology);
    for (const name of envoys) fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(bootstraps[name], null, 2));
    const lab = new Lab(new ProcessGroup(path.join(dir, "processes.json")), envoy, dir, sizing);
    Lab.running.add(lab);
    try {
      const { topology } = sizing;
      const pods = [
        ...topology.homePods.map((pod) => `home=${pod.app.address}:${pod.app.port}/${pod.name}`),
        ...topology.remotePods.map((pod) => `remote=${pod.app.address}:${pod.app.port}/${pod.name}`),
      ];
      lab.group.start(
        "app",
        process.execPath,
        [
          "-r",
          "ts-node/register/transpile-only",
          path.join(__dirname, "app.ts"),
          String(sizing.serviceTimeSeconds * 1000),
          String(sizing.seed),
          ...pods,
        ],
        { log: path.join(dir, "app.log"), cwd: path.join(__dirname, "..") },
      );
      for (const name of envoys) lab.startEnvoy(name);
      await waitUntil("the lab's app on every pod address", 60_000, async () => {
        const answers = await Promise.all([...topology.homePods, ...topology.remotePods].map((pod) => listening(pod.app)));
        lab.group.assertRunning();
        return answers.every(Boolean);
      });
      await lab.envoysReady(envoys);
      return lab;
    } catch (error) {
      await lab.stop();
      throw error;
    }
  }

  /** Plays one load from a fresh client sidecar; returns the measured requests (due after the warm-up). */
  async play(step: LoadStep, seed: number): Promise<Sent[]> {
    await this.group.stop(["client"]);
    this.startEnvoy("client");
    await this.envoysReady(["client"]);
    const rate = step.load * homeCapacityPerSecond(this.sizing);
    const arrivals = poissonArrivals(rate, step.warmupSeconds + step.measureSeconds, seededRandom(seed));
    const sent = await sendLoad(this.sizing.topology.client, arrivals, {
      maxInFlight: Math.max(256, Math.ceil(rate * 4)),
      timeoutMs: 30_000,
    });
    this.group.assertRunning();
    return sent.filter((request) => request.due >= step.warmupSeconds);
  }

  /** Plays a schedule whose rate changes at `stepAt` seconds; returns every request. */
  async playStep(from: number, to: number, stepAt: number, seconds: number, seed: number): Promise<Sent[]> {
    await this.group.stop(["client"]);
    this.startEnvoy("client");
    await this.envoysReady(["client"]);
    const random = seededRandom(seed);
    const capacity = homeCapacityPerSecond(this.sizing);
    const before = poissonArrivals(from * capacity, stepAt, random);
    const after = poissonArrivals(to * capacity, seconds - stepAt, random).map((time) => time + stepAt);
    const sent = await sendLoad(this.sizing.topology.client, [...before, ...after], {
      maxInFlight: Math.max(256, Math.ceil(to * capacity * 4)),
      timeoutMs: 30_000,
    });
    this.group.assertRunning();
    return sent;
  }

  async stop(): Promise<void> {
    await this.group.stopAll();
    Lab.running.delete(this);
  }

  /** Stops every running lab's processes (on SIGINT or SIGTERM: Envoy and the app run detached). */
  static async stopRunning(): Promise<void> {
    await Promise.all([...Lab.running].map((lab) => lab.stop()));
  }

  private startEnvoy(name: LabEnvoy): void {
    this.group.start(
      name,
      this.envoy,
      ["-c", path.join(this.dir, `${name}.json`), "--concurrency", "1", "--disable-hot-restart", "--log-level", "warn"],
      { log: path.join(this.dir, `${name}.log`) },
    );
  }

  private async envoysReady(names: readonly LabEnvoy[]): Promise<void> {
    for (const name of names) {
      await waitUntil(`Envoy '${name}' to be ready`, 30_000, async () => {
        this.group.assertRunning();
        return (await adminReady(this.sizing.topology.admin[name])) === "LIVE";
      });
    }
  }
}

/** Whether something accepts TCP connections at `endpoint` (bounded by a 1 s timeout). */
function listening(endpoint: Endpoint): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: endpoint.address, port: endpoint.port, timeout: 1000 });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
  });
}

async function adminReady(admin: Endpoint): Promise<string> {
  const response = await fetch(`http://${admin.address}:${admin.port}/ready`, { signal: AbortSignal.timeout(1000) });
  return (await response.text()).trim();
}

/** The machine while the lab ran: its cores and its 1-minute load average. */
export function machineLoad(): { cores: number; loadAverage: number } {
  return { cores: os.cpus().length, loadAverage: Number(os.loadavg()[0]!.toFixed(2)) };
}
