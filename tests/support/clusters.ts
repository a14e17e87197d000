import type { MemberCluster } from "../../components/clusters/memberCluster";
import { RecordedResource, resolve, reveal, settle, startMockedRun } from "./harness";

// ---------------------------------------------------------------------------------------------
// A small mocked deployment: the components are tested directly (not through index.ts).

export interface Deployment<T> {
  component: T;
  resources: RecordedResource[];
}

/** Builds a member cluster under Pulumi mocks, the provider's default region `awsRegion`, and records what it registered. */
export async function deploy<T extends MemberCluster>(stack: string, awsRegion: string, build: () => T): Promise<Deployment<T>> {
  const { resources, restoreLogs } = await startMockedRun({ stack, config: { "aws:region": awsRegion } });
  try {
    const component = build();
    await Promise.all(
      [component.kubeconfig, component.endpoint, component.certificateAuthorityData, component.clusterName, component.region].map(resolve),
    );
    await settle();
    return { component, resources };
  } finally {
    restoreLogs();
  }
}

/** Recorded inputs (or state) without secret wrappers; untyped engine JSON, hence `any` by default. */

export function plain<T = Record<string, any>>(resource: RecordedResource, from: "inputs" | "state" = "inputs"): T {
  return reveal<T>(resource[from]);
}

export interface Kubeconfig {
  "current-context": string;
  clusters: { name: string; cluster: { server: string; "certificate-authority-data": string } }[];
  users: { name: string; user: { token?: string; exec?: { apiVersion: string; command: string; args: string[] } } }[];
}
