import * as path from "node:path";
import { strict as assert } from "node:assert";
import { ConfigError, loadConfig, type RawConfig, readStackFileConfig } from "../../config";

export const repoRoot = path.join(__dirname, "..", "..");

/** The config of `Pulumi.<stack>.yaml`, encoded as the engine hands it to a program. */
export function stackFileConfig(stack: string): Record<string, string> {
  return readStackFileConfig(path.join(repoRoot, `Pulumi.${stack}.yaml`)).raw;
}

/** Encodes plain values the way the engine does: strings as they are, everything else as JSON. */
export function encodeConfig(values: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [key, typeof value === "string" ? value : JSON.stringify(value)]));
}

/** A stack file's config with some keys replaced (a value of `undefined` removes the key). */
export function withConfig(stack: string, changes: Record<string, unknown>): RawConfig {
  const config: Record<string, string | undefined> = { ...stackFileConfig(stack) };
  for (const [key, value] of Object.entries(changes)) {
    config[key] = value === undefined ? undefined : typeof value === "string" ? value : JSON.stringify(value);
  }
  return config;
}

/** The config error a raw config gets, as one string; fails the test when the config is accepted. */
export function configErrorOf(raw: RawConfig, secretsInClearText: readonly string[] = []): string {
  try {
    loadConfig(raw, undefined, secretsInClearText);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error.message;
  }
  assert.fail("expected the config to be rejected");
}
