"""The bookkeeping of resumable uploads and of their transcription, without I/O.

An upload is received as parts at increasing byte offsets; each part is one object keyed
by its offset (vori.uploads). `plan_part` decides what a `PATCH` at an offset does: store
the next part, acknowledge a part already stored (the client retries after a lost reply),
or refuse a wrong offset. `merge_progress` applies the batch transcriber's reports to an
upload's status so that progress never goes back and a replayed report changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

UploadStatus = Literal["receiving", "queued", "transcribing", "transcribed", "failed"]
STATUSES: tuple[UploadStatus, ...] = (
    "receiving",
    "queued",
    "transcribing",
    "transcribed",
    "failed",
)


@dataclass(frozen=True)
class Received:
    """What an upload has: its declared size, the offsets of its parts, the bytes so far."""

    size: int
    part_offsets: tuple[int, ...]
    received: int

    @property
    def complete(self) -> bool:
        return self.received >= self.size


@dataclass(frozen=True)
class StorePart:
    """Store these bytes as the part at `offset`; the upload then has `received` bytes."""

    offset: int
    received: int


@dataclass(frozen=True)
class AlreadyStored:
    """The part at this offset is already stored (a retry): nothing to write."""

    received: int


@dataclass(frozen=True)
class Refused:
    """The part does not fit: `status` (400/409/413) and why; `received` is the offset."""

    status: int
    reason: str
    received: int


PartPlan = StorePart | AlreadyStored | Refused


def part_length(state: Received, offset: int) -> int | None:
    """The length of the stored part that starts at `offset`, None if none does."""
    offsets = state.part_offsets
    if offset not in offsets:
        return None
    index = offsets.index(offset)
    following = offsets[index + 1] if index + 1 < len(offsets) else state.received
    return following - offset


def plan_part(state: Received, offset: int, length: int, part_max: int) -> PartPlan:
    """What to do with `length` bytes sent for byte `offset` of an upload."""
    if offset == state.received:
        if length == 0:
            if state.complete:
                return AlreadyStored(state.received)  # asks to finish an upload that has all
            return Refused(400, "empty part: send the bytes from Upload-Offset on", offset)
        if length > part_max:
            return Refused(413, f"a part is at most {part_max} bytes, this one {length}", offset)
        if offset + length > state.size:
            return Refused(
                413,
                f"the part ends at byte {offset + length}, past the declared size {state.size}",
                state.received,
            )
        return StorePart(offset, offset + length)
    if length > 0 and part_length(state, offset) == length:
        return AlreadyStored(state.received)
    return Refused(409, f"the upload is at offset {state.received}, not {offset}", state.received)


@dataclass(frozen=True)
class Progress:
    """An upload's transcription state as stored."""

    status: UploadStatus
    progress: float
    error: str | None = None


ProgressReport = Literal["recording_progress", "recording_transcribed", "recording_failed"]


def merge_progress(
    current: Progress, report: ProgressReport, progress: float | None, error: str | None
) -> Progress | None:
    """The state after a report of the batch transcriber, None when it changes nothing.

    Progress only grows; `transcribed` is final (a late progress or failure report of a
    replay is ignored); a `failed` upload can still become `transcribed` (a later attempt
    made it), but nothing else moves it.
    """
    if current.status == "transcribed":
        return None
    if report == "recording_transcribed":
        return Progress("transcribed", 1.0, None)
    if current.status == "failed":
        return None
    if report == "recording_failed":
        reason = error or "the recording could not be transcribed"
        return Progress("failed", current.progress, reason)
    share = min(1.0, max(0.0, progress or 0.0))
    merged = Progress("transcribing", max(current.progress, share), None)
    return None if merged == current else merged
