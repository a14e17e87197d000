import type { CallMock, ResourceMock } from ".";

export const resourceMocks: Record<string, ResourceMock> = {};
export const callMocks: Record<string, CallMock> = {};
