"""Who may see and work a board: its owner and its explicit members work all of it; the
members of a meeting that feeds it see the board and that meeting's cards only (the rules
are `vori.auth.visible_board_ids` and `card_visible_to`, shared with the gateway).
Everyone else gets 404, exactly like a board or card that does not exist."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from kanban.errors import ForbiddenError, NotFoundError
from vori.auth import card_visible_to, visible_board_ids, works_board
from vori.db.tables import Board, Card, Meeting, MeetingMember


def board_for_user(session: Session, board_id: str, user_id: str, *, lock: bool = False) -> Board:
    """The board if the user may see it, else NotFoundError.

    With `lock`, the board row is locked for the transaction: every change of a board's
    cards and columns takes this lock first, so positions and versions never race.
    """
    query = select(Board).where(Board.id == board_id, Board.id.in_(visible_board_ids(user_id)))
    if lock:
        query = query.with_for_update(of=Board)
    board = session.scalars(query).first()
    if board is None:
        raise NotFoundError(f"board {board_id} not found")
    return board


def card_for_user(session: Session, card_id: str, user_id: str, *, lock: bool = False) -> Card:
    """The card if the user may see its board, else NotFoundError (locking its board)."""
    board_id = session.scalar(select(Card.board_id).where(Card.id == card_id))
    if board_id is None:
        raise NotFoundError(f"card {card_id} not found")
    try:
        board_for_user(session, board_id, user_id, lock=lock)
    except NotFoundError:
        raise NotFoundError(f"card {card_id} not found") from None
    card = session.scalars(
        select(Card)
        .where(Card.id == card_id, card_visible_to(user_id))
        .execution_options(populate_existing=True)
    ).first()
    if card is None:  # on a board the user reaches through another meeting only
        raise NotFoundError(f"card {card_id} not found")
    return card


def require_board_worker(session: Session, board: Board, user_id: str, what: str) -> None:
    """403 unless the user works the whole board: cards that belong to no meeting, and the
    columns, are the board's own, not its meetings'."""
    if not works_board(session, board.id, user_id):
        raise ForbiddenError(
            f"only the board's owner and members can {what}; you see this board through "
            "a meeting, and only that meeting's cards"
        )


def meeting_ids_feeding(session: Session, board_id: str, user_id: str) -> list[str]:
    """The meetings of this user that feed the board."""
    return list(
        session.scalars(
            select(Meeting.id)
            .outerjoin(MeetingMember, MeetingMember.meeting_id == Meeting.id)
            .where(
                Meeting.board_id == board_id,
                (MeetingMember.user_id == user_id) | (Meeting.owner_id == user_id),
            )
            .distinct()
            .order_by(Meeting.id)
        )
    )


def meeting_board_id(meeting_id: str, user_id: str) -> Select[str | None]:
    """The board id of a meeting, if the user is one of its members or its owner."""
    return (
        select(Meeting.board_id)
        .outerjoin(MeetingMember, MeetingMember.meeting_id == Meeting.id)
        .where(
            Meeting.id == meeting_id,
            (MeetingMember.user_id == user_id) | (Meeting.owner_id == user_id),
        )
    )
