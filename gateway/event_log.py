"""The per-meeting event log in PostgreSQL: durable live events numbered 1, 2, 3, ...

Every gateway process may try to append the same event (the shared persistence group
and each process's fan-out group both do); the meeting row lock serialises appends of a
meeting and the dedup key makes the second try return the first one's seq. So seq
numbers are unique, gapless and the same everywhere.

Why two writers and not the persistence consumer alone (issue 16, measured): the fan-out
consumer would then wait for the persistence group, which is behind by its whole backlog
after any time without a gateway (34-91 s for a live final instead of 20 ms in
tests/integration/measure_event_log_writers.py); docs/protocol.md, "Who numbers durable
events", has the numbers and why the log keeps copies of payloads rather than row ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.live_events import LiveEvent
from vori.db.tables import Meeting, MeetingEventRow


@dataclass(frozen=True)
class LoggedEvent:
    """A durable event with its seq; `inserted` is False when it was already in the log."""

    meeting_id: str
    seq: int
    type: str
    at: str
    payload: dict[str, Any]
    inserted: bool = False


def append(session: Session, meeting_id: str, event: LiveEvent, at: datetime) -> LoggedEvent | None:
    """Number a durable event in its meeting's log once; None if the meeting does not exist."""
    assert event.dedup_key is not None, "only durable events are logged"
    # FOR NO KEY UPDATE serialises appends per meeting without blocking foreign-key checks.
    locked = session.scalar(
        select(Meeting.id).where(Meeting.id == meeting_id).with_for_update(key_share=True)
    )
    if locked is None:
        return None
    existing = session.scalars(
        select(MeetingEventRow).where(
            MeetingEventRow.meeting_id == meeting_id,
            MeetingEventRow.dedup_key == event.dedup_key,
        )
    ).first()
    if existing is not None:
        return _logged(existing, inserted=False)
    last = session.scalar(
        select(func.coalesce(func.max(MeetingEventRow.seq), 0)).where(
            MeetingEventRow.meeting_id == meeting_id
        )
    )
    row = MeetingEventRow(
        meeting_id=meeting_id,
        seq=int(last or 0) + 1,
        type=event.type,
        dedup_key=event.dedup_key,
        payload={"at": at.isoformat(), **event.payload},
        transient=False,
    )
    session.add(row)
    session.flush()
    return _logged(row, inserted=True)


def append_many(
    session: Session, meeting_id: str, events: list[tuple[LiveEvent, datetime]]
) -> list[LoggedEvent]:
    """`append` for many events of one meeting, in order, with one lock, one look-up of
    the keys already logged and one insert: the fan-out numbering a meeting's held events
    at once (gateway/fanout.py) when a client subscribes to it in the middle of a burst."""
    locked = session.scalar(
        select(Meeting.id).where(Meeting.id == meeting_id).with_for_update(key_share=True)
    )
    if locked is None or not events:
        return []
    keys = [event.dedup_key for event, _at in events]
    assert None not in keys, "only durable events are logged"
    known = {
        row.dedup_key: _logged(row)
        for row in session.scalars(
            select(MeetingEventRow).where(
                MeetingEventRow.meeting_id == meeting_id, MeetingEventRow.dedup_key.in_(keys)
            )
        )
    }
    last = latest_seq(session, meeting_id)
    out = []
    rows = []
    for event, at in events:
        assert event.dedup_key is not None
        if event.dedup_key in known:
            out.append(known[event.dedup_key])
            continue
        last += 1
        row = MeetingEventRow(
            meeting_id=meeting_id,
            seq=last,
            type=event.type,
            dedup_key=event.dedup_key,
            payload={"at": at.isoformat(), **event.payload},
            transient=False,
        )
        rows.append(row)
        # The same event twice in one batch (a replayed message) is numbered once.
        known[event.dedup_key] = entry = _logged(row, inserted=True)
        out.append(entry)
    session.add_all(rows)
    session.flush()
    return out


def latest_seq(session: Session, meeting_id: str) -> int:
    """The seq of a meeting's newest durable event (0 before the first)."""
    last = session.scalar(
        select(func.coalesce(func.max(MeetingEventRow.seq), 0)).where(
            MeetingEventRow.meeting_id == meeting_id
        )
    )
    return int(last or 0)


def read_after(
    session: Session, meeting_id: str, after: int, upto: int | None = None, limit: int = 500
) -> list[LoggedEvent]:
    """Durable events with after < seq <= upto, oldest first, at most `limit`."""
    query = select(MeetingEventRow).where(
        MeetingEventRow.meeting_id == meeting_id, MeetingEventRow.seq > after
    )
    if upto is not None:
        query = query.where(MeetingEventRow.seq <= upto)
    rows = session.scalars(query.order_by(MeetingEventRow.seq).limit(limit))
    return [_logged(row) for row in rows]


def _logged(row: MeetingEventRow, *, inserted: bool = False) -> LoggedEvent:
    payload = dict(row.payload)
    at = str(payload.pop("at", ""))
    return LoggedEvent(row.meeting_id, row.seq, row.type, at, payload, inserted)
