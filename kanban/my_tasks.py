"""My tasks: the open cards assigned to a person on every board they may see.

Cards name their assignee as text (what a meeting heard, or what a person typed), so a
card is a person's when its assignee is their display name or e-mail address, compared
without case or surrounding spaces. Open: not archived, on a board not archived, and not
in a column whose name says done. Visibility is `vori.auth.card_visible_to`, as on the
boards themselves.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from kanban.schemas import MyTaskOut, MyTasksOut
from kanban.views import card_out
from vori.auth import Principal, card_visible_to
from vori.db.tables import Board, BoardColumn, Card, User
from vori.task_rules import DONE_COLUMNS

MAX_TASKS = 500


def is_overdue(due: date | None, today: date) -> bool:
    """A task is overdue once its due date has passed (the due day itself is not late)."""
    return due is not None and due < today


class MyTasks:
    """Reads a person's open tasks across boards."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def list(self, user: Principal, today: date) -> MyTasksOut:
        with self.sessions() as session:
            person = session.get(User, user.user_id)
            names = {user.email.strip().casefold()}
            if person is not None:
                names |= {person.display_name.strip().casefold(), person.email.strip().casefold()}
            names.discard("")
            rows = session.execute(
                select(Card, BoardColumn.name, Board.name)
                .join(BoardColumn, BoardColumn.id == Card.column_id)
                .join(Board, Board.id == Card.board_id)
                .where(
                    card_visible_to(user.user_id),
                    Card.archived.is_(False),
                    Board.archived.is_(False),
                    func.lower(func.trim(Card.assignee)).in_(sorted(names)),
                    func.lower(func.trim(BoardColumn.name)).not_in(DONE_COLUMNS),
                )
                .order_by(Card.due_date.asc().nulls_last(), Card.created_at, Card.id)
                .limit(MAX_TASKS)
            )
            tasks = [
                MyTaskOut(
                    **card_out(card, column).model_dump(),
                    board_name=board_name,
                    overdue=is_overdue(card.due_date, today),
                )
                for card, column, board_name in rows
            ]
        return MyTasksOut(today=today, overdue=sum(t.overdue for t in tasks), tasks=tasks)
