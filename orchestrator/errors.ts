/** The failures a command reports by name of stack and step, so that the user knows where to look. */
import { clusterPasses } from "./summary";

/** One stack's failure within a step. */
export interface StackFailure {
  stack: string;
  step: string;
  message: string;
}

/** A stack operation failed; later steps did not start. */
export class StackFailedError extends Error {
  constructor(readonly failures: readonly StackFailure[]) {
    super(
      failures.length === 1
        ? `stack ${failures[0]!.stack} failed (${failures[0]!.step}): ${failures[0]!.message}`
        : `${failures.length} stacks failed: ` + failures.map((f) => `stack ${f.stack} (${f.step}): ${f.message}`).join("\n"),
    );
    this.name = "StackFailedError";
  }
}

/** The cluster stacks were still changing when the bound on passes was hit. */
export class NotConvergedError extends Error {
  constructor(
    readonly passes: number,
    readonly changing: readonly string[],
  ) {
    super(
      `the mesh did not converge in ${clusterPasses(passes)}: ` +
        `outputs of ${changing.join(", ")} still changed in the last pass ` +
        `(run 'up' again, or raise --max-passes if the wiring needs more passes)`,
    );
    this.name = "NotConvergedError";
  }
}

/** Anything can be thrown; what reaches the user is always a message. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
