"""An upload's parts into the recordings store and its row, and a whole upload announced.

The storage half of the upload routes (gateway/uploads.py): each part is one object of the
recordings store (vori.uploads), the row's lock orders the parts of one upload across
gateway processes (gateway.upload_parts decides what a part does), and the last byte
publishes `recordings.uploaded`. `take_part` and `announce` block (the routes call them in
the thread pool); `PartWriter` stores a streamed file's parts as they fill.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from fastapi import HTTPException, status
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from gateway.runtime import GatewayRuntime
from gateway.upload_parts import AlreadyStored, Received, Refused, StorePart, plan_part
from vori.db.tables import Meeting, RecordingUpload, User
from vori.events import RecordingUploaded
from vori.objectstore import ObjectStore, ObjectStoreUnavailableError
from vori.uploads import PART_CONTENT_TYPE, part_key, part_offset, upload_prefix

log = logging.getLogger(__name__)

UPLOAD_NOT_FOUND = "upload not found"
OFFSET_HEADER = "Upload-Offset"


def unavailable(exc: ObjectStoreUnavailableError) -> HTTPException:
    """The answer when the recordings store is away: 503, try again."""
    log.warning("upload: recordings store unavailable: %s", exc)
    return HTTPException(
        status.HTTP_503_SERVICE_UNAVAILABLE, "the recordings store is unavailable; try again"
    )


def find_upload(
    session: Session, meeting_id: str, upload_id: str, *, lock: bool
) -> RecordingUpload:
    """A meeting's upload (its row locked with `lock`), or 404."""
    query = select(RecordingUpload).where(
        RecordingUpload.id == upload_id, RecordingUpload.meeting_id == meeting_id
    )
    upload = session.scalar(query.with_for_update() if lock else query)
    if upload is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, UPLOAD_NOT_FOUND)
    return upload


def take_part(
    runtime: GatewayRuntime,
    store: ObjectStore,
    session: Session,
    meeting: Meeting,
    upload_id: str,
    offset: int,
    data: bytes,
) -> int | Refused:
    """Store one PATCHed part of an upload (a retried one is acknowledged); the offset
    received after it, or why it is refused. Announces the upload when it is whole."""
    # The row lock orders the parts of one upload across gateway processes.
    upload = find_upload(session, meeting.id, upload_id, lock=True)
    keys = list(upload.parts)
    state = Received(upload.size_bytes, tuple(part_offset(k) for k in keys), upload.received_bytes)
    plan = plan_part(state, offset, len(data), runtime.settings.gateway.upload_part_max_bytes)
    if isinstance(plan, Refused):
        session.rollback()
        return plan
    if isinstance(plan, StorePart):
        key = part_key(meeting.id, upload.id, plan.offset)
        try:
            store.put(key, data, PART_CONTENT_TYPE)
        except ObjectStoreUnavailableError as exc:
            session.rollback()
            raise unavailable(exc) from None
        upload.parts = [*keys, key]
        upload.received_bytes = plan.received
        upload.updated_at = datetime.now(UTC)
    else:
        assert isinstance(plan, AlreadyStored)
    received = upload.received_bytes
    session.commit()
    if received >= upload.size_bytes:
        announce(runtime, session, upload.id)
    return received


def announce(runtime: GatewayRuntime, session: Session, upload_id: str) -> None:
    """Publish a whole upload for the batch transcriber and mark it queued (once confirmed).

    Idempotent: an upload already announced is left alone; one whose announcement Kafka
    did not confirm is announced again by the next PATCH at its final offset.
    """
    upload = session.get(RecordingUpload, upload_id, populate_existing=True)
    if upload is None or upload.status != "receiving" or upload.received_bytes < upload.size_bytes:
        return
    meeting = session.get(Meeting, upload.meeting_id)
    uploader = session.get(User, upload.uploaded_by)
    assert meeting is not None
    runtime.producer.publish(
        RecordingUploaded(
            upload_id=upload.id,
            meeting_id=upload.meeting_id,
            prefix=upload_prefix(upload.meeting_id, upload.id),
            parts=list(upload.parts),
            size_bytes=upload.size_bytes,
            filename=upload.filename,
            language=None if meeting.language == "auto" else meeting.language,
            uploaded_by=upload.uploaded_by,
            uploader_name=uploader.display_name if uploader else None,
            room=upload.room,
            accuracy=meeting.accuracy,
        )
    )
    if runtime.producer.flush(10.0) > 0:
        session.rollback()
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "Kafka did not confirm the upload; PATCH an empty part at Upload-Offset "
            f"{upload.size_bytes} to try again",
            headers={OFFSET_HEADER: str(upload.received_bytes)},
        )
    # Only from `receiving`: the batch transcriber's first report may already be stored.
    session.execute(
        update(RecordingUpload)
        .where(RecordingUpload.id == upload.id, RecordingUpload.status == "receiving")
        .values(status="queued", updated_at=datetime.now(UTC))
    )
    session.commit()
    log.info(
        "meeting %s: upload %s complete (%d bytes in %d parts), queued",
        upload.meeting_id,
        upload.id,
        upload.size_bytes,
        len(upload.parts),
    )


class PartWriter:
    """Cuts a streamed file into parts of `part_max` bytes and stores each as it fills."""

    def __init__(
        self, store: ObjectStore, meeting_id: str, upload_id: str, part_max: int, size_max: int
    ) -> None:
        self.store = store
        self.meeting_id = meeting_id
        self.upload_id = upload_id
        self.part_max = part_max
        self.size_max = size_max
        self.size = 0
        self.keys: list[str] = []
        self._buffer = bytearray()
        self._stored = 0

    async def add(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.size_max:
            raise HTTPException(
                status.HTTP_413_CONTENT_TOO_LARGE,
                f"the recording is over the upload limit of {self.size_max} bytes",
            )
        self._buffer += data
        while len(self._buffer) >= self.part_max:
            await self._store(bytes(self._buffer[: self.part_max]))
            del self._buffer[: self.part_max]

    async def close(self) -> None:
        if self._buffer:
            await self._store(bytes(self._buffer))
            self._buffer.clear()

    async def _store(self, data: bytes) -> None:
        key = part_key(self.meeting_id, self.upload_id, self._stored)
        try:
            await run_in_threadpool(self.store.put, key, data, PART_CONTENT_TYPE)
        except ObjectStoreUnavailableError as exc:
            raise unavailable(exc) from None
        self.keys.append(key)
        self._stored += len(data)

    def discard(self) -> None:
        """Remove the parts of an upload that did not complete."""
        try:
            self.store.delete(list(self.keys))
        except ObjectStoreUnavailableError as exc:
            log.warning("upload %s: parts left in the store: %s", self.upload_id, exc)
