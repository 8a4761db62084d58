"""When a meeting needs a summary (the summarizer's schedule, read from its state)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from vori.db.tables import SummarizerMeeting


def due_meetings(
    session: Session,
    now: datetime,
    refresh_words: int,
    refresh_interval_s: float,
    final_grace_s: float = 0.0,
    final_wait_s: float = 0.0,
) -> list[str]:
    """Meetings that need a summary: enough new words, new words gone stale, ended, or
    corrected.

    An ended meeting waits `final_grace_s` for its last segments, and while a stream that
    joined it is not transcribed to its end (`stream_transcribed`), up to `final_wait_s`:
    its last words are still being decoded. It makes no summary meanwhile (one would be a
    final one without them)."""
    stale = now - timedelta(seconds=refresh_interval_s)
    meeting = SummarizerMeeting
    new_words = meeting.words_total - meeting.words_summarized
    live = meeting.ended_at.is_(None)
    waiting = (meeting.ended_at > now - timedelta(seconds=final_grace_s)) | (
        (func.json_array_length(meeting.open_streams) > 0)
        & (meeting.ended_at > now - timedelta(seconds=final_wait_s))
    )
    rows = session.execute(
        select(meeting.meeting_id)
        .where(
            or_(
                live & (new_words >= refresh_words),
                live & (new_words > 0) & (meeting.updated_at <= stale),
                ~live & ~waiting & (~meeting.final_published | (new_words > 0)),
                (func.json_array_length(meeting.pending_corrections) > 0) & (live | ~waiting),
            )
        )
        .order_by(meeting.updated_at)
    ).scalars()
    return list(rows)
