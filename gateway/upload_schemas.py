"""Request and response bodies of the upload routes (gateway/uploads.py)."""

from __future__ import annotations

from datetime import datetime

from fastapi import HTTPException, status
from pydantic import BaseModel, Field

from gateway.upload_parts import UploadStatus
from vori.db.tables import RecordingUpload

# A multipart form's yes/no field (`end`, `room`): its words for true and false.
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


class UploadIn(BaseModel):
    """A recording about to be uploaded in parts."""

    filename: str = Field(min_length=1, max_length=300, description="The file's name.")
    size_bytes: int = Field(gt=0, description="The file's size; the upload ends at this byte.")
    end: bool = Field(
        False,
        description="End the meeting once the recording is transcribed (the owner only; "
        "skipped while audio streams in).",
    )
    room: bool = Field(
        False,
        strict=True,  # true or false only: "yes" or 1 is refused rather than guessed
        description="A room recording: several people on one microphone. The transcript "
        "tells their voices apart ('Room 1', 'Room 2', ...) instead of naming the uploader.",
    )


class UploadOut(BaseModel):
    """An upload: how much of it is here, and how far its transcription is."""

    upload_id: str
    meeting_id: str
    filename: str
    size_bytes: int
    offset: int = Field(description="Bytes received: the next part starts here.")
    part_max_bytes: int = Field(description="The largest part one PATCH may carry.")
    status: UploadStatus
    progress: float = Field(description="Share of the recording transcribed (0-1).")
    error: str | None = None
    end: bool = Field(description="Whether the meeting ends once it is transcribed.")
    room: bool = Field(description="Whether the transcript tells the voices apart.")
    uploaded_by: str
    created_at: datetime
    updated_at: datetime


class UploadListOut(BaseModel):
    meeting_id: str
    uploads: list[UploadOut] = Field(description="The meeting's uploads, newest first.")


class OffsetConflictOut(BaseModel):
    detail: str
    offset: int = Field(description="Bytes received: send the part that starts here.")


def upload_out(upload: RecordingUpload, part_max: int) -> UploadOut:
    """An upload's row as the API answers it."""
    return UploadOut(
        upload_id=upload.id,
        meeting_id=upload.meeting_id,
        filename=upload.filename,
        size_bytes=upload.size_bytes,
        offset=upload.received_bytes,
        part_max_bytes=part_max,
        status=upload.status,
        progress=upload.progress,
        error=upload.error,
        end=upload.end_meeting,
        room=upload.room,
        uploaded_by=upload.uploaded_by,
        created_at=upload.created_at,
        updated_at=upload.updated_at,
    )


def form_flag(value: str, name: str) -> bool:
    """A yes/no field of the multipart form (absent: ""); 422 naming it otherwise."""
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"{name} must be true or false")
