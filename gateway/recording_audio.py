"""Playback beyond one stream's chunks: every stream of a meeting mixed on the meeting
clock, and an uploaded recording served as it was sent.

Both go through the meeting's access check like every recording route (outsiders get
404) and read the store themselves, so there is still no object URL to guess. The mix
is made here rather than in the browser: the player then plays one ordinary WAV per
window in an `<audio>` element, the same way in every browser (headless Chromium
included), with no WebAudio graph to keep in step across streams; the mixing itself is
the pure `gateway.mixing`.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Path, Query, Request, Response, status
from fastapi.responses import StreamingResponse

from gateway.byte_ranges import slices_over_parts
from gateway.deps import MeetingDep, SessionDep
from gateway.mixing import Piece, mix, wav
from gateway.recordings import (
    NO_RECORDING,
    checked_range,
    recording_store,
    stream_offsets,
)
from gateway.upload_storage import find_upload
from vori.audio import SAMPLE_RATE
from vori.objectstore import ObjectStore
from vori.recordings import chunk_key, decode_flac, meeting_prefix, parse_chunk_key
from vori.settings import Settings
from vori.uploads import part_offset

router = APIRouter(prefix="/api/v1/meetings", tags=["recordings"])

MAX_MIX_S = 120.0
WAV_TYPE = "audio/wav"
# Magic numbers of the containers PyAV most often meets, for files named without a
# telling extension.
_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"RIFF", "audio/wav"),
    (0, b"fLaC", "audio/flac"),
    (0, b"OggS", "audio/ogg"),
    (0, b"ID3", "audio/mpeg"),
    (0, b"\x1a\x45\xdf\xa3", "audio/webm"),
    (4, b"ftyp", "audio/mp4"),
)


def audio_type(filename: str, head: bytes) -> str:
    """The content type of an uploaded file: from its first bytes, else its name."""
    for at, magic, media in _SIGNATURES:
        if head[at : at + len(magic)] == magic:
            return media
    if head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "audio/mpeg"
    guessed, _ = mimetypes.guess_type(filename)
    return guessed or "application/octet-stream"


@router.get(
    "/{meeting_id}/recordings/mix",
    name="recording_mix",
    response_class=Response,
    responses={
        200: {"content": {WAV_TYPE: {}}, "description": "The window, every stream summed."},
        404: {"description": "No such meeting for the caller."},
        422: {"description": "A window that is empty, negative or too long."},
    },
)
def recording_mix(
    meeting: MeetingDep,
    session: SessionDep,
    request: Request,
    start: Annotated[float, Query(alias="from", ge=0, description="Meeting-clock seconds.")],
    end: Annotated[float, Query(alias="to", gt=0, description="Meeting-clock seconds.")],
) -> Response:
    """Seconds `from`..`to` of the meeting clock with every archived stream summed at its
    offset (silence where nobody was recorded), as 16 kHz mono WAV."""
    if not 0 < end - start <= MAX_MIX_S:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"the window must be longer than 0 and at most {MAX_MIX_S:g} s",
        )
    first, last = round(start * SAMPLE_RATE), round(end * SAMPLE_RATE)
    settings: Settings = request.app.state.settings
    pieces = _pieces(
        recording_store(request),
        meeting.id,
        stream_offsets(session, meeting),
        first,
        last,
        settings.recordings.chunk_s * SAMPLE_RATE,
    )
    return Response(
        wav(mix(pieces, first, last - first)),
        media_type=WAV_TYPE,
        headers={"Cache-Control": "private, max-age=30"},
    )


def _pieces(
    store: ObjectStore,
    meeting_id: str,
    offsets: dict[str, float],
    first: int,
    last: int,
    chunk_samples: int,
) -> list[Piece]:
    """The decoded chunks of every stream that overlap meeting samples `[first, last)`."""
    starts: dict[str, list[int]] = {}
    for info in store.list_objects(meeting_prefix(meeting_id)):
        ref = parse_chunk_key(info.key)
        if ref is not None and ref.meeting_id == meeting_id:
            starts.setdefault(ref.stream_id, []).append(ref.start_sample)
    pieces: list[Piece] = []
    for stream_id, found in starts.items():
        found.sort()
        shift = round(offsets.get(stream_id, 0.0) * SAMPLE_RATE)
        for index, chunk_start in enumerate(found):
            following = found[index + 1] if index + 1 < len(found) else None
            chunk_end = following if following is not None else chunk_start + chunk_samples
            if shift + chunk_end <= first or shift + chunk_start >= last:
                continue
            data = store.read(chunk_key(meeting_id, stream_id, chunk_start))
            if data:
                pieces.append(Piece(shift + chunk_start, decode_flac(data)))
    return pieces


@router.get(
    "/{meeting_id}/uploads/{upload_id}/audio",
    name="upload_audio",
    response_class=Response,
    responses={
        200: {"description": "The uploaded file, as it was sent."},
        206: {"description": "The requested byte range."},
        404: {"description": "No such meeting for the caller, or no such upload."},
        409: {"description": "The upload is not whole yet."},
        416: {"description": "A range outside the file."},
    },
)
def upload_audio(
    meeting: MeetingDep,
    session: SessionDep,
    upload_id: Annotated[str, Path(max_length=64)],
    request: Request,
    range_header: Annotated[str | None, Header(alias="Range")] = None,
) -> Response:
    """An uploaded recording's bytes across its parts; honours a single `Range: bytes=a-b`."""
    upload = find_upload(session, meeting.id, upload_id, lock=False)
    if upload.status == "receiving":
        raise HTTPException(status.HTTP_409_CONFLICT, "the upload is not whole yet")
    keys: list[str] = list(upload.parts)
    size, filename = upload.received_bytes, upload.filename
    session.close()  # the bytes are streamed after this; no transaction held meanwhile
    if not keys or size <= 0:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NO_RECORDING)
    store = recording_store(request)
    head = store.read(keys[0], 0, 16)
    if head is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NO_RECORDING)
    headers = {
        "Accept-Ranges": "bytes",
        "Cache-Control": "private, max-age=300",
        "Content-Disposition": "inline",
    }
    first, last = (0, size - 1) if range_header is None else checked_range(range_header, size)
    slices = slices_over_parts([part_offset(key) for key in keys], size, first, last)

    def body() -> Iterator[bytes]:
        for piece in slices:
            data = store.read(keys[piece.index], piece.start, piece.length)
            if data is None or len(data) != piece.length:
                # Deleted (the meeting, by the archiver) while it was being sent.
                raise RuntimeError(f"upload {upload_id} part {piece.index} is gone")
            yield data

    headers["Content-Length"] = str(last - first + 1)
    code = status.HTTP_200_OK
    if range_header is not None:
        code = status.HTTP_206_PARTIAL_CONTENT
        headers["Content-Range"] = f"bytes {first}-{last}/{size}"
    return StreamingResponse(
        body(), status_code=code, media_type=audio_type(filename, head), headers=headers
    )
