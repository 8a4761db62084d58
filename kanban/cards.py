"""Cards worked by people: create, edit, move, archive, restore, history.

Every change locks the card's board, checks the version the person last saw (409 on a
stale one), bumps the version, and records history and a `kanban.changes` event.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from kanban.access import board_for_user, card_for_user, meeting_board_id, require_board_worker
from kanban.boards import active_cards, check_wip_limit, columns_of, renumber
from kanban.changes import Actor, record_change
from kanban.errors import ConflictError, InvalidRequestError, NotFoundError
from kanban.merge import ARCHIVE_FIELD, EDITABLE_FIELDS, MOVE_FIELDS, person_edit
from kanban.ordering import place, without
from kanban.schemas import CardOut, HistoryEntryOut
from kanban.views import card_out, history_out
from vori.auth import Principal, card_visible_to, new_id
from vori.db.tables import BoardColumn, Card, CardHistoryRow


class CardService:
    """Card operations for a signed-in person."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def create(
        self,
        user: Principal,
        board_id: str,
        fields: dict[str, Any],
        column_id: str | None,
        position: int | None,
    ) -> CardOut:
        with self.sessions.begin() as session:
            board = board_for_user(session, board_id, user.user_id, lock=True)
            require_board_worker(session, board, user.user_id, "add cards to it")
            column = _target_column(session, board.id, column_id)
            check_wip_limit(session, column)
            siblings = active_cards(session, board.id, column.id)
            card = Card(
                id=new_id("card"),
                board_id=board.id,
                column_id=column.id,
                title=fields["title"],
                description=fields.get("description") or "",
                assignee=fields.get("assignee") or None,
                due_date=fields.get("due_date"),
                position=len(siblings),
                source="human",
                evidence=[],
                human_fields=list(EDITABLE_FIELDS),
                declined={},
                version=1,
                archived=False,
                created_by=user.user_id,
            )
            session.add(card)
            session.flush()
            renumber([*siblings, card], place([c.id for c in siblings], card.id, position))
            after = {k: getattr(card, k) for k in (*EDITABLE_FIELDS, "column_id", "position")}
            record_change(session, card, column.name, "created", Actor.person(user), after=after)
            session.flush()
            return card_out(card, column.name)

    def get(self, user: Principal, card_id: str) -> CardOut:
        with self.sessions.begin() as session:
            card = card_for_user(session, card_id, user.user_id)
            return card_out(card, _column_name(session, card))

    def list_cards(
        self,
        user: Principal,
        board_id: str | None,
        meeting_id: str | None,
        include_archived: bool,
    ) -> list[CardOut]:
        if board_id is None and meeting_id is None:
            raise InvalidRequestError("send 'board_id' or 'meeting_id'")
        with self.sessions.begin() as session:
            query = select(Card).where(card_visible_to(user.user_id))
            if board_id is not None:
                board_for_user(session, board_id, user.user_id)  # 404 for outsiders
                query = query.where(Card.board_id == board_id)
            if meeting_id is not None:
                query = query.where(
                    Card.meeting_id == meeting_id,
                    Card.board_id.in_(meeting_board_id(meeting_id, user.user_id)),
                )
            if not include_archived:
                query = query.where(Card.archived.is_(False))
            cards = list(session.scalars(query.order_by(Card.created_at, Card.id).limit(2000)))
            names = _column_names(session, {c.column_id for c in cards})
            return [card_out(c, names.get(c.column_id, "")) for c in cards]

    def edit(
        self, user: Principal, card_id: str, requested: dict[str, Any], version: int
    ) -> CardOut:
        with self.sessions.begin() as session:
            card = _current(session, card_id, user, version)
            current = {name: getattr(card, name) for name in EDITABLE_FIELDS}
            edit = person_edit(current, requested, frozenset(card.human_fields))
            card.human_fields = sorted(edit.human_fields)
            column_name = _column_name(session, card)
            if edit.after:
                for name, value in edit.after.items():
                    setattr(card, name, value)
                _bump(card)
                session.flush()
                record_change(
                    session,
                    card,
                    column_name,
                    "edited",
                    Actor.person(user),
                    before=edit.before,
                    after=edit.after,
                )
            session.flush()
            return card_out(card, column_name)

    def move(
        self, user: Principal, card_id: str, column_id: str, position: int, version: int
    ) -> CardOut:
        with self.sessions.begin() as session:
            card = _current(session, card_id, user, version)
            if card.archived:
                raise ConflictError(f"card {card_id} is archived; restore it before moving it")
            source = _column(session, card.column_id)
            target = _target_column(session, card.board_id, column_id)
            before = {"column_id": source.id, "column": source.name, "position": card.position}
            if target.id != source.id:
                check_wip_limit(session, target)
                left = active_cards(session, card.board_id, source.id)
                renumber(left, without([c.id for c in left], card.id))
            siblings = [c for c in active_cards(session, card.board_id, target.id) if c is not card]
            card.column_id = target.id
            renumber([*siblings, card], place([c.id for c in siblings], card.id, position))
            card.human_fields = sorted({*card.human_fields, *MOVE_FIELDS})
            after = {"column_id": target.id, "column": target.name, "position": card.position}
            if after != before:
                _bump(card)
                session.flush()
                record_change(
                    session,
                    card,
                    target.name,
                    "moved",
                    Actor.person(user),
                    before=before,
                    after=after,
                )
            session.flush()
            return card_out(card, target.name)

    def set_archived(self, user: Principal, card_id: str, archived: bool, version: int) -> CardOut:
        with self.sessions.begin() as session:
            card = _current(session, card_id, user, version)
            column = _column(session, card.column_id)
            card.human_fields = sorted({*card.human_fields, ARCHIVE_FIELD})
            if card.archived != archived:
                siblings = active_cards(session, card.board_id, column.id)
                if archived:
                    renumber(siblings, without([c.id for c in siblings], card.id))
                else:
                    card.position = len(siblings)
                card.archived = archived
                _bump(card)
                session.flush()
                record_change(
                    session,
                    card,
                    column.name,
                    "archived" if archived else "restored",
                    Actor.person(user),
                    before={ARCHIVE_FIELD: not archived},
                    after={ARCHIVE_FIELD: archived},
                )
            session.flush()
            return card_out(card, column.name)

    def history(self, user: Principal, card_id: str, limit: int) -> list[HistoryEntryOut]:
        with self.sessions.begin() as session:
            card = card_for_user(session, card_id, user.user_id)
            rows = session.scalars(
                select(CardHistoryRow)
                .where(CardHistoryRow.card_id == card.id)
                .order_by(CardHistoryRow.id)
                .limit(limit)
            )
            return [history_out(row) for row in rows]


def _current(session: Session, card_id: str, user: Principal, version: int) -> Card:
    """The card, its board locked, if the person saw its current version; 409 otherwise."""
    card = card_for_user(session, card_id, user.user_id, lock=True)
    if card.version != version:
        raise ConflictError(
            f"card {card_id} was changed by someone else: it is at version {card.version}, "
            f"you sent {version}; reload it and retry",
            current_version=card.version,
            card=card_out(card, _column_name(session, card)).model_dump(mode="json"),
        )
    return card


def _bump(card: Card) -> None:
    card.version += 1
    card.updated_at = func.now()


def _column(session: Session, column_id: str) -> BoardColumn:
    column = session.get(BoardColumn, column_id)
    if column is None:  # a foreign key makes this impossible short of corruption
        raise NotFoundError(f"column {column_id} not found")
    return column


def _column_name(session: Session, card: Card) -> str:
    return _column(session, card.column_id).name


def _column_names(session: Session, column_ids: set[str]) -> dict[str, str]:
    if not column_ids:
        return {}
    rows = session.execute(
        select(BoardColumn.id, BoardColumn.name).where(BoardColumn.id.in_(column_ids))
    )
    return {column_id: name for column_id, name in rows}


def _target_column(session: Session, board_id: str, column_id: str | None) -> BoardColumn:
    """The named column of the board (400 if it is on another board), or its first column."""
    columns = columns_of(session, board_id)
    if column_id is None:
        if not columns:
            raise ConflictError("this board has no columns; add one first")
        return columns[0]
    for column in columns:
        if column.id == column_id:
            return column
    raise InvalidRequestError(f"column {column_id} is not a column of this board")
