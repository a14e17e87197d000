/**
 * Kubernetes and Go quantities as numbers: durations in seconds, CPU in cores, memory in bytes.
 * Imports nothing, so that the config, the components and the traffic model read units the same way.
 */

const durationUnits: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 1e-3, us: 1e-6, µs: 1e-6, ns: 1e-9 };

/** Seconds in a Go duration such as 1m30s, or undefined when it is not one (or below 1ms). */
export function durationSeconds(text: string): number | undefined {
  if (!/^(\d+(\.\d+)?(ms|us|µs|ns|h|m|s))+$/.test(text)) return undefined;
  let seconds = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)/g)) seconds += Number(amount) * durationUnits[unit!]!;
  return seconds >= 1e-3 ? seconds : undefined;
}

/** Cores in a CPU quantity such as 100m, 0.5 or 2, or undefined when it is not one (or not above 0). */
export function cpuCores(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(m?)$/.exec(text);
  if (!match) return undefined;
  const cores = Number(match[1]) / (match[2] ? 1000 : 1);
  return cores > 0 ? cores : undefined;
}

const memoryUnits: Record<string, number> = { "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };

/** Bytes in a memory quantity such as 64Mi or 1G, or undefined when it is not one (or not above 0). */
export function memoryBytes(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(text);
  if (!match) return undefined;
  const bytes = Number(match[1]) * memoryUnits[match[2] ?? ""]!;
  return bytes > 0 ? bytes : undefined;
}
