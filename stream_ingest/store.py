"""What ingest keeps in PostgreSQL: who may stream, durable positions, and stream leases.

Every ingest process behind the load balancer reads and writes the same rows, so a
stream resumes at the right position wherever it reconnects and is open in one process
at a time. Lease times use the database clock, never a process's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Engine, Table, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert

from stream_ingest.errors import (
    MeetingEndedError,
    NotAMemberError,
    StreamOpenElsewhereError,
    UserGoneError,
)
from stream_ingest.ledger import DurableMark
from vori.auth import meeting_for_member
from vori.db.engine import session_factory
from vori.db.tables import Board, IngestStream, Meeting, User
from vori.settings import Accuracy
from vori.vocabulary import MAX_TERMS, merge_terms

_streams: Table = IngestStream.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class Participant:
    """A member of a meeting about to stream their microphone."""

    meeting_id: str
    user_id: str
    name: str
    language: str
    # The meeting's vocabulary as it was when the stream opened (stamped on every frame).
    vocabulary: tuple[str, ...] = ()
    accuracy: Accuracy | None = None  # the meeting's choice of model, stamped on every frame


@dataclass(frozen=True)
class Lease:
    """A stream held by one connection: where it stands and how the last holder left it."""

    stream_id: str
    owner: str
    mark: DurableMark
    was_active: bool
    # The last holder vanished without releasing: Kafka may hold frames the row lacks.
    unclean: bool
    updated_at_epoch: float


def find_participant(engine: Engine, meeting_id: str, user_id: str) -> Participant:
    """The member and meeting a token may stream into; otherwise NotAMemberError,
    MeetingEndedError or UserGoneError."""
    with session_factory(engine)() as session:
        meeting = meeting_for_member(session, meeting_id, user_id)
        if meeting is None:
            raise NotAMemberError("no such meeting")
        if meeting.ended_at is not None:
            raise MeetingEndedError("the meeting has ended")
        user = session.get(User, user_id)
        if user is None:
            raise UserGoneError("the token's user no longer exists")
        board = session.get(Board, meeting.board_id) if meeting.board_id else None
        # The meeting's terms first, then its board's (vori/vocabulary.py), bounded.
        terms = merge_terms(meeting.vocabulary or [], board.vocabulary or [] if board else [])
        return Participant(
            meeting.id,
            user.id,
            user.display_name,
            meeting.language,
            tuple(terms[:MAX_TERMS]),
            meeting.accuracy,
        )


def other_open_streams(engine: Engine, user_id: str, stream_id: str) -> int:
    """The person's streams open (not ended) in any meeting, other than this one."""
    with engine.begin() as conn:
        count = conn.scalar(
            select(func.count())
            .select_from(_streams)
            .where(
                _streams.c.participant_id == user_id,
                _streams.c.active.is_(True),
                _streams.c.stream_id != stream_id,
            )
        )
    return int(count or 0)


def acquire(
    engine: Engine, stream_id: str, participant: Participant, owner: str, ttl_s: float
) -> Lease:
    """Take the stream's lease if it is free or expired; StreamOpenElsewhereError if it is held."""
    with engine.begin() as conn:
        conn.execute(
            insert(_streams)
            .values(
                stream_id=stream_id,
                meeting_id=participant.meeting_id,
                participant_id=participant.user_id,
                durable_position=0,
                next_seq=0,
                active=False,
            )
            .on_conflict_do_nothing(index_elements=["stream_id"])
        )
        row = conn.execute(
            select(
                _streams,
                func.now().label("now"),
                func.extract("epoch", _streams.c.updated_at).label("updated_epoch"),
            )
            .where(_streams.c.stream_id == stream_id)
            .with_for_update()
        ).one()
        held = row.lease_owner is not None and row.lease_expires_at > row.now
        if held:
            raise StreamOpenElsewhereError("stream already open elsewhere")
        conn.execute(
            update(_streams)
            .where(_streams.c.stream_id == stream_id)
            .values(
                lease_owner=owner,
                lease_expires_at=func.now() + _seconds(ttl_s),
                active=True,
                updated_at=func.now(),
            )
        )
    return Lease(
        stream_id=stream_id,
        owner=owner,
        mark=DurableMark(row.durable_position, row.next_seq, row.kafka_partition, row.kafka_offset),
        was_active=row.active,
        unclean=row.lease_owner is not None,
        updated_at_epoch=float(row.updated_epoch),
    )


def save_marks(engine: Engine, marks: dict[str, tuple[str, DurableMark]]) -> None:
    """Write the durable marks of streams this process holds, in one round trip."""
    if not marks:
        return
    statement = (
        update(_streams)
        .where(
            _streams.c.stream_id == bindparam("sid"),
            _streams.c.lease_owner == bindparam("owner"),
        )
        .values(
            durable_position=bindparam("position"),
            next_seq=bindparam("seq"),
            kafka_partition=bindparam("partition"),
            kafka_offset=bindparam("offset"),
            updated_at=func.now(),
        )
    )
    rows = [
        {
            "sid": sid,
            "owner": owner,
            "position": mark.position,
            "seq": mark.next_seq,
            "partition": mark.partition,
            "offset": mark.offset,
        }
        for sid, (owner, mark) in marks.items()
    ]
    with engine.begin() as conn:
        conn.execute(statement, rows)


def renew_leases(engine: Engine, owner_prefix: str, ttl_s: float) -> set[str]:
    """Extend every lease this process holds; returns the streams still held."""
    with engine.begin() as conn:
        rows = conn.execute(
            update(_streams)
            .where(_streams.c.lease_owner.startswith(owner_prefix, autoescape=True))
            .values(lease_expires_at=func.now() + _seconds(ttl_s))
            .returning(_streams.c.stream_id)
        )
        return {row.stream_id for row in rows}


def release(engine: Engine, lease: Lease, mark: DurableMark, *, active: bool) -> None:
    """Give the stream back with its final durable mark; `active=False` once it has ended."""
    with engine.begin() as conn:
        conn.execute(
            update(_streams)
            .where(_streams.c.stream_id == lease.stream_id, _streams.c.lease_owner == lease.owner)
            .values(
                durable_position=mark.position,
                next_seq=mark.next_seq,
                kafka_partition=mark.partition,
                kafka_offset=mark.offset,
                active=active,
                lease_owner=None,
                lease_expires_at=None,
                updated_at=func.now(),
            )
        )


def abandoned_streams(
    engine: Engine, idle_s: float, limit: int = 50
) -> list[tuple[str, Participant]]:
    """Active streams that nobody holds and nobody has touched for `idle_s`."""
    with engine.begin() as conn:
        rows = conn.execute(
            select(
                _streams.c.stream_id,
                _streams.c.meeting_id,
                _streams.c.participant_id,
                User.display_name,
                Meeting.language,
                Meeting.vocabulary,
                Meeting.accuracy,
            )
            .join(User, User.id == _streams.c.participant_id)
            .join(Meeting, Meeting.id == _streams.c.meeting_id)
            .where(
                _streams.c.active.is_(True),
                (_streams.c.lease_owner.is_(None)) | (_streams.c.lease_expires_at < func.now()),
                _streams.c.updated_at < func.now() - _seconds(idle_s),
            )
            .limit(limit)
        )
        return [
            (
                r.stream_id,
                Participant(
                    r.meeting_id,
                    r.participant_id,
                    r.display_name,
                    r.language,
                    tuple(r.vocabulary or ()),
                    r.accuracy,
                ),
            )
            for r in rows
        ]


def _seconds(value: float) -> ColumnElement[Any]:
    """An SQL interval of `value` seconds."""
    return func.make_interval(0, 0, 0, 0, 0, 0, value)
