"""Request and response bodies of the gateway's meetings API (docs/protocol.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator, model_validator

from vori.settings import Accuracy, TaskSelection
from vori.vocabulary import MAX_TERM_CHARS, MAX_TERMS, clean_terms

Language = Literal["en", "ko", "auto"]


def _meeting_title(value: str | None) -> str | None:
    """Runs of white space become one space; a blank title is refused. None (no new title,
    where the model allows it) passes: a validator's AttributeError would be a 500."""
    if value is None:
        return None
    title = " ".join(value.split())
    if not title:
        raise ValueError("must not be blank")
    return title


VOCABULARY_DESCRIPTION = (
    f"Names and terms that bias transcription (at most {MAX_TERMS}, each at most "
    f"{MAX_TERM_CHARS} characters; white space collapsed, duplicates dropped)."
)


def _vocabulary(value: list[str] | None) -> list[str] | None:
    return None if value is None else clean_terms(value)


TASKS_DESCRIPTION = (
    "Which commitments become cards: `selective`, the work the meeting hands out; "
    "`thorough`, also the small commitments of a working meeting (2-3.5x the cards); "
    "null: the deployment's VORI_SUMMARIZER__TASKS (in a PATCH, an explicit null goes "
    "back to it)."
)

ACCURACY_DESCRIPTION = (
    "Which model decodes the meeting's English, chosen at creation: `standard` (tiny.en), "
    "`high` (base: fewer word errors, for about 1.7 times the transcriber's CPU per stream "
    "and finals about half a second later; bench/README.md); null: the deployment's "
    "VORI_TRANSCRIBER__ACCURACY. Korean is decoded by base either way."
)


class MeetingCreate(BaseModel):
    title: str = Field(min_length=1, max_length=300)
    language: Language = "en"
    board_id: str | None = Field(None, min_length=1, max_length=40)
    time_zone: str = Field("UTC", max_length=64, description="IANA time zone, e.g. Asia/Seoul.")
    vocabulary: list[str] = Field(
        default_factory=list, max_length=4 * MAX_TERMS, description=VOCABULARY_DESCRIPTION
    )
    tasks: TaskSelection | None = Field(None, description=TASKS_DESCRIPTION)
    accuracy: Accuracy | None = Field(None, description=ACCURACY_DESCRIPTION)

    _title = field_validator("title")(_meeting_title)
    _terms = field_validator("vocabulary")(_vocabulary)

    @field_validator("time_zone")
    @classmethod
    def _time_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name)") from None
        return value


class MeetingRename(BaseModel):
    """`PATCH /api/v1/meetings/{id}`: a new title or selection of cards (the owner only)
    and/or a new vocabulary (any member); at least one of them. A field left out is kept;
    `"tasks": null` given explicitly goes back to the deployment's selection."""

    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(None, min_length=1, max_length=300)
    vocabulary: list[str] | None = Field(
        None, max_length=4 * MAX_TERMS, description=VOCABULARY_DESCRIPTION
    )
    tasks: TaskSelection | None = Field(None, description=TASKS_DESCRIPTION)

    _title = field_validator("title")(_meeting_title)
    _terms = field_validator("vocabulary")(_vocabulary)

    @property
    def changes_tasks(self) -> bool:
        """Whether the body sets the selection, to a value or back to null."""
        return "tasks" in self.model_fields_set

    @model_validator(mode="after")
    def _something(self) -> MeetingRename:
        if self.title is None and self.vocabulary is None and not self.changes_tasks:
            raise ValueError("give a title, a vocabulary, a selection of tasks, or several")
        return self


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
    vocabulary: list[str] = Field(description=VOCABULARY_DESCRIPTION)
    tasks: TaskSelection | None = Field(description=TASKS_DESCRIPTION)
    accuracy: Accuracy | None = Field(description=ACCURACY_DESCRIPTION)
