"""The relational schema of vori as SQLAlchemy 2 declarative tables.

Migrations under `migrations/versions` create these; a schema change is a model change
here plus a migration there.

One module because every table belongs to the one `Base.metadata` that the migrations and
tests/integration/test_migrations.py compare with the database.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
    literal_column,
)

# Imported before func.to_tsvector() is built: it registers the function's PostgreSQL types.
from sqlalchemy.dialects.postgresql import REGCONFIG
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from vori.settings import Accuracy, TaskSelection

# The text search configuration of the search indexes (migration 0008), spelled inline so
# that a query's expression is the index's.
ENGLISH: ColumnElement[Any] = literal_column("'english'::regconfig", REGCONFIG)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class User(Base):
    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class RefreshToken(Base):
    """One refresh cookie of a sign-in (a family), stored as a SHA-256 hash of its value.

    Rotation marks the used token and adds its successor to the same family; presenting a
    used or revoked token again revokes the whole family (it was stolen or replayed).
    """

    __tablename__ = "refresh_tokens"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    family_id: Mapped[str] = mapped_column(String(40), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Meeting(Base):
    __tablename__ = "meetings"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    language: Mapped[str] = mapped_column(String(8))
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    board_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Days the archiver keeps this meeting's audio (0: forever); NULL: the global setting.
    recording_retention_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Names and terms that bias transcription (vori/vocabulary.py), stamped on its audio.
    vocabulary: Mapped[list[str]] = mapped_column(
        JSON, default=list, server_default=literal_column("'[]'")
    )
    # Which commitments become cards ("selective", "thorough"); NULL: the global setting.
    tasks: Mapped[TaskSelection | None] = mapped_column(String(16), nullable=True)
    # Which model decodes its English ("standard", "high"; TranscriberSettings.model_for),
    # chosen at creation; NULL: the transcriber's VORI_TRANSCRIBER__ACCURACY.
    accuracy: Mapped[Accuracy | None] = mapped_column(String(16), nullable=True)


class MeetingMember(Base):
    __tablename__ = "meeting_members"
    meeting_id: Mapped[str] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(16), default="member")
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class TranscriptSegmentRow(Base):
    """A final transcript segment; upserted by its deterministic id, so replays change nothing."""

    __tablename__ = "transcript_segments"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    meeting_id: Mapped[str] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    stream_id: Mapped[str] = mapped_column(String(200))
    participant_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    speaker: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # The room voice (vori.events.room_speaker_id: the stream id and "#room-<n>") on a room
    # microphone, else None.
    speaker_id: Mapped[str | None] = mapped_column(String(240), nullable=True)
    start: Mapped[float] = mapped_column(Float)
    end: Mapped[float] = mapped_column(Float)
    start_sample: Mapped[int] = mapped_column(BigInteger)
    end_sample: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text)
    words: Mapped[list[Any]] = mapped_column(JSON, default=list)
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    model: Mapped[str | None] = mapped_column(String(120), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        Index("ix_transcript_segments_meeting_start", "meeting_id", "start"),
        # The gateway's embedder thread finds new segments by when they were stored.
        Index("ix_transcript_segments_created_at", "created_at"),
        # Search (migration 0008): English words with stemming, and Hangul syllable bigrams
        # (the function is the migration's; see gateway/search_terms.py).
        Index(
            "ix_transcript_segments_text_fts",
            func.to_tsvector(ENGLISH, text),
            postgresql_using="gin",
        ),
        Index(
            "ix_transcript_segments_text_bigrams",
            func.vori_hangul_bigrams(text),
            postgresql_using="gin",
        ),
    )


class SegmentEmbedding(Base):
    """A final segment's e5 `passage:` vector for semantic search (gateway/semantic.py):
    384 little-endian float16; null for a segment too short to mean much alone. Written
    once by a gateway's embedder thread; gone with its segment."""

    __tablename__ = "segment_embeddings"
    segment_id: Mapped[str] = mapped_column(
        ForeignKey("transcript_segments.id", ondelete="CASCADE"), primary_key=True
    )
    meeting_id: Mapped[str] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    vector: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    model: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class TranscriptCorrection(Base):
    """A member's correction of a final segment's text, every version kept (the newest wins).

    The gateway is its one writer; the segment itself stays as transcribed, so a replay of
    the segment (an upsert that changes nothing) can never undo a correction.
    """

    __tablename__ = "transcript_corrections"
    segment_id: Mapped[str] = mapped_column(
        ForeignKey("transcript_segments.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[str] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    edited_by: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    edited_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (Index("ix_transcript_corrections_meeting", "meeting_id"),)


class SpeakerLabel(Base):
    """A meeting's own name for one speaker, set by a member (gateway-written).

    `stream_id` holds the speaker key (vori.events.TranscriptSegment.speaker_key): the
    stream's id for a participant's own microphone, a room voice's speaker_id on a room
    microphone. Segments find their label by coalesce(speaker_id, stream_id).
    """

    __tablename__ = "speaker_labels"
    meeting_id: Mapped[str] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True
    )
    stream_id: Mapped[str] = mapped_column(String(240), primary_key=True)
    label: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=1)
    edited_by: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    edited_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class MeetingEventRow(Base):
    """Every event shown to a meeting's live clients, numbered per meeting for `since` replay."""

    __tablename__ = "meeting_event_log"
    meeting_id: Mapped[str] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    type: Mapped[str] = mapped_column(String(40))
    dedup_key: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    transient: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (UniqueConstraint("meeting_id", "dedup_key", name="uq_event_log_dedup"),)


# -- stream_ingest: durable positions and leases of audio streams (migration 0003) -------


class IngestStream(Base):
    """One participant's audio stream: samples durable in Kafka and which process holds it.

    Several ingest processes share this row, so a resumed stream gets the right position
    wherever it reconnects, and a stream is open in one process at a time (the lease).
    """

    __tablename__ = "ingest_streams"
    stream_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    meeting_id: Mapped[str] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    participant_id: Mapped[str] = mapped_column(String(40))
    durable_position: Mapped[int] = mapped_column(BigInteger, default=0)
    next_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    kafka_partition: Mapped[int | None] = mapped_column(Integer, nullable=True)
    kafka_offset: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    lease_owner: Mapped[str | None] = mapped_column(String(80), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (Index("ix_ingest_streams_meeting", "meeting_id"),)


# -- kanban: boards, columns, cards, their history (owned by the kanban service) --------


class Board(Base):
    """A kanban board: a person's personal board or a shared one with explicit members."""

    __tablename__ = "boards"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    # Set only on a user's personal board: the unique constraint makes "create on demand" safe.
    personal_owner_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id"), unique=True, nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # An archived board is kept, read as before, and left out of lists and My tasks.
    archived: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Terms every meeting on the board inherits after its own (vori/vocabulary.py).
    vocabulary: Mapped[list[str]] = mapped_column(
        JSON, default=list, server_default=literal_column("'[]'")
    )


class BoardMember(Base):
    """A person the owner added to a board explicitly (meeting members need no row here)."""

    __tablename__ = "board_members"
    board_id: Mapped[str] = mapped_column(
        ForeignKey("boards.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class BoardColumn(Base):
    """A column of a board (To do, In progress, Done by default), ordered by position."""

    __tablename__ = "board_columns"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    board_id: Mapped[str] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # At most this many cards (None: no limit): people cannot move or add one more.
    wip_limit: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (UniqueConstraint("board_id", "name", name="uq_board_columns_name"),)


class Card(Base):
    """A task on a board; at most one card per (board, task key), so replays upsert."""

    __tablename__ = "cards"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    board_id: Mapped[str] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"))
    column_id: Mapped[str] = mapped_column(ForeignKey("board_columns.id"))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    assignee: Mapped[str | None] = mapped_column(String(200), nullable=True)
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    position: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(8))  # llm | rules | human
    task_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    meeting_id: Mapped[str | None] = mapped_column(
        ForeignKey("meetings.id", ondelete="SET NULL"), nullable=True
    )
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    evidence: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # Fields a person set or touched: later proposals never overwrite them.
    human_fields: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # The last proposed value kept out per field, so a repeated proposal is recorded once.
    declined: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        UniqueConstraint("board_id", "task_key", name="uq_cards_board_task_key"),
        Index("ix_cards_board_column_position", "board_id", "column_id", "position"),
        # Search (migration 0008), over `search_document()`.
        Index(
            "ix_cards_text_fts",
            func.to_tsvector(ENGLISH, func.vori_card_text(title, description)),
            postgresql_using="gin",
        ),
        Index(
            "ix_cards_text_bigrams",
            func.vori_hangul_bigrams(func.vori_card_text(title, description)),
            postgresql_using="gin",
        ),
    )

    @classmethod
    def search_document(cls) -> ColumnElement[str]:
        """The text search matches a card by, as its indexes spell it."""
        return func.vori_card_text(cls.title, cls.description)


class CardHistoryRow(Base):
    """One change of a card: who (a person or a meeting), when, the fields before and after."""

    __tablename__ = "card_history"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    card_id: Mapped[str] = mapped_column(ForeignKey("cards.id", ondelete="CASCADE"))
    board_id: Mapped[str] = mapped_column(String(40))
    change: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer)
    actor_user_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    actor_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    meeting_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    source: Mapped[str] = mapped_column(String(8))  # human | llm | rules
    before: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Values a proposal asked for but a person's edit kept out.
    declined: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (Index("ix_card_history_card", "card_id", "id"),)


class ProcessedProposal(Base):
    """A `tasks.proposed` message already applied, by topic, partition and offset."""

    __tablename__ = "kanban_processed_proposals"
    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    meeting_id: Mapped[str] = mapped_column(String(40))
    board_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    processed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class KanbanOutboxRow(Base):
    """A `kanban.changes` event committed with its change and not yet confirmed by Kafka."""

    __tablename__ = "kanban_outbox"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    board_id: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


# -- gateway: latest summaries, task cards, stream starts (migration 0002) ---------------


class MeetingSummaryRow(Base):
    """The latest summary of a meeting from `meeting.summaries`; a final one beats rolling ones."""

    __tablename__ = "meeting_summaries"
    meeting_id: Mapped[str] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(8))  # rolling | final
    revision: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(8))  # llm | rules
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    overview: Mapped[str] = mapped_column(Text)
    key_points: Mapped[list[Any]] = mapped_column(JSON)
    decisions: Mapped[list[Any]] = mapped_column(JSON)
    open_questions: Mapped[list[Any]] = mapped_column(JSON)
    action_items: Mapped[list[Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    stored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        # Search (migration 0008), over `search_document()`.
        Index(
            "ix_meeting_summaries_text_fts",
            func.to_tsvector(ENGLISH, func.vori_summary_text(overview, key_points, decisions)),
            postgresql_using="gin",
        ),
        Index(
            "ix_meeting_summaries_text_bigrams",
            func.vori_hangul_bigrams(func.vori_summary_text(overview, key_points, decisions)),
            postgresql_using="gin",
        ),
    )

    @classmethod
    def search_document(cls) -> ColumnElement[str]:
        """Overview, key points and decisions in one text, as the search indexes spell it."""
        return func.vori_summary_text(cls.overview, cls.key_points, cls.decisions)


class MeetingTaskCard(Base):
    """The kanban card of a task key, as last announced on `kanban.changes`."""

    __tablename__ = "meeting_task_cards"
    task_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    meeting_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    card_id: Mapped[str] = mapped_column(String(40))
    board_id: Mapped[str] = mapped_column(String(40))
    column_name: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(Text)
    assignee: Mapped[str | None] = mapped_column(String(200), nullable=True)
    due_date: Mapped[str | None] = mapped_column(String(10), nullable=True)
    version: Mapped[int] = mapped_column(Integer)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (Index("ix_meeting_task_cards_meeting", "meeting_id"),)


class MeetingStream(Base):
    """When a participant's stream first joined: puts its stream time on the meeting clock."""

    __tablename__ = "meeting_streams"
    stream_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    meeting_id: Mapped[str] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    participant_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    participant_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    first_joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_left_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    __table_args__ = (Index("ix_meeting_streams_meeting", "meeting_id"),)


# -- summarizer ---------------------------------------------------------------------------


class SummarizerSegment(Base):
    """A final segment as the summarizer consumed it: its own copy, so it needs no gateway."""

    __tablename__ = "summarizer_segments"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    meeting_id: Mapped[str] = mapped_column(String(40))
    stream_id: Mapped[str] = mapped_column(String(200))
    participant_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    speaker: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # The room voice on a room microphone, else None: what a rename of it selects.
    speaker_id: Mapped[str | None] = mapped_column(String(240), nullable=True)
    start: Mapped[float] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # Probability that the segment states an action item; None until the detector saw it.
    action_score: Mapped[float | None] = mapped_column(Float, nullable=True)

    __table_args__ = (Index("ix_summarizer_segments_meeting_start", "meeting_id", "start"),)


class SummarizerMeeting(Base):
    """Per-meeting summarizer state: speech counters, the task ledger, the last summary."""

    __tablename__ = "summarizer_meetings"
    meeting_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    participants: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    segments_total: Mapped[int] = mapped_column(Integer, default=0)
    words_total: Mapped[int] = mapped_column(Integer, default=0)
    segments_summarized: Mapped[int] = mapped_column(Integer, default=0)
    words_summarized: Mapped[int] = mapped_column(Integer, default=0)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    tasks: Mapped[list[Any]] = mapped_column(JSON, default=list)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    summarized_until: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    last_speech_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    final_published: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # Corrections applied to the stored segments since the last summary: each
    # {"segment_id", "before", "after"}; the next summary carries them into its tasks.
    pending_corrections: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # Streams that joined (participant_joined) and whose `stream_transcribed` has not come:
    # the final summary waits for them, at most `final_wait_s` after the end.
    open_streams: Mapped[list[Any]] = mapped_column(JSON, default=list)


class SummarizerDeletedMeeting(Base):
    """A meeting its owner deleted, as the summarizer learnt it from `deleted`: a segment or
    event of it arriving later is ignored instead of bringing the meeting back."""

    __tablename__ = "summarizer_deleted_meetings"
    meeting_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    deleted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# -- analytics: written by the Spark jobs in analytics_spark (migration 0007) -------------


class AnalyticsMeeting(Base):
    """Per-meeting figures of the batch job, on the meeting clock (all streams aligned)."""

    __tablename__ = "analytics_meetings"
    meeting_id: Mapped[str] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True
    )
    board_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    duration_s: Mapped[float] = mapped_column(Float)
    speech_s: Mapped[float] = mapped_column(Float)  # union of everyone's speech
    silence_share: Mapped[float] = mapped_column(Float)
    overlap_s: Mapped[float] = mapped_column(Float)  # two or more speaking at once
    interruptions: Mapped[int] = mapped_column(Integer)
    questions: Mapped[int] = mapped_column(Integer)
    decisions: Mapped[int] = mapped_column(Integer)
    action_items: Mapped[int] = mapped_column(Integer)
    speakers: Mapped[int] = mapped_column(Integer)
    words: Mapped[int] = mapped_column(Integer)
    gini: Mapped[float] = mapped_column(Float)  # of talk time over speakers
    efficiency: Mapped[float] = mapped_column(Float)  # 0..100, see docs/analytics.md
    input_fingerprint: Mapped[str] = mapped_column(String(64))  # what the figures came from
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_analytics_meetings_board_started", "board_id", "started_at"),)


# Analytics speaker keys: a user id, a stream id (up to 200) or a room voice's id
# (vori.events.room_speaker_id: the stream id plus "#room-<n>").
SPEAKER_KEY_LENGTH = 240


class AnalyticsSpeaker(Base):
    """One speaker's figures in one meeting (batch job)."""

    __tablename__ = "analytics_speakers"
    meeting_id: Mapped[str] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True
    )
    # The speaker key (analytics_spark.meetings.SPEAKER_KEY): room voice, participant, stream.
    participant_id: Mapped[str] = mapped_column(String(SPEAKER_KEY_LENGTH), primary_key=True)
    speaker: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    talk_s: Mapped[float] = mapped_column(Float)
    talk_share: Mapped[float] = mapped_column(Float)
    words: Mapped[int] = mapped_column(Integer)
    wpm: Mapped[float] = mapped_column(Float)
    turns: Mapped[int] = mapped_column(Integer)
    longest_monologue_s: Mapped[float] = mapped_column(Float)
    interruptions_made: Mapped[int] = mapped_column(Integer)
    interrupted: Mapped[int] = mapped_column(Integer)
    overlap_s: Mapped[float] = mapped_column(Float)
    questions: Mapped[int] = mapped_column(Integer)


class AnalyticsBoardWeek(Base):
    """A board's week: meeting time and the flow of its action items (batch job)."""

    __tablename__ = "analytics_board_weeks"
    board_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    week: Mapped[date] = mapped_column(Date, primary_key=True)  # the Monday
    meetings: Mapped[int] = mapped_column(Integer)
    meeting_hours: Mapped[float] = mapped_column(Float)
    items_created: Mapped[int] = mapped_column(Integer)
    items_completed: Mapped[int] = mapped_column(Integer)
    items_overdue: Mapped[int] = mapped_column(Integer)  # open past their due date that week
    median_time_to_done_h: Mapped[float | None] = mapped_column(Float, nullable=True)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AnalyticsPersonWeek(Base):
    """One person's participation in a board's meetings of a week (batch job)."""

    __tablename__ = "analytics_person_weeks"
    board_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    person: Mapped[str] = mapped_column(String(200), primary_key=True)  # user id, else name
    week: Mapped[date] = mapped_column(Date, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    meetings: Mapped[int] = mapped_column(Integer)
    talk_s: Mapped[float] = mapped_column(Float)
    talk_share: Mapped[float] = mapped_column(Float)  # mean over the week's meetings
    words: Mapped[int] = mapped_column(Integer)
    wpm: Mapped[float] = mapped_column(Float)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AnalyticsTopic(Base):
    """A recurring topic of a board's meetings (Spark ML over their transcripts)."""

    __tablename__ = "analytics_topics"
    board_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    topic: Mapped[int] = mapped_column(Integer, primary_key=True)
    terms: Mapped[list[Any]] = mapped_column(JSON)  # [[term, weight], ...] strongest first
    meetings: Mapped[int] = mapped_column(Integer)  # meetings where it leads
    share: Mapped[float] = mapped_column(Float)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AnalyticsKeywordWeek(Base):
    """A keyword's weight in a board's meetings of a week (TF-IDF), for trends."""

    __tablename__ = "analytics_keyword_weeks"
    board_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    week: Mapped[date] = mapped_column(Date, primary_key=True)
    term: Mapped[str] = mapped_column(String(100), primary_key=True)
    score: Mapped[float] = mapped_column(Float)
    meetings: Mapped[int] = mapped_column(Integer)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AnalyticsRun(Base):
    """One run of the batch jobs: what it covered, so the next run reads only what changed."""

    __tablename__ = "analytics_runs"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    board_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    master: Mapped[str] = mapped_column(String(200))
    watermark: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    meetings: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16))  # running | done | failed


class AnalyticsLiveSpeaker(Base):
    """A speaker's running totals in a live meeting (Spark Structured Streaming job)."""

    __tablename__ = "analytics_live_speakers"
    # Goes with the meeting (migration 0014): analytics_spark/live.py says why its writer
    # accepts that.
    meeting_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True
    )
    # The room voice, else the participant, else the stream of a segment without one.
    participant_id: Mapped[str] = mapped_column(String(SPEAKER_KEY_LENGTH), primary_key=True)
    speaker: Mapped[str | None] = mapped_column(String(200), nullable=True)
    segments: Mapped[int] = mapped_column(Integer)
    talk_s: Mapped[float] = mapped_column(Float)
    words: Mapped[int] = mapped_column(Integer)
    wpm: Mapped[float] = mapped_column(Float)
    last_end_s: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Webhook(Base):
    """A board's subscription of another system to vori's events (gateway/webhooks.py).

    The secret signs every delivery (HMAC-SHA256), so it is kept as given, not hashed; the
    API shows it once, at creation.
    """

    __tablename__ = "webhooks"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    board_id: Mapped[str] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list[Any]] = mapped_column(JSON)
    secret: Mapped[str] = mapped_column(String(100))
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class WebhookDelivery(Base):
    """One event sent to one webhook, by its delivery id (stable across retries and replays)."""

    __tablename__ = "webhook_deliveries"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    webhook_id: Mapped[str] = mapped_column(
        ForeignKey("webhooks.id", ondelete="CASCADE"), index=True
    )
    event: Mapped[str] = mapped_column(String(40))
    meeting_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    status: Mapped[str] = mapped_column(String(16))  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Notification(Base):
    """Something a person should hear about: a card assigned to them, a card due tomorrow,
    their name said in a meeting (gateway/notifications.py). The id derives from what it is
    about, so a replayed event or a repeated check adds nothing."""

    __tablename__ = "notifications"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # assigned | due | mention
    title: Mapped[str] = mapped_column(String(300))  # the card's or the meeting's
    text: Mapped[str] = mapped_column(Text, default="")  # what was said, for a mention
    actor: Mapped[str | None] = mapped_column(String(200), nullable=True)
    board_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    card_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    meeting_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    segment_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    at_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    __table_args__ = (Index("ix_notifications_user_created", "user_id", "created_at"),)


class RecordingUpload(Base):
    """A recording uploaded to a meeting (gateway/uploads.py): received in parts into the
    object store, then transcribed by the batch transcriber, whose reports the gateway's
    persistence consumer applies here. The gateway is the only writer."""

    __tablename__ = "recording_uploads"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    meeting_id: Mapped[str] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    uploaded_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    filename: Mapped[str] = mapped_column(String(300))
    size_bytes: Mapped[int] = mapped_column(BigInteger)  # declared (multipart: as received)
    received_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    parts: Mapped[list[Any]] = mapped_column(JSON, default=list)  # object keys, byte order
    # receiving | queued | transcribing | transcribed | failed
    status: Mapped[str] = mapped_column(String(16), default="receiving")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    end_meeting: Mapped[bool] = mapped_column(Boolean, default=False)
    # A room recording: several people on one microphone, told apart by voice when transcribed.
    room: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Retranscription(Base):
    """A job transcribing a past meeting's archived audio again with another model
    (gateway/retranscriptions.py). The gateway is the only writer: it applies the batch
    transcriber's reports and, on `transcript_replaced`, drops the old segments."""

    __tablename__ = "retranscriptions"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    meeting_id: Mapped[str] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    requested_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    model: Mapped[str] = mapped_column(String(40))
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    streams: Mapped[list[Any]] = mapped_column(JSON, default=list)  # archived stream ids
    # queued | transcribing | transcribed | replaced | failed
    status: Mapped[str] = mapped_column(String(16), default="queued")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    replaced_segments: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
