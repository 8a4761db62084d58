"""Stream time on the meeting clock: where each stream's time 0 falls after the meeting began.

The transcript API (gateway/transcripts.py) and the live events (gateway/live_events.py)
place a segment with the same offset, so a line shows the same time, in the same order,
live and after a reload.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from vori.db.tables import Meeting, MeetingStream
from vori.events import Event, TranscriptSegment

# How long a stream the gateway has not recorded yet (its `participant_joined` is still on
# its way to the persistence consumer) is looked up again at most once.
UNKNOWN_RETRY_S = 1.0
# Streams remembered per process; a meeting has a handful, so this is days of meetings.
MAX_STREAMS = 50_000


def stream_offset(meeting_created_at: datetime, stream_first_joined_at: datetime) -> float:
    """Seconds of the meeting clock at which the stream's time 0 is (never negative)."""
    return max(0.0, (stream_first_joined_at - meeting_created_at).total_seconds())


def meeting_times(offset: float, start: float, end: float) -> tuple[float, float]:
    """A segment's `meeting_start` and `meeting_end` from its stream times."""
    return round(offset + start, 3), round(offset + end, 3)


class StreamOffsets:
    """Each stream's offset on its meeting's clock, read once per stream from PostgreSQL.

    A stream's first join only moves earlier on a replay of the same join, so an offset,
    once read, stays right. None for a stream not recorded (yet).
    """

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self._known: dict[str, float] = {}
        self._missing: dict[str, float] = {}
        self._lock = threading.Lock()

    def of(self, event: Event) -> float | None:
        """The offset of a segment's stream; None for any other event."""
        return self(event.stream_id) if isinstance(event, TranscriptSegment) else None

    def __call__(self, stream_id: str) -> float | None:
        with self._lock:
            if stream_id in self._known:
                return self._known[stream_id]
            if time.monotonic() < self._missing.get(stream_id, 0.0):
                return None
        with self.sessions() as session:
            row = session.execute(
                select(Meeting.created_at, MeetingStream.first_joined_at)
                .join(Meeting, Meeting.id == MeetingStream.meeting_id)
                .where(MeetingStream.stream_id == stream_id)
            ).first()
        with self._lock:
            if row is None:
                if len(self._missing) >= MAX_STREAMS:
                    self._missing.clear()
                self._missing[stream_id] = time.monotonic() + UNKNOWN_RETRY_S
                return None
            if len(self._known) >= MAX_STREAMS:
                self._known.clear()
            self._missing.pop(stream_id, None)
            offset = self._known[stream_id] = stream_offset(row[0], row[1])
            return offset
