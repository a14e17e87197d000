/**
 * The mesh components (IstioPrimary, EastWestGateway, ReaderToken, RemoteSecret): their pure builders
 * directly, then the components themselves under Pulumi mocks, one EKS and one AKS cluster, wired to
 * each other the way the cluster stacks wire peers.
 */
import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { EastWestGateway } from "../../components/mesh/eastWestGateway";
import { IstioPrimary } from "../../components/mesh/istioPrimary";
import { buildKubeconfig } from "../../components/kube/kubeconfig";
import { ReaderToken } from "../../components/mesh/readerToken";
import { RemoteSecret } from "../../components/mesh/remoteSecret";
import type { CaBundle, MeshPeer } from "../../components/stackOutputs";
import { RecordedResource, resolveOutputs, reveal, settle, startMockedRun, StackOutput } from "./harness";
import { fakeReaderToken } from "./mocks/kubernetes";
import { steadyInstall } from "../../model/istioRevisions";

// --- fixtures -------------------------------------------------------------------------------------

export const istioVersion = "1.30.3";

/** The fixture members' Istio: `istioVersion` as one revision, as a fresh member runs it. */
const install = steadyInstall(istioVersion);

export function pem(label: string, seed: string): string {
  const body = createHash("sha512").update(seed).digest("base64");
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

/** A test certificate or key of tests/fixtures/cacerts (its README says what each is). */
export function cacertsFixture(file: string): string {
  return fs.readFileSync(path.join(__dirname, "..", "fixtures", "cacerts", file), "utf8");
}

/** A cluster's `cacerts` bundle of real certificates: its intermediate (eks or aks) under the one root. */
export function caBundle(cluster: string): CaBundle {
  const intermediate = cacertsFixture(`${cluster}.pem`);
  const root = cacertsFixture("root1.pem");
  return {
    "ca-cert.pem": intermediate,
    "ca-key.pem": cacertsFixture(`${cluster}.key`),
    "root-cert.pem": root,
    "cert-chain.pem": intermediate + root,
  };
}

/** A cluster CA as EKS and AKS return it: PEM, base64-encoded once. */
export function caData(seed: string): string {
  return Buffer.from(pem("CERTIFICATE", `cluster-ca:${seed}`)).toString("base64");
}

export const eks = {
  stack: "eks",
  clusterName: "eks",
  network: "network-eks",
  cloud: "aws" as const,
  server: "https://0123456789ABCDEF0123456789ABCDEF.gr7.eu-central-1.eks.amazonaws.com",
  kubeconfig: () =>
    buildKubeconfig(
      { name: "eks", server: eks.server, certificateAuthorityData: caData("eks") },
      {
        exec: {
          apiVersion: "client.authentication.k8s.io/v1beta1",
          command: "aws",
          args: ["eks", "get-token", "--cluster-name", "eks", "--region", "eu-central-1"],
        },
      },
    ),
};

export const aks = {
  stack: "aks",
  clusterName: "aks",
  network: "network-aks",
  cloud: "azure" as const,
  server: "https://aks-0123abcd.hcp.westeurope.azmk8s.io:443",
  kubeconfig: () => buildKubeconfig({ name: "aks", server: aks.server, certificateAuthorityData: caData("aks") }, { token: "admin-token" }),
};

export function peerFixture(overrides: Partial<MeshPeer> = {}): MeshPeer {
  return {
    clusterName: "aks",
    network: "network-aks",
    apiServerUrl: aks.server,
    certificateAuthorityData: caData("aks"),
    readerToken: fakeReaderToken("fixture"),
    gatewayAddress: "20.1.2.3",
    egressCidrs: ["20.1.2.4/32"],
    ...overrides,
  };
}

// --- a small mocked run that records registrations with their parent, provider and dependencies ---

export interface Run {
  resources: RecordedResource[];
  outputs: Record<string, StackOutput>;
}

/** Runs `build` under mocks as stack `stack` and returns what it registered and its outputs, resolved. */
export async function run(stack: string, build: () => Record<string, pulumi.Input<unknown>>): Promise<Run> {
  const { resources, restoreLogs } = await startMockedRun({ stack });
  try {
    const outputs = await resolveOutputs(build());
    await settle();
    return { resources, outputs };
  } finally {
    restoreLogs();
  }
}

export function only(run: Run, predicate: (r: RecordedResource) => boolean, what: string): RecordedResource {
  const found = run.resources.filter(predicate);
  assert.equal(found.length, 1, `expected one ${what}, found ${found.length}: ${found.map((r) => r.name).join(", ")}`);
  return found[0]!;
}

export function k8sObject(run: Run, type: string, name: string): RecordedResource {
  return only(
    run,
    (r) => !r.read && r.type === type && reveal<{ metadata?: { name?: string } }>(r.inputs).metadata?.name === name,
    `${type} ${name}`,
  );
}

export function release(run: Run, releaseName: string): RecordedResource {
  return only(
    run,
    (r) => r.type === "kubernetes:helm.sh/v3:Release" && reveal<{ name?: string }>(r.inputs).name === releaseName,
    `release ${releaseName}`,
  );
}

export function component(run: Run, type: string): RecordedResource {
  return only(run, (r) => r.type === type, type);
}

/** The east-west gateway's source ranges in a fixture cluster: the other fixture's egress address. */
export function sourceRangesOf(fixture: typeof eks | typeof aks): string[] {
  return fixture.cloud === "aws" ? ["20.1.2.4/32"] : ["203.0.113.7/32"];
}

/** One member cluster's mesh components, as a cluster stack composes them. */
export function cluster(
  fixture: typeof eks | typeof aks,
  peers: { name: string; peer: pulumi.Input<MeshPeer> }[],
): Record<string, pulumi.Input<unknown>> {
  const provider = new k8s.Provider(`${fixture.clusterName}-k8s`, { kubeconfig: pulumi.secret(fixture.kubeconfig()) });
  const istio = new IstioPrimary("istio", {
    provider,
    install,
    meshId: "burstmesh",
    trustDomain: "cluster.local",
    clusterName: fixture.clusterName,
    network: fixture.network,
    cacerts: pulumi.secret({ ...caBundle(fixture.clusterName), "extra.pem": "not for istiod" } as CaBundle),
  });
  const afterIstio = { dependsOn: istio.ready };
  const gateway = new EastWestGateway(
    "eastwest",
    { provider, revision: install.revisions[0]!, network: fixture.network, cloud: fixture.cloud, sourceRanges: sourceRangesOf(fixture) },
    afterIstio,
  );
  const reader = new ReaderToken("reader", { provider, generation: 1 }, afterIstio);
  for (const { name, peer } of peers) new RemoteSecret(`peer-${name}`, { provider, peerName: name, peer }, afterIstio);
  return { namespace: istio.namespace, address: gateway.address, token: reader.token };
}

let componentRuns: Promise<{ eksRun: Run; aksRun: Run }> | undefined;

/**
 * Both fixture members' mesh components under mocks, the AKS member peered with the EKS member's
 * published outputs: run once per test process and shared by the component tests of components/mesh/.
 */
export function meshComponentRuns(): Promise<{ eksRun: Run; aksRun: Run }> {
  componentRuns ??= (async () => {
    const eksRun = await run(eks.stack, () => cluster(eks, [{ name: "aks", peer: pulumi.secret(peerFixture()) }]));
    const eksPeer: MeshPeer = {
      clusterName: "eks",
      network: eks.network,
      apiServerUrl: eks.server,
      certificateAuthorityData: caData("eks"),
      readerToken: eksRun.outputs.token!.value as string,
      gatewayAddress: eksRun.outputs.address!.value as string,
      egressCidrs: ["203.0.113.7/32"],
    };
    const aksRun = await run(aks.stack, () => cluster(aks, [{ name: "eks", peer: pulumi.secret(eksPeer) }]));
    return { eksRun, aksRun };
  })();
  return componentRuns;
}
