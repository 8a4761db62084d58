import { describe, expect, it } from "vitest";

import { upsertedCard, withUpsertedCard } from "./cardLinks";

describe("the card of a task.upserted event", () => {
  it("is read nested under card, under task, or flat", () => {
    const card = { task_key: "k1", id: "c1", board_id: "b1" };
    const link: [string, { cardId: string; boardId: string }] = ["k1", { cardId: "c1", boardId: "b1" }];
    expect(upsertedCard({ type: "task.upserted", card })).toEqual(link);
    expect(upsertedCard({ type: "task.upserted", task: card })).toEqual(link);
    expect(upsertedCard({ type: "task.upserted", ...card })).toEqual(link);
  });

  it("is none without a task key, a card id or a board", () => {
    expect(upsertedCard({ type: "task.upserted", card: { id: "c1", board_id: "b1" } })).toBeNull();
    expect(upsertedCard({ type: "task.upserted", card: { task_key: "k1", board_id: "b1" } })).toBeNull();
    expect(upsertedCard({ type: "task.upserted", card: { task_key: "k1", id: "c1" } })).toBeNull();
  });

  it("is added to the cards by task key, replacing the key's older card", () => {
    const cards = { k1: { cardId: "old", boardId: "b0" }, k2: { cardId: "c2", boardId: "b1" } };
    const event = { type: "task.upserted", card: { task_key: "k1", id: "c1", board_id: "b1" } };
    expect(withUpsertedCard(cards, event)).toEqual({ ...cards, k1: { cardId: "c1", boardId: "b1" } });
    const none = { type: "task.upserted", card: { task_key: "k3" } };
    expect(withUpsertedCard(cards, none)).toBe(cards);
  });
});
