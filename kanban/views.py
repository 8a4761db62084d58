"""Rows to API bodies."""

from __future__ import annotations

from kanban.schemas import ActorOut, CardOut, ColumnOut, EvidenceOut, HistoryEntryOut
from vori.db.tables import BoardColumn, Card, CardHistoryRow


def card_out(card: Card, column_name: str) -> CardOut:
    return CardOut(
        id=card.id,
        board_id=card.board_id,
        column_id=card.column_id,
        column=column_name,
        position=card.position,
        title=card.title,
        description=card.description,
        assignee=card.assignee,
        due_date=card.due_date,
        source=card.source,
        task_key=card.task_key,
        meeting_id=card.meeting_id,
        language=card.language,
        evidence=[EvidenceOut.model_validate(e) for e in card.evidence if isinstance(e, dict)],
        edited_by_person=sorted(str(f) for f in card.human_fields),
        version=card.version,
        archived=card.archived,
        created_at=card.created_at,
        updated_at=card.updated_at,
    )


def column_out(column: BoardColumn, cards: list[CardOut]) -> ColumnOut:
    return ColumnOut(
        id=column.id,
        name=column.name,
        position=column.position,
        version=column.version,
        wip_limit=column.wip_limit,
        cards=cards,
    )


def history_out(row: CardHistoryRow) -> HistoryEntryOut:
    return HistoryEntryOut(
        id=row.id,
        change=row.change,
        version=row.version,
        at=row.at,
        actor=ActorOut(
            type="person" if row.actor_user_id else "meeting",
            user_id=row.actor_user_id,
            name=row.actor_name,
            meeting_id=row.meeting_id,
            source=row.source,
        ),
        before=row.before,
        after=row.after,
        declined=row.declined,
    )
