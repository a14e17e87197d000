/**
 * A doctor run over the live mesh: gathers each member's facts through its admin kubeconfig, tries
 * each remote secret's token at the peer it names, reads istiod's debug endpoints, and runs every
 * check over what it found.
 */
import type { CheckResult } from "./check";
import type { ExpectedMesh } from "./expected";
import { gatherMember, type IstiodDebug, type MemberFacts, readIstiodDebug, reviewToken } from "./facts";
import { clusterzCheck, endpointShardsCheck, networkzCheck, synczCheck } from "./istiodChecks";
import { KubeApi } from "./kubeApi";
import { memberChecks } from "./memberChecks";
import {
  clockSkewCheck,
  meshIdentityCheck,
  readerTokensCheck,
  remoteKubeconfig,
  remoteSecretsCheck,
  serviceConsistencyCheck,
  versionSkewCheck,
} from "./meshChecks";
import { cacertsCheck, distributedRootsCheck, rootsAgreeCheck } from "./trustChecks";

/** How the doctor reaches one member. */
export interface MemberAccess {
  /** The admin kubeconfig (a secret: never printed). */
  kubeconfig: string;
  /**
   * Where istiod's debug endpoints answer (`http://…/debug`), or a function that opens a way there
   * (a port-forward) and returns the URL and how to close it; undefined skips those checks.
   */
  istiod?: string | (() => Promise<{ url: string; close(): Promise<void> }>);
}

interface DoctorOptions {
  mesh: ExpectedMesh;
  access: ReadonlyMap<string, MemberAccess>;
  /** Only this member's checks (and the mesh-wide ones); every member is still read, as the cross checks need them all. */
  only?: string;
  now?: Date;
}

async function readIstiod(access: MemberAccess): Promise<IstiodDebug | undefined> {
  if (access.istiod === undefined) return undefined;
  if (typeof access.istiod === "string") return readIstiodDebug(access.istiod);
  let opened: { url: string; close(): Promise<void> } | undefined;
  try {
    opened = await access.istiod();
    return await readIstiodDebug(opened.url);
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  } finally {
    await opened?.close();
  }
}

/** Tries each remote secret's token at the API server its kubeconfig names. */
async function useTokens(facts: MemberFacts, peers: readonly string[]): Promise<void> {
  for (const peer of peers) {
    const secret = facts.remoteSecrets.find((s) => s.metadata.name === `istio-remote-secret-${peer}`);
    const text = secret?.data?.[peer];
    if (!text || !remoteKubeconfig(secret, peer).token) continue;
    try {
      const review = await reviewToken(KubeApi.fromKubeconfig(text));
      facts.tokenUses.push({ peer, allowed: review.allowed, error: review.allowed ? undefined : review.reason });
    } catch (err) {
      facts.tokenUses.push({ peer, allowed: false, error: `could not reach ${peer}: ${err instanceof Error ? err.message : String(err)}` });
    }
  }
}

/** What a doctor run found: the checks' results, and the facts they were made over (for the commands' gates). */
export interface DoctorRun {
  results: CheckResult[];
  members: MemberFacts[];
}

export async function runDoctor(options: DoctorOptions): Promise<DoctorRun> {
  const now = options.now ?? new Date();
  const { mesh } = options;
  const results: CheckResult[] = [];
  const gathered: MemberFacts[] = [];
  for (const member of mesh.members) {
    const access = options.access.get(member.name);
    if (!access) {
      results.push({
        id: "member.reachable",
        member: member.name,
        title: "reachable",
        status: "unknown",
        detail: "no kubeconfig: its stack has published none and config gives none",
        hint: `npm run mesh -- up --stacks ${member.name}, or burstmesh:kubeconfig for an existing member`,
      });
      continue;
    }
    try {
      const facts = await gatherMember(member.name, KubeApi.fromKubeconfig(access.kubeconfig));
      await useTokens(facts, member.peers);
      facts.istiod = await readIstiod(access);
      gathered.push(facts);
    } catch (err) {
      results.push({
        id: "member.reachable",
        member: member.name,
        title: "reachable",
        status: "unknown",
        detail: `its API server could not be read: ${err instanceof Error ? err.message : String(err)}`,
        hint: "check the network path and credentials to the API server (burstmesh:apiAllowedCidrs admits this machine?)",
      });
    }
  }
  const networks = gathered.map((facts) => ({ facts, network: mesh.members.find((m) => m.name === facts.member)!.network }));
  for (const facts of gathered) {
    const expected = mesh.members.find((m) => m.name === facts.member)!;
    const peers = mesh.members.filter((m) => expected.peers.includes(m.name));
    results.push(
      ...memberChecks(facts, expected, peers),
      clockSkewCheck(facts),
      cacertsCheck(facts, now),
      distributedRootsCheck(facts),
      remoteSecretsCheck(facts, expected, mesh.members),
      readerTokensCheck(facts, expected, gathered, now),
      clusterzCheck(facts.member, expected.peers, facts.istiod),
      networkzCheck(facts.member, peers, facts.istiod),
      endpointShardsCheck(
        facts.member,
        networks.filter(({ facts: other }) => other === facts || expected.peers.includes(other.member)),
        facts.istiod,
      ),
      synczCheck(facts.member, facts.istiod),
    );
  }
  if (gathered.length > 0)
    results.push(
      meshIdentityCheck(gathered, mesh),
      rootsAgreeCheck(gathered),
      versionSkewCheck(gathered),
      serviceConsistencyCheck(gathered),
    );
  const shown = options.only ? results.filter((result) => result.member === undefined || result.member === options.only) : results;
  return { results: shown, members: gathered };
}
