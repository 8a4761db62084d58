"""`GET /api/v1/meetings/{id}/transcript` in json, txt, srt, vtt and md."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import exports
from gateway.corrections import latest_corrections, speaker_labels
from gateway.deps import MeetingDep, SessionDep
from gateway.meeting_clock import meeting_times, stream_offset
from gateway.schemas import SegmentOut, TranscriptOut
from vori.db.tables import Meeting, MeetingStream, TranscriptSegmentRow, User

router = APIRouter(prefix="/api/v1/meetings", tags=["transcripts"])

Format = Literal["json", "txt", "srt", "vtt", "md"]
MEDIA_TYPES = {
    "txt": "text/plain; charset=utf-8",
    "srt": "application/x-subrip; charset=utf-8",
    "vtt": "text/vtt; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
}


def transcript_lines(session: Session, meeting: Meeting) -> list[SegmentOut]:
    """The meeting's final segments on the meeting clock, speakers named, as members corrected
    them (the newest correction's text, the label of the segment's speaker key)."""
    segments = list(
        session.scalars(
            select(TranscriptSegmentRow).where(TranscriptSegmentRow.meeting_id == meeting.id)
        )
    )
    streams = {
        stream.stream_id: stream
        for stream in session.scalars(
            select(MeetingStream).where(MeetingStream.meeting_id == meeting.id)
        )
    }
    participant_ids = {s.participant_id for s in segments if s.participant_id}
    names = {
        user_id: name
        for user_id, name in session.execute(
            select(User.id, User.display_name).where(User.id.in_(participant_ids))
        )
    }
    corrections = latest_corrections(session, meeting.id)
    labels = speaker_labels(session, meeting.id)
    lines = []
    for segment in segments:
        stream = streams.get(segment.stream_id)
        offset = 0.0
        if stream is not None:
            offset = stream_offset(meeting.created_at, stream.first_joined_at)
        meeting_start, meeting_end = meeting_times(offset, segment.start, segment.end)
        correction = corrections.get(segment.id)
        speaker = (
            labels.get(segment.speaker_id or segment.stream_id)
            or segment.speaker
            or (stream.participant_name if stream else None)
            or names.get(segment.participant_id or "")
            or exports.UNKNOWN_SPEAKER
        )
        lines.append(
            SegmentOut(
                id=segment.id,
                stream_id=segment.stream_id,
                participant_id=segment.participant_id,
                speaker=speaker,
                speaker_id=segment.speaker_id,
                start=segment.start,
                end=segment.end,
                meeting_start=meeting_start,
                meeting_end=meeting_end,
                text=correction.text if correction else segment.text,
                # Word timings belong to the transcribed words, not to a corrected text.
                words=[] if correction else list(segment.words or []),
                language=segment.language,
                confidence=segment.confidence,
                edited=correction is not None,
                original_text=segment.text if correction else None,
                correction_version=correction.version if correction else 0,
            )
        )
    return exports.place_on_meeting_clock(lines)


@router.get(
    "/{meeting_id}/transcript",
    response_model=TranscriptOut,
    responses={
        200: {
            "content": {media.split(";")[0]: {} for media in MEDIA_TYPES.values()},
            "description": "The transcript in the requested format.",
        }
    },
)
def get_transcript(
    meeting: MeetingDep,
    session: SessionDep,
    format: Annotated[Format, Query(description="json, txt, srt, vtt or md")] = "json",
) -> TranscriptOut | Response:
    """The final segments stored so far, in meeting order, with speakers and times."""
    lines = transcript_lines(session, meeting)
    if format == "json":
        return TranscriptOut(
            meeting_id=meeting.id,
            title=meeting.title,
            language=meeting.language,
            segments=lines,
        )
    if format == "txt":
        body = exports.to_txt(lines)
    elif format == "srt":
        body = exports.to_srt(lines)
    elif format == "vtt":
        body = exports.to_vtt(lines)
    else:
        started = exports.local_stamp(meeting.created_at, meeting.time_zone)
        body = exports.to_markdown(meeting.title, started, lines)
    return Response(
        body,
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{meeting.id}.{format}"'},
    )
