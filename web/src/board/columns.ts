// Reordering columns with buttons: where a step left or right puts a column.

import type { Column } from "../api/types";

/** The 0-based position a column moves to one step left (-1) or right (+1) in the board's
 * order, or null at either end. */
export function columnMove(columns: Column[], columnId: string, step: -1 | 1): number | null {
  const index = columns.findIndex((column) => column.id === columnId);
  if (index < 0) return null;
  const target = index + step;
  return target < 0 || target >= columns.length ? null : target;
}
