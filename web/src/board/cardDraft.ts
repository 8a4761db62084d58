// The card dialog's form as data: what it holds, and what saving it sends. A column change
// is part of the form, saved with the fields, so one Save is one person's change.

import type { Card } from "../api/types";
import type { CardEdit } from "../api/vori";

export interface CardDraft {
  title: string;
  description: string;
  assignee: string;
  due: string;
  columnId: string;
}

export function draftOf(card: Card): CardDraft {
  return {
    title: card.title,
    description: card.description ?? "",
    assignee: card.assignee ?? "",
    due: card.due_date ?? "",
    columnId: card.column_id,
  };
}

export interface CardSave {
  /** The fields to PATCH, checked against the version the person started from; null: none. */
  edit: CardEdit | null;
  /** The column to move to next, checked against the version the edit left; null: it stays. */
  columnId: string | null;
}

/** Whether the form differs from `base`, the version the person is editing. */
export function isDirty(base: Card, draft: CardDraft): boolean {
  const start = draftOf(base);
  return (Object.keys(start) as (keyof CardDraft)[]).some((key) => start[key] !== draft[key]);
}

/** What saving `draft` over `base` sends: the field edit first (all four fields, as the
 * dialog always sent them), then the move. Both carry a version, so a change by someone
 * else since `base` is still refused with a conflict. */
export function cardSave(base: Card, draft: CardDraft): CardSave {
  const start = draftOf(base);
  const fieldsChanged = (["title", "description", "assignee", "due"] as const).some((key) => start[key] !== draft[key]);
  return {
    edit: fieldsChanged
      ? {
          title: draft.title.trim(),
          description: draft.description.trim(),
          assignee: draft.assignee.trim() || null,
          due_date: draft.due || null,
        }
      : null,
    columnId: draft.columnId !== base.column_id ? draft.columnId : null,
  };
}
