// A card's history entry as lines a person reads: column names instead of ids, evidence
// summed up instead of its JSON, and the fields that did not change left out.

import type { HistoryEntry } from "../api/types";

/** The words the lines are written with, in the interface language. */
export interface HistoryWords {
  empty: string;
  yes: string;
  no: string;
  removedColumn: string;
  evidence: (count: number) => string;
  day: (iso: string) => string;
}

export interface HistoryLine {
  field: string;
  before: string;
  after: string;
}

type Entry = Pick<HistoryEntry, "change" | "before" | "after">;

/** The changed fields of `entry`, each with its value before and after, as text. A new
 * card's empty fields (no description, not archived) and position are left out, and so is `archived`
 * where the entry itself says archived or restored. */
export function historyLines(entry: Entry, columns: { id: string; name: string }[], words: HistoryWords): HistoryLine[] {
  const before: Record<string, unknown> = entry.before ?? {};
  const after: Record<string, unknown> = entry.after ?? {};
  const fields = [...new Set([...Object.keys(after), ...Object.keys(before)])];
  const named = fields.includes("column");
  const lines: HistoryLine[] = [];
  for (const field of fields) {
    // Moves record the column's name beside its id; older entries have the id only.
    if (field === "column_id" && named) continue;
    if (field === "archived" && (entry.change === "archived" || entry.change === "restored")) continue;
    const was = field in before ? before[field] : undefined;
    const is = field in after ? after[field] : undefined;
    // A new card: only what it was made with; where it sits shows on the board.
    if (!(field in before) && (blank(is) || field === "position")) continue;
    const text = (value: unknown) => (field === "column_id" ? columnName(value, columns, words) : show(field, value, words));
    const line = { field: field === "column_id" ? "column" : field, before: text(was), after: text(is) };
    if (line.before !== line.after) lines.push(line);
  }
  return lines;
}

function blank(value: unknown): boolean {
  return value === null || value === undefined || value === "" || value === false || (Array.isArray(value) && value.length === 0);
}

function columnName(value: unknown, columns: { id: string; name: string }[], words: HistoryWords): string {
  if (value === null || value === undefined || value === "") return words.empty;
  return columns.find((column) => column.id === value)?.name ?? words.removedColumn;
}

function show(field: string, value: unknown, words: HistoryWords): string {
  if (typeof value === "boolean") return value ? words.yes : words.no;
  if (value === null || value === undefined || value === "" || (Array.isArray(value) && value.length === 0)) return words.empty;
  if (field === "evidence" && Array.isArray(value)) return words.evidence(value.length);
  if (field === "due_date" && typeof value === "string") return words.day(value);
  // Stored 0-based; people count from 1, as the board's announcements do.
  if (field === "position" && typeof value === "number") return String(value + 1);
  return typeof value === "string" ? value : JSON.stringify(value);
}
