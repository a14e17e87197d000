/**
 * One finding of the doctor: what was checked, where, how it stands and, when it does not pass, what
 * fixes it. Every check is a pure function returning these, so each can be tested over fixtures.
 */

/**
 * - `ok`: passes.
 * - `warn`: passes now, needs attention soon (a certificate near its end).
 * - `fail`: a problem the mesh has now.
 * - `unknown`: could not be checked (a member unreachable, an endpoint not given); says why.
 */
type CheckStatus = "ok" | "warn" | "fail" | "unknown";

export interface CheckResult {
  /** Stable across runs, for `--json` readers: `<area>.<what>`, such as `gateway.address`. */
  id: string;
  /** The member it is about; undefined for a mesh-wide check. */
  member?: string;
  title: string;
  status: CheckStatus;
  /** What was found: the evidence when it passes, the problem when not. */
  detail: string;
  /** What to do about a `fail`, `warn` or `unknown`: the config key or command that fixes it. */
  hint?: string;
}

/** A check's result from its problems: `ok` with `passed` when there are none, else `fail` with them and the hint. */
export function fromProblems(
  base: Pick<CheckResult, "id" | "member" | "title">,
  problems: readonly string[],
  passed: string,
  hint: string,
): CheckResult {
  return problems.length === 0 ? { ...base, status: "ok", detail: passed } : { ...base, status: "fail", detail: problems.join("; "), hint };
}

/**
 * The process exit code of a doctor run: 0 when every check passed (warnings included), 1 when one
 * found a problem, 2 when none did but one could not be checked.
 */
export function exitCode(results: readonly CheckResult[]): 0 | 1 | 2 {
  if (results.some((result) => result.status === "fail")) return 1;
  if (results.some((result) => result.status === "unknown")) return 2;
  return 0;
}

/** What stops a gate built on the doctor: each check that failed or could not run, one line each. */
export function blockingProblems(results: readonly CheckResult[]): string[] {
  return results
    .filter((result) => result.status === "fail" || result.status === "unknown")
    .map((result) => `${result.member ? `[${result.member}] ` : ""}${result.title}: ${result.detail}`);
}

const marks: Record<CheckStatus, string> = { ok: "✓", warn: "!", fail: "×", unknown: "?" };

/** The results as the terminal shows them: one line each, a hint line under each that needs one. */
export function formatResults(results: readonly CheckResult[]): string[] {
  return results.flatMap((result) => {
    const where = result.member ? `[${result.member}] ` : "";
    const line = `${marks[result.status]} ${where}${result.title}: ${result.detail}`;
    return result.status !== "ok" && result.hint ? [line, `    → ${result.hint}`] : [line];
  });
}
