"""Applying a meeting's `TaskProposal` to its board: one transaction per message.

The message's Kafka coordinates are recorded in the same transaction, so a message
redelivered after a crash (database committed, offset not) is recognised and skipped;
the unique (board, task key) constraint keeps one card per task whatever happens.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, sessionmaker

from kanban.boards import active_cards, board_for_meeting, columns_of, renumber
from kanban.changes import Actor, record_change
from kanban.errors import UnknownMeetingError
from kanban.merge import CardState, Merge, ProposalMerger, ProposedTask
from kanban.ordering import without
from vori.auth import new_id
from vori.db.tables import Board, BoardColumn, Card, Meeting, ProcessedProposal
from vori.events import TaskProposal

log = logging.getLogger(__name__)


@dataclass
class ProposalOutcome:
    """What applying one proposal did, for logs, metrics and tests."""

    board_id: str | None = None
    duplicate: bool = False
    changes: dict[str, int] = field(default_factory=dict)  # change kind -> cards

    def count(self, kind: str) -> None:
        self.changes[kind] = self.changes.get(kind, 0) + 1


def state_of(card: Card) -> CardState:
    return CardState(
        title=card.title,
        assignee=card.assignee,
        due_date=card.due_date.isoformat() if card.due_date else None,
        archived=card.archived,
        evidence=list(card.evidence),
        human_fields=frozenset(card.human_fields),
        declined=dict(card.declined),
    )


class ProposalApplier:
    """Upserts a proposal's action items into the board its meeting feeds."""

    def __init__(self, sessions: sessionmaker[Session], merger: ProposalMerger | None = None):
        self.sessions = sessions
        self.merger = merger or ProposalMerger()

    def apply(self, proposal: TaskProposal, message_id: str) -> ProposalOutcome:
        """Apply once per `message_id` (topic:partition:offset); later calls do nothing."""
        outcome = ProposalOutcome()
        with self.sessions.begin() as session:
            claimed = session.execute(
                insert(ProcessedProposal)
                .values(id=message_id, meeting_id=proposal.meeting_id)
                .on_conflict_do_nothing()
                .returning(ProcessedProposal.id)
            ).first()
            if claimed is None:
                outcome.duplicate = True
                return outcome
            meeting = session.get(Meeting, proposal.meeting_id, with_for_update=True)
            if meeting is None:
                raise UnknownMeetingError(f"no meeting {proposal.meeting_id!r} in the database")
            board = board_for_meeting(session, meeting)
            outcome.board_id = board.id
            actor = Actor.meeting(meeting.id, meeting.title, proposal.source)
            for item in proposal.items:
                task = ProposedTask.from_item(item, meeting.id)
                if task is None:
                    log.warning("meeting %s proposed %s without a title", meeting.id, item.task_key)
                    continue
                kind = self._upsert(session, board, meeting, item.task_key, task, actor, proposal)
                if kind is not None:
                    outcome.count(kind)
            session.get(ProcessedProposal, message_id).board_id = board.id  # type: ignore[union-attr]
        return outcome

    def _upsert(
        self,
        session: Session,
        board: Board,
        meeting: Meeting,
        task_key: str,
        task: ProposedTask,
        actor: Actor,
        proposal: TaskProposal,
    ) -> str | None:
        card = session.scalars(
            select(Card).where(Card.board_id == board.id, Card.task_key == task_key)
        ).first()
        merge = self.merger.merge(state_of(card) if card else None, task)
        if merge.change is None:
            if card is not None:
                card.declined = merge.declined_state
            return None
        if merge.creates:
            return self._create(session, board, meeting, task_key, merge, actor, proposal)
        assert card is not None
        return self._update(session, card, merge, actor)

    def _create(
        self,
        session: Session,
        board: Board,
        meeting: Meeting,
        task_key: str,
        merge: Merge,
        actor: Actor,
        proposal: TaskProposal,
    ) -> str | None:
        columns = columns_of(session, board.id)
        if not columns:  # every column was deleted: give the card somewhere to land
            columns = [BoardColumn(id=new_id("col"), board_id=board.id, name="To do", position=0)]
            session.add(columns[0])
            session.flush()
        column = columns[0]
        values = merge.after
        card_id = new_id("card")
        inserted = session.execute(
            insert(Card)
            .values(
                id=card_id,
                board_id=board.id,
                column_id=column.id,
                title=values["title"],
                description="",
                assignee=values["assignee"],
                due_date=_date(values["due_date"]),
                position=len(active_cards(session, board.id, column.id)),
                source=proposal.source,
                task_key=task_key,
                meeting_id=meeting.id,
                language=meeting.language,
                evidence=values["evidence"],
                human_fields=[],
                declined={},
                version=1,
                archived=False,
            )
            .on_conflict_do_nothing(constraint="uq_cards_board_task_key")
            .returning(Card.id)
        ).first()
        if inserted is None:  # the board lock makes this unreachable; the constraint insists
            return None
        card = session.get_one(Card, card_id)
        record_change(session, card, column.name, "created", actor, after=values)
        return "created"

    @staticmethod
    def _update(session: Session, card: Card, merge: Merge, actor: Actor) -> str:
        column = session.get_one(BoardColumn, card.column_id)
        card.declined = merge.declined_state
        if merge.changes_card:
            for name, value in merge.after.items():
                setattr(card, name, _date(value) if name == "due_date" else value)
            if merge.change == "archived":
                siblings = active_cards(session, card.board_id, column.id)
                renumber(siblings, without([c.id for c in siblings], card.id))
            elif merge.change == "restored":
                others = [
                    c for c in active_cards(session, card.board_id, column.id) if c is not card
                ]
                card.position = len(others)
            card.version += 1
            card.updated_at = func.now()
            session.flush()
        assert merge.change is not None
        record_change(
            session,
            card,
            column.name,
            merge.change,
            actor,
            before=merge.before,
            after=merge.after,
            declined=merge.declined,
        )
        return merge.change


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else None
