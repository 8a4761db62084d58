"""Corrections: a member fixes a final segment's text or names a speaker (a stream's, or
one voice of a room microphone's).

The gateway is the one writer of `transcript_corrections` and `speaker_labels`; the
transcribed segment stays as it was, so a replay of it never undoes a correction. Each
correction is announced on `meeting.events`: the summarizer applies it to its copy and
summarises again, and every gateway shows it to the meeting's live clients.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from gateway.deps import MeetingDep, PrincipalDep, RuntimeDep, SessionDep
from gateway.runtime import GatewayRuntime
from vori.db.tables import (
    Meeting,
    MeetingStream,
    SpeakerLabel,
    TranscriptCorrection,
    TranscriptSegmentRow,
    User,
)
from vori.events import MeetingEvent, TranscriptSegment, Word

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/meetings", tags=["corrections"])

MAX_TEXT = 5000
MAX_LABEL = 200
SEGMENT_NOT_FOUND = "segment not found"

CorrectedText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT)
]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_LABEL)]


class SegmentCorrection(BaseModel):
    """The corrected text of a final segment (whitespace at either end is dropped)."""

    text: CorrectedText


class SpeakerRename(BaseModel):
    """The name a meeting shows for one speaker: a stream's, or a room voice's."""

    stream_id: str = Field(
        min_length=1,
        max_length=240,
        description="The speaker key of the lines to rename: a stream id, or on a room "
        "microphone one voice's speaker_id (only that voice's lines are renamed).",
    )
    label: Label


class CorrectionOut(BaseModel):
    """One version of a segment's text: version 0 is what was transcribed."""

    segment_id: str
    version: int
    text: str
    edited_by: str | None = Field(None, description="Display name of the editor.")
    edited_at: datetime | None


class SegmentHistoryOut(BaseModel):
    segment_id: str
    original_text: str
    text: str
    versions: list[CorrectionOut]


class SpeakerLabelOut(BaseModel):
    meeting_id: str
    stream_id: str
    label: str
    version: int


def latest_corrections(session: Session, meeting_id: str) -> dict[str, TranscriptCorrection]:
    """The newest correction of every corrected segment of a meeting."""
    newest = (
        select(TranscriptCorrection.segment_id, func.max(TranscriptCorrection.version).label("v"))
        .where(TranscriptCorrection.meeting_id == meeting_id)
        .group_by(TranscriptCorrection.segment_id)
        .subquery()
    )
    rows = session.scalars(
        select(TranscriptCorrection).join(
            newest,
            (newest.c.segment_id == TranscriptCorrection.segment_id)
            & (newest.c.v == TranscriptCorrection.version),
        )
    )
    return {row.segment_id: row for row in rows}


def speaker_labels(session: Session, meeting_id: str) -> dict[str, str]:
    """Speaker key (a segment's speaker_id or else its stream_id) -> the name members gave it."""
    rows = session.execute(
        select(SpeakerLabel.stream_id, SpeakerLabel.label).where(
            SpeakerLabel.meeting_id == meeting_id
        )
    )
    return {stream_id: label for stream_id, label in rows}


def _segment(
    session: Session, meeting: Meeting, segment_id: str, *, lock: bool
) -> TranscriptSegmentRow:
    query = select(TranscriptSegmentRow).where(
        TranscriptSegmentRow.id == segment_id, TranscriptSegmentRow.meeting_id == meeting.id
    )
    if lock:  # serialises corrections of one segment: versions are gapless
        query = query.with_for_update()
    row = session.scalars(query).first()
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, SEGMENT_NOT_FOUND)
    return row


def _as_event_segment(row: TranscriptSegmentRow, text: str) -> TranscriptSegment:
    return TranscriptSegment(
        id=row.id,
        meeting_id=row.meeting_id,
        stream_id=row.stream_id,
        participant_id=row.participant_id,
        speaker=row.speaker,
        speaker_id=row.speaker_id,
        final=True,
        start=row.start,
        end=row.end,
        start_sample=row.start_sample,
        end_sample=row.end_sample,
        text=text,
        stable_text=text,
        words=[Word.model_validate(w) for w in row.words or []],
        language=row.language,
        confidence=row.confidence,
        model=row.model,
    )


def _publish(runtime: GatewayRuntime, event: MeetingEvent) -> None:
    """Publish and wait briefly for Kafka; the event stays queued if Kafka is down."""
    runtime.producer.publish(event)
    if runtime.producer.flush(5.0) > 0:
        log.warning("meeting %s: %s not yet confirmed by Kafka", event.meeting_id, event.type)


def _history(session: Session, row: TranscriptSegmentRow) -> SegmentHistoryOut:
    versions = [
        CorrectionOut(
            segment_id=row.id, version=0, text=row.text, edited_by=None, edited_at=row.created_at
        )
    ]
    for correction, name in session.execute(
        select(TranscriptCorrection, User.display_name)
        .outerjoin(User, User.id == TranscriptCorrection.edited_by)
        .where(TranscriptCorrection.segment_id == row.id)
        .order_by(TranscriptCorrection.version)
    ):
        versions.append(
            CorrectionOut(
                segment_id=row.id,
                version=correction.version,
                text=correction.text,
                edited_by=name,
                edited_at=correction.edited_at,
            )
        )
    return SegmentHistoryOut(
        segment_id=row.id, original_text=row.text, text=versions[-1].text, versions=versions
    )


@router.patch("/{meeting_id}/segments/{segment_id}", response_model=SegmentHistoryOut)
def correct_segment(
    segment_id: str,
    body: SegmentCorrection,
    meeting: MeetingDep,
    principal: PrincipalDep,
    runtime: RuntimeDep,
    session: SessionDep,
) -> SegmentHistoryOut:
    """Correct a final segment's text; the original stays, every version is kept.

    Sending the text it already has changes nothing. 404 for a segment not in the meeting.
    """
    row = _segment(session, meeting, segment_id, lock=True)
    current = session.scalars(
        select(TranscriptCorrection)
        .where(TranscriptCorrection.segment_id == row.id)
        .order_by(TranscriptCorrection.version.desc())
        .limit(1)
    ).first()
    if body.text == (current.text if current else row.text):
        history = _history(session, row)
        session.rollback()
        return history
    version = (current.version if current else 0) + 1
    session.add(
        TranscriptCorrection(
            segment_id=row.id,
            version=version,
            meeting_id=meeting.id,
            text=body.text,
            edited_by=principal.user_id,
        )
    )
    session.flush()
    history = _history(session, row)
    event = MeetingEvent(
        type="segment_corrected",
        meeting_id=meeting.id,
        stream_id=row.stream_id,
        participant_id=row.participant_id,
        segment=_as_event_segment(row, body.text),
        original_text=row.text,
        correction_version=version,
        editor=principal.name,
    )
    session.commit()
    _publish(runtime, event)
    return history


@router.get("/{meeting_id}/segments/{segment_id}/corrections", response_model=SegmentHistoryOut)
def segment_history(segment_id: str, meeting: MeetingDep, session: SessionDep) -> SegmentHistoryOut:
    """Every version of a segment's text, the transcribed one first."""
    return _history(session, _segment(session, meeting, segment_id, lock=False))


@router.put("/{meeting_id}/speakers", response_model=SpeakerLabelOut)
def rename_speaker(
    body: SpeakerRename,
    meeting: MeetingDep,
    principal: PrincipalDep,
    runtime: RuntimeDep,
    session: SessionDep,
) -> SpeakerLabelOut:
    """Name a speaker for every line of it: a stream's speaker, or one voice of a room
    microphone (`stream_id` is then the voice's speaker_id, and only its lines change).

    404 if no segment of the meeting has that stream or voice and no stream of it has
    that id.
    """
    known = session.scalar(
        select(TranscriptSegmentRow.id)
        .where(
            TranscriptSegmentRow.meeting_id == meeting.id,
            (TranscriptSegmentRow.stream_id == body.stream_id)
            | (TranscriptSegmentRow.speaker_id == body.stream_id),
        )
        .limit(1)
    ) or session.scalar(
        select(MeetingStream.stream_id).where(
            MeetingStream.meeting_id == meeting.id, MeetingStream.stream_id == body.stream_id
        )
    )
    if known is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such speaker in this meeting")
    statement = insert(SpeakerLabel).values(
        meeting_id=meeting.id,
        stream_id=body.stream_id,
        label=body.label,
        version=1,
        edited_by=principal.user_id,
    )
    saved = session.execute(
        statement.on_conflict_do_update(
            index_elements=[SpeakerLabel.meeting_id, SpeakerLabel.stream_id],
            set_={
                "label": statement.excluded.label,
                "version": SpeakerLabel.version + 1,
                "edited_by": statement.excluded.edited_by,
                "edited_at": func.now(),
            },
        ).returning(SpeakerLabel.version)
    ).scalar_one()
    session.commit()
    _publish(
        runtime,
        MeetingEvent(
            type="speaker_renamed",
            meeting_id=meeting.id,
            stream_id=body.stream_id,
            participant_name=body.label,
            correction_version=saved,
            editor=principal.name,
        ),
    )
    return SpeakerLabelOut(
        meeting_id=meeting.id, stream_id=body.stream_id, label=body.label, version=saved
    )
