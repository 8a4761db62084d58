"""Boards and their columns: creation (personal boards on demand), listing, columns.

One module because `BoardService` answers every board operation (boards, members, columns)
through the same ownership checks and the same board answer (`_board_out`).
"""

from __future__ import annotations

import logging

from sqlalchemy import func, literal, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, sessionmaker

from kanban.access import (
    board_for_user,
    meeting_board_id,
    meeting_ids_feeding,
    require_board_worker,
)
from kanban.errors import ConflictError, ForbiddenError, NotFoundError
from kanban.ordering import place, without
from kanban.schemas import BoardOut, BoardSummary, CardOut, ColumnOut, MemberOut
from kanban.views import card_out, column_out
from vori.auth import Principal, card_visible_to, meeting_may_feed, new_id, visible_board_ids
from vori.db.tables import Board, BoardColumn, BoardMember, Card, Meeting, User

log = logging.getLogger(__name__)

DEFAULT_COLUMNS = ("To do", "In progress", "Done")


def add_default_columns(session: Session, board_id: str) -> None:
    for position, name in enumerate(DEFAULT_COLUMNS):
        session.add(BoardColumn(id=new_id("col"), board_id=board_id, name=name, position=position))


def personal_board(session: Session, user_id: str) -> Board:
    """The user's personal board, created on first use (safe against concurrent creators)."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"user {user_id} not found")
    board_id = new_id("brd")
    inserted = session.execute(
        insert(Board)
        .values(
            id=board_id,
            name=f"{user.display_name}'s board",
            owner_id=user_id,
            personal_owner_id=user_id,
        )
        .on_conflict_do_nothing(index_elements=[Board.personal_owner_id])
        .returning(Board.id)
    ).first()
    if inserted is not None:
        add_default_columns(session, board_id)
        session.flush()
    return session.scalars(select(Board).where(Board.personal_owner_id == user_id)).one()


def board_for_meeting(session: Session, meeting: Meeting) -> Board:
    """The board a meeting feeds, locked; its creator's personal board when it has none."""
    if meeting.board_id is not None:
        board = session.scalars(
            select(Board)
            .where(
                Board.id == meeting.board_id, meeting_may_feed(Board.id, literal(meeting.owner_id))
            )
            .with_for_update()
        ).first()
        if board is not None:
            return board
        log.warning(
            "meeting %s names board %s, which is gone or not its owner's: using the owner's "
            "personal board",
            meeting.id,
            meeting.board_id,
        )
    board = personal_board(session, meeting.owner_id)
    meeting.board_id = board.id
    session.flush()
    return session.scalars(select(Board).where(Board.id == board.id).with_for_update()).one()


def columns_of(session: Session, board_id: str) -> list[BoardColumn]:
    return list(
        session.scalars(
            select(BoardColumn)
            .where(BoardColumn.board_id == board_id)
            .order_by(BoardColumn.position, BoardColumn.created_at)
        )
    )


def active_cards(session: Session, board_id: str, column_id: str) -> list[Card]:
    """The column's cards that are not archived, in order."""
    return list(
        session.scalars(
            select(Card)
            .where(Card.board_id == board_id, Card.column_id == column_id, Card.archived.is_(False))
            .order_by(Card.position, Card.created_at, Card.id)
        )
    )


def renumber(cards: list[Card], order: list[str]) -> None:
    """Give the cards dense positions 0..n-1 in `order`."""
    by_id = {card.id: card for card in cards}
    for position, card_id in enumerate(order):
        if by_id[card_id].position != position:
            by_id[card_id].position = position


class Unset:
    """A field the request did not send (null is a value: "no limit")."""


UNSET = Unset()


def check_wip_limit(session: Session, column: BoardColumn, adding: int = 1) -> None:
    """409 when `adding` more cards would take a column past its WIP limit."""
    if column.wip_limit is None:
        return
    held = len(active_cards(session, column.board_id, column.id))
    if held + adding > column.wip_limit:
        raise ConflictError(
            f"column {column.name!r} is at its WIP limit of {column.wip_limit} "
            f"({held} card(s)); finish or move one first, or raise the limit"
        )


class BoardService:
    """Board-level operations for a signed-in person."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def list_boards(
        self, user: Principal, meeting_id: str | None = None, include_archived: bool = False
    ) -> list[BoardSummary]:
        with self.sessions.begin() as session:
            personal_board(session, user.user_id)
            query = select(Board).where(Board.id.in_(visible_board_ids(user.user_id)))
            if not include_archived:
                query = query.where(Board.archived.is_(False))
            if meeting_id is not None:
                query = query.where(Board.id.in_(meeting_board_id(meeting_id, user.user_id)))
            boards = list(session.scalars(query.order_by(Board.created_at, Board.id)))
            return [self._summary(session, board, user.user_id) for board in boards]

    def _summary(self, session: Session, board: Board, user_id: str) -> BoardSummary:
        is_member = session.get(BoardMember, (board.id, user_id)) is not None
        access = "owner" if board.owner_id == user_id else "member" if is_member else "meeting"
        open_cards = session.scalar(
            select(func.count()).where(
                Card.board_id == board.id, Card.archived.is_(False), card_visible_to(user_id)
            )
        )
        return BoardSummary(
            id=board.id,
            name=board.name,
            owner_id=board.owner_id,
            personal=board.personal_owner_id is not None,
            access=access,
            meeting_ids=meeting_ids_feeding(session, board.id, user_id),
            open_cards=open_cards or 0,
            archived=board.archived,
        )

    def get_board(self, user: Principal, board_id: str, include_archived: bool) -> BoardOut:
        with self.sessions.begin() as session:
            board = board_for_user(session, board_id, user.user_id)
            return self._board_out(session, board, user.user_id, include_archived)

    @staticmethod
    def _board_out(
        session: Session, board: Board, user_id: str, include_archived: bool = False
    ) -> BoardOut:
        columns = columns_of(session, board.id)
        names = {column.id: column.name for column in columns}
        visible = set(
            session.scalars(
                select(Card.id).where(Card.board_id == board.id, card_visible_to(user_id))
            )
        )
        out: list[ColumnOut] = []
        for column in columns:
            cards = [
                card_out(c, column.name)
                for c in active_cards(session, board.id, column.id)
                if c.id in visible
            ]
            out.append(column_out(column, cards))
        archived: list[CardOut] = []
        if include_archived:
            archived = [
                card_out(card, names.get(card.column_id, ""))
                for card in session.scalars(
                    select(Card)
                    .where(
                        Card.board_id == board.id,
                        Card.archived.is_(True),
                        card_visible_to(user_id),
                    )
                    .order_by(Card.updated_at.desc(), Card.id)
                )
            ]
        return BoardOut(
            id=board.id,
            name=board.name,
            owner_id=board.owner_id,
            personal=board.personal_owner_id is not None,
            archived=board.archived,
            vocabulary=list(board.vocabulary or []),
            columns=out,
            archived_cards=archived,
        )

    def create_board(self, user: Principal, name: str) -> BoardOut:
        with self.sessions.begin() as session:
            if session.get(User, user.user_id) is None:
                raise NotFoundError(f"user {user.user_id} not found")
            board = Board(id=new_id("brd"), name=name, owner_id=user.user_id)
            session.add(board)
            session.flush()
            add_default_columns(session, board.id)
            session.flush()
            return self._board_out(session, board, user.user_id)

    def rename_board(
        self,
        user: Principal,
        board_id: str,
        name: str | None,
        archived: bool | None = None,
        vocabulary: list[str] | None = None,
    ) -> BoardOut:
        with self.sessions.begin() as session:
            what = "rename it" if archived is None else "archive or restore it"
            board = self._owned(session, board_id, user, what)
            if name is not None:
                board.name = name
            if vocabulary is not None:
                board.vocabulary = vocabulary
            if archived is not None:
                if archived and board.personal_owner_id is not None:
                    raise ConflictError(
                        "a personal board cannot be archived: meetings without a board "
                        "send their tasks to it"
                    )
                board.archived = archived
            session.flush()
            return self._board_out(session, board, user.user_id)

    @staticmethod
    def _owned(session: Session, board_id: str, user: Principal, what: str) -> Board:
        board = board_for_user(session, board_id, user.user_id, lock=True)
        if board.owner_id != user.user_id:
            raise ForbiddenError(f"only the board's owner can {what}")
        return board

    # -- members ------------------------------------------------------------------------

    def members(self, user: Principal, board_id: str) -> list[MemberOut]:
        with self.sessions.begin() as session:
            board = board_for_user(session, board_id, user.user_id)
            users = session.scalars(
                select(User)
                .join(BoardMember, BoardMember.user_id == User.id)
                .where(BoardMember.board_id == board.id)
                .order_by(User.display_name, User.id)
            )
            return [
                MemberOut(user_id=u.id, display_name=u.display_name, email=u.email) for u in users
            ]

    def add_member(
        self, user: Principal, board_id: str, member_id: str | None, email: str | None
    ) -> MemberOut:
        with self.sessions.begin() as session:
            board = self._owned(session, board_id, user, "add members")
            query = select(User).where(User.id == member_id if member_id else User.email == email)
            member = session.scalars(query).first()
            if member is None:
                # 404 like the gateway's meeting invite, so the web says the same thing.
                raise NotFoundError(
                    f"no user with id {member_id}"
                    if member_id
                    else f"No vori account uses {email}. Ask them to register first."
                )
            session.execute(
                insert(BoardMember)
                .values(board_id=board.id, user_id=member.id)
                .on_conflict_do_nothing()
            )
            return MemberOut(
                user_id=member.id, display_name=member.display_name, email=member.email
            )

    def remove_member(self, user: Principal, board_id: str, member_id: str) -> None:
        with self.sessions.begin() as session:
            board = self._owned(session, board_id, user, "remove members")
            row = session.get(BoardMember, (board.id, member_id))
            if row is None:
                raise NotFoundError(f"user {member_id} is not a member of this board")
            session.delete(row)

    # -- columns ------------------------------------------------------------------------

    def add_column(
        self,
        user: Principal,
        board_id: str,
        name: str,
        position: int | None,
        wip_limit: int | None = None,
    ) -> BoardOut:
        with self.sessions.begin() as session:
            board = board_for_user(session, board_id, user.user_id, lock=True)
            require_board_worker(session, board, user.user_id, "change its columns")
            columns = columns_of(session, board.id)
            self._check_name_free(columns, name, None)
            column = BoardColumn(
                id=new_id("col"),
                board_id=board.id,
                name=name,
                position=len(columns),
                wip_limit=wip_limit,
            )
            session.add(column)
            self._reposition(
                [*columns, column], place([c.id for c in columns], column.id, position)
            )
            session.flush()
            return self._board_out(session, board, user.user_id)

    def update_column(
        self,
        user: Principal,
        board_id: str,
        column_id: str,
        name: str | None,
        position: int | None,
        version: int | None,
        wip_limit: int | Unset | None = UNSET,
    ) -> BoardOut:
        with self.sessions.begin() as session:
            board = board_for_user(session, board_id, user.user_id, lock=True)
            require_board_worker(session, board, user.user_id, "change its columns")
            columns = columns_of(session, board.id)
            column = self._column(columns, column_id)
            if version is not None and version != column.version:
                raise ConflictError(
                    f"column {column_id} was changed by someone else: it is at version "
                    f"{column.version}, you sent {version}; reload the board and retry",
                    current_version=column.version,
                )
            if name is not None and name != column.name:
                self._check_name_free(columns, name, column.id)
                column.name = name
            if position is not None:
                self._reposition(columns, place([c.id for c in columns], column.id, position))
            if not isinstance(wip_limit, Unset):
                column.wip_limit = wip_limit  # lowering it below the cards held is allowed
            column.version += 1
            session.flush()
            return self._board_out(session, board, user.user_id)

    def delete_column(self, user: Principal, board_id: str, column_id: str) -> BoardOut:
        with self.sessions.begin() as session:
            board = board_for_user(session, board_id, user.user_id, lock=True)
            require_board_worker(session, board, user.user_id, "change its columns")
            columns = columns_of(session, board.id)
            column = self._column(columns, column_id)
            if len(columns) == 1:
                raise ConflictError("a board needs at least one column")
            holding = active_cards(session, board.id, column.id)
            if holding:
                raise ConflictError(
                    f"column {column.name!r} still holds {len(holding)} card(s); "
                    "move or archive them first"
                )
            remaining = [c for c in columns if c.id != column.id]
            # Archived cards keep a column so that restoring them has somewhere to go.
            for card in session.scalars(
                select(Card).where(Card.column_id == column.id, Card.archived.is_(True))
            ):
                card.column_id = remaining[0].id
            session.flush()
            session.delete(column)
            self._reposition(remaining, without([c.id for c in columns], column.id))
            session.flush()
            return self._board_out(session, board, user.user_id)

    @staticmethod
    def _column(columns: list[BoardColumn], column_id: str) -> BoardColumn:
        for column in columns:
            if column.id == column_id:
                return column
        raise NotFoundError(f"column {column_id} not found on this board")

    @staticmethod
    def _check_name_free(columns: list[BoardColumn], name: str, own_id: str | None) -> None:
        for column in columns:
            if column.id != own_id and column.name.casefold() == name.casefold():
                raise ConflictError(f"a column named {column.name!r} already exists on this board")

    @staticmethod
    def _reposition(columns: list[BoardColumn], order: list[str]) -> None:
        by_id = {c.id: c for c in columns}
        for position, column_id in enumerate(order):
            by_id[column_id].position = position
