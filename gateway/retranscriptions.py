"""Re-transcribing a past meeting from its archived audio with another model (the owner only).

`POST .../retranscriptions` checks that the meeting is quiet (nothing streams), that the
model is installed and that audio is archived, notes the job, and announces it on
`retranscriptions.requested` (confirmed by Kafka, else 503 and no job). The batch
transcriber reports progress as for an upload (the job id in `upload_id`, so the live
events socket carries `recording.*` for it) and ends with `transcript_replaced`, which the
persistence consumer applies (gateway/retranscription_store.py). `GET .../retranscriptions`
lists a meeting's jobs, `GET .../retranscriptions/{job}` shows one, to any member.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Literal, cast

from fastapi import APIRouter, HTTPException, Path, Request, status
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import store
from gateway.deps import MeetingDep, PrincipalDep, RuntimeDep, SessionDep
from gateway.meetings import ONLY_OWNER
from gateway.recordings import recording_store
from gateway.retranscription_store import ACTIVE, copy_streams
from vori.auth import new_id
from vori.db.tables import Meeting, MeetingStream, Retranscription, TranscriptSegmentRow
from vori.events import ArchivedStream, RetranscriptionRequested, original_stream
from vori.recordings import meeting_prefix, parse_chunk_key
from vori.whisper_models import installed_models

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/meetings", tags=["retranscriptions"])
JobId = Annotated[str, Path(max_length=40)]
JobStatus = Literal["queued", "transcribing", "transcribed", "replaced", "failed"]


class RetranscriptionIn(BaseModel):
    """Which model to transcribe the meeting's archived audio with."""

    model: str = Field(max_length=40, description="An installed Whisper model: base, tiny.en.")
    language: Literal["en", "ko"] | None = Field(
        None, description="The language spoken; default the meeting's (detected if auto)."
    )


class RetranscriptionOut(BaseModel):
    """A re-transcription job: how far it is, and whether the transcript is replaced."""

    job_id: str
    meeting_id: str
    model: str
    language: str | None
    status: JobStatus = Field(
        description="queued, transcribing, transcribed (replacement pending), replaced, failed."
    )
    progress: float = Field(description="Share of the archived audio transcribed (0-1).")
    error: str | None = None
    streams: list[str] = Field(description="The archived streams transcribed again.")
    replaced_segments: int | None = Field(
        None, description="Old segments the new transcript replaced (once replaced)."
    )
    requested_by: str
    created_at: datetime
    updated_at: datetime


class RetranscriptionListOut(BaseModel):
    meeting_id: str
    models: list[str] = Field(description="The models a re-transcription may use here.")
    retranscriptions: list[RetranscriptionOut]


def job_out(job: Retranscription) -> RetranscriptionOut:
    return RetranscriptionOut(
        job_id=job.id,
        meeting_id=job.meeting_id,
        model=job.model,
        language=job.language,
        status=cast(JobStatus, job.status),
        progress=job.progress,
        error=job.error,
        streams=list(job.streams or []),
        replaced_segments=job.replaced_segments,
        requested_by=job.requested_by,
        created_at=job.created_at,
        updated_at=job.updated_at,
    )


def _language(meeting: Meeting, body: RetranscriptionIn) -> str | None:
    language = body.language or (meeting.language if meeting.language in ("en", "ko") else None)
    if body.model.endswith(".en"):
        if language not in (None, "en"):
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                f"{body.model} transcribes English only; choose a multilingual model",
            )
        return "en"
    return language


def _speakers(session: Session, meeting_id: str, stream_ids: list[str]) -> list[ArchivedStream]:
    """Who spoke on each archived stream: its join, else its segments' speaker; a room
    microphone (its segments name voices) is told apart by voice again."""
    known: dict[str, ArchivedStream] = {}
    rooms: set[str] = set()
    for row in session.execute(
        select(
            TranscriptSegmentRow.stream_id,
            TranscriptSegmentRow.participant_id,
            TranscriptSegmentRow.speaker,
            TranscriptSegmentRow.speaker_id.is_not(None).label("room"),
        )
        .where(TranscriptSegmentRow.meeting_id == meeting_id)
        .distinct()
    ):
        original = original_stream(row.stream_id)[1]
        if original in stream_ids and row.room:
            rooms.add(original)
        if original in stream_ids and original not in known and not row.room:
            known[original] = ArchivedStream(
                stream_id=original, participant_id=row.participant_id, speaker=row.speaker
            )
    for stream in session.scalars(
        select(MeetingStream).where(
            MeetingStream.meeting_id == meeting_id, MeetingStream.stream_id.in_(stream_ids)
        )
    ):
        spoken = known.get(stream.stream_id)
        known[stream.stream_id] = ArchivedStream(
            stream_id=stream.stream_id,
            participant_id=stream.participant_id or (spoken.participant_id if spoken else None),
            speaker=stream.participant_name or (spoken.speaker if spoken else None),
        )
    return [
        (known.get(s) or ArchivedStream(stream_id=s)).model_copy(update={"room": s in rooms})
        for s in stream_ids
    ]


def archived_streams(request: Request, meeting_id: str) -> list[str]:
    """The meeting's streams with audio in the recordings store."""
    found = {
        ref.stream_id
        for info in recording_store(request).list_objects(meeting_prefix(meeting_id))
        if (ref := parse_chunk_key(info.key)) is not None and ref.meeting_id == meeting_id
    }
    return sorted(found)


@router.post(
    "/{meeting_id}/retranscriptions",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=RetranscriptionOut,
    responses={
        403: {"description": "Only the owner re-transcribes."},
        409: {"description": "Audio streams in, a job runs, or no audio is archived."},
        422: {"description": "The model is not installed, or cannot transcribe the language."},
        503: {"description": "Kafka did not confirm the job."},
    },
)
def create_retranscription(
    body: RetranscriptionIn,
    meeting: MeetingDep,
    principal: PrincipalDep,
    runtime: RuntimeDep,
    session: SessionDep,
    request: Request,
) -> RetranscriptionOut:
    """Transcribe the meeting's archived audio again with `model`; once done, the new
    transcript replaces the old one (corrections of the old segments are not carried over)."""
    if meeting.owner_id != principal.user_id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, ONLY_OWNER)
    models = installed_models()
    if body.model not in models:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"model {body.model!r} is not installed; installed: {', '.join(models) or 'none'}",
        )
    language = _language(meeting, body)
    if store.meeting_streaming(session, meeting.id):
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            "audio is streaming into the meeting; re-transcribe once nobody is speaking",
        )
    running = session.scalar(
        select(Retranscription.id).where(
            Retranscription.meeting_id == meeting.id, Retranscription.status.in_(ACTIVE)
        )
    )
    if running is not None:
        raise HTTPException(
            status.HTTP_409_CONFLICT, f"re-transcription {running} of this meeting is running"
        )
    streams = archived_streams(request, meeting.id)
    if not streams:
        raise HTTPException(
            status.HTTP_409_CONFLICT, "the meeting has no archived audio to transcribe again"
        )
    job = Retranscription(
        id=new_id("rtx"),
        meeting_id=meeting.id,
        requested_by=principal.user_id,
        model=body.model,
        language=language,
        streams=streams,
        status="queued",
        progress=0.0,
    )
    session.add(job)
    session.flush()
    copy_streams(session, meeting.id, job.id, streams)
    runtime.producer.publish(
        RetranscriptionRequested(
            job_id=job.id,
            meeting_id=meeting.id,
            model=body.model,
            language=language,
            streams=_speakers(session, meeting.id, streams),
            requested_by=principal.user_id,
        )
    )
    if runtime.producer.flush(10.0) > 0:
        session.rollback()
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "Kafka did not confirm the job; try again"
        )
    session.commit()
    session.refresh(job)
    log.info(
        "meeting %s: re-transcription %s with %s of %d streams",
        meeting.id,
        job.id,
        body.model,
        len(streams),
    )
    return job_out(job)


@router.get("/{meeting_id}/retranscriptions", response_model=RetranscriptionListOut)
def list_retranscriptions(meeting: MeetingDep, session: SessionDep) -> RetranscriptionListOut:
    """The meeting's re-transcriptions, newest first, and the models one may use."""
    jobs = session.scalars(
        select(Retranscription)
        .where(Retranscription.meeting_id == meeting.id)
        .order_by(Retranscription.created_at.desc(), Retranscription.id)
    )
    return RetranscriptionListOut(
        meeting_id=meeting.id,
        models=installed_models(),
        retranscriptions=[job_out(job) for job in jobs],
    )


@router.get("/{meeting_id}/retranscriptions/{job_id}", response_model=RetranscriptionOut)
def get_retranscription(
    job_id: JobId, meeting: MeetingDep, session: SessionDep
) -> RetranscriptionOut:
    """One re-transcription: its status and progress."""
    job = session.get(Retranscription, job_id)
    if job is None or job.meeting_id != meeting.id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such re-transcription")
    return job_out(job)
