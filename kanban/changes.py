"""Every change of a card is recorded twice in its transaction: in the card's history and
in the outbox that feeds `kanban.changes` (so a crash after the commit loses no event)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from sqlalchemy.orm import Session

from kanban.merge import ChangeKind
from kanban.metrics import CARD_CHANGES
from vori.auth import Principal
from vori.db.tables import Card, CardHistoryRow, KanbanOutboxRow
from vori.events import CardSnapshot, Evidence, KanbanChange

HistoryChange = ChangeKind | Literal["moved"]
# History entries that change nothing on the card are not published.
_UNPUBLISHED = {"declined"}
_PUBLISHED_AS: dict[str, Literal["created", "moved", "edited", "archived", "restored"]] = {
    "created": "created",
    "moved": "moved",
    "edited": "edited",
    "archived": "archived",
    "restored": "restored",
}


@dataclass(frozen=True)
class Actor:
    """Who changed a card: a person, or a meeting through its summarizer."""

    source: Literal["human", "llm", "rules"]
    user_id: str | None = None
    name: str | None = None
    meeting_id: str | None = None

    @classmethod
    def person(cls, principal: Principal) -> Actor:
        return cls(source="human", user_id=principal.user_id, name=principal.name or None)

    @classmethod
    def meeting(cls, meeting_id: str, title: str, source: Literal["llm", "rules"]) -> Actor:
        return cls(source=source, name=title, meeting_id=meeting_id)

    @property
    def label(self) -> str:
        """`user:<id>` or `meeting:<id>`, as `KanbanChange.actor` carries it."""
        return f"user:{self.user_id}" if self.user_id else f"meeting:{self.meeting_id}"


def jsonable(values: dict[str, Any]) -> dict[str, Any]:
    """Field values as JSON stores them (dates as ISO strings)."""
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}


def snapshot(card: Card, column_name: str) -> CardSnapshot:
    return CardSnapshot(
        id=card.id,
        board_id=card.board_id,
        column=column_name,
        column_id=card.column_id,
        title=card.title,
        assignee=card.assignee,
        due_date=card.due_date.isoformat() if card.due_date else None,
        task_key=card.task_key,
        version=card.version,
        position=max(card.position, 0),
        description=card.description,
        source=card.source,
        meeting_id=card.meeting_id,
        evidence=[
            Evidence(segment_id=e["segment_id"], quote=e.get("quote", ""), at=e.get("at"))
            for e in card.evidence
            if isinstance(e, dict) and e.get("segment_id")
        ],
        archived=card.archived,
    )


def record_change(
    session: Session,
    card: Card,
    column_name: str,
    change: HistoryChange,
    actor: Actor,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    declined: dict[str, Any] | None = None,
) -> None:
    """Add the history row and, for a real change, the outbox row of `kanban.changes`."""
    session.add(
        CardHistoryRow(
            card_id=card.id,
            board_id=card.board_id,
            change=change,
            version=card.version,
            actor_user_id=actor.user_id,
            actor_name=actor.name,
            meeting_id=actor.meeting_id,
            source=actor.source,
            before=jsonable(before or {}),
            after=jsonable(after or {}),
            declined=jsonable(declined or {}),
        )
    )
    CARD_CHANGES.labels(change, "person" if actor.user_id else "meeting").inc()
    if change in _UNPUBLISHED:
        return
    event = KanbanChange(
        board_id=card.board_id,
        change=_PUBLISHED_AS[change],
        card=snapshot(card, column_name),
        meeting_id=card.meeting_id or actor.meeting_id,
        actor=actor.label,
        changed=sorted(after or {}),
    )
    session.add(
        KanbanOutboxRow(board_id=card.board_id, payload=json.loads(event.model_dump_json()))
    )
