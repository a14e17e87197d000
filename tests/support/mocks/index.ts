import type { MockResourceArgs } from "@pulumi/pulumi/runtime";
import * as clouds from "./clouds";
import * as kubernetes from "./kubernetes";
import * as tls from "./tls";

/** The state a mocked resource returns on top of its inputs. */
export type ResourceMock = (args: MockResourceArgs) => Record<string, unknown> | Promise<Record<string, unknown>>;
/** The result of a mocked invoke. */
export type CallMock = (inputs: Record<string, any>) => Record<string, unknown> | Promise<Record<string, unknown>>;

export const resourceMocks: Record<string, ResourceMock> = {
  ...tls.resourceMocks,
  ...clouds.resourceMocks,
  ...kubernetes.resourceMocks,
};

export const callMocks: Record<string, CallMock> = { ...clouds.callMocks };
