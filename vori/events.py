"""Every Kafka message of vori as a typed, versioned pydantic model, with its topic beside it.

A producer serialises through :func:`encode` and a consumer parses through :func:`decode`;
a schema change is a change here. Audio frames carry raw PCM as the message value and
their metadata as JSON in one header, so the hot path never base64-encodes audio.

One module because every wire model lives here beside its topic (STYLE.md, 4), so that a
schema change is a change in one file.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from vori.audio import BYTES_PER_SAMPLE, SAMPLE_RATE
from vori.settings import Accuracy

SCHEMA_VERSION = 1
META_HEADER = "vori-meta"

# Topic names: the only place they are spelled.
AUDIO_FRAMES = "audio.frames"
TRANSCRIPT_SEGMENTS = "transcript.segments"
MEETING_EVENTS = "meeting.events"
MEETING_SUMMARIES = "meeting.summaries"
TASKS_PROPOSED = "tasks.proposed"
KANBAN_CHANGES = "kanban.changes"
TRANSCRIBER_LOAD = "transcriber.load"
RECORDINGS_UPLOADED = "recordings.uploaded"
RETRANSCRIPTIONS_REQUESTED = "retranscriptions.requested"
DEAD_LETTER_SUFFIX = ".dlq"


def dead_letter_topic(topic: str) -> str:
    """The dead-letter topic of a topic."""
    return topic + DEAD_LETTER_SUFFIX


def utc_now() -> datetime:
    return datetime.now(UTC)


class Event(BaseModel):
    """Base of every message: a schema version and the topic it belongs on."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    topic: ClassVar[str]
    version: int = SCHEMA_VERSION

    def key(self) -> str:
        """The partition key: everything of one stream or meeting stays in order."""
        raise NotImplementedError


# -- audio.frames -----------------------------------------------------------------------


def stream_id_for(meeting_id: str, participant_id: str, device: str = "mic") -> str:
    """A stream id that names its meeting and participant, so speakers need no diarization."""
    return f"{meeting_id}:{participant_id}:{device}"


def room_speaker_id(stream_id: str, number: int) -> str:
    """The id of the `number`-th voice (1, 2, ...) the transcriber told apart on a room
    microphone stream: what its lines are labelled and renamed by."""
    return f"{stream_id}#room-{number}"


class AudioFrame(Event):
    """A run of PCM s16le mono samples of one stream, starting at sample ``position``."""

    topic: ClassVar[str] = AUDIO_FRAMES
    stream_id: str
    meeting_id: str
    participant_id: str
    speaker: str | None = Field(None, description="Display name of the participant.")
    language: str | None = Field(None, description="Meeting language: en, ko or auto.")
    vocabulary: list[str] = Field(
        default_factory=list,
        description="The meeting's names and terms that bias decoding (vori/vocabulary.py).",
    )
    room_microphone: bool = Field(
        False,
        description="A microphone several people share: the transcriber tells their voices "
        "apart (speaker_id of its segments).",
    )
    accuracy: Accuracy | None = Field(
        None,
        description="The meeting's accuracy: which model decodes its English "
        "(TranscriberSettings.model_for); None: the transcriber's default.",
    )
    seq: int = Field(ge=0, description="Frame number within the stream.")
    position: int = Field(ge=0, description="Stream sample index of the first sample.")
    sample_rate: int = SAMPLE_RATE
    capture_time: datetime | None = None
    end_of_stream: bool = False
    pcm: bytes = Field(default=b"", exclude=True, repr=False)

    def key(self) -> str:
        return self.stream_id

    @property
    def samples(self) -> int:
        return len(self.pcm) // BYTES_PER_SAMPLE

    @property
    def end_position(self) -> int:
        return self.position + self.samples


# -- transcript.segments ----------------------------------------------------------------


class Word(BaseModel):
    model_config = ConfigDict(frozen=True)
    word: str
    start: float
    end: float
    probability: float | None = None


class SegmentTiming(BaseModel):
    """Wall-clock instants (UTC) that latency measurements are computed from."""

    model_config = ConfigDict(frozen=True)
    audio_end_capture_time: datetime | None = None
    audio_end_received_at: datetime | None = None
    decode_started_at: datetime | None = None
    decode_finished_at: datetime | None = None
    produced_at: datetime | None = None


def segment_id_for(stream_id: str, start_sample: int) -> str:
    """Deterministic segment id from stream and start sample: a replay yields the same id."""
    digest = hashlib.sha256(f"{stream_id}@{start_sample}".encode()).hexdigest()[:24]
    return f"seg_{digest}"


class TranscriptSegment(Event):
    """A partial (revisable) or final transcript of one utterance of one stream."""

    topic: ClassVar[str] = TRANSCRIPT_SEGMENTS
    id: str
    meeting_id: str
    stream_id: str
    participant_id: str | None = None
    speaker: str | None = None
    speaker_id: str | None = Field(
        None,
        description="Whose voice, on a room microphone: room_speaker_id(stream_id, n), with "
        "speaker 'Room n'. None: the stream's participant (labels go by stream_id).",
    )
    final: bool
    revision: int = Field(0, ge=0)
    start: float = Field(ge=0, description="Seconds of stream time.")
    end: float = Field(ge=0)
    start_sample: int = Field(ge=0)
    end_sample: int = Field(ge=0)
    text: str
    stable_text: str = ""
    words: list[Word] = Field(default_factory=list)
    language: str | None = None
    confidence: float | None = None
    model: str | None = None
    timing: SegmentTiming = Field(default_factory=SegmentTiming)

    def key(self) -> str:
        return self.meeting_id

    @property
    def speaker_key(self) -> str:
        """What a speaker label (speaker_renamed) of this segment is keyed by."""
        return self.speaker_id or self.stream_id


# -- meeting.events ---------------------------------------------------------------------

# `member_removed`: a person lost access (removed by the owner, or left); participant_id is
# their user id, and every gateway closes their live connections to the meeting.
# `segment_corrected`: a member fixed a final segment's text; `segment` is the segment as
# corrected (version `correction_version`), `original_text` what was transcribed.
# `speaker_renamed`: a member named the speaker of `stream_id`: `participant_name`; on a
# room microphone `stream_id` is one voice's speaker_id (room_speaker_id), and only the
# segments with that speaker_id are renamed.
# `deleted`: the owner deleted the meeting; every service removes the rows it owns of it
# and takes nothing more of it (docs/protocol.md, "Deleting a meeting").
# `recording_progress`: the batch transcriber has transcribed `progress` (0-1) of upload
# `upload_id`; `recording_transcribed`: all of it (its last final is on transcript.segments
# before this event); `recording_failed`: it cannot be transcribed, `error` says why. A
# re-transcription job reports with the same three kinds, its job id in `upload_id`.
# `stream_transcribed`: the live transcriber has read the end of stream `stream_id` and
# published every final before it (in the same transaction as the offset past the end, so
# once per stream); a summary of the meeting's end waits for its streams' (summarizer).
# `transcript_replaced`: the transcript of the meeting's archived streams `replaced_streams`
# is now re-transcription job `upload_id`'s; each service drops its rows of the old
# segments of those streams (`replaced_by_job`) and keeps the job's. A job's
# `recording_failed` makes each service drop the segments the job had sent (`of_job`).
MeetingEventType = Literal[
    "started",
    "participant_joined",
    "participant_left",
    "member_removed",
    "ended",
    "segment_corrected",
    "speaker_renamed",
    "deleted",
    "recording_progress",
    "recording_transcribed",
    "recording_failed",
    "transcript_replaced",
    "stream_transcribed",
]


class MeetingEvent(Event):
    """Lifecycle of a meeting: started, participants joining and leaving, ended, deleted."""

    topic: ClassVar[str] = MEETING_EVENTS
    type: MeetingEventType
    meeting_id: str
    participant_id: str | None = None
    participant_name: str | None = None
    stream_id: str | None = None
    language: str | None = None
    at: datetime = Field(default_factory=utc_now)
    segment: TranscriptSegment | None = None
    original_text: str | None = None
    correction_version: int | None = Field(None, ge=1)
    editor: str | None = Field(None, description="Display name of who made the correction.")
    upload_id: str | None = None
    progress: float | None = Field(None, ge=0, le=1, description="Share of an upload done.")
    error: str | None = None
    replaced_streams: list[str] = Field(
        default_factory=list, description="transcript_replaced: the archived streams replaced."
    )

    def key(self) -> str:
        return self.meeting_id


# -- meeting.summaries ------------------------------------------------------------------


class Evidence(BaseModel):
    model_config = ConfigDict(frozen=True)
    segment_id: str
    quote: str
    at: float | None = Field(None, description="Seconds into the meeting.")


class ActionItem(BaseModel):
    model_config = ConfigDict(frozen=True)
    task_key: str
    title: str
    assignee: str | None = None
    due_date: str | None = Field(None, description="ISO calendar date.")
    status: Literal["open", "cancelled"] = "open"
    evidence: list[Evidence] = Field(default_factory=list)
    assignee_id: str | None = Field(None, description="User id of the assignee, a member.")


class MeetingSummary(Event):
    """A rolling or final summary of a meeting."""

    topic: ClassVar[str] = MEETING_SUMMARIES
    meeting_id: str
    kind: Literal["rolling", "final"]
    revision: int = Field(0, ge=0)
    language: str | None = None
    overview: str = ""
    key_points: list[str] = Field(default_factory=list)
    decisions: list[str] = Field(default_factory=list)
    open_questions: list[str] = Field(default_factory=list)
    action_items: list[ActionItem] = Field(default_factory=list)
    source: Literal["llm", "rules"]
    created_at: datetime = Field(default_factory=utc_now)

    def key(self) -> str:
        return self.meeting_id


# -- tasks.proposed ---------------------------------------------------------------------


def task_key_for(meeting_id: str, normalised_title: str) -> str:
    """Deterministic task key from meeting and normalised task text."""
    digest = hashlib.sha256(f"{meeting_id}|{normalised_title}".encode()).hexdigest()[:20]
    return f"task_{digest}"


class TaskProposal(Event):
    """Action items of a meeting, proposed to its board; upserted by task key."""

    topic: ClassVar[str] = TASKS_PROPOSED
    meeting_id: str
    board_id: str | None = None
    items: list[ActionItem]
    source: Literal["llm", "rules"]

    def key(self) -> str:
        return self.meeting_id


# -- kanban.changes ---------------------------------------------------------------------


class CardSnapshot(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    board_id: str
    column: str
    title: str
    assignee: str | None = None
    due_date: str | None = None
    task_key: str | None = None
    version: int = 1
    column_id: str | None = Field(None, description="Id of the column; `column` is its name.")
    position: int = Field(0, ge=0, description="Index of the card within its column.")
    description: str = ""
    source: Literal["llm", "rules", "human"] | None = None
    meeting_id: str | None = Field(None, description="The meeting that proposed the card.")
    evidence: list[Evidence] = Field(default_factory=list)
    archived: bool = False


class KanbanChange(Event):
    """A card was created, moved, edited, archived or restored on a board."""

    topic: ClassVar[str] = KANBAN_CHANGES
    board_id: str
    change: Literal["created", "moved", "edited", "deleted", "archived", "restored"]
    card: CardSnapshot
    meeting_id: str | None = None
    actor: str | None = None
    at: datetime = Field(default_factory=utc_now)
    changed: list[str] = Field(
        default_factory=list,
        description="The card fields this change set (an assignment: `assignee` among them).",
    )

    def key(self) -> str:
        return self.board_id


# -- transcriber.load -------------------------------------------------------------------


class MeetingLag(BaseModel):
    """How far behind the audio one meeting's transcript is (0: caught up again)."""

    meeting_id: str
    lag_s: float = Field(ge=0, description="Seconds the meeting's transcript is behind.")
    streams_behind: int = Field(0, ge=0, description="Its streams that are behind.")


class TranscriberLoad(Event):
    """A transcriber process's periodic load report (docs/overload.md).

    Ingest refuses new streams while a fresh report says `over_capacity`; the gateway
    tells each listed meeting's participants that their transcript is behind.
    """

    topic: ClassVar[str] = TRANSCRIBER_LOAD
    instance: str = Field(description="The reporting transcriber process.")
    level: Literal["normal", "shedding", "degraded", "over_capacity"]
    lag_s: float = Field(ge=0, description="The lag of its furthest-behind stream.")
    over_capacity: bool = False
    reason: str | None = Field(
        None, description="Why it is over capacity when not by its lag (a full partition)."
    )
    streams: int = Field(0, ge=0, description="Streams with state in the process.")
    meetings: list[MeetingLag] = Field(
        default_factory=list, description="Lagging meetings, and those that just caught up."
    )
    at: datetime = Field(default_factory=utc_now)

    def key(self) -> str:
        return self.instance


# -- recordings.uploaded ---------------------------------------------------------------


class RecordingUploaded(Event):
    """A recording uploaded to a meeting is whole in the object store: transcribe it.

    Its bytes are the objects `parts` under `prefix`, in order (an upload is received in
    parts, so any gateway can take the next one); the batch transcriber decodes them as one
    file, one stream per channel.
    """

    topic: ClassVar[str] = RECORDINGS_UPLOADED
    upload_id: str
    meeting_id: str
    prefix: str = Field(description="Object-store key prefix of the upload's parts.")
    parts: list[str] = Field(description="Object keys of the parts, in byte order.")
    size_bytes: int = Field(ge=0)
    filename: str
    language: str | None = Field(None, description="The meeting's language; None: detect.")
    uploaded_by: str = Field(description="User id of the uploader.")
    uploader_name: str | None = None
    room: bool = Field(
        False,
        description="A room recording (several people on one microphone): each final is "
        "given a voice, 'Room n' with speaker_id room_speaker_id(stream_id, n).",
    )
    accuracy: Accuracy | None = Field(
        None, description="The meeting's accuracy (as on audio frames); None: the default."
    )
    at: datetime = Field(default_factory=utc_now)

    def key(self) -> str:
        return self.meeting_id


def upload_stream_id(upload_id: str, channel: int) -> str:
    """The stream of one channel of an uploaded recording (segment ids derive from it)."""
    return f"upload:{upload_id}:ch{channel}"


# -- retranscriptions.requested -------------------------------------------------------

RETRANSCRIPTION_PREFIX = "retx:"


class ArchivedStream(BaseModel):
    """One archived stream of a meeting and who spoke on it."""

    model_config = ConfigDict(frozen=True)
    stream_id: str
    participant_id: str | None = None
    speaker: str | None = None
    room: bool = Field(
        False, description="A room microphone: its transcript told voices apart (speaker_id)."
    )


class RetranscriptionRequested(Event):
    """Transcribe a meeting's archived streams again with `model` (job `job_id`).

    The batch transcriber reads each stream's FLAC chunks from the object store, publishes
    finals under `retranscription_stream_id(job_id, stream)` and, once all are delivered,
    `recording_transcribed` then `transcript_replaced` (both with the job id in `upload_id`).
    """

    topic: ClassVar[str] = RETRANSCRIPTIONS_REQUESTED
    job_id: str
    meeting_id: str
    model: str = Field(description="An installed Whisper model: base or tiny.en.")
    language: str | None = Field(None, description="en or ko; None: detect.")
    streams: list[ArchivedStream] = Field(
        default_factory=list, description="Who spoke on each archived stream, where known."
    )
    requested_by: str = Field(description="User id of the meeting's owner.")
    at: datetime = Field(default_factory=utc_now)

    def key(self) -> str:
        return self.meeting_id


def retranscription_stream_id(job_id: str, stream_id: str) -> str:
    """The stream of a re-transcribed archived stream: names the job and the original."""
    return f"{RETRANSCRIPTION_PREFIX}{job_id}:{stream_id}"


def original_stream(stream_id: str) -> tuple[str | None, str]:
    """(job id, archived stream id) of a re-transcribed stream; (None, id) of any other."""
    if not stream_id.startswith(RETRANSCRIPTION_PREFIX):
        return None, stream_id
    job, _, original = stream_id[len(RETRANSCRIPTION_PREFIX) :].partition(":")
    return job, original


def of_job(stream_id: str, job_id: str) -> bool:
    """Whether `stream_id` is one of re-transcription job `job_id`'s new streams."""
    return original_stream(stream_id)[0] == job_id


def replaced_by_job(stream_id: str, job_id: str, replaced_streams: list[str]) -> bool:
    """Whether a segment of `stream_id` is an old one that job `job_id` replaces: it is of a
    replaced archived stream, transcribed live or by another job."""
    job, original = original_stream(stream_id)
    return original in replaced_streams and job != job_id


# -- dead letters -----------------------------------------------------------------------


class DeadLetter(Event):
    """A message that could not be handled, with where it came from, why, and its bytes."""

    topic: ClassVar[str] = "dead.letters"
    source_topic: str
    partition: int
    offset: int
    message_key: str | None = None
    value_b64: str = Field("", description="The original message value, base64.")
    headers: dict[str, str] = Field(default_factory=dict)
    error: str
    attempts: int
    consumer_group: str
    failed_at: datetime = Field(default_factory=utc_now)

    def key(self) -> str:
        return self.message_key or ""


# -- codec ------------------------------------------------------------------------------

EVENT_TYPES: dict[str, type[Event]] = {
    model.topic: model
    for model in (
        AudioFrame,
        TranscriptSegment,
        MeetingEvent,
        MeetingSummary,
        TaskProposal,
        KanbanChange,
        TranscriberLoad,
        RecordingUploaded,
        RetranscriptionRequested,
    )
}
TOPICS: tuple[str, ...] = tuple(EVENT_TYPES)

Headers = list[tuple[str, bytes]]
# What confluent-kafka hands back as a message's headers.
RawHeaders = list[tuple[str, str | bytes | None]] | dict[str, str | bytes | None] | None


@dataclass(frozen=True)
class EncodedMessage:
    topic: str
    key: bytes
    value: bytes
    headers: Headers


class DecodeError(ValueError):
    """A message that does not parse as its topic's event model (a poison message)."""


def encode(event: Event) -> EncodedMessage:
    """Serialise an event for its topic."""
    key = event.key().encode()
    if isinstance(event, AudioFrame):
        meta = event.model_dump_json().encode()
        return EncodedMessage(event.topic, key, event.pcm, [(META_HEADER, meta)])
    return EncodedMessage(event.topic, key, event.model_dump_json().encode(), [])


def decode(topic: str, value: bytes | None, headers: RawHeaders = None) -> Event:
    """Parse a message of a topic into its event model; DecodeError if it does not parse."""
    model = DeadLetter if topic.endswith(DEAD_LETTER_SUFFIX) else EVENT_TYPES.get(topic)
    if model is None:
        raise DecodeError(f"no event model for topic {topic!r}")
    try:
        if model is AudioFrame:
            meta = _header(headers, META_HEADER)
            if meta is None:
                raise DecodeError(f"audio frame without the {META_HEADER} header")
            fields: dict[str, Any] = json.loads(meta)
            pcm = value or b""
            if len(pcm) % 2:
                raise DecodeError("audio frame with an odd number of bytes")
            return AudioFrame.model_validate({**fields, "pcm": pcm})
        if value is None:
            raise DecodeError(f"empty message on {topic}")
        return model.model_validate_json(value)
    except (ValidationError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DecodeError(f"{topic}: {exc}") from exc


def _header(headers: RawHeaders, name: str) -> bytes | None:
    items = headers.items() if isinstance(headers, dict) else (headers or [])
    for key, value in items:
        if key == name:
            return value.encode() if isinstance(value, str) else value
    return None
