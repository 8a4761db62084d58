"""Deleting a meeting: everything said in it goes, the work it led to stays.

Foreign keys with ON DELETE CASCADE take the members, final segments, event log, summary,
streams, ingest positions and batch analytics with the meeting row; cards keep their
board place and evidence quotes (cards.meeting_id is ON DELETE SET NULL, so they become
cards of the board). The tables below hold a meeting's text or figures without a foreign
key (their writers must accept meetings the gateway has not stored yet), so they are
cleared here in the same transaction.
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.orm import Session

from vori.db.tables import (
    AnalyticsLiveSpeaker,
    Meeting,
    MeetingTaskCard,
    SummarizerMeeting,
    SummarizerSegment,
)

# The summarizer's copy of the transcript and its running state, the live job's totals,
# and the gateway's map of task keys to cards (the cards themselves stay).
_UNLINKED = (SummarizerSegment, SummarizerMeeting, AnalyticsLiveSpeaker, MeetingTaskCard)


def erase_meeting(session: Session, meeting_id: str) -> None:
    """Delete the meeting and what was said in it; the caller commits."""
    for table in _UNLINKED:
        session.execute(delete(table).where(table.meeting_id == meeting_id))
    session.execute(delete(Meeting).where(Meeting.id == meeting_id))
