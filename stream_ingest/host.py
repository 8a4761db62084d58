"""The narrow interface between one audio session and the process that serves it.

A session needs from its process only what is listed in `StreamHost` (who may stream,
the stream's lease, admission, the registry of open streams); the process needs from
a session only what is listed in `HeldStream` (to keep its durable mark and lease
current). Neither imports the other: `IngestService` implements the first,
`AudioSession` the second.
"""

from __future__ import annotations

from typing import Protocol

from stream_ingest.ledger import DurableMark
from stream_ingest.store import Lease, Participant


class HeldStream(Protocol):
    """An open stream as the process sees it: its unsaved mark and whether it holds its lease."""

    @property
    def holding(self) -> bool:
        """The stream's lease is this connection's and not being handed back."""
        ...

    def unsaved(self) -> tuple[str, DurableMark] | None:
        """(lease owner, durable mark) if the mark moved since it was last saved."""
        ...

    def mark_saved(self, mark: DurableMark) -> None:
        """`mark` is now in the database."""
        ...

    def lease_lost(self) -> None:
        """Another process took the stream: stop serving it."""
        ...


class StreamHost(Protocol):
    """What a session asks of its process. The blocking methods are run in a thread."""

    def find_participant(self, meeting_id: str, user_id: str) -> Participant:
        """The member who may stream (blocking); otherwise NotAMemberError, MeetingEndedError
        or UserGoneError."""
        ...

    def other_open_streams(self, user_id: str, stream_id: str) -> int:
        """The person's other streams open anywhere (blocking)."""
        ...

    def admission_refusal(self) -> str | None:
        """Why a new stream must wait for the transcribers, or None."""
        ...

    def open_streams(self) -> int:
        """How many streams this process holds."""
        ...

    def acquire(self, stream_id: str, participant: Participant) -> Lease:
        """Take the stream's lease; StreamOpenElsewhereError if it is held (blocking)."""
        ...

    def recover(self, lease: Lease) -> DurableMark:
        """The true durable mark of a stream whose last holder vanished (blocking)."""
        ...

    def release(self, lease: Lease, mark: DurableMark, active: bool) -> None:
        """Give the lease back with the stream's durable mark (blocking)."""
        ...

    def register(self, stream_id: str, stream: HeldStream) -> None:
        """`stream` now holds `stream_id` in this process."""
        ...

    def forget(self, stream_id: str, stream: HeldStream) -> None:
        """`stream` no longer holds `stream_id` (no-op if another one does)."""
        ...
