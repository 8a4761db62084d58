"""Request and response bodies of the gateway's REST API (docs/protocol.md)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, EmailStr, Field

from vori.events import ActionItem, Word


class RegisterRequest(BaseModel):
    email: EmailStr
    password: str = Field(min_length=1, max_length=256)
    display_name: str = Field(min_length=1, max_length=200)


class UserOut(BaseModel):
    id: str
    email: str
    display_name: str
    created_at: datetime


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the token expires.")


# The transcript API's segment and what gateway/exports.py renders (no docstring: schema).
class SegmentOut(BaseModel):
    id: str
    stream_id: str
    participant_id: str | None
    speaker: str
    speaker_id: str | None = Field(
        None,
        description="On a room microphone, the voice the line is (labels and renames go by "
        "speaker_id, else stream_id).",
    )
    start: float
    end: float
    meeting_start: float
    meeting_end: float
    text: str
    words: list[Word]
    language: str | None
    confidence: float | None
    final: bool = True
    edited: bool = Field(False, description="A member corrected the text.")
    original_text: str | None = Field(None, description="The transcribed text, when corrected.")
    correction_version: int = 0

    def as_dict(self) -> dict[str, Any]:
        """Its fields as the JSON transcript answers them."""
        return self.model_dump()


class TranscriptOut(BaseModel):
    meeting_id: str
    title: str
    language: str
    segments: list[SegmentOut]


class CardLink(BaseModel):
    id: str
    board_id: str
    column: str
    title: str
    assignee: str | None
    due_date: str | None
    version: int
    archived: bool


class ActionItemOut(ActionItem):
    """An action item as the summarizer published it (one model per wire shape: the
    event's), with the card it became on the board where the gateway knows one."""

    card: CardLink | None = None


class SummaryOut(BaseModel):
    meeting_id: str
    available: bool
    kind: Literal["rolling", "final"] | None = None
    revision: int | None = None
    source: str | None = None
    language: str | None = None
    created_at: datetime | None = None
    overview: str = ""
    key_points: list[str] = Field(default_factory=list)
    decisions: list[str] = Field(default_factory=list)
    open_questions: list[str] = Field(default_factory=list)
    action_items: list[ActionItemOut] = Field(default_factory=list)


# -- analytics (read from the tables the Spark jobs write; docs/analytics.md) ------------

AnalysisStatus = Literal["pending", "partial", "ready"]


class MeetingFiguresOut(BaseModel):
    """The batch job's figures of one meeting, on the meeting clock (all streams aligned)."""

    started_at: datetime
    duration_s: float
    speech_s: float = Field(description="Seconds in which at least one person spoke.")
    silence_share: float = Field(description="Share of the meeting (0..1) nobody spoke.")
    overlap_s: float = Field(description="Seconds in which two or more people spoke at once.")
    interruptions: int
    questions: int
    decisions: int
    action_items: int
    speakers: int
    words: int
    gini: float = Field(description="Gini coefficient of talk time over speakers (0 = even).")
    efficiency: float = Field(description="Meeting-efficiency score 0..100 (docs/analytics.md).")


class SpeakerFiguresOut(BaseModel):
    """One speaker's figures in one meeting (batch job)."""

    participant_id: str
    speaker: str
    user_id: str | None
    talk_s: float
    talk_share: float = Field(description="Share (0..1) of all talk time in the meeting.")
    words: int
    wpm: float = Field(description="Words per minute of the speaker's own talk time.")
    turns: int
    longest_monologue_s: float
    interruptions_made: int
    interrupted: int
    overlap_s: float
    questions: int


class LiveSpeakerOut(BaseModel):
    """One participant's running totals while the meeting runs (live streaming job)."""

    participant_id: str
    speaker: str
    segments: int
    talk_s: float
    talk_share: float = Field(description="Share (0..1) of the live talk time so far.")
    words: int
    wpm: float
    last_end_s: float = Field(description="End of the participant's last counted segment (s).")
    updated_at: datetime


class LiveTotalsOut(BaseModel):
    """The live job's totals of a meeting; empty until it has counted a segment."""

    active: bool = Field(description="Whether the meeting is still running.")
    updated_at: datetime | None = Field(description="Latest update of any participant's row.")
    talk_s: float
    speakers: list[LiveSpeakerOut] = Field(description="Most talk time first.")


class MeetingAnalyticsOut(BaseModel):
    """`GET /api/v1/analytics/meetings/{id}`: batch figures, per-speaker rows, live totals."""

    meeting_id: str
    status: AnalysisStatus = Field(
        description=(
            "pending: the batch job has not analysed the meeting yet (figures null, speakers "
            "empty); partial: analysed while it was still running; ready: analysed after it ended."
        )
    )
    computed_at: datetime | None
    figures: MeetingFiguresOut | None
    speakers: list[SpeakerFiguresOut] = Field(description="Most talk time first.")
    live: LiveTotalsOut


class BoardWeekOut(BaseModel):
    """A board's week: its meeting time and the flow of its action items."""

    week: date = Field(description="The Monday of the week.")
    meetings: int
    meeting_hours: float
    items_created: int
    items_completed: int
    items_overdue: int = Field(description="Open past their due date during that week.")
    median_time_to_done_h: float | None


class PersonWeekOut(BaseModel):
    """One person's participation in a board's meetings of a week."""

    person: str = Field(description="User id, or the speaker's name for a guest.")
    name: str
    week: date
    meetings: int
    talk_s: float
    talk_share: float = Field(description="Mean share of talk time over the week's meetings.")
    words: int
    wpm: float


class TermWeightOut(BaseModel):
    term: str
    weight: float


class TopicOut(BaseModel):
    """A recurring topic of a board's meetings, its strongest terms first."""

    topic: int
    terms: list[TermWeightOut]
    meetings: int = Field(description="Meetings in which this topic leads.")
    share: float


class KeywordWeekOut(BaseModel):
    """A keyword's TF-IDF weight in a board's meetings of a week."""

    week: date
    term: str
    score: float
    meetings: int


class BoardMeetingOut(BaseModel):
    """A meeting of the board that the caller is a member of, with its headline figures."""

    meeting_id: str
    title: str
    started_at: datetime
    duration_s: float
    speakers: int
    gini: float
    efficiency: float


class BoardAnalyticsOut(BaseModel):
    """`GET /api/v1/analytics/boards/{id}`: weeks, person weeks, topics, keyword trends."""

    board_id: str
    status: Literal["pending", "ready"] = Field(
        description="pending: the batch job has not analysed this board yet (lists empty)."
    )
    since: date | None = Field(description="The Monday from which weeks are included.")
    computed_at: datetime | None = Field(description="Latest computation of any row shown.")
    weeks: list[BoardWeekOut]
    people: list[PersonWeekOut]
    topics: list[TopicOut]
    keywords: list[KeywordWeekOut]
    meetings: list[BoardMeetingOut] = Field(description="Newest first; only the caller's.")
