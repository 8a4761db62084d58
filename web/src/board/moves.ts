// Pure board logic: where a card lands after a move, and keyboard moves between columns.

import type { Board, Card } from "../api/types";

export function cardsIn(board: Board, columnId: string): Card[] {
  return board.cards.filter((card) => card.column_id === columnId).sort((a, b) => a.position - b.position);
}

/** The board after moving `cardId` to `columnId` at index `position` (optimistic update). */
export function applyMove(board: Board, cardId: string, columnId: string, position: number): Board {
  const moving = board.cards.find((card) => card.id === cardId);
  if (!moving) return board;
  const others = board.cards.filter((card) => card.id !== cardId);
  const target = others.filter((card) => card.column_id === columnId).sort((a, b) => a.position - b.position);
  const index = Math.max(0, Math.min(position, target.length));
  target.splice(index, 0, { ...moving, column_id: columnId });
  const renumbered = new Map(target.map((card, i) => [card.id, { ...card, position: i }]));
  const source = others
    .filter((card) => card.column_id === moving.column_id && card.column_id !== columnId)
    .sort((a, b) => a.position - b.position)
    .map((card, i) => ({ ...card, position: i }));
  const sourceIds = new Map(source.map((card) => [card.id, card]));
  const cards = [
    ...others.filter((card) => !renumbered.has(card.id) && !sourceIds.has(card.id)),
    ...source,
    ...renumbered.values(),
  ];
  return { ...board, cards };
}

export type KeyMove = "left" | "right" | "up" | "down";

/** The column and index a keyboard move asks for, or null at the board's edge. */
export function keyboardTarget(board: Board, card: Card, move: KeyMove): { columnId: string; position: number } | null {
  const columnIndex = board.columns.findIndex((column) => column.id === card.column_id);
  const siblings = cardsIn(board, card.column_id);
  const index = siblings.findIndex((c) => c.id === card.id);
  if (move === "up") return index > 0 ? { columnId: card.column_id, position: index - 1 } : null;
  if (move === "down") return index < siblings.length - 1 ? { columnId: card.column_id, position: index + 1 } : null;
  const next = board.columns[columnIndex + (move === "left" ? -1 : 1)];
  if (!next) return null;
  return { columnId: next.id, position: cardsIn(board, next.id).length };
}
