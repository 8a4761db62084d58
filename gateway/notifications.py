"""In-app notifications, the pure core: which events concern whom, and the notification's id.

Three kinds (docs/protocol.md, Notifications):
- `assigned`: a card was created with, or edited to, an assignee who is a person (not when
  they assigned it to themselves);
- `due`: an open card of theirs is due tomorrow (one per card and due date);
- `mention`: their display name, as a whole word, in a final segment of a meeting they
  belong to but have not spoken in.

Ids derive from what a notification is about, so a replayed event or a repeated check
yields the same id and the store adds nothing. Who may see the card or meeting is the
store's question (gateway/notification_store.py); here are only the rules.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from vori.events import KanbanChange, TranscriptSegment
from vori.task_rules import fold, is_done_column, names_of

NotificationKind = Literal["assigned", "due", "mention"]
# A shorter name would match too much ("Al", "Jo"): such people are not notified of mentions.
MIN_MENTION_NAME = 3
QUOTE_CHARS = 300


def notification_id(kind: NotificationKind, *parts: object) -> str:
    """`ntf_` and a digest of the kind and what it is about."""
    digest = hashlib.sha256("|".join([kind, *map(str, parts)]).encode()).hexdigest()[:24]
    return f"ntf_{digest}"


@dataclass(frozen=True)
class Person:
    """A possible recipient: a user's id and the names a card or a transcript may use."""

    user_id: str
    display_name: str
    email: str = ""

    def owns(self, assignee: str | None) -> bool:
        """Whether a card assigned to `assignee` is this person's (as My tasks decides)."""
        return bool(assignee) and fold(assignee) in names_of(self.display_name, self.email)


@dataclass(frozen=True)
class NewNotification:
    """A notification to store: everything the list shows, and its deterministic id."""

    id: str
    user_id: str
    kind: NotificationKind
    title: str
    text: str = ""
    actor: str | None = None
    board_id: str | None = None
    card_id: str | None = None
    meeting_id: str | None = None
    segment_id: str | None = None
    at_s: float | None = None
    due_date: date | None = None


# -- assigned ------------------------------------------------------------------------------


def is_assignment(change: KanbanChange) -> bool:
    """A change that gives a live card an assignee: created with one, or an edit of it."""
    card = change.card
    if not card.assignee or card.archived:
        return False
    return change.change == "created" or (
        change.change == "edited" and "assignee" in change.changed
    )


def assignment_notifications(
    change: KanbanChange, people: Iterable[Person], actor_name: str | None = None
) -> list[NewNotification]:
    """One `assigned` notification per person the card is now assigned to, except the
    person who made the change. `people` are those who may see the card."""
    if not is_assignment(change):
        return []
    card = change.card
    return [
        NewNotification(
            id=notification_id("assigned", card.id, card.version, person.user_id),
            user_id=person.user_id,
            kind="assigned",
            title=card.title,
            actor=actor_name,
            board_id=card.board_id,
            card_id=card.id,
            meeting_id=change.meeting_id or card.meeting_id,
            due_date=date.fromisoformat(card.due_date) if card.due_date else None,
        )
        for person in people
        if person.owns(card.assignee) and change.actor != f"user:{person.user_id}"
    ]


# -- due tomorrow --------------------------------------------------------------------------


@dataclass(frozen=True)
class DueCard:
    """What the due check needs of a card."""

    card_id: str
    board_id: str
    title: str
    assignee: str | None
    due_date: date | None
    column: str
    archived: bool = False
    meeting_id: str | None = None


def due_tomorrow(cards: Iterable[DueCard], today: date) -> list[DueCard]:
    """The open, assigned cards due the day after `today` (not archived, not in a done column)."""
    tomorrow = today + timedelta(days=1)
    return [
        card
        for card in cards
        if card.due_date == tomorrow
        and card.assignee
        and not card.archived
        and not is_done_column(card.column)
    ]


def due_notification(card: DueCard, person: Person) -> NewNotification:
    """The `due` notification of a card for its assignee: one per card and due date."""
    return NewNotification(
        id=notification_id("due", card.card_id, card.due_date, person.user_id),
        user_id=person.user_id,
        kind="due",
        title=card.title,
        board_id=card.board_id,
        card_id=card.card_id,
        meeting_id=card.meeting_id,
        due_date=card.due_date,
    )


# -- mentioned -----------------------------------------------------------------------------


def mentions(text: str, name: str) -> bool:
    """Whether `text` says `name` as a whole word (or words), whatever the case.

    Conservative on purpose: "Kim" is not mentioned in "Kimberly", nor 민수 in 민수씨
    (a Korean particle glued to a name is a different word here).
    """
    words = name.split()
    if not words or len("".join(words)) < MIN_MENTION_NAME:
        return False
    pattern = r"\s+".join(re.escape(word) for word in words)
    return re.search(rf"(?<!\w){pattern}(?!\w)", text, re.IGNORECASE) is not None


def mention_notifications(
    segment: TranscriptSegment,
    meeting_title: str,
    members: Iterable[Person],
    speakers: set[str],
) -> list[NewNotification]:
    """One `mention` per member named in a final segment who has not spoken in the meeting
    (`speakers`: participant ids with speech in it) and is not its speaker."""
    if not segment.final or not segment.text.strip():
        return []
    silent = [
        person
        for person in members
        if person.user_id != segment.participant_id and person.user_id not in speakers
    ]
    quote = segment.text.strip()
    if len(quote) > QUOTE_CHARS:
        quote = quote[: QUOTE_CHARS - 1] + "…"
    return [
        NewNotification(
            id=notification_id("mention", segment.id, person.user_id),
            user_id=person.user_id,
            kind="mention",
            title=meeting_title,
            text=quote,
            actor=segment.speaker,
            meeting_id=segment.meeting_id,
            segment_id=segment.id,
            at_s=segment.start,
        )
        for person in silent
        if mentions(segment.text, person.display_name)
    ]
