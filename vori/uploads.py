"""Uploaded recordings in the object store: where the parts of an upload live.

The gateway writes an upload's bytes as it receives them, one object per part, keyed by
the byte offset where the part starts::

    uploads/<meeting_id>/<upload_id>/part-<offset:012d>

so any gateway process can take the next part, a retried part lands on the same key, and
the parts sorted by key are the file in byte order. The batch transcriber reads them (the
`recordings.uploaded` event lists them); the archiver deletes a meeting's uploads with the
rest of its audio.
"""

from __future__ import annotations

import re

from vori.recordings import BadRecordingKeyError

UPLOADS_ROOT = "uploads/"
PART_CONTENT_TYPE = "application/octet-stream"
_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$")
_PART = re.compile(r"^uploads/([^/]+)/([^/]+)/part-(\d{12})$")


def _checked(part: str, what: str) -> str:
    if not _ID.fullmatch(part):
        raise BadRecordingKeyError(f"{what} {part!r} cannot name an upload")
    return part


def meeting_uploads_prefix(meeting_id: str) -> str:
    """Prefix of every upload of one meeting."""
    return f"{UPLOADS_ROOT}{_checked(meeting_id, 'meeting id')}/"


def upload_prefix(meeting_id: str, upload_id: str) -> str:
    """Prefix of every part of one upload."""
    return f"{meeting_uploads_prefix(meeting_id)}{_checked(upload_id, 'upload id')}/"


def part_key(meeting_id: str, upload_id: str, offset: int) -> str:
    """The object key of the part that starts at byte ``offset``."""
    if offset < 0:
        raise BadRecordingKeyError(f"negative part offset {offset}")
    return f"{upload_prefix(meeting_id, upload_id)}part-{offset:012d}"


def part_offset(key: str) -> int:
    """The byte offset a part key names; BadRecordingKeyError for any other key."""
    match = _PART.fullmatch(key)
    if match is None:
        raise BadRecordingKeyError(f"{key!r} is not an upload part")
    return int(match.group(3))


def uploads_meeting(key: str) -> str | None:
    """The meeting an object of the uploads area belongs to; None for other keys."""
    match = _PART.fullmatch(key)
    return match.group(1) if match else None
