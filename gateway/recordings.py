"""Playback of a meeting's recordings: each stream's chunks, served after the access check.

The archiver (stream_ingest.archive) writes the store; the gateway only reads it and
streams the bytes itself, so there is no object URL to guess or to share: a chunk is
reached through the meeting, and a caller who is not a member gets 404 as for any other
part of the meeting. Chunks are FLAC, served with HTTP Range support.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Path, Request, Response, status
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.byte_ranges import UnsatisfiableRangeError, byte_range
from gateway.deps import MeetingDep, PrincipalDep, SessionDep
from vori.db.tables import Meeting, MeetingStream, RecordingUpload, User
from vori.objectstore import ObjectStore, open_store
from vori.recordings import (
    CONTENT_TYPE,
    SAMPLE_RATE,
    STREAMINFO_BYTES,
    BadRecordingKeyError,
    chunk_key,
    flac_total_samples,
    meeting_prefix,
    parse_chunk_key,
    retention_days,
)
from vori.settings import Settings

router = APIRouter(prefix="/api/v1/meetings", tags=["recordings"])

NO_RECORDING = "no such recording"
StreamId = Annotated[str, Path(max_length=200)]


class ChunkOut(BaseModel):
    start_sample: int = Field(description="First sample of the chunk in stream time.")
    start: float = Field(description="Seconds of stream time where the chunk starts.")
    duration: float = Field(description="Seconds of audio in the chunk.")
    url: str = Field(description="The chunk's FLAC, with the same bearer token.")


class StreamRecordingOut(BaseModel):
    stream_id: str
    participant_id: str | None
    speaker: str | None
    offset: float = Field(
        description="Seconds of the meeting clock where the stream's time 0 is (the "
        "transcript's `meeting_start` minus `start`); the mix plays streams so aligned."
    )
    duration: float = Field(description="Seconds from the stream's start to its last sample.")
    chunks: list[ChunkOut]


class UploadAudioOut(BaseModel):
    upload_id: str
    filename: str
    size_bytes: int
    stream_prefix: str = Field(
        description="The transcript's streams of this upload start with it (one per channel); "
        "their `start`/`end` are seconds into the file."
    )
    url: str = Field(description="The file as uploaded, with Range support and the bearer token.")


class RecordingsOut(BaseModel):
    meeting_id: str
    sample_rate: int = SAMPLE_RATE
    content_type: str = CONTENT_TYPE
    retention_days: int = Field(description="Days kept after the meeting ended; 0: forever.")
    meeting_retention_days: int | None = Field(
        description="The meeting's own setting; null: the deployment's default."
    )
    streams: list[StreamRecordingOut]
    uploads: list[UploadAudioOut] = Field(
        description="Uploaded recordings received whole, playable as they were sent."
    )
    mix_url: str = Field(
        description="All streams mixed on the meeting clock, `?from=&to=` seconds, as WAV."
    )


class RetentionIn(BaseModel):
    days: int | None = Field(
        ge=0,
        le=36_500,
        description="Days to keep the audio after the meeting ended; 0: "
        "forever; null: the deployment's default.",
    )


def recording_store(request: Request) -> ObjectStore:
    """The recordings store, opened once per app."""
    store: ObjectStore | None = getattr(request.app.state, "recording_store", None)
    if store is None:
        settings: Settings = request.app.state.settings
        store = request.app.state.recording_store = open_store(settings)
    return store


def _chunk_samples(request: Request) -> int:
    settings: Settings = request.app.state.settings
    return settings.recordings.chunk_s * SAMPLE_RATE


@router.get("/{meeting_id}/recordings", response_model=RecordingsOut)
def list_recordings(meeting: MeetingDep, session: SessionDep, request: Request) -> RecordingsOut:
    """Each stream's archived chunks, in stream time (the transcript's `start`/`end`)."""
    store = recording_store(request)
    chunk_samples = _chunk_samples(request)
    starts: dict[str, list[int]] = {}
    for info in store.list_objects(meeting_prefix(meeting.id)):
        ref = parse_chunk_key(info.key)
        if ref is not None and ref.meeting_id == meeting.id:
            starts.setdefault(ref.stream_id, []).append(ref.start_sample)
    offsets = stream_offsets(session, meeting)
    participants = {stream_id: _participant(stream_id) for stream_id in starts}
    wanted = [p for p in participants.values() if p]
    names = {
        row.id: row.display_name
        for row in session.execute(select(User.id, User.display_name).where(User.id.in_(wanted)))
    }
    streams: list[StreamRecordingOut] = []
    for stream_id, found in sorted(starts.items()):
        found.sort()
        chunks: list[ChunkOut] = []
        for index, start in enumerate(found):
            following = found[index + 1] if index + 1 < len(found) else None
            if following is not None and following - start <= chunk_samples:
                samples = following - start
            else:
                head = store.read(chunk_key(meeting.id, stream_id, start), 0, STREAMINFO_BYTES)
                samples = flac_total_samples(head or b"") or 0
            chunks.append(
                ChunkOut(
                    start_sample=start,
                    start=start / SAMPLE_RATE,
                    duration=samples / SAMPLE_RATE,
                    url=str(
                        request.url_for(
                            "recording_chunk",
                            meeting_id=meeting.id,
                            stream_id=stream_id,
                            start_sample=start,
                        ).path
                    ),
                )
            )
        participant = participants[stream_id]
        streams.append(
            StreamRecordingOut(
                stream_id=stream_id,
                participant_id=participant,
                speaker=names.get(participant) if participant else None,
                offset=offsets.get(stream_id, 0.0),
                duration=(chunks[-1].start + chunks[-1].duration) if chunks else 0.0,
                chunks=chunks,
            )
        )
    settings: Settings = request.app.state.settings
    return RecordingsOut(
        meeting_id=meeting.id,
        retention_days=retention_days(
            settings.recordings.retention_days, meeting.recording_retention_days
        ),
        meeting_retention_days=meeting.recording_retention_days,
        streams=streams,
        uploads=[
            UploadAudioOut(
                upload_id=upload.id,
                filename=upload.filename,
                size_bytes=upload.received_bytes,
                stream_prefix=f"upload:{upload.id}:",
                url=str(
                    request.url_for("upload_audio", meeting_id=meeting.id, upload_id=upload.id).path
                ),
            )
            for upload in session.scalars(
                select(RecordingUpload)
                .where(
                    RecordingUpload.meeting_id == meeting.id,
                    RecordingUpload.status != "receiving",
                )
                .order_by(RecordingUpload.created_at)
            )
        ],
        mix_url=str(request.url_for("recording_mix", meeting_id=meeting.id).path),
    )


@router.get(
    "/{meeting_id}/recordings/{stream_id}/chunks/{start_sample}",
    name="recording_chunk",
    response_class=Response,
    responses={
        200: {"content": {CONTENT_TYPE: {}}, "description": "The whole chunk (FLAC)."},
        206: {"content": {CONTENT_TYPE: {}}, "description": "The requested byte range."},
        404: {"description": "No such meeting for the caller, stream or chunk."},
        416: {"description": "A range outside the chunk."},
    },
)
def recording_chunk(
    meeting: MeetingDep,
    stream_id: StreamId,
    start_sample: Annotated[int, Path(ge=0, le=10**12)],
    request: Request,
    range_header: Annotated[str | None, Header(alias="Range")] = None,
) -> Response:
    """One chunk of a stream's audio; honours a single `Range: bytes=a-b`."""
    try:
        key = chunk_key(meeting.id, stream_id, start_sample)
    except BadRecordingKeyError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NO_RECORDING) from None
    store = recording_store(request)
    info = store.stat(key)
    if info is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NO_RECORDING)
    headers = {
        "Accept-Ranges": "bytes",
        "Cache-Control": "private, max-age=300",
        "Content-Disposition": f'inline; filename="{start_sample:012d}.flac"',
    }
    if range_header is None:
        data = store.read(key)
        if data is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, NO_RECORDING)
        return Response(data, media_type=CONTENT_TYPE, headers=headers)
    first, last = checked_range(range_header, info.size)
    data = store.read(key, first, last - first + 1)
    if data is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NO_RECORDING)
    headers["Content-Range"] = f"bytes {first}-{first + len(data) - 1}/{info.size}"
    return Response(
        data, status_code=status.HTTP_206_PARTIAL_CONTENT, media_type=CONTENT_TYPE, headers=headers
    )


@router.put(
    "/{meeting_id}/recordings/retention",
    response_model=RecordingsOut,
    responses={403: {"description": "Only the owner sets the retention."}},
)
def set_retention(
    body: RetentionIn,
    meeting: MeetingDep,
    principal: PrincipalDep,
    session: SessionDep,
    request: Request,
) -> RecordingsOut:
    """How long this meeting's audio is kept (the owner only); the archiver applies it."""
    if meeting.owner_id != principal.user_id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only the meeting's owner can do this")
    meeting.recording_retention_days = body.days
    session.commit()
    return list_recordings(meeting, session, request)


def _participant(stream_id: str) -> str | None:
    parts = stream_id.split(":")
    return parts[1] if len(parts) == 3 else None


def stream_offsets(session: Session, meeting: Meeting) -> dict[str, float]:
    """Where each stream's time 0 is on the meeting clock, in seconds (as the transcript
    places its lines: the stream's first join after the meeting was created)."""
    rows = session.execute(
        select(MeetingStream.stream_id, MeetingStream.first_joined_at).where(
            MeetingStream.meeting_id == meeting.id
        )
    )
    return {
        stream_id: max(0.0, (joined - meeting.created_at).total_seconds())
        for stream_id, joined in rows
    }


def checked_range(header: str, size: int) -> tuple[int, int]:
    """First and last byte of a single range; 416 when it is not satisfiable."""
    try:
        return byte_range(header, size)
    except UnsatisfiableRangeError as exc:
        raise HTTPException(
            status.HTTP_416_RANGE_NOT_SATISFIABLE,
            str(exc),
            headers={"Content-Range": f"bytes */{size}"},
        ) from None
