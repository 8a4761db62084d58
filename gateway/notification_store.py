"""Notifications in PostgreSQL: who an event concerns, the idempotent insert, and the reads.

Written only by the gateway's consumers (of card changes and final segments) and its due
check; both consumer threads of a process may record the same event (as with the event
log), and the deterministic ids make the second a no-op. A notification is shown only
while its person may still see what it points at: the card (`card_visible_to`) or the
meeting (membership), so losing access hides it, exactly like a 404.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from gateway.notifications import (
    DueCard,
    NewNotification,
    Person,
    assignment_notifications,
    due_notification,
    due_tomorrow,
    is_assignment,
    mention_notifications,
    mentions,
)
from vori.auth import card_visible_to
from vori.db.tables import (
    Board,
    BoardColumn,
    Card,
    Meeting,
    MeetingMember,
    Notification,
    TranscriptSegmentRow,
    User,
)
from vori.events import Event, KanbanChange, TranscriptSegment
from vori.task_rules import fold

MAX_DUE_CARDS = 5000


class NotificationOut(BaseModel):
    """One notification as the API lists it and the events socket pushes it."""

    id: str
    kind: Literal["assigned", "due", "mention"]
    title: str = Field(description="The card's title, or the meeting's for a mention.")
    text: str = Field("", description="What was said, for a mention.")
    actor: str | None = Field(None, description="Who assigned the card, or who spoke.")
    board_id: str | None = None
    card_id: str | None = None
    meeting_id: str | None = None
    segment_id: str | None = Field(None, description="The segment of a mention.")
    at_s: float | None = Field(None, description="Seconds of stream time of a mention.")
    due_date: date | None = None
    created_at: datetime
    read: bool


def out(row: Notification) -> NotificationOut:
    return NotificationOut(
        id=row.id,
        kind=row.kind,
        title=row.title,
        text=row.text,
        actor=row.actor,
        board_id=row.board_id,
        card_id=row.card_id,
        meeting_id=row.meeting_id,
        segment_id=row.segment_id,
        at_s=row.at_s,
        due_date=row.due_date,
        created_at=row.created_at,
        read=row.read_at is not None,
    )


# -- writing -------------------------------------------------------------------------------


# A stored notification and whose it is.
Stored = tuple[str, NotificationOut]


def record_event(session: Session, event: Event) -> list[Stored]:
    """The notifications an event makes, stored once; those already stored are returned too,
    so that every process's live fan-out can push them to its own clients."""
    if isinstance(event, KanbanChange):
        new = _assignments(session, event)
    elif isinstance(event, TranscriptSegment) and event.final:
        new = _mentions(session, event)
    else:
        return []
    return store(session, new)


def store(session: Session, new: list[NewNotification]) -> list[Stored]:
    """Insert each notification unless its id is stored; every one of them as stored."""
    if not new:
        return []
    for item in new:
        session.execute(
            insert(Notification)
            .values(
                id=item.id,
                user_id=item.user_id,
                kind=item.kind,
                title=item.title[:300],
                text=item.text,
                actor=(item.actor or None) and item.actor[:200],
                board_id=item.board_id,
                card_id=item.card_id,
                meeting_id=item.meeting_id,
                segment_id=item.segment_id,
                at_s=item.at_s,
                due_date=item.due_date,
            )
            .on_conflict_do_nothing(index_elements=[Notification.id])
        )
    rows = session.scalars(select(Notification).where(Notification.id.in_([n.id for n in new])))
    return [(row.user_id, out(row)) for row in rows]


def _people_named(session: Session, assignee: str) -> list[Person]:
    """Users whose display name or e-mail address the assignee text is."""
    name = fold(assignee)
    rows = session.execute(
        select(User.id, User.display_name, User.email).where(
            or_(
                func.lower(func.trim(User.display_name)) == name,
                func.lower(func.trim(User.email)) == name,
            )
        )
    )
    return [Person(user_id, display, email) for user_id, display, email in rows]


def _sees_card(session: Session, card_id: str, user_id: str) -> bool:
    return (
        session.scalar(select(Card.id).where(Card.id == card_id, card_visible_to(user_id)))
        is not None
    )


def _actor_name(session: Session, actor: str | None) -> str | None:
    """A person's display name or a meeting's title for `user:<id>` / `meeting:<id>`."""
    kind, _, ident = (actor or "").partition(":")
    if kind == "user":
        return session.scalar(select(User.display_name).where(User.id == ident))
    if kind == "meeting":
        return session.scalar(select(Meeting.title).where(Meeting.id == ident))
    return None


def _assignments(session: Session, change: KanbanChange) -> list[NewNotification]:
    if not is_assignment(change) or change.card.assignee is None:
        return []
    people = [
        person
        for person in _people_named(session, change.card.assignee)
        if _sees_card(session, change.card.id, person.user_id)
    ]
    if not people:
        return []
    return assignment_notifications(change, people, _actor_name(session, change.actor))


def _mentions(session: Session, segment: TranscriptSegment) -> list[NewNotification]:
    meeting = session.get(Meeting, segment.meeting_id)
    if meeting is None or not segment.text.strip():
        return []
    # Only the members named at all: most segments name nobody, and then the speakers
    # (a scan of the meeting's segments) are never needed.
    named = [
        Person(user_id, display)
        for user_id, display in session.execute(
            select(User.id, User.display_name)
            .join(MeetingMember, MeetingMember.user_id == User.id)
            .where(MeetingMember.meeting_id == segment.meeting_id)
        )
        if mentions(segment.text, display)
    ]
    if not named:
        return []
    speakers = {
        participant
        for participant in session.scalars(
            select(TranscriptSegmentRow.participant_id)
            .where(
                TranscriptSegmentRow.meeting_id == segment.meeting_id,
                TranscriptSegmentRow.participant_id.is_not(None),
                TranscriptSegmentRow.id != segment.id,
            )
            .distinct()
        )
        if participant
    }
    return mention_notifications(segment, meeting.title, named, speakers)


def due_check(session: Session, today: date) -> list[Stored]:
    """Notify the assignees of open cards due tomorrow (once per card and due date)."""
    rows = session.execute(
        select(Card, BoardColumn.name)
        .join(BoardColumn, BoardColumn.id == Card.column_id)
        .join(Board, Board.id == Card.board_id)
        .where(
            Card.due_date == today + timedelta(days=1),
            Card.assignee.is_not(None),
            Card.archived.is_(False),
            Board.archived.is_(False),
        )
        .order_by(Card.id)
        .limit(MAX_DUE_CARDS)
    )
    cards = [
        DueCard(
            card.id,
            card.board_id,
            card.title,
            card.assignee,
            card.due_date,
            column,
            card.archived,
            card.meeting_id,
        )
        for card, column in rows
    ]
    new = [
        due_notification(card, person)
        for card in due_tomorrow(cards, today)
        for person in _people_named(session, card.assignee or "")
        if _sees_card(session, card.card_id, person.user_id)
    ]
    return store(session, new)


# -- reading -------------------------------------------------------------------------------


def _visible(user_id: str) -> ColumnElement[bool]:
    """The person's notifications whose card or meeting they may still see."""
    of_cards = Notification.card_id.in_(select(Card.id).where(card_visible_to(user_id)))
    of_meetings = Notification.meeting_id.in_(
        select(MeetingMember.meeting_id).where(MeetingMember.user_id == user_id)
    )
    return and_(
        Notification.user_id == user_id,
        or_(
            and_(Notification.kind == "mention", of_meetings),
            and_(Notification.kind != "mention", of_cards),
        ),
    )


def unread_count(session: Session, user_id: str) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(_visible(user_id), Notification.read_at.is_(None))
        )
        or 0
    )


def page(
    session: Session, user_id: str, *, limit: int, before: tuple[datetime, str] | None
) -> list[NotificationOut]:
    """Newest first; `before` is the (created_at, id) of the last one of the previous page."""
    query = select(Notification).where(_visible(user_id))
    if before is not None:
        query = query.where(
            or_(
                Notification.created_at < before[0],
                and_(Notification.created_at == before[0], Notification.id < before[1]),
            )
        )
    rows = session.scalars(
        query.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)
    )
    return [out(row) for row in rows]


def visible_one(session: Session, user_id: str, notification_id: str) -> Notification | None:
    return session.scalar(
        select(Notification).where(Notification.id == notification_id, _visible(user_id))
    )


def mark_all_read(session: Session, user_id: str, at: datetime) -> int:
    """Mark every unread notification of the person read; how many were."""
    result = session.execute(
        update(Notification)
        .where(_visible(user_id), Notification.read_at.is_(None))
        .values(read_at=at)
        .returning(Notification.id)
    )
    return len(result.all())
