/**
 * The checks through istiod's debug endpoints: what istiod itself has built of the mesh, which the
 * API can look right without. `/debug/clusterz` shows the sync at start only (it stays "synced" after
 * access breaks), so the endpoint shards are the live evidence that a peer's registry works.
 */
import { type CheckResult, fromProblems } from "./check";
import type { ExpectedMember } from "./expected";
import type { IstiodDebug, MemberFacts } from "./facts";
import { eastWestPort } from "../model/configDump";

/** The label the sidecar injector gives a pod, and with it istiod's mTLS-capable endpoint. */
const istioTlsMode = "istio";

const unknown = (id: string, member: string, title: string, debug: IstiodDebug | undefined): CheckResult => ({
  id,
  member,
  title,
  status: "unknown",
  detail: debug?.error ?? "istiod's debug endpoints were not read",
  hint: "give --istiod-url <member>=http://host:port/debug, or let the doctor port-forward (needs kubectl on PATH)",
});

/** `/debug/clusterz`: the member itself and every peer, synced. */
export function clusterzCheck(member: string, peers: readonly string[], debug: IstiodDebug | undefined): CheckResult {
  const title = "istiod has synced itself and every peer (/debug/clusterz)";
  if (!debug?.clusterz) return unknown("istiod.clusterz", member, title, debug);
  const status = new Map(debug.clusterz.map((cluster) => [cluster.id, cluster.syncStatus]));
  const problems = [member, ...peers].filter((id) => status.get(id) !== "synced").map((id) => `${id}: ${status.get(id) ?? "absent"}`);
  return fromProblems(
    { id: "istiod.clusterz", member, title },
    problems,
    debug.clusterz.map((cluster) => `${cluster.id} ${cluster.syncStatus}`).join(", "),
    `check the remote secret and reader token for each absent peer (doctor's links checks), then restart istiod in ${member}`,
  );
}

/** `/debug/networkz`: every peer's network with a gateway on 15443, at the address the peer published. */
export function networkzCheck(member: string, peers: readonly ExpectedMember[], debug: IstiodDebug | undefined): CheckResult {
  const title = "istiod knows every peer network's east-west gateway (/debug/networkz)";
  if (!debug?.networkz) return unknown("istiod.networkz", member, title, debug);
  const gateways = debug.networkz;
  const problems = peers
    .filter(
      (peer) =>
        !gateways.some(
          (g) => g.Network === peer.network && g.Port === eastWestPort && (!peer.published || g.Addr === peer.published.gatewayAddress),
        ),
    )
    .map((peer) => `${peer.network}: no gateway${peer.published ? ` at ${peer.published.gatewayAddress}` : ""}:${eastWestPort}`);
  const listed = gateways.map((g) => `${g.Network} ${g.Addr}:${g.Port}`).join(", ") || "none";
  return fromProblems(
    { id: "istiod.networkz", member, title },
    problems.length > 0 ? [`${problems.join(", ")}; istiod has ${listed}`] : [],
    listed,
    `check each missing peer's gateway (the doctor's gateway check there); on Istio 1.30.0 a removed remote secret drops the others' gateways until istiod restarts: kubectl -n istio-system rollout restart deployment -l app=istiod`,
  );
}

/** The ready addresses of each Service of a member's injected namespaces, by hostname. */
function readyEndpoints(facts: MemberFacts): Map<string, string[]> {
  const byHost = new Map<string, string[]>();
  for (const slice of facts.meshEndpointSlices) {
    const service = slice.metadata.labels?.["kubernetes.io/service-name"];
    if (!service) continue;
    const host = `${service}.${slice.metadata.namespace}.svc.cluster.local`;
    const ready = (slice.endpoints ?? []).filter((e) => e.conditions?.ready !== false).flatMap((e) => e.addresses);
    byHost.set(host, [...(byHost.get(host) ?? []), ...ready].sort());
  }
  return new Map([...byHost].filter(([, addresses]) => addresses.length > 0));
}

/**
 * `/debug/endpointShardz`: istiod holds every member's ready endpoints of each mesh service, each on
 * its member's network and mTLS-capable. An empty shard of a peer (istio/istio#61043, after a remote
 * secret changed) means its pods get no traffic from here; an endpoint on this member's own network
 * would be sent to the pod's IP instead of the peer's gateway on 15443.
 */
export function endpointShardsCheck(
  member: string,
  members: readonly { facts: MemberFacts; network: string }[],
  debug: IstiodDebug | undefined,
): CheckResult {
  const title = "istiod holds every member's endpoints, each behind its network's gateway (/debug/endpointShardz)";
  if (!debug?.endpointShardz) return unknown("istiod.endpoint-shards", member, title, debug);
  const shardz = debug.endpointShardz;
  const problems: string[] = [];
  let checked = 0;
  for (const { facts, network } of members) {
    for (const [host, addresses] of readyEndpoints(facts)) {
      checked++;
      const shard = Object.values(shardz[host] ?? {})
        .map((namespace) => namespace.Shards?.[`Kubernetes/${facts.member}`])
        .find((s) => s !== undefined);
      const held = (shard ?? []).flatMap((endpoint) => endpoint.Addresses ?? []).sort();
      if (held.length === 0) problems.push(`${host} from ${facts.member}: empty shard, ${addresses.length} ready endpoint(s) there`);
      else if (held.join() !== addresses.join())
        problems.push(`${host} from ${facts.member}: holds [${held.join(", ")}], the EndpointSlices list [${addresses.join(", ")}]`);
      for (const endpoint of shard ?? []) {
        if (endpoint.Network !== network)
          problems.push(`${host} from ${facts.member}: ${endpoint.Addresses?.[0]} on network '${endpoint.Network}', not ${network}`);
        if (endpoint.TLSMode !== istioTlsMode)
          problems.push(`${host} from ${facts.member}: ${endpoint.Addresses?.[0]} is not mTLS-capable (tlsMode '${endpoint.TLSMode}')`);
      }
    }
  }
  if (!members.some(({ facts }) => facts.member !== member && readyEndpoints(facts).size > 0))
    problems.push("no peer has a ready endpoint of a mesh service to look for");
  return fromProblems(
    { id: "istiod.endpoint-shards", member, title },
    problems,
    `${checked} service shard(s), each on its member's network`,
    `restart istiod in ${member} (kubectl -n istio-system rollout restart deployment -l app=istiod): Istio 1.30 loses a peer's shards when its remote secret changes (istio/istio#61043)`,
  );
}

/** `/debug/syncz`: no proxy has been sent configuration it has not acknowledged. */
export function synczCheck(member: string, debug: IstiodDebug | undefined): CheckResult {
  const title = "no stale proxies (/debug/syncz)";
  if (!debug?.syncz) return unknown("istiod.syncz", member, title, debug);
  const types = ["cluster", "listener", "route", "endpoint"] as const;
  const stale = debug.syncz
    .map((entry) => ({
      proxy: entry.proxy,
      behind: types.filter((type) => (entry[`${type}_sent`] ?? "") !== (entry[`${type}_acked`] ?? "")),
    }))
    .filter((entry) => entry.behind.length > 0);
  return fromProblems(
    { id: "istiod.syncz", member, title },
    stale.map((entry) => `${entry.proxy} has not acknowledged ${entry.behind.join(", ")}`),
    `${debug.syncz.length} proxy(ies), all acknowledged`,
    "look at the stale proxies' logs (kubectl logs <pod> -c istio-proxy): a rejected configuration names its cause",
  );
}
