"""The gateway's rows of a re-transcription: the job's progress, the new streams' places on
the meeting clock, and the replacement of the old segments.

The batch transcriber reports a job as it reports an upload (`recording_*` with the job id
in `upload_id`); `transcript_replaced` then drops the gateway's old segments of the
replaced streams (`vori.events.replaced_by_job`): those transcribed live and those of any
earlier job. Their corrections go with them (the foreign key cascades): the new transcript
starts uncorrected; a speaker's name set by a member is carried over to the new streams
when the job is created (a room voice's too: the re-transcription numbers the voices of
the same audio again, in the order they first speak). A job that fails drops the
segments it had sent, so the old transcript stays alone. Every write is idempotent: a
replayed report or replacement changes nothing more.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import cast

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from gateway.upload_parts import Progress, ProgressReport, UploadStatus, merge_progress
from vori.db.tables import MeetingStream, Retranscription, SpeakerLabel, TranscriptSegmentRow
from vori.events import (
    MeetingEvent,
    TranscriptSegment,
    of_job,
    original_stream,
    replaced_by_job,
    retranscription_stream_id,
    room_speaker_id,
)

ACTIVE = ("queued", "transcribing")
# What separates a room voice's speaker_id from its stream id (vori.events.room_speaker_id).
ROOM_VOICE_MARK = room_speaker_id("", 0).removesuffix("0")


def copy_streams(session: Session, meeting_id: str, job_id: str, stream_ids: list[str]) -> None:
    """Give each new stream its original's place on the meeting clock and speaker label."""
    for stream in session.scalars(
        select(MeetingStream).where(
            MeetingStream.meeting_id == meeting_id, MeetingStream.stream_id.in_(stream_ids)
        )
    ):
        session.execute(
            insert(MeetingStream)
            .values(
                stream_id=retranscription_stream_id(job_id, stream.stream_id),
                meeting_id=meeting_id,
                participant_id=stream.participant_id,
                participant_name=stream.participant_name,
                first_joined_at=stream.first_joined_at,
                last_left_at=stream.last_left_at,
            )
            .on_conflict_do_nothing(index_elements=[MeetingStream.stream_id])
        )
    for label in session.scalars(select(SpeakerLabel).where(SpeakerLabel.meeting_id == meeting_id)):
        # A label's key is a stream id or a room voice's "<stream id>#room-<n>".
        stream_id, room, voice = label.stream_id.partition(ROOM_VOICE_MARK)
        if stream_id not in stream_ids:
            continue
        new_key = retranscription_stream_id(job_id, stream_id) + room + voice
        session.execute(
            insert(SpeakerLabel)
            .values(
                meeting_id=meeting_id,
                stream_id=new_key,
                label=label.label,
                version=1,
                edited_by=label.edited_by,
            )
            .on_conflict_do_nothing()
        )


def _job(session: Session, event: MeetingEvent) -> Retranscription | None:
    if event.upload_id is None:
        return None
    return session.scalar(
        select(Retranscription)
        .where(
            Retranscription.id == event.upload_id, Retranscription.meeting_id == event.meeting_id
        )
        .with_for_update()
    )


def apply_report(session: Session, event: MeetingEvent) -> bool:
    """A batch transcriber's report on a job (monotonic, as an upload's); False if the id
    is not a job's."""
    job = _job(session, event)
    if job is None:
        return False
    if job.status == "replaced":
        return True  # a replayed report cannot bring back a state before the replacement
    current = Progress(cast(UploadStatus, job.status), job.progress, job.error)
    merged = merge_progress(current, cast(ProgressReport, event.type), event.progress, event.error)
    if merged is not None:
        job.status, job.progress, job.error = merged.status, merged.progress, merged.error
        job.updated_at = datetime.now(UTC)
    if job.status == "failed":
        _drop(session, event.meeting_id, lambda stream: of_job(stream, job.id))
    return True


def _drop(session: Session, meeting_id: str, dropped: Callable[[str], bool]) -> int:
    """Delete the meeting's segments whose stream `dropped` names; how many."""
    rows = session.execute(
        select(TranscriptSegmentRow.id, TranscriptSegmentRow.stream_id).where(
            TranscriptSegmentRow.meeting_id == meeting_id
        )
    ).all()
    ids = [row.id for row in rows if dropped(row.stream_id)]
    if ids:
        session.execute(delete(TranscriptSegmentRow).where(TranscriptSegmentRow.id.in_(ids)))
    return len(ids)


def of_failed_job(session: Session, segment: TranscriptSegment) -> bool:
    """Whether a final is of a job that failed (arriving after its failure: not kept)."""
    job_id, _original = original_stream(segment.stream_id)
    if job_id is None:
        return False
    status = session.scalar(select(Retranscription.status).where(Retranscription.id == job_id))
    return status == "failed"


def replace_transcript(session: Session, event: MeetingEvent) -> int:
    """Drop the old segments of the replaced streams (a replay drops nothing more); the
    number dropped."""
    job = _job(session, event)
    if job is None or event.upload_id is None:
        return 0
    job_id, streams = event.upload_id, event.replaced_streams
    dropped = _drop(session, event.meeting_id, lambda s: replaced_by_job(s, job_id, streams))
    if job.status != "replaced":
        job.status, job.progress, job.error = "replaced", 1.0, None
        job.replaced_segments = dropped
        job.updated_at = datetime.now(UTC)
    return dropped
