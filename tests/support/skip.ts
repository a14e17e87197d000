/**
 * Skipping a test with a reason that `npm test` prints at its end (tests/support/skipReporter.ts):
 * mocha's own `this.skip()` takes none, so the reason is kept here, on the test, or on the suite
 * when a `before` hook skips all of it.
 */

const reasons = new WeakMap<Mocha.Runnable | Mocha.Suite, string>();

/** Skips the running test (in `it`), or the whole suite (in a hook), for `reason`. */
export function skipBecause(context: Mocha.Context, reason: string): never {
  const runnable = context.test;
  if (runnable) {
    const inHook = (runnable as { type?: string }).type === "hook";
    reasons.set(inHook && runnable.parent ? runnable.parent : runnable, reason);
  }
  return context.skip();
}

/** Why a skipped test was skipped: its own reason or the nearest suite's, undefined when none was given. */
export function skipReason(test: Mocha.Test): string | undefined {
  for (let node: Mocha.Runnable | Mocha.Suite | undefined = test; node; node = node.parent) {
    const reason = reasons.get(node);
    if (reason !== undefined) return reason;
  }
  return undefined;
}
