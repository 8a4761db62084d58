"""Deleting a meeting: the gateway's own rows. Everything said in it goes, the work it led
to stays.

Foreign keys with ON DELETE CASCADE take the members, final segments, event log, summary,
streams, ingest positions, batch analytics and live analytics totals with the meeting row;
cards keep their board place and evidence quotes (cards.meeting_id is ON DELETE SET NULL,
so they become cards of the board). The gateway's map of task keys to cards has no foreign
key (kanban.changes may announce a card before its meeting is stored) and is cleared here,
and so are the notifications of what was said in it (mentions quote the transcript).

Rows other services own without a foreign key are theirs to delete: the summarizer's copy
of the transcript and the archiver's recordings go on the `deleted` meeting event, which
`gateway.meetings.delete_meeting` publishes (confirmed by Kafka) before this commits.
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.orm import Session

from vori.db.tables import Meeting, MeetingTaskCard, Notification


def erase_meeting(session: Session, meeting_id: str) -> None:
    """Delete the meeting and the gateway's rows of it; the caller commits."""
    session.execute(delete(MeetingTaskCard).where(MeetingTaskCard.meeting_id == meeting_id))
    session.execute(
        delete(Notification).where(
            Notification.meeting_id == meeting_id, Notification.kind == "mention"
        )
    )
    session.execute(delete(Meeting).where(Meeting.id == meeting_id))
