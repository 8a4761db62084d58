"""Uploading a recording to a meeting: resumable in parts (tus-like), or one multipart POST.

`POST .../uploads` declares a file; each `PATCH .../uploads/{id}` with `Upload-Offset: N`
carries the next part, stored as one object of the recordings store (vori.uploads), so any
gateway process can take the next part and a retry after a lost reply changes nothing
(gateway.upload_parts decides). `POST .../recordings` takes a whole file as multipart and
cuts it into the same parts as it streams in. When the last byte is stored, the upload is
announced on `recordings.uploaded` (confirmed by Kafka, else 503 and it stays
`receiving`) for the batch transcriber, whose progress the persistence consumer applies.

This module is the HTTP side (headers, limits, the multipart form); the parts' storage and
the announcement are gateway.upload_storage, the bodies gateway.upload_schemas.
"""

from __future__ import annotations

import logging
import re
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Path, Request, Response, status
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from gateway.body_limit import RouteLimit
from gateway.deps import MeetingDep, PrincipalDep, RuntimeDep, SessionDep
from gateway.meetings import ONLY_OWNER
from gateway.recordings import recording_store
from gateway.runtime import GatewayRuntime
from gateway.upload_multipart import Field as FormField
from gateway.upload_multipart import (
    FileData,
    FileStart,
    MultipartError,
    MultipartReader,
    boundary_of,
)
from gateway.upload_parts import Refused
from gateway.upload_schemas import (
    OffsetConflictOut,
    UploadIn,
    UploadListOut,
    UploadOut,
    form_flag,
    upload_out,
)
from gateway.upload_storage import OFFSET_HEADER, PartWriter, announce, find_upload, take_part
from vori.auth import new_id
from vori.db.tables import Meeting, RecordingUpload
from vori.settings import GatewaySettings

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/meetings", tags=["uploads"])

# Room for the multipart boundaries and part headers around the file's bytes.
MULTIPART_OVERHEAD = 64 * 1024
UploadId = Annotated[str, Path(max_length=40)]


def body_limits(gateway: GatewaySettings) -> list[RouteLimit]:
    """The body caps of the upload routes, in place of the gateway's global one."""
    return [
        RouteLimit(
            "PATCH",
            re.compile(r"/api/v1/meetings/[^/]+/uploads/[^/]+"),
            gateway.upload_part_max_bytes,
        ),
        RouteLimit(
            "POST",
            re.compile(r"/api/v1/meetings/[^/]+/recordings"),
            gateway.upload_max_bytes + MULTIPART_OVERHEAD,
        ),
    ]


def _part_max(runtime: GatewayRuntime) -> int:
    return runtime.settings.gateway.upload_part_max_bytes


def _check_size(runtime: GatewayRuntime, size: int) -> None:
    limit = runtime.settings.gateway.upload_max_bytes
    if size > limit:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE,
            f"the recording is {size} bytes; uploads are at most {limit} bytes",
        )


def _check_end(meeting: Meeting, user_id: str, end: bool) -> None:
    if end and meeting.owner_id != user_id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"end: {ONLY_OWNER}")


@router.post(
    "/{meeting_id}/uploads",
    status_code=status.HTTP_201_CREATED,
    response_model=UploadOut,
    responses={
        403: {"description": "`end` asked by someone other than the owner."},
        413: {"description": "Larger than the gateway's upload limit."},
    },
)
def create_upload(
    body: UploadIn,
    meeting: MeetingDep,
    principal: PrincipalDep,
    runtime: RuntimeDep,
    session: SessionDep,
) -> UploadOut:
    """Declare a recording to upload in parts; PATCH its bytes from `offset` on."""
    _check_size(runtime, body.size_bytes)
    _check_end(meeting, principal.user_id, body.end)
    upload = RecordingUpload(
        id=new_id("upl"),
        meeting_id=meeting.id,
        uploaded_by=principal.user_id,
        filename=body.filename,
        size_bytes=body.size_bytes,
        received_bytes=0,
        parts=[],
        status="receiving",
        progress=0.0,
        end_meeting=body.end,
        room=body.room,
    )
    session.add(upload)
    session.commit()
    session.refresh(upload)
    log.info("meeting %s: upload %s of %d bytes begins", meeting.id, upload.id, body.size_bytes)
    return upload_out(upload, _part_max(runtime))


@router.get("/{meeting_id}/uploads", response_model=UploadListOut)
def list_uploads(meeting: MeetingDep, runtime: RuntimeDep, session: SessionDep) -> UploadListOut:
    """The meeting's uploads, newest first."""
    uploads = session.scalars(
        select(RecordingUpload)
        .where(RecordingUpload.meeting_id == meeting.id)
        .order_by(RecordingUpload.created_at.desc(), RecordingUpload.id)
    )
    part_max = _part_max(runtime)
    return UploadListOut(meeting_id=meeting.id, uploads=[upload_out(u, part_max) for u in uploads])


@router.get(
    "/{meeting_id}/uploads/{upload_id}",
    response_model=UploadOut,
    responses={404: {"description": "No such meeting for the caller, or no such upload."}},
)
def get_upload(
    upload_id: UploadId,
    meeting: MeetingDep,
    runtime: RuntimeDep,
    session: SessionDep,
    response: Response,
) -> UploadOut:
    """An upload's offset (where to resume), status and transcription progress."""
    upload = find_upload(session, meeting.id, upload_id, lock=False)
    response.headers[OFFSET_HEADER] = str(upload.received_bytes)
    response.headers["Cache-Control"] = "no-store"
    return upload_out(upload, _part_max(runtime))


def _offset_header(value: str | None) -> int:
    if value is None:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"the {OFFSET_HEADER} header is required")
    if not value.strip().isdigit():
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, f"{OFFSET_HEADER} must be a non-negative integer"
        )
    return int(value)


async def _read_part(request: Request, limit: int) -> bytes:
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > limit:
            raise HTTPException(
                status.HTTP_413_CONTENT_TOO_LARGE, f"a part is at most {limit} bytes"
            )
    return bytes(data)


@router.patch(
    "/{meeting_id}/uploads/{upload_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses={
        204: {"description": "Stored; `Upload-Offset` is where the next part starts."},
        400: {"description": "No or a bad `Upload-Offset`, or an empty part."},
        404: {"description": "No such meeting for the caller, or no such upload."},
        409: {"model": OffsetConflictOut, "description": "Not the upload's offset."},
        413: {"description": "A part over the part limit, or past the declared size."},
        503: {"description": "The store or Kafka did not confirm; send the part again."},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/offset+octet-stream": {
                    "schema": {"type": "string", "format": "binary"}
                }
            },
        }
    },
)
async def upload_part(
    upload_id: UploadId,
    request: Request,
    meeting: MeetingDep,
    runtime: RuntimeDep,
    session: SessionDep,
    upload_offset: Annotated[
        str | None,
        Header(alias=OFFSET_HEADER, description="The byte of the file this part starts at."),
    ] = None,
) -> Response:
    """Store the next part of an upload; a part sent again (a retry) is acknowledged."""
    offset = _offset_header(upload_offset)
    part_max = _part_max(runtime)
    data = await _read_part(request, part_max)
    store = recording_store(request)
    received = await run_in_threadpool(
        take_part, runtime, store, session, meeting, upload_id, offset, data
    )
    if isinstance(received, Refused):
        headers = {OFFSET_HEADER: str(received.received)}
        if received.status == status.HTTP_409_CONFLICT:
            body = OffsetConflictOut(detail=received.reason, offset=received.received)
            return JSONResponse(body.model_dump(), status.HTTP_409_CONFLICT, headers=headers)
        raise HTTPException(received.status, received.reason, headers=headers)
    return Response(status_code=status.HTTP_204_NO_CONTENT, headers={OFFSET_HEADER: str(received)})


# -- one-shot multipart ------------------------------------------------------------------


@router.post(
    "/{meeting_id}/recordings",
    status_code=status.HTTP_201_CREATED,
    response_model=UploadOut,
    responses={
        400: {"description": "Not multipart, no `file` field, or an empty file."},
        403: {"description": "`end` asked by someone other than the owner."},
        413: {"description": "Larger than the gateway's upload limit."},
        503: {"description": "The store or Kafka did not confirm; upload again."},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "end": {"type": "boolean", "default": False},
                            "room": {"type": "boolean", "default": False},
                        },
                    }
                }
            },
        }
    },
)
async def upload_recording(
    request: Request,
    meeting: MeetingDep,
    principal: PrincipalDep,
    runtime: RuntimeDep,
    session: SessionDep,
) -> UploadOut:
    """Upload a whole recording in one multipart request (`file`, `end` and `room`)."""
    try:
        reader = MultipartReader(boundary_of(request.headers.get("content-type")))
    except MultipartError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    upload_id = new_id("upl")
    store = recording_store(request)
    receiver = PartWriter(
        store,
        meeting.id,
        upload_id,
        runtime.settings.gateway.upload_part_max_bytes,
        runtime.settings.gateway.upload_max_bytes,
    )
    fields: dict[str, str] = {}
    filename: str | None = None
    try:
        async for chunk in request.stream():
            try:
                events = reader.feed(chunk)
            except MultipartError as exc:
                raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
            for event in events:
                if isinstance(event, FileStart):
                    if filename is not None:
                        raise HTTPException(status.HTTP_400_BAD_REQUEST, "one `file` per upload")
                    filename = event.filename or "recording"
                elif isinstance(event, FileData):
                    await receiver.add(event.data)
                elif isinstance(event, FormField):
                    fields[event.name] = event.value
                    if event.name == "end":  # refused before the file, if it comes first
                        _check_end(meeting, principal.user_id, form_flag(event.value, "end"))
                    elif event.name == "room":
                        form_flag(event.value, "room")
        try:
            reader.finish()
        except MultipartError as exc:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
        if filename is None:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "no `file` field in the form")
        end = form_flag(fields.get("end", ""), "end")
        _check_end(meeting, principal.user_id, end)
        room = form_flag(fields.get("room", ""), "room")
        await receiver.close()
        if receiver.size == 0:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "the file is empty")
    except BaseException:
        await run_in_threadpool(receiver.discard)
        raise
    upload = RecordingUpload(
        id=upload_id,
        meeting_id=meeting.id,
        uploaded_by=principal.user_id,
        filename=filename[:300],
        size_bytes=receiver.size,
        received_bytes=receiver.size,
        parts=receiver.keys,
        status="receiving",
        progress=0.0,
        end_meeting=end,
        room=room,
    )
    return await run_in_threadpool(_register, runtime, session, upload)


def _register(runtime: GatewayRuntime, session: Session, upload: RecordingUpload) -> UploadOut:
    session.add(upload)
    session.commit()
    announce(runtime, session, upload.id)
    session.refresh(upload)
    return upload_out(upload, _part_max(runtime))
