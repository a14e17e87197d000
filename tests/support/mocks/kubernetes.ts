import type { ResourceMock } from ".";

export const resourceMocks: Record<string, ResourceMock> = {};

