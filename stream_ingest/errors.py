"""Why ingest refuses or ends a stream, in the domain's words (no close codes here).

The stores, the ledger and the session's lifecycle raise these; the socket edge
(`stream_ingest/connection.py`) turns each into the close code and reason the wire
contract promises, from one table. The message of each error is the readable reason
the client gets.
"""

from __future__ import annotations


class StreamRefusedError(Exception):
    """A stream may not start or go on; `reason` says why, for the client."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class BadTokenError(StreamRefusedError):
    """The start message's token is missing, expired or forged."""


class UserGoneError(StreamRefusedError):
    """The token is valid but its user no longer exists."""


class NotAMemberError(StreamRefusedError):
    """No such meeting, or the person is not (or no longer) a member of it."""


class UnknownStreamError(StreamRefusedError):
    """A `stream_id` to resume that is not this person's stream in this meeting."""


class MeetingEndedError(StreamRefusedError):
    """The meeting is over: no audio goes into it any more."""


class StreamOpenElsewhereError(StreamRefusedError):
    """The stream is held by another connection, in this process or another."""


class StreamTakenOverError(StreamRefusedError):
    """This connection lost the stream's lease to another process (it stalled past it)."""


class PositionGapError(StreamRefusedError):
    """The client would resume past the durable position: audio would be missing."""


class OverLimitError(StreamRefusedError):
    """Too many streams open: on this process, or for this person."""


class TranscribersBusyError(StreamRefusedError):
    """A new stream while the transcribers report themselves over capacity."""


class StreamFailedError(StreamRefusedError):
    """The server could not keep the stream's audio (Kafka refused it, the lease was lost)."""
