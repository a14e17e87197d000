import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { parseServiceConfig, ServiceSettings } from "../../config";
import type { DrillSettings } from "../../config/drill";
import { overflowObjects, OverflowObjects } from "../../components/traffic/serviceSpecs";
import { RecordedResource, resolve, settle, startMockedRun } from "./harness";

export const members = ["eks", "aks"];
export const clusters = {
  eks: { clusterName: "eks", region: "eu-central-1" },
  aks: { clusterName: "aks", region: "westeurope" },
};

/** A plain, freely indexable copy of a built object (the builders return Pulumi input types). */
export function plain(value: unknown): any {
  return JSON.parse(JSON.stringify(value));
}

/** Parses one service entry plus the drill, expecting success. */
export function parsed(
  entry: Record<string, unknown>,
  drill: unknown = undefined,
  region = "eu-central-1",
): { service: ServiceSettings; drill: DrillSettings } {
  const result = parseServiceConfig([entry], drill, { members, region });
  if (!result.ok) assert.fail(`expected valid config, got:\n${result.issues.join("\n")}`);
  return { service: result.services[0]!, drill: result.drill };
}

export const minimal = { name: "podinfo", homeCluster: "eks", capacity: { maxConcurrentRequests: 16 } };
export const inMode = {
  overflow: minimal,
  failover: { name: "podinfo", homeCluster: "eks", mode: "failover" },
  distribute: { name: "podinfo", homeCluster: "eks", mode: "distribute", distribute: { "eu-central-1": 70, westeurope: 30 } },
} as const;
export const modes = Object.keys(inMode) as (keyof typeof inMode)[];
export const istioType = (kind: string) => `kubernetes:networking.istio.io/v1:${kind}`;

export function objectsIn(mode: keyof typeof inMode, cluster: keyof typeof clusters): OverflowObjects {
  return overflowObjects(parsed(inMode[mode], undefined, clusters[cluster].region).service, clusters[cluster]);
}

/** Runs `build` under mocks and returns every registration with its dependencies. */
export async function underMocks(
  stack: string,
  build: () => pulumi.Resource[],
): Promise<{ registered: RecordedResource[]; outputs: unknown[] }> {
  const { resources: registered, restoreLogs } = await startMockedRun({ stack });
  try {
    const resources = build();
    const outputs: unknown[] = [];
    for (const resource of resources) {
      for (const key of ["host", "mode", "thresholds", "job", "logsCommand"]) {
        const output = (resource as unknown as Record<string, pulumi.Output<unknown> | undefined>)[key];
        if (output) outputs.push(await resolve(output));
      }
    }
    await settle();
    return { registered, outputs };
  } finally {
    restoreLogs();
  }
}
