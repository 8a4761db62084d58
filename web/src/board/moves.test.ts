import { describe, expect, it } from "vitest";

import type { Board, Card } from "../api/types";
import { applyMove, cardsIn, keyboardTarget } from "./moves";

function card(id: string, column: string, position: number): Card {
  return { id, board_id: "b", column_id: column, title: id, position, version: 1 };
}

const board: Board = {
  id: "b",
  name: "Team",
  columns: [
    { id: "todo", name: "To do" },
    { id: "doing", name: "In progress" },
    { id: "done", name: "Done" },
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
