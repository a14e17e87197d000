/**
 * One network namespace per member, created and removed by the rehearsal itself: a veth pair joins
 * it to this host, so each member's API server has an address of its own that is not loopback (the
 * program refuses loopback API servers, which peers cannot reach) and that no other machine sees.
 */
import { execFileSync } from "node:child_process";

/** Where member `index` (0-based) lives: its namespace, the veth ends and their addresses. */
export interface MemberNetwork {
  namespace: string;
  /** The host's end of the veth pair, and its address. */
  hostDevice: string;
  hostAddress: string;
  /** The namespace's end, and the address the member's API server and gateway listen on. */
  memberDevice: string;
  memberAddress: string;
}

/** A prefix no cloud or home network hands out by default, and that this rehearsal owns while it runs. */
const subnetPrefix = "10.213";

export function memberNetwork(index: number): MemberNetwork {
  return {
    namespace: `burstmesh-rehearsal-${index}`,
    hostDevice: `bmrh${index}`,
    hostAddress: `${subnetPrefix}.${index}.1`,
    memberDevice: `bmrm${index}`,
    memberAddress: `${subnetPrefix}.${index}.2`,
  };
}

/** The command prefix that runs a program inside the member's namespace under the same PID. */
export function inNamespace(network: MemberNetwork): string[] {
  return ["ip", "netns", "exec", network.namespace];
}

function ip(...args: string[]): void {
  execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"], timeout: 10_000 });
}

/** The namespaces this machine has now. */
function namespaces(): string[] {
  const listed = execFileSync("ip", ["netns", "list"], { encoding: "utf8", timeout: 10_000 });
  return listed
    .split("\n")
    .map((line) => line.split(" ")[0]!)
    .filter(Boolean);
}

/** Creates the member's namespace, its veth pair and addresses, and brings up loopback inside it. */
export function createMemberNetwork(network: MemberNetwork): void {
  if (namespaces().includes(network.namespace)) {
    throw new Error(`network namespace ${network.namespace} exists already: a rehearsal is running or was kept (npm run rehearse -- down)`);
  }
  ip("netns", "add", network.namespace);
  ip("link", "add", network.hostDevice, "type", "veth", "peer", "name", network.memberDevice);
  ip("link", "set", network.memberDevice, "netns", network.namespace);
  ip("addr", "add", `${network.hostAddress}/30`, "dev", network.hostDevice);
  ip("link", "set", network.hostDevice, "up");
  ip("-n", network.namespace, "addr", "add", `${network.memberAddress}/30`, "dev", network.memberDevice);
  ip("-n", network.namespace, "link", "set", network.memberDevice, "up");
  ip("-n", network.namespace, "link", "set", "lo", "up");
}

/** Removes the member's namespace (its veth pair goes with it); nothing when it is gone already. */
export function removeMemberNetwork(network: MemberNetwork): void {
  if (namespaces().includes(network.namespace)) ip("netns", "delete", network.namespace);
}

/** The rehearsal's namespaces that exist now: what `down` removes. */
export function rehearsalNamespaces(): string[] {
  return namespaces().filter((name) => /^burstmesh-rehearsal-\d+$/.test(name));
}
