/**
 * The lab held against the model: per load, the lab's measured shares beside the model's for the
 * same settings, and the verdicts the lab exists for. Pure: a recorded run's rows test it.
 */
import type { SweepRow } from "../model/scenarios";

/** The retry recipe must match the model within this many percentage points, at every load and in every share. */
export const tolerancePoints = 5;

/** One load of one recipe: the lab's row, the model's, and the largest gap between them. */
export interface ComparedRow {
  load: number;
  lab: SweepRow;
  model: SweepRow;
  /** The largest of |lab - model| over home, other cloud and failed, in percentage points. */
  gapPoints: number;
}

export function compareRows(lab: readonly SweepRow[], model: readonly SweepRow[]): ComparedRow[] {
  return lab.map((labRow) => {
    const modelRow = model.find((row) => row.load === labRow.load);
    if (!modelRow) throw new Error(`the model has no row for load ${labRow.load}`);
    const gap = (key: "home" | "remote" | "failed") => Math.abs(labRow[key] - modelRow[key]) * 100;
    return { load: labRow.load, lab: labRow, model: modelRow, gapPoints: Math.max(gap("home"), gap("remote"), gap("failed")) };
  });
}

/** Loads where the retry recipe strays from the model by more than the tolerance. */
export function beyondTolerance(rows: readonly ComparedRow[]): number[] {
  return rows.filter((row) => row.gapPoints > tolerancePoints).map((row) => row.load);
}

/**
 * Whether the old recipe cascades where the retry recipe holds: at every load from 0.9 up, home
 * serves at least 20 points less under ejection than under retries, and more fails than the
 * retry recipe lets fail plus those 20 points. A recipe that only loses the excess is no cascade.
 */
export function cascades(ejection: readonly SweepRow[], retry: readonly SweepRow[]): { holds: boolean; loads: number[] } {
  const margin = 0.2;
  const loads = ejection
    .filter((row) => row.load >= 0.9)
    .filter((row) => {
      const held = retry.find((candidate) => candidate.load === row.load);
      return held !== undefined && row.home <= held.home - margin && row.failed >= held.failed + margin;
    })
    .map((row) => row.load);
  const considered = ejection.filter((row) => row.load >= 0.9).length;
  return { holds: considered > 0 && loads.length === considered, loads };
}

const pct = (share: number) => `${(100 * share).toFixed(1)}%`;

/** The side-by-side table the lab prints per recipe. */
export function comparisonTable(rows: readonly ComparedRow[]): string {
  const headings = ["load", "home lab", "model", "other cloud lab", "model", "failed lab", "model", "gap"];
  const cells = rows.map((row) => [
    row.load.toFixed(2),
    pct(row.lab.home),
    pct(row.model.home),
    pct(row.lab.remote),
    pct(row.model.remote),
    pct(row.lab.failed),
    pct(row.model.failed),
    `${row.gapPoints.toFixed(1)} pt`,
  ]);
  const widths = headings.map((heading, column) => Math.max(heading.length, ...cells.map((cell) => cell[column]!.length)));
  const line = (values: string[]) => values.map((value, column) => value.padStart(widths[column]!)).join("  ");
  return [line(headings), ...cells.map(line)].join("\n");
}
