// The card a live `task.upserted` event links an action item to: one reading of the event
// for every page that shows the minutes (the meeting room, the summary page).

import type { LiveEvent } from "../api/types";
import type { CardLink } from "../components/SummaryView";

/** The task key and card of a `task.upserted` event (the card nested or flat), or null
 * when it names no card yet. */
export function upsertedCard(event: LiveEvent): [string, CardLink] | null {
  const card = (event.card ?? event.task ?? event) as Record<string, unknown>;
  const key = card.task_key as string | undefined;
  if (!key || !card.id || !card.board_id) return null;
  return [key, { cardId: String(card.id), boardId: String(card.board_id) }];
}

/** The cards by task key with the event's card added (the same object when it adds none). */
export function withUpsertedCard(cards: Record<string, CardLink>, event: LiveEvent): Record<string, CardLink> {
  const found = upsertedCard(event);
  return found ? { ...cards, [found[0]]: found[1] } : cards;
}
