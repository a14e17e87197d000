/**
 * The steps every command is made of, so that all of them stream, run side by side and fail the same
 * way: output printed as it comes with its stack's prefix, and errors that name the stack and step.
 */
import { stackOrder } from "../discovery";
import { errorMessage, StackFailedError, type StackFailure } from "../errors";
import type { Log, MeshPlan, MeshWorkspace, OperationStreams, StackHandle } from "../ports";
import { PrefixedLines } from "../summary";

/** Runs `operation` with its stdout/stderr in the stack's engine log, or else printed line by line, prefixed `[stack]`. */
export async function streamed<T>(log: Log, stack: string, operation: (streams: OperationStreams) => Promise<T>): Promise<T> {
  const engine = log.engineLog?.(stack);
  if (engine) {
    try {
      return await operation(engine.streams);
    } finally {
      engine.close();
    }
  }
  const out = new PrefixedLines(`[${stack}]`, (l) => log.out(l));
  const err = new PrefixedLines(`[${stack}]`, (l) => log.err(l));
  try {
    return await operation({ onOutput: (c) => out.push(c), onError: (c) => err.push(c) });
  } finally {
    out.flush();
    err.flush();
  }
}

/**
 * Runs `fn` for every name at once. When one fails, the others still run to completion (a Pulumi
 * update is not interrupted halfway), then all failures are thrown together.
 */
export async function allStacks<T>(
  log: Log,
  names: readonly string[],
  step: string,
  fn: (name: string) => Promise<T>,
): Promise<Map<string, T>> {
  const settled = await Promise.allSettled(names.map((n) => fn(n)));
  const results = new Map<string, T>();
  const failures: StackFailure[] = [];
  settled.forEach((outcome, i) => {
    const stack = names[i]!;
    if (outcome.status === "fulfilled") results.set(stack, outcome.value);
    else failures.push({ stack, step, message: errorMessage(outcome.reason) });
  });
  if (failures.length > 0) {
    for (const f of failures) log.err(`[${f.stack}] ${step} failed`);
    const finished = names.filter((n) => results.has(n));
    if (finished.length > 0) log.err(`${step}: ${finished.join(", ")} finished; no further steps will start`);
    throw new StackFailedError(failures);
  }
  return results;
}

/** Opens (creating if missing) every stack, trust first, one at a time. */
export async function openAll(workspace: MeshWorkspace, log: Log, plan: MeshPlan): Promise<Map<string, StackHandle>> {
  const handles = new Map<string, StackHandle>();
  for (const name of stackOrder(plan)) {
    try {
      const handle = await workspace.open(name, { create: true });
      if (!handle) throw new Error("the workspace did not create the stack");
      handles.set(name, handle);
    } catch (err) {
      log.err(`[${name}] could not select or create the stack`);
      throw new StackFailedError([{ stack: name, step: "select or create", message: errorMessage(err) }]);
    }
  }
  return handles;
}
