import { describe, expect, it } from "vitest";

import type { Board, Card } from "../api/types";
import { applyMove, cardsIn, keyboardTarget } from "./moves";

function card(id: string, column: string, position: number): Card {
  return {
    id,
    board_id: "b",
    column_id: column,
    column,
    title: id,
    description: "",
    assignee: null,
    due_date: null,
    source: "human",
    task_key: null,
    meeting_id: null,
    language: null,
    evidence: [],
    edited_by_person: [],
    position,
    version: 1,
    archived: false,
    created_at: "2026-01-05T09:00:00Z",
    updated_at: "2026-01-05T09:00:00Z",
  };
}

const board: Board = {
  id: "b",
  name: "Team",
  owner_id: "u1",
  personal: false,
  archived: false,
  columns: [
    { id: "todo", name: "To do", position: 0, version: 1 },
    { id: "doing", name: "In progress", position: 1, version: 1 },
    { id: "done", name: "Done", position: 2, version: 1 },
  ],
  cards: [card("a", "todo", 0), card("b", "todo", 1), card("c", "todo", 2), card("d", "doing", 0)],
};

describe("moves", () => {
  it("moves a card into another column at an index and renumbers both columns", () => {
    const moved = applyMove(board, "b", "doing", 0);
    expect(cardsIn(moved, "doing").map((c) => [c.id, c.position])).toEqual([
      ["b", 0],
      ["d", 1],
    ]);
    expect(cardsIn(moved, "todo").map((c) => [c.id, c.position])).toEqual([
      ["a", 0],
      ["c", 1],
    ]);
  });

  it("reorders within a column", () => {
    const moved = applyMove(board, "a", "todo", 2);
    expect(cardsIn(moved, "todo").map((c) => c.id)).toEqual(["b", "c", "a"]);
  });

  it("finds keyboard targets and stops at the edges", () => {
    expect(keyboardTarget(board, board.cards[0]!, "left")).toBeNull();
    expect(keyboardTarget(board, board.cards[0]!, "up")).toBeNull();
    expect(keyboardTarget(board, board.cards[0]!, "right")).toEqual({ columnId: "doing", position: 1 });
    expect(keyboardTarget(board, board.cards[1]!, "down")).toEqual({ columnId: "todo", position: 2 });
    expect(keyboardTarget(board, board.cards[3]!, "right")).toEqual({ columnId: "done", position: 0 });
  });
});
