"""Writes of the persistence consumer: final segments, latest summaries, task cards, streams,
the batch transcriber's reports on uploaded recordings.

Every write is an upsert keyed by a deterministic id, so a replayed message changes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

from sqlalchemy import case, func, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql.elements import ColumnElement

from gateway.upload_parts import Progress, ProgressReport, UploadStatus, merge_progress
from vori.db.tables import (
    IngestStream,
    Meeting,
    MeetingStream,
    MeetingSummaryRow,
    MeetingTaskCard,
    RecordingUpload,
    TranscriptSegmentRow,
)
from vori.events import KanbanChange, MeetingEvent, MeetingSummary, TranscriptSegment

# What a stored final segment keeps of the event: every column the event has a field for, so
# the table is the one list of them (created_at is the row's own).
STORED_SEGMENT_FIELDS = frozenset(TranscriptSegmentRow.__table__.columns.keys()) & frozenset(
    TranscriptSegment.model_fields
)


def meeting_exists(session: Session, meeting_id: str) -> bool:
    return session.get(Meeting, meeting_id) is not None


def store_final_segment(session: Session, segment: TranscriptSegment) -> bool:
    """Insert a final segment unless its id is stored; True if it was new."""
    statement = (
        insert(TranscriptSegmentRow)
        .values(**segment.model_dump(include=set(STORED_SEGMENT_FIELDS)))
        .on_conflict_do_nothing(index_elements=[TranscriptSegmentRow.id])
        .returning(TranscriptSegmentRow.id)
    )
    return session.execute(statement).first() is not None


def _rank(kind: ColumnElement[str] | InstrumentedAttribute[str]) -> ColumnElement[int]:
    return case((kind == "final", 1), else_=0)


def store_summary(session: Session, summary: MeetingSummary) -> bool:
    """Keep a meeting's latest summary: final over rolling, then revision, then time."""
    values = {
        "meeting_id": summary.meeting_id,
        "kind": summary.kind,
        "revision": summary.revision,
        "source": summary.source,
        "language": summary.language,
        "overview": summary.overview,
        "key_points": list(summary.key_points),
        "decisions": list(summary.decisions),
        "open_questions": list(summary.open_questions),
        "action_items": [item.model_dump(mode="json") for item in summary.action_items],
        "created_at": summary.created_at,
    }
    inserting = insert(MeetingSummaryRow).values(**values)
    new = inserting.excluded
    statement = inserting.on_conflict_do_update(
        index_elements=[MeetingSummaryRow.meeting_id],
        set_={**{key: new[key] for key in values if key != "meeting_id"}, "stored_at": func.now()},
        where=tuple_(
            _rank(MeetingSummaryRow.kind),
            MeetingSummaryRow.revision,
            MeetingSummaryRow.created_at,
        )
        <= tuple_(_rank(new.kind), new.revision, new.created_at),
    ).returning(MeetingSummaryRow.meeting_id)
    return session.execute(statement).first() is not None


def store_task_card(session: Session, change: KanbanChange) -> bool:
    """Remember which card a task key became, unless a newer version is already known."""
    card = change.card
    if card.task_key is None:
        return False
    values = {
        "task_key": card.task_key,
        "meeting_id": change.meeting_id or card.meeting_id,
        "card_id": card.id,
        "board_id": card.board_id,
        "column_name": card.column,
        "title": card.title,
        "assignee": card.assignee,
        "due_date": card.due_date,
        "version": card.version,
        "archived": card.archived or change.change in ("archived", "deleted"),
    }
    inserting = insert(MeetingTaskCard).values(**values)
    new = inserting.excluded
    statement = inserting.on_conflict_do_update(
        index_elements=[MeetingTaskCard.task_key],
        set_={
            **{key: new[key] for key in values if key not in ("task_key", "meeting_id")},
            "meeting_id": func.coalesce(new.meeting_id, MeetingTaskCard.meeting_id),
            "updated_at": func.now(),
        },
        where=MeetingTaskCard.version <= new.version,
    ).returning(MeetingTaskCard.task_key)
    return session.execute(statement).first() is not None


def record_stream(session: Session, event: MeetingEvent) -> None:
    """Note when a stream first joined (and last left), to put stream time on the meeting clock."""
    if event.stream_id is None:
        return
    if event.type == "participant_joined":
        statement = insert(MeetingStream).values(
            stream_id=event.stream_id,
            meeting_id=event.meeting_id,
            participant_id=event.participant_id,
            participant_name=event.participant_name,
            first_joined_at=event.at,
        )
        new = statement.excluded
        session.execute(
            statement.on_conflict_do_update(
                index_elements=[MeetingStream.stream_id],
                set_={
                    "first_joined_at": func.least(
                        MeetingStream.first_joined_at, new.first_joined_at
                    ),
                    "participant_name": func.coalesce(
                        new.participant_name, MeetingStream.participant_name
                    ),
                    "participant_id": func.coalesce(
                        new.participant_id, MeetingStream.participant_id
                    ),
                },
            )
        )
    elif event.type == "participant_left":
        session.execute(
            update(MeetingStream)
            .where(MeetingStream.stream_id == event.stream_id)
            .values(last_left_at=func.greatest(MeetingStream.last_left_at, event.at))
        )


def record_meeting_ended(session: Session, meeting_id: str, at: datetime) -> None:
    """An `ended` seen on Kafka ends the meeting here too (the REST end already did)."""
    session.execute(
        update(Meeting)
        .where(Meeting.id == meeting_id, Meeting.ended_at.is_(None))
        .values(ended_at=at)
    )


def meeting_streaming(session: Session, meeting_id: str) -> bool:
    """Whether someone's microphone is streaming into the meeting right now."""
    return (
        session.scalar(
            select(IngestStream.stream_id).where(
                IngestStream.meeting_id == meeting_id,
                IngestStream.active.is_(True),
                IngestStream.lease_expires_at > datetime.now(UTC),
            )
        )
        is not None
    )


def end_meeting(session: Session, meeting_id: str) -> MeetingEvent | None:
    """End a meeting that is not ended yet: the `ended` event to publish, None if it was."""
    found = session.execute(
        update(Meeting)
        .where(Meeting.id == meeting_id, Meeting.ended_at.is_(None))
        .values(ended_at=datetime.now(UTC))
        .returning(Meeting.ended_at, Meeting.language)
    ).first()
    if found is None:
        return None
    return MeetingEvent(
        type="ended", meeting_id=meeting_id, language=found.language, at=found.ended_at
    )


RECORDING_REPORTS = ("recording_progress", "recording_transcribed", "recording_failed")


def apply_recording_report(session: Session, event: MeetingEvent) -> bool:
    """Apply a batch transcriber's report to its upload (monotonic: a replay changes nothing).

    True when this report made an upload that asked to end the meeting `transcribed`.
    """
    assert event.type in RECORDING_REPORTS
    if event.upload_id is None:
        return False
    upload = session.scalar(
        select(RecordingUpload)
        .where(
            RecordingUpload.id == event.upload_id, RecordingUpload.meeting_id == event.meeting_id
        )
        .with_for_update()
    )
    if upload is None:
        return False
    current = Progress(cast(UploadStatus, upload.status), upload.progress, upload.error)
    merged = merge_progress(current, cast(ProgressReport, event.type), event.progress, event.error)
    if merged is None:
        return False
    upload.status = merged.status
    upload.progress = merged.progress
    upload.error = merged.error
    upload.updated_at = datetime.now(UTC)
    return merged.status == "transcribed" and upload.end_meeting
