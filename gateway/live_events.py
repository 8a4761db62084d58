"""What the events WebSocket shows: Kafka events translated into live events, and the auth frame.

Pure functions and small classes: no sockets, no database, no clock reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from gateway.meeting_clock import meeting_times
from vori.events import (
    Event,
    KanbanChange,
    MeetingEvent,
    MeetingSummary,
    TranscriberLoad,
    TranscriptSegment,
)
from vori.wire_json import MalformedJSONError, parse_json_object

PARTIAL = "transcript.partial"
FINAL = "transcript.final"
SUMMARY_UPDATED = "summary.updated"
TASK_UPSERTED = "task.upserted"
PARTICIPANT_JOINED = "participant.joined"
PARTICIPANT_LEFT = "participant.left"
MEETING_ENDED = "meeting.ended"
# A member corrected a final segment's text, or named a stream's speaker.
TRANSCRIPT_CORRECTED = "transcript.corrected"
SPEAKER_RENAMED = "speaker.renamed"
# Live only: its payload's user_id lost access; the hub closes that person's connections.
MEMBER_REMOVED = "member.removed"
# Live only: the meeting's transcript is `lag_s` seconds behind its audio (0: caught up);
# sent about every second while it lags (docs/overload.md).
TRANSCRIPT_LAG = "transcript.lag"
# An uploaded recording's transcription (gateway/uploads.py): `recording.progress` is live
# only (its upload's GET has the latest), `recording.transcribed` and `recording.failed` are
# durable, once per upload.
RECORDING_PROGRESS = "recording.progress"
RECORDING_TRANSCRIBED = "recording.transcribed"
RECORDING_FAILED = "recording.failed"
# Durable: the transcript of the payload's `replaced_streams` is now re-transcription
# `job_id`'s (gateway/retranscriptions.py); a client reloads the transcript.
TRANSCRIPT_REPLACED = "transcript.replaced"

# Close codes of the events WebSocket (docs/protocol.md).
CLOSE_BAD_MESSAGE = 4400
CLOSE_UNAUTHORIZED = 4401
CLOSE_NOT_FOUND = 4404
# An auth frame holds a token of a few hundred bytes; anything far larger is not one.
MAX_AUTH_BYTES = 16 * 1024
CLOSE_TOO_SLOW = 4429
CLOSE_INTERNAL = 1011


@dataclass(frozen=True)
class LiveEvent:
    """One event for a meeting's live clients.

    `dedup_key` is None for live-only events (partials); durable events are numbered in
    the meeting's event log once per key. A kanban change of a card that came from no
    meeting has no meeting and no live recipient (see gateway.fanout.recipients).
    """

    type: str
    meeting_id: str | None
    payload: dict[str, Any]
    dedup_key: str | None = None

    @property
    def durable(self) -> bool:
        return self.dedup_key is not None


# The segment fields clients see (docs/protocol.md): the event's own, less its meeting (the
# frame names it), its latency timings and its schema version.
CLIENT_SEGMENT_FIELDS = frozenset(TranscriptSegment.model_fields) - {
    "meeting_id",
    "timing",
    "version",
}


def segment_payload(segment: TranscriptSegment, offset: float | None = None) -> dict[str, Any]:
    """The segment as clients see it, taken from the event model rather than field by field.

    With its stream's `offset` on the meeting clock (gateway/meeting_clock.py), it also has
    the transcript API's `meeting_start` and `meeting_end` (gateway.schemas.SegmentOut), so
    a live line shows the time and takes the place it has after a reload.
    """
    payload = segment.model_dump(include=set(CLIENT_SEGMENT_FIELDS))
    if offset is not None:
        payload["meeting_start"], payload["meeting_end"] = meeting_times(
            offset, segment.start, segment.end
        )
    return payload


def summary_payload(summary: MeetingSummary) -> dict[str, Any]:
    """The summary fields clients see, as `GET .../summary` without card links."""
    return {
        "kind": summary.kind,
        "revision": summary.revision,
        "source": summary.source,
        "language": summary.language,
        "created_at": summary.created_at.isoformat(),
        "overview": summary.overview,
        "key_points": list(summary.key_points),
        "decisions": list(summary.decisions),
        "open_questions": list(summary.open_questions),
        "action_items": [item.model_dump(mode="json") for item in summary.action_items],
    }


def live_events_for(event: Event, offset: float | None = None) -> list[LiveEvent]:
    """The live events a Kafka event becomes (none for events clients do not see).

    `offset`: a segment's stream on the meeting clock (StreamOffsets.of), None if unknown.
    """
    if isinstance(event, TranscriptSegment):
        payload: dict[str, Any] = {"segment": segment_payload(event, offset)}
        if event.final:
            return [LiveEvent(FINAL, event.meeting_id, payload, dedup_key=f"final:{event.id}")]
        return [LiveEvent(PARTIAL, event.meeting_id, payload)]
    if isinstance(event, MeetingEvent):
        return _lifecycle(event)
    if isinstance(event, MeetingSummary):
        key = f"summary:{event.kind}:{event.revision}:{event.created_at.isoformat()}"
        return [
            LiveEvent(SUMMARY_UPDATED, event.meeting_id, {"summary": summary_payload(event)}, key)
        ]
    if isinstance(event, TranscriberLoad):
        return [
            LiveEvent(
                TRANSCRIPT_LAG,
                meeting.meeting_id,
                {
                    "lagging": meeting.lag_s > 0,
                    "lag_s": meeting.lag_s,
                    "streams_behind": meeting.streams_behind,
                },
            )
            for meeting in event.meetings
        ]
    if isinstance(event, KanbanChange):
        card = event.card
        payload = {
            "change": event.change,
            "card": card.model_dump(mode="json"),
            "actor": event.actor,
        }
        key = f"task:{card.id}:{card.version}:{event.change}"
        meeting_id = event.meeting_id or card.meeting_id
        return [LiveEvent(TASK_UPSERTED, meeting_id, payload, key)]
    return []


def _lifecycle(event: MeetingEvent) -> list[LiveEvent]:
    if event.type == "ended":
        payload: dict[str, Any] = {"ended_at": event.at.isoformat()}
        # One end per meeting: a second `ended` (a replay, or two processes) is the same event.
        return [LiveEvent(MEETING_ENDED, event.meeting_id, payload, dedup_key="ended")]
    if event.type in ("participant_joined", "participant_left"):
        kind = PARTICIPANT_JOINED if event.type == "participant_joined" else PARTICIPANT_LEFT
        who = event.stream_id or event.participant_id or ""
        payload = {
            "participant": {
                "id": event.participant_id,
                "name": event.participant_name,
                "stream_id": event.stream_id,
            }
        }
        key = f"{event.type}:{who}:{event.at.isoformat()}"[:200]
        return [LiveEvent(kind, event.meeting_id, payload, dedup_key=key)]
    if event.type == "segment_corrected" and event.segment is not None:
        payload = {
            "segment": {
                **segment_payload(event.segment),
                "words": [],  # the timings were the transcribed words'
                "edited": True,
                "original_text": event.original_text,
                "correction_version": event.correction_version,
            },
            "editor": event.editor,
        }
        key = f"corrected:{event.segment.id}:{event.correction_version}"
        return [LiveEvent(TRANSCRIPT_CORRECTED, event.meeting_id, payload, dedup_key=key)]
    if event.type == "speaker_renamed" and event.stream_id and event.participant_name:
        payload = {
            "stream_id": event.stream_id,
            "speaker": event.participant_name,
            "version": event.correction_version,
            "editor": event.editor,
        }
        key = f"speaker:{event.stream_id}:{event.correction_version}"[:200]
        return [LiveEvent(SPEAKER_RENAMED, event.meeting_id, payload, dedup_key=key)]
    if event.type in ("recording_progress", "recording_transcribed", "recording_failed"):
        return _recording(event)
    if event.type == "transcript_replaced" and event.upload_id:
        payload = {"job_id": event.upload_id, "replaced_streams": event.replaced_streams}
        key = f"replaced:{event.upload_id}"[:200]
        return [LiveEvent(TRANSCRIPT_REPLACED, event.meeting_id, payload, dedup_key=key)]
    if event.type == "member_removed" and event.participant_id:
        return [LiveEvent(MEMBER_REMOVED, event.meeting_id, {"user_id": event.participant_id})]
    return []  # `started` is for workers; clients learn of a meeting over REST


def _recording(event: MeetingEvent) -> list[LiveEvent]:
    upload_id = event.upload_id
    if upload_id is None:
        return []
    if event.type == "recording_progress":
        payload: dict[str, Any] = {
            "upload_id": upload_id,
            "status": "transcribing",
            "progress": event.progress or 0.0,
        }
        return [LiveEvent(RECORDING_PROGRESS, event.meeting_id, payload)]
    if event.type == "recording_transcribed":
        payload = {"upload_id": upload_id, "status": "transcribed", "progress": 1.0}
        key = f"recording:{upload_id}:transcribed"[:200]
        return [LiveEvent(RECORDING_TRANSCRIBED, event.meeting_id, payload, dedup_key=key)]
    payload = {"upload_id": upload_id, "status": "failed", "error": event.error}
    key = f"recording:{upload_id}:failed"[:200]
    return [LiveEvent(RECORDING_FAILED, event.meeting_id, payload, dedup_key=key)]


def frame(
    type_: str, meeting_id: str, seq: int, at: datetime | str, payload: dict[str, Any]
) -> dict[str, Any]:
    """An event as the client receives it."""
    stamp = at.isoformat() if isinstance(at, datetime) else at
    return {"type": type_, "seq": seq, "meeting_id": meeting_id, "at": stamp, **payload}


# -- the client's side of the socket -----------------------------------------------------


class ProtocolError(Exception):
    """A client message that ends the connection with `code` and a readable reason."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class AuthFrame:
    token: str | None
    since: int | None


def parse_auth_frame(text: str | None) -> AuthFrame:
    """Parse the client's first frame; ProtocolError(4400/4401) if it is not a usable auth."""
    if text is None:
        raise ProtocolError(CLOSE_BAD_MESSAGE, "first frame must be a JSON text auth message")
    if len(text.encode()) > MAX_AUTH_BYTES:
        raise ProtocolError(CLOSE_BAD_MESSAGE, f"auth message over {MAX_AUTH_BYTES} bytes")
    try:
        message = parse_json_object(text)
    except MalformedJSONError as exc:
        raise ProtocolError(CLOSE_BAD_MESSAGE, f"first frame: {exc.reason}") from None
    if message.get("type") != "auth":
        raise ProtocolError(CLOSE_BAD_MESSAGE, 'first frame must be {"type": "auth", ...}')
    token = message.get("token")
    if not token:
        raise ProtocolError(CLOSE_UNAUTHORIZED, "missing token")
    if not isinstance(token, str):
        raise ProtocolError(CLOSE_UNAUTHORIZED, "token must be a string")
    since = message.get("since")
    if since is not None and (isinstance(since, bool) or not isinstance(since, int) or since < 0):
        raise ProtocolError(CLOSE_BAD_MESSAGE, "since must be a non-negative integer")
    return AuthFrame(token=token, since=since)


def is_ping(text: str | None) -> bool:
    """Whether a client frame after `auth` is a ping; other JSON objects are ignored.

    ProtocolError(4400) for a text frame that is not a JSON object (deep nesting, huge
    numbers, an array or a number, over 16 KiB): a client that sends those is broken.
    """
    if text is None:
        return False  # binary frames mean nothing here
    if len(text.encode()) > MAX_AUTH_BYTES:
        raise ProtocolError(CLOSE_BAD_MESSAGE, f"message over {MAX_AUTH_BYTES} bytes")
    try:
        message = parse_json_object(text)
    except MalformedJSONError as exc:
        raise ProtocolError(CLOSE_BAD_MESSAGE, exc.reason) from None
    return message.get("type") == "ping"


class DeliveryCursor:
    """Which durable events a client still needs: each seq once, in order, gaps filled first."""

    def __init__(self, last_seq: int) -> None:
        self.last_seq = last_seq

    def plan(self, seq: int) -> Literal["skip", "send", "fill"]:
        """`skip` a seq already sent, `send` the next one, `fill` from the log up to a later one."""
        if seq <= self.last_seq:
            return "skip"
        return "send" if seq == self.last_seq + 1 else "fill"

    def advance(self, seq: int) -> None:
        self.last_seq = max(self.last_seq, seq)
