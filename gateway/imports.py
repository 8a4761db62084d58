"""`POST /api/v1/meetings/{id}/transcript`: a VTT, SRT or JSON transcript as final segments.

The segments go to `transcript.segments` like the transcriber's, so the gateway stores them
and the summarizer summarises them and proposes their tasks as if they had been spoken;
then the meeting ends (unless audio is streaming into it), which makes the summary final.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, status
from pydantic import BaseModel, Field
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from gateway.deps import MeetingDep, PrincipalDep, RuntimeDep, SessionDep
from gateway.meetings import ONLY_OWNER
from gateway.runtime import GatewayRuntime
from gateway.store import meeting_streaming
from gateway.transcript_import import (
    ImportedCue,
    ImportFormat,
    TranscriptFormatError,
    detect_format,
    imported_segments,
    parse_transcript,
)
from vori.db.tables import Meeting, MeetingMember, User
from vori.events import MeetingEvent

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/meetings", tags=["transcripts"])


class TranscriptImportOut(BaseModel):
    """What an import published; the stored transcript follows within moments."""

    meeting_id: str
    format: ImportFormat
    segments: int = Field(description="Final segments published (a re-import repeats the ids).")
    speakers: list[str] = Field(description="Speaker names found, in order of first cue.")
    unattributed: int = Field(description="Segments without a speaker name.")
    ended: bool = Field(description="Whether the meeting is ended after this import.")


def _members_by_name(session: Session, meeting_id: str) -> dict[str, str]:
    rows = session.execute(
        select(User.display_name, User.id)
        .join(MeetingMember, MeetingMember.user_id == User.id)
        .where(MeetingMember.meeting_id == meeting_id)
    )
    return {name.casefold(): user_id for name, user_id in rows}


def _decode(body: bytes) -> str:
    try:
        if body.startswith((b"\xff\xfe", b"\xfe\xff")):
            return body.decode("utf-16")
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, "the transcript must be UTF-8 (or UTF-16 with a BOM) text"
        ) from None


@router.post(
    "/{meeting_id}/transcript",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=TranscriptImportOut,
    responses={
        400: {"description": "Not text, or an empty body."},
        403: {"description": "Only the meeting's owner imports."},
        413: {"description": "Larger than the gateway's body limit."},
        422: {"description": "Not valid VTT/SRT/JSON; the message names the line."},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/vtt": {"schema": {"type": "string"}},
                "application/x-subrip": {"schema": {"type": "string"}},
                "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
            },
        }
    },
)
async def import_transcript(
    request: Request,
    meeting: MeetingDep,
    principal: PrincipalDep,
    runtime: RuntimeDep,
    session: SessionDep,
    format: Annotated[
        ImportFormat | None,
        Query(description="vtt, srt or json; by default from Content-Type, else sniffed"),
    ] = None,
    end: Annotated[
        bool, Query(description="End the meeting afterwards (skipped while audio streams in)")
    ] = True,
) -> TranscriptImportOut:
    """Import a transcript file (the owner only) as the meeting's final segments."""
    if meeting.owner_id != principal.user_id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, ONLY_OWNER)
    body = await request.body()  # the body-limit middleware answers 413 past the cap
    text = _decode(body)
    if not text.strip():
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "empty transcript")
    fmt = format or detect_format(text, request.headers.get("content-type"))
    try:
        cues = parse_transcript(text, fmt)
    except TranscriptFormatError as exc:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"{fmt.upper()}: {exc}"
        ) from None
    # Database and Kafka waits block: off the event loop.
    return await run_in_threadpool(_publish_import, runtime, session, meeting, cues, fmt, end)


def _publish_import(
    runtime: GatewayRuntime,
    session: Session,
    meeting: Meeting,
    cues: list[ImportedCue],
    fmt: ImportFormat,
    end: bool,
) -> TranscriptImportOut:
    segments = imported_segments(
        meeting.id,
        cues,
        language=meeting.language,
        members=_members_by_name(session, meeting.id),
        fmt=fmt,
    )
    for segment in segments:
        runtime.producer.publish(segment)
    if runtime.producer.flush(10.0) > 0:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "Kafka did not confirm the segments; try again"
        )
    ended = meeting.ended_at is not None
    if end and not ended and not meeting_streaming(session, meeting.id):
        ended_at = session.scalar(
            update(Meeting)
            .where(Meeting.id == meeting.id, Meeting.ended_at.is_(None))
            .values(ended_at=datetime.now(UTC))
            .returning(Meeting.ended_at)
        )
        session.commit()
        if ended_at is not None:
            runtime.producer.publish(
                MeetingEvent(
                    type="ended", meeting_id=meeting.id, language=meeting.language, at=ended_at
                )
            )
            if runtime.producer.flush(5.0) > 0:
                log.warning("meeting %s: ended not yet confirmed by Kafka", meeting.id)
        ended = True
    speakers = list(dict.fromkeys(s.speaker for s in segments if s.speaker))
    log.info("meeting %s: imported %d segments from %s", meeting.id, len(segments), fmt)
    return TranscriptImportOut(
        meeting_id=meeting.id,
        format=fmt,
        segments=len(segments),
        speakers=speakers,
        unattributed=sum(1 for s in segments if not s.speaker),
        ended=ended,
    )
