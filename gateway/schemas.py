"""Request and response bodies of the gateway's REST API (docs/protocol.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, EmailStr, Field, field_validator

Language = Literal["en", "ko", "auto"]


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


class MeetingCreate(BaseModel):
    title: str = Field(min_length=1, max_length=300)
    language: Language = "en"
    board_id: str | None = Field(None, min_length=1, max_length=40)
    time_zone: str = Field("UTC", max_length=64, description="IANA time zone, e.g. Asia/Seoul.")

    @field_validator("title")
    @classmethod
    def _title(cls, value: str) -> str:
        title = " ".join(value.split())
        if not title:
            raise ValueError("title must not be blank")
        return title

    @field_validator("time_zone")
    @classmethod
    def _time_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name)") from None
        return value


class MemberAdd(BaseModel):
    email: EmailStr


class MemberOut(BaseModel):
    user_id: str
    email: str
    display_name: str
    role: str


class MeetingOut(BaseModel):
    id: str
    title: str
    language: str
    time_zone: str
    board_id: str | None
    owner_id: str
    created_at: datetime
    ended_at: datetime | None
    status: Literal["active", "ended"]
    members: list[MemberOut]


class SegmentOut(BaseModel):
    id: str
    stream_id: str
    participant_id: str | None
    speaker: str
    start: float
    end: float
    meeting_start: float
    meeting_end: float
    text: str
    words: list[dict[str, Any]]
    language: str | None
    confidence: float | None
    final: bool = True


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


class EvidenceOut(BaseModel):
    segment_id: str
    quote: str
    at: float | None = None


class ActionItemOut(BaseModel):
    task_key: str
    title: str
    assignee: str | None = None
    due_date: str | None = None
    status: str = "open"
    evidence: list[EvidenceOut] = Field(default_factory=list)
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
