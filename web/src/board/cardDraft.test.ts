import { describe, expect, it } from "vitest";

import type { Card } from "../api/types";
import { cardSave, draftOf, isDirty } from "./cardDraft";

const base: Card = {
  id: "card_1",
  board_id: "b",
  column_id: "todo",
  column: "To do",
  title: "Send the slides",
  description: "",
  assignee: null,
  due_date: null,
  source: "human",
  task_key: null,
  meeting_id: null,
  language: null,
  evidence: [],
  edited_by_person: [],
  position: 0,
  version: 4,
  archived: false,
  created_at: "2026-01-05T09:00:00Z",
  updated_at: "2026-01-05T09:00:00Z",
};

describe("saving the card dialog", () => {
  it("sends the field edits and the column change together", () => {
    const draft = { ...draftOf(base), description: " Before Friday ", assignee: "Bora", columnId: "doing" };
    expect(cardSave(base, draft)).toEqual({
      edit: { title: "Send the slides", description: "Before Friday", assignee: "Bora", due_date: null },
      columnId: "doing",
    });
  });

  it("only moves when only the column changed", () => {
    expect(cardSave(base, { ...draftOf(base), columnId: "done" })).toEqual({ edit: null, columnId: "done" });
  });

  it("only edits when the column stayed", () => {
    const save = cardSave(base, { ...draftOf(base), due: "2026-02-01" });
    expect(save.columnId).toBeNull();
    expect(save.edit?.due_date).toBe("2026-02-01");
  });

  it("sends nothing for an untouched form, and clears an emptied assignee", () => {
    expect(cardSave(base, draftOf(base))).toEqual({ edit: null, columnId: null });
    const assigned = { ...base, assignee: "Ada" };
    expect(cardSave(assigned, { ...draftOf(assigned), assignee: "  " }).edit?.assignee).toBeNull();
  });

  it("counts a new column as an unsaved change", () => {
    expect(isDirty(base, draftOf(base))).toBe(false);
    expect(isDirty(base, { ...draftOf(base), columnId: "doing" })).toBe(true);
    // The card moved on the server (a newer base): the form that showed the old column is dirty.
    expect(isDirty({ ...base, column_id: "done", version: 5 }, draftOf(base))).toBe(true);
  });
});
