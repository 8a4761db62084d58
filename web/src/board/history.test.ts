import { describe, expect, it } from "vitest";

import { historyLines } from "./history";

const columns = [
  { id: "col_87ff", name: "To do" },
  { id: "col_e059", name: "Doing" },
];

const words = {
  empty: "—",
  yes: "yes",
  no: "no",
  removedColumn: "a deleted column",
  evidence: (count: number) => `linked to ${count} transcript moment(s)`,
  day: (iso: string) => `day ${iso}`,
};

describe("a card's history as text", () => {
  it("leaves a new card's empty fields and position out, and sums up its evidence", () => {
    const created = {
      change: "created",
      before: {},
      after: {
        title: "Send the slides",
        description: "",
        assignee: null,
        due_date: "2026-02-01",
        column_id: "col_87ff",
        position: 0,
        archived: false,
        evidence: [{ meeting_id: "mtg_1", segment_id: "seg_1", quote: "I'll send the slides", at: 5.5 }],
      },
    };
    expect(historyLines(created, columns, words)).toEqual([
      { field: "title", before: "—", after: "Send the slides" },
      { field: "due_date", before: "—", after: "day 2026-02-01" },
      { field: "column", before: "—", after: "To do" },
      { field: "evidence", before: "—", after: "linked to 1 transcript moment(s)" },
    ]);
  });

  it("names columns, preferring the name the move recorded", () => {
    const recorded = {
      change: "moved",
      before: { column_id: "col_87ff", column: "To do", position: 2 },
      after: { column_id: "col_e059", column: "Review", position: 0 },
    };
    expect(historyLines(recorded, columns, words)).toEqual([
      { field: "column", before: "To do", after: "Review" },
      { field: "position", before: "3", after: "1" },
    ]);
    const idsOnly = { change: "moved", before: { column_id: "col_87ff" }, after: { column_id: "col_gone" } };
    expect(historyLines(idsOnly, columns, words)).toEqual([{ field: "column", before: "To do", after: "a deleted column" }]);
  });

  it("hides what did not change, and archived where the entry says it", () => {
    const edited = { change: "edited", before: { description: null, title: "A" }, after: { description: "", title: "B" } };
    expect(historyLines(edited, columns, words)).toEqual([{ field: "title", before: "A", after: "B" }]);
    expect(historyLines({ change: "archived", before: { archived: false }, after: { archived: true } }, columns, words)).toEqual([]);
    expect(historyLines({ change: "edited", before: { archived: true }, after: { archived: false } }, columns, words)).toEqual([
      { field: "archived", before: "yes", after: "no" },
    ]);
  });

  it("shows a cleared field as empty", () => {
    const cleared = { change: "edited", before: { assignee: "Bora" }, after: { assignee: null } };
    expect(historyLines(cleared, columns, words)).toEqual([{ field: "assignee", before: "Bora", after: "—" }]);
  });
});
