"""The meeting list's filters and keyset paging: a query from what the caller asked for.

Paging is by cursor, not offset: a page ends at a (created_at, id) position, and the next
page starts strictly after it, so meetings created while someone pages never shift or
repeat rows the way an offset would.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import Select, and_, func, or_, select

from vori.db.tables import Board, Meeting, MeetingMember

StatusFilter = Literal["active", "ended"]


BAD_CURSOR = "invalid cursor: pass the X-Next-Cursor of the previous page"


class BadCursorError(ValueError):
    """A cursor this gateway did not hand out (or one mangled on the way)."""


@dataclass(frozen=True)
class Position:
    """Where a page ended: the last meeting's creation time and id (ties broken by id)."""

    created_at: datetime
    meeting_id: str


def encode_cursor(position: Position) -> str:
    raw = f"{position.created_at.isoformat()}|{position.meeting_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> Position:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, meeting_id = raw.split("|", 1)
        created_at = datetime.fromisoformat(at)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadCursorError(BAD_CURSOR) from None
    if created_at.tzinfo is None or not meeting_id:
        raise BadCursorError(BAD_CURSOR)
    return Position(created_at, meeting_id)


def as_utc(moment: datetime) -> datetime:
    """A time without a zone (or a bare date) is taken as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


@dataclass(frozen=True)
class MeetingFilter:
    """What `GET /api/v1/meetings` narrows the caller's meetings to."""

    user_id: str
    q: str | None = None
    board_id: str | None = None
    status: StatusFilter | None = None
    after: datetime | None = None
    before: datetime | None = None
    start: Position | None = None

    def query(self, limit: int) -> Select[Meeting]:
        """Newest first, at most `limit` rows, after `start` when paging on."""
        query = (
            select(Meeting)
            .join(MeetingMember, MeetingMember.meeting_id == Meeting.id)
            .where(MeetingMember.user_id == self.user_id)
        )
        text = " ".join((self.q or "").split())
        if text:
            # strpos, not ILIKE: a search for "50%" or "a_b" means those characters.
            query = query.where(func.strpos(func.lower(Meeting.title), text.lower()) > 0)
        if self.board_id:
            # A meeting that names no board feeds its owner's personal board (kanban's
            # board_for_meeting names it there with its first card): a personal board's
            # meetings are those too.
            personal_owner = (
                select(Board.personal_owner_id).where(Board.id == self.board_id).scalar_subquery()
            )
            query = query.where(
                or_(
                    Meeting.board_id == self.board_id,
                    and_(Meeting.board_id.is_(None), Meeting.owner_id == personal_owner),
                )
            )
        if self.status == "active":
            query = query.where(Meeting.ended_at.is_(None))
        elif self.status == "ended":
            query = query.where(Meeting.ended_at.is_not(None))
        if self.after is not None:
            query = query.where(Meeting.created_at >= as_utc(self.after))
        if self.before is not None:
            query = query.where(Meeting.created_at < as_utc(self.before))
        if self.start is not None:
            query = query.where(
                or_(
                    Meeting.created_at < self.start.created_at,
                    and_(
                        Meeting.created_at == self.start.created_at,
                        Meeting.id < self.start.meeting_id,
                    ),
                )
            )
        return query.order_by(Meeting.created_at.desc(), Meeting.id.desc()).limit(limit)
